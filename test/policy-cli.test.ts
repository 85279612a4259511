/**
 * The built entry point: `policy check`, refusing to start on an invalid policy, and the policy
 * wiring of a served process (default policy, audit file, hot reload).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ENTRY, parseText, spawnServer } from './harness.js';
import type { CallToolResult } from '@modelcontextprotocol/client';
import { toolKinds } from '../tools/index.js';

/** The catalogue's tool names, in order. */
const TOOL_NAMES = [...toolKinds.keys()];

const POLICY_DIR = fileURLToPath(new URL('../../policy/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'kommo-policy-cli-'));

function run(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [ENTRY, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 20_000,
    input: '',
  });
}

describe('kommo-mcp policy check <file>', () => {
  test('a valid policy: exit 0 and one row per tool with its decision and limits', () => {
    const out = run(['policy', 'check', `${POLICY_DIR}default.json`]);
    assert.equal(out.status, 0, out.stderr);
    for (const tool of TOOL_NAMES) assert.match(out.stdout, new RegExp(`^${tool}\\s`, 'm'), tool);
    assert.match(out.stdout, /^run_salesbot\s+execute\s+approval\s+10\/minute per grant \[run_salesbot_rate\]/m);
    assert.match(out.stdout, /^create_lead\s+write\s+allow\s+30\/minute per grant \[writes\]; 500\/day per grant \[writes_daily\]/m);
    assert.match(out.stdout, /^get_leads\s+read\s+allow\s+-/m);

    const readOnly = run(['policy', 'check', `${POLICY_DIR}read-only.json`]);
    assert.equal(readOnly.status, 0);
    assert.match(readOnly.stdout, /^update_lead\s+write\s+hidden/m);
    assert.match(readOnly.stdout, /14 of 23 tools visible/);

    const example = run(['policy', 'check', `${POLICY_DIR}policylayer-example.json`]);
    assert.equal(example.status, 0);
    assert.match(example.stdout, /^get_account\s+read\s+deny/m);
    assert.match(example.stdout, /1 of 23 tools visible/);
  });

  test('an invalid policy: exit 1 and every problem with its JSON path on stderr', () => {
    const file = join(dir, 'invalid.json');
    writeFileSync(
      file,
      JSON.stringify({ version: '1', default: 'allow', tools: { run_salesbot: { limits: [{ counter: 'r', window: 'weekly', max: 10 }] }, get_leeds: {} } }),
    );
    const out = run(['policy', 'check', file]);
    assert.equal(out.status, 1);
    assert.equal(out.stdout, '');
    assert.match(out.stderr, /tools\.run_salesbot\.limits\[0\]\.window: window must be/);
    assert.match(out.stderr, /tools\.get_leeds: unknown tool "get_leeds"; did you mean "get_leads"\?/);
    assert.equal(run(['policy', 'check', join(dir, 'missing.json')]).status, 1);
  });
});

test('a condition on a misspelt argument: policy check exits 1 with a did-you-mean, and the server does not start', () => {
  const file = join(dir, 'typo.json');
  writeFileSync(
    file,
    JSON.stringify({ version: '1', default: 'allow', tools: { update_lead: { deny_if: [{ conditions: [{ path: 'args.prce', op: 'gt', value: 100000 }] }] } } }),
  );
  const check = run(['policy', 'check', file]);
  assert.equal(check.status, 1);
  assert.match(
    check.stderr,
    /tools\.update_lead\.deny_if\[0\]\.conditions\[0\]\.path: update_lead has no argument "prce", so this would never apply; did you mean "args\.price"\?/,
  );
  const start = run(['--sandbox', '--policy', file]);
  assert.notEqual(start.status, 0);
  assert.equal(start.stdout, '');
  assert.match(start.stderr, /did you mean "args\.price"\?/);
});

test('an invalid policy at start: non-zero exit, one stderr line naming the file and the JSON path', () => {
  const file = join(dir, 'bad-start.json');
  writeFileSync(
    file,
    JSON.stringify({ version: '1', default: 'deny', tools: { run_salesbot: { limits: [{ counter: 'r', window: 'fortnight', max: 10, scope: 'grant' }] } } }),
  );
  for (const args of [['--sandbox', '--policy', file], ['--sandbox']]) {
    const out = run(args, args.length === 1 ? { KOMMO_POLICY: file } : {});
    assert.notEqual(out.status, 0);
    assert.equal(out.stdout, '', 'nothing on the protocol channel');
    const lines = out.stderr.trim().split('\n');
    assert.equal(lines.length, 1, out.stderr);
    assert.ok(lines[0]!.includes(file), lines[0]);
    assert.match(lines[0]!, /tools\.run_salesbot\.limits\[0\]\.window/);
  }
});

function body(result: unknown): Record<string, unknown> {
  return parseText(result as CallToolResult);
}

test('a served process: default policy, audit file, hot reload with tools/list_changed', async () => {
  const policyFile = join(dir, 'served.json');
  writeFileSync(policyFile, readFileSync(`${POLICY_DIR}default.json`, 'utf8').replace('"$schema": "./policy.schema.json",', ''));
  const auditFile = join(dir, 'audit.log');
  const server = await spawnServer(['--sandbox'], { KOMMO_POLICY: policyFile, KOMMO_AUDIT_LOG: auditFile });
  try {
    let changed = 0;
    server.client.setNotificationHandler('notifications/tools/list_changed', () => void changed++);
    const names = (await server.client.listTools()).tools.map((t) => t.name);
    assert.ok(names.includes('run_salesbot') && names.includes('get_leads'));

    const bot = body(await server.client.callTool({ name: 'run_salesbot', arguments: { bot_id: 1, entity_id: 1, entity_type: 'leads' } }));
    assert.equal(bot.error, 'approval_unavailable', JSON.stringify(bot));
    const leads = await server.client.callTool({ name: 'get_leads', arguments: { limit: 1 } });
    assert.notEqual(leads.isError, true);

    const lines = readFileSync(auditFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(
      lines.map((l) => [l.tool, l.decision, l.code]),
      [
        ['run_salesbot', 'approval', 'approval_unavailable'],
        ['get_leads', 'allow', 'ok'],
      ],
    );
    assert.equal(lines[1]!.kommoStatus, 200);
    assert.ok(!server.stderr().includes('"msg":"audit"'), 'audit lines go to the file, not stderr');

    writeFileSync(policyFile, JSON.stringify({ version: '1', default: 'allow', hide: ['get_leads'] }));
    const deadline = Date.now() + 5_000;
    while (changed === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    assert.equal(changed, 1, 'notifications/tools/list_changed after a valid edit');
    assert.ok(!(await server.client.listTools()).tools.some((t) => t.name === 'get_leads'));
    assert.equal(body(await server.client.callTool({ name: 'get_leads', arguments: {} })).error, 'policy_denied');

    writeFileSync(policyFile, '{"version":"1","default":"allow","hide":["get_leads"],}');
    const logged = Date.now() + 5_000;
    while (!server.stderr().includes('policy reload rejected') && Date.now() < logged) await new Promise((r) => setTimeout(r, 25));
    assert.match(server.stderr(), /policy reload rejected; the previous policy stays in force/);
    assert.equal(body(await server.client.callTool({ name: 'get_leads', arguments: {} })).error, 'policy_denied', 'the previous policy stays');
  } finally {
    await server.close();
  }
});
