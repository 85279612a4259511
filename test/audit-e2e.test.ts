/**
 * The audit says what happened, through the real server and the official MCP Client: refused and
 * invalid calls name the arguments as sent, cancelled calls say `cancelled`, approval summaries'
 * Kommo reads are counted, every internal error is logged once, and when the audit cannot be
 * written no write or execute goes out (reads go on).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { z } from 'zod';
import type { ElicitResult } from '@modelcontextprotocol/client';
import { argsSha256, type AuditRecord } from '../policy/audit.js';
import { compilePolicy } from '../policy/compile.js';
import { PolicyMiddleware } from '../policy/middleware.js';
import { createLogger } from '../src/log.js';
import type { Sandbox } from '../src/sandbox/index.js';
import { defineTool } from '../tools/define.js';
import { catalogue, toolArguments } from '../tools/index.js';
import { harnessPool, spawnServer, parseText } from './harness.js';
import { isNameLookup } from './tools-support.js';

let sandbox: Sandbox;
const start = harnessPool(
  (s) => {
    sandbox = s;
  },
  { leads: 30 },
);

const lead = () => sandbox.store.leads.find((l) => !l.is_deleted && l.status_id !== 142 && l.status_id !== 143)!;

async function until(check: () => boolean, what: string, ms = 3_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('refused and invalid calls are audited with the arguments as sent', () => {
  test('a call refused by name, and one with invalid arguments: argument names and the hash of what was sent', async () => {
    const audit: AuditRecord[] = [];
    const h = await start({ policy: { version: '1', default: 'allow', hide: ['get_users'] }, audit: (r) => audit.push(r) });
    const hiddenArgs = { limit: 5, secret_field: 'Isabella +55 11 99999-0000' };
    assert.equal((await h.callJson('get_users', hiddenArgs)).body.error, 'policy_denied');
    const invalidArgs = { id: 'not-a-number', extra: true };
    assert.equal((await h.callJson('get_lead', invalidArgs)).body.error, 'invalid_arguments');
    assert.deepEqual(
      audit.map((r) => [r.tool, r.code, r.argKeys, r.argsSha256]),
      [
        ['get_users', 'policy_denied', ['limit', 'secret_field'], argsSha256(hiddenArgs)],
        ['get_lead', 'invalid_arguments', ['extra', 'id'], argsSha256(invalidArgs)],
      ],
    );
    assert.notEqual(audit[0]!.argsSha256, argsSha256({}));
    assert.ok(!JSON.stringify(audit).includes('Isabella'), 'values never reach the audit');
  });
});

describe('cancelled calls', () => {
  test('a read cancelled by the client while Kommo is slow is audited as cancelled, not kommo_error', async () => {
    const audit: AuditRecord[] = [];
    const h = await start({ audit: (r) => audit.push(r) });
    sandbox.injectFault({ path: '/api/v4/leads', status: 200, delayMs: 400 });
    const controller = new AbortController();
    const pending = h.client.callTool({ name: 'get_leads', arguments: { limit: 5 } }, { signal: controller.signal });
    await until(() => h.requests().some((r) => r.path === '/api/v4/leads'), 'the request to reach Kommo');
    controller.abort('the user pressed stop');
    await assert.rejects(pending);
    await until(() => audit.length === 1, 'the audit line');
    assert.equal(audit[0]!.code, 'cancelled');
    assert.equal(audit[0]!.tool, 'get_leads');
  });
});

describe('approval summaries are counted', () => {
  test('a declined approval whose summary read the lead: the lines count those reads, and nothing was written', async () => {
    const audit: AuditRecord[] = [];
    const h = await start({
      policy: { version: '1', default: 'allow', tools: { update_lead: { action: 'approval' } } },
      audit: (r) => audit.push(r),
      capabilities: { elicitation: { form: {} } },
      setupClient: (client) => client.setRequestHandler('elicitation/create', (): ElicitResult => ({ action: 'decline' })),
    });
    const target = lead();
    const { body } = await h.callJson('update_lead', { id: target.id, price: target.price + 1 });
    assert.equal(body.error, 'approval_declined');
    const reads = h.requests();
    assert.ok(reads.length >= 1, 'the summary read Kommo');
    assert.ok(
      reads.every((r) => r.method === 'GET'),
      'no write',
    );
    const final = audit.at(-1)!;
    assert.equal(final.code, 'approval_declined');
    assert.equal(final.kommoRequests, reads.length, 'every request the call caused is counted');
    assert.equal(final.summaryRequests, reads.length);
    assert.equal(audit.find((r) => r.event === 'declined')!.kommoRequests, reads.length);
  });
});

describe('internal errors', () => {
  test('an unexpected exception is logged once on stderr with its name and stack frames, never its message or the token', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger('info', (line) => lines.push(JSON.parse(line) as Record<string, unknown>), { secrets: [sandbox.token] });
    const broken = defineTool({
      name: 'get_account',
      title: 'Broken account',
      description: 'Fails unexpectedly.',
      kind: 'read',
      input: z.object({}),
      run: async () => {
        throw new TypeError(`customer note: Isabella ${sandbox.token}`);
      },
    });
    const audit: AuditRecord[] = [];
    const h = await start({ tools: [broken, ...catalogue.filter((t) => t.name !== 'get_account')], logger, audit: (r) => audit.push(r) });
    const { body } = await h.callJson('get_account');
    assert.equal(body.error, 'internal_error');
    const logged = lines.filter((l) => String(l.msg).startsWith('internal error'));
    assert.equal(logged.length, 1, JSON.stringify(lines));
    assert.equal(logged[0]!.error, 'TypeError');
    assert.equal(logged[0]!.tool, 'get_account');
    assert.ok(Array.isArray(logged[0]!.stack) && (logged[0]!.stack as string[]).length > 0 && (logged[0]!.stack as string[]).every((f) => f.startsWith('at ')));
    const text = JSON.stringify(lines);
    assert.ok(!text.includes('Isabella') && !text.includes(sandbox.token), text);
    assert.equal(audit[0]!.code, 'internal_error');
  });
});

describe('when the audit cannot be written', () => {
  test('write and execute calls are refused with audit_unavailable and reach no Kommo endpoint; reads go on; the failure is logged once a minute', async () => {
    let broken = false;
    const written: AuditRecord[] = [];
    const lines: Record<string, unknown>[] = [];
    let now = Date.UTC(2026, 2, 1, 10, 0, 0);
    const middleware = new PolicyMiddleware({
      policy: compilePolicy({ version: '1', default: 'allow' }, toolArguments),
      now: () => now,
      logger: createLogger('info', (line) => lines.push(JSON.parse(line) as Record<string, unknown>)),
      audit: {
        write: (r) => {
          if (broken) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
          written.push(r);
        },
        close: () => {},
      },
    });
    const h = await start({ middleware });
    const failures = () => lines.filter((l) => String(l.msg).startsWith('audit line could not be written')).length;

    broken = true;
    assert.equal((await h.callJson('get_account')).isError, false, 'a read goes on; its line is the one that fails');
    assert.equal(failures(), 1);
    h.resetLog();
    const refused = await h.callJson('create_lead', { name: 'Unaudited' });
    assert.equal(refused.body.error, 'audit_unavailable');
    assert.match(String(refused.body.message), /audit log cannot be written/);
    const bot = sandbox.store.bots[0]!.id;
    assert.equal((await h.callJson('run_salesbot', { bot_id: bot, entity_id: lead().id, entity_type: 'leads' })).body.error, 'audit_unavailable');
    assert.equal((await h.callJson('get_lead', { id: lead().id })).isError, false, 'reads go on');
    assert.deepEqual(
      h
        .requests()
        .filter((r) => !isNameLookup(r))
        .map((r) => r.method),
      ['GET'],
      'only the read reached Kommo',
    );
    assert.equal(failures(), 1, 'logged once within the minute');
    now += 61_000;
    await h.callJson('get_account');
    assert.equal(failures(), 2, 'and again a minute later');

    broken = false;
    assert.equal((await h.callJson('get_account')).isError, false);
    assert.ok(lines.some((l) => String(l.msg).startsWith('audit log writable again')));
    const created = await h.callJson('create_lead', { name: 'Audited again' });
    assert.equal(created.isError, false, JSON.stringify(created.body));
    assert.equal(written.at(-1)!.tool, 'create_lead');
  });

  test('the first write after the audit breaks is refused too: its sending line fails before any Kommo request', async () => {
    const middleware = new PolicyMiddleware({
      policy: compilePolicy({ version: '1', default: 'allow' }, toolArguments),
      audit: {
        write: () => {
          throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        },
        close: () => {},
      },
    });
    const h = await start({ middleware });
    const refused = await h.callJson('create_lead', { name: 'Never unaudited' });
    assert.equal(refused.body.error, 'audit_unavailable');
    assert.deepEqual(h.requests(), [], 'no request reached Kommo');
  });

  test('a served process whose KOMMO_AUDIT_LOG is a full device refuses writes and keeps serving reads, with one stderr line', async () => {
    const server = await spawnServer(['--sandbox'], { KOMMO_AUDIT_LOG: '/dev/full' });
    try {
      const account = await server.client.callTool({ name: 'get_account', arguments: {} });
      assert.notEqual(account.isError, true);
      const body = parseText((await server.client.callTool({ name: 'create_lead', arguments: { name: 'Unaudited' } })) as never);
      assert.equal(body.error, 'audit_unavailable');
      const read = await server.client.callTool({ name: 'get_leads', arguments: { limit: 1 } });
      assert.notEqual(read.isError, true);
      const failures = server
        .stderr()
        .split('\n')
        .filter((l) => l.includes('audit line could not be written'));
      assert.equal(failures.length, 1, server.stderr());
      assert.match(failures[0]!, /ENOSPC/);
    } finally {
      await server.close();
    }
  });
});
