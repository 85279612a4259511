/**
 * The policy middleware end to end: the real server, the official MCP `Client`, the sandbox, and its
 * request log. A refused call must make zero Kommo requests; limits must hold exactly under
 * concurrency; budgets come back when Kommo never took the call.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, renameSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { canonicalJson, loggerAudit, type AuditRecord } from '../policy/audit.js';
import { createLogger } from '../src/log.js';
import { compilePolicy } from '../policy/compile.js';
import { PolicyMiddleware } from '../policy/middleware.js';
import { loadPolicyFile, PolicyStore } from '../policy/store.js';
import type { Sandbox } from '../src/sandbox/index.js';
import { catalogue, toolArguments, toolKinds } from '../tools/index.js';
import { harnessPool } from './harness.js';
import { isNameLookup } from './tools-support.js';

/** The catalogue's tool names, in order. */
const TOOL_NAMES = [...toolKinds.keys()];

const POLICY_DIR = fileURLToPath(new URL('../../policy/', import.meta.url));

/** Arguments that pass every tool's validation, so only the policy can refuse them. */
const VALID_ARGS: Record<string, Record<string, unknown>> = {
  get_account: {},
  get_leads: {},
  get_lead: { id: 1 },
  create_lead: { name: 'Policy test' },
  update_lead: { id: 1, name: 'Policy test' },
  move_lead: { lead_id: 1, status_id: 142 },
  get_pipelines: {},
  get_sales_report: {},
  get_dashboard: {},
  get_contacts: {},
  get_companies: {},
  get_tasks: {},
  create_task: { text: 'Call back', entity_id: 1, entity_type: 'leads', complete_till: 2_000_000_000 },
  get_users: {},
  get_loss_reasons: {},
  get_loss_reason: { id: 1 },
  get_notes: { entity_type: 'leads', entity_id: 1 },
  add_note: { entity_type: 'leads', entity_id: 1, text: 'note' },
  pin_note: { entity_type: 'leads', note_id: 1 },
  unpin_note: { entity_type: 'leads', note_id: 1 },
  run_salesbot: { bot_id: 1, entity_id: 1, entity_type: 'leads' },
  stop_salesbot: { bot_id: 1, entity_id: 1, entity_type: 'leads' },
  ask_kommo: { question: 'How many leads are open?' },
};

/**
 * The tools the catalogue serves today, in contract order. The contract test (catalogue.test.ts)
 * pins that these are all 23; the policy tests cover whatever is served.
 */
const SERVED = TOOL_NAMES.filter((name) => catalogue.some((t) => t.name === name));

const forAll = (rule: object) => Object.fromEntries(TOOL_NAMES.map((t) => [t, rule]));

let sandbox: Sandbox;
const start = harnessPool(
  (s) => {
    sandbox = s;
  },
  { leads: 50 },
);

function clock(start = Date.UTC(2026, 2, 1, 10, 0, 5)) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

const bot = () => sandbox.store.bots[0]!.id;
const lead = (i = 0) => sandbox.store.leads.filter((l) => !l.is_deleted)[i]!.id;
const runArgs = () => ({ bot_id: bot(), entity_id: lead(), entity_type: 'leads' });

describe('for every one of the 23 tools a deny makes zero Kommo requests', () => {
  test('the policy governs exactly the 23 tools of the catalogue and refuses any other name', () => {
    assert.equal(TOOL_NAMES.length, 23);
    assert.throws(
      () => compilePolicy({ version: '1', default: 'allow', tools: { get_leadz: { action: 'deny' } } }, toolArguments),
      /unknown tool "get_leadz"; did you mean "get_leads"/,
    );
  });

  // A require on the first argument each tool is called with; tools without arguments have nothing to require.
  const withArgs = SERVED.filter((t) => Object.keys(VALID_ARGS[t] ?? {}).length > 0);
  const variants: Array<{ name: string; policy: object; rule: (tool: string) => string; listed: boolean; tools?: readonly string[] }> = [
    { name: 'hidden', policy: { version: '1', default: 'allow', hide: ['*'] }, rule: () => 'hide', listed: false },
    { name: 'hidden by name', policy: { version: '1', default: 'allow', hide: [...TOOL_NAMES] }, rule: () => 'hide', listed: false },
    { name: 'default deny', policy: { version: '1', default: 'deny' }, rule: () => 'default', listed: false },
    {
      name: 'action deny',
      policy: { version: '1', default: 'allow', tools: forAll({ action: 'deny', reason: 'Not today.' }) },
      rule: (t) => `tools.${t}.action`,
      listed: false,
    },
    {
      name: 'deny_if',
      policy: { version: '1', default: 'allow', tools: forAll({ deny_if: [{ conditions: [], on_deny: 'Never here.' }] }) },
      rule: (t) => `tools.${t}.deny_if[0]`,
      listed: true,
    },
    {
      name: 'require',
      policy: {
        version: '1',
        default: 'allow',
        tools: Object.fromEntries(withArgs.map((t) => [t, { require: [{ path: `args.${Object.keys(VALID_ARGS[t]!)[0]}`, op: 'exists', value: false }] }])),
      },
      rule: (t) => `tools.${t}.require[0]`,
      listed: true,
      tools: withArgs,
    },
  ];
  for (const variant of variants) {
    test(variant.name, async () => {
      const h = await start({ policy: variant.policy });
      const listed = (await h.client.listTools()).tools.map((t) => t.name);
      assert.deepEqual(listed.length, variant.listed ? SERVED.length : 0, `tools/list under ${variant.name}: ${listed.join(', ')}`);
      for (const tool of variant.tools ?? SERVED) {
        const { isError, body } = await h.callJson(tool, VALID_ARGS[tool]);
        assert.equal(isError, true, tool);
        assert.equal(body.error, 'policy_denied', `${tool}: ${JSON.stringify(body)}`);
        assert.equal(body.rule, variant.rule(tool), tool);
        assert.equal(typeof body.message, 'string');
        assert.ok((body.message as string).includes(tool), `the message names the tool: ${body.message}`);
      }
      assert.deepEqual(h.requests(), [], 'no request reached Kommo');
    });
  }

  test('a hidden tool called with bad arguments is still policy_denied (nothing about its schema leaks)', async () => {
    const h = await start({ policy: { version: '1', default: 'allow', hide: ['get_lead'] } });
    const { body } = await h.callJson('get_lead', { nope: true });
    assert.equal(body.error, 'policy_denied');
    assert.deepEqual(h.requests(), []);
  });
});

describe('rate limits', () => {
  test('30 concurrent run_salesbot calls under the PolicyLayer example: exactly 10 Kommo requests and 20 rate_limited', async () => {
    const h = await start({ policy: loadPolicyFile(`${POLICY_DIR}policylayer-example.json`, toolArguments) });
    assert.deepEqual(
      (await h.client.listTools()).tools.map((t) => t.name),
      ['run_salesbot'],
    );
    const results = await Promise.all(Array.from({ length: 30 }, () => h.callJson('run_salesbot', runArgs())));
    const ok = results.filter((r) => !r.isError);
    const limited = results.filter((r) => r.body.error === 'rate_limited');
    assert.equal(ok.length, 10, JSON.stringify(results.filter((r) => r.isError && r.body.error !== 'rate_limited').map((r) => r.body)));
    assert.equal(limited.length, 20);
    assert.equal(h.requests().filter((r) => r.method === 'POST' && r.path === '/api/v4/bots/run').length, 10);
    assert.equal(h.requests().length, 20, 'each run is preceded by one read of the bot (an unknown bot is refused before writing)');
    const body = limited[0]!.body;
    assert.equal(body.limit, 10);
    assert.equal(body.window, 'minute');
    assert.equal(body.remaining, 0);
    assert.equal(body.counter, 'run_salesbot_rate');
    assert.equal(body.rule, 'tools.run_salesbot.limits[0]');
    assert.ok(Number.isInteger(body.retryAfterSeconds) && (body.retryAfterSeconds as number) >= 1 && (body.retryAfterSeconds as number) <= 60);
    assert.match(body.message as string, /^run_salesbot is limited to 10 calls per minute for this client; 0 left\. Retry in \d+ seconds?\.$/);
  });

  test('the window resets at the next UTC minute (fake clock)', async () => {
    const c = clock(Date.UTC(2026, 2, 1, 10, 0, 18));
    const h = await start({ policy: loadPolicyFile(`${POLICY_DIR}policylayer-example.json`, toolArguments), now: c.now });
    for (let i = 0; i < 10; i++) assert.equal((await h.callJson('run_salesbot', runArgs())).isError, false);
    const limited = await h.callJson('run_salesbot', runArgs());
    assert.equal(limited.body.error, 'rate_limited');
    assert.equal(limited.body.retryAfterSeconds, 42);
    assert.match(limited.body.message as string, /Retry in 42 seconds\./);
    c.advance(41_999);
    assert.equal((await h.callJson('run_salesbot', runArgs())).body.error, 'rate_limited');
    c.advance(1);
    assert.equal((await h.callJson('run_salesbot', runArgs())).isError, false);
    assert.equal(h.requests().filter((r) => r.method === 'POST').length, 11);
  });

  test('an args.lead_id scope counts per lead', async () => {
    const h = await start({
      policy: { version: '1', default: 'allow', tools: { move_lead: { limits: [{ counter: 'per_lead', window: 'hour', max: 1, scope: 'args.lead_id' }] } } },
    });
    assert.equal((await h.callJson('move_lead', { lead_id: lead(0), status_id: 142 })).isError, false);
    h.resetLog();
    const again = await h.callJson('move_lead', { lead_id: lead(0), status_id: 143 });
    assert.equal(again.body.error, 'rate_limited');
    assert.match(again.body.message as string, new RegExp(`for lead_id ${lead(0)};`));
    assert.equal(again.body.scope, 'args.lead_id');
    assert.deepEqual(h.requests(), []);
    assert.equal((await h.callJson('move_lead', { lead_id: lead(1), status_id: 142 })).isError, false, 'another lead has its own budget');
  });

  test('a shared counter spans tools', async () => {
    const writes = { limits: [{ counter: 'writes', window: 'minute', max: 2, scope: 'grant' }] };
    const h = await start({ policy: { version: '1', default: 'allow', tools: { create_lead: writes, add_note: writes } } });
    assert.equal((await h.callJson('create_lead', { name: 'one' })).isError, false);
    assert.equal((await h.callJson('add_note', { entity_type: 'leads', entity_id: lead(), text: 'two' })).isError, false);
    h.resetLog();
    const third = await h.callJson('create_lead', { name: 'three' });
    assert.equal(third.body.error, 'rate_limited');
    assert.equal(third.body.counter, 'writes');
    assert.match(third.body.message as string, /create_lead is limited to 2 calls per minute together with add_note for this client/);
    assert.equal((await h.callJson('add_note', { entity_type: 'leads', entity_id: lead(), text: 'four' })).body.error, 'rate_limited');
    assert.deepEqual(h.requests(), []);
  });

  test('a read is given back when Kommo answers 5xx or 429 or never answers (after its retries); a read Kommo answered counts', async () => {
    const readPolicy = { version: '1', default: 'allow', tools: { get_lead: { limits: [{ counter: 'reads', window: 'hour', max: 1 }] } } };
    const h = await start({ policy: readPolicy, client: { maxRetries: 0 } });
    for (const fault of [{ status: 500 }, { status: 503 }, { status: 429 }, { status: 0, destroy: true }]) {
      sandbox.injectFault({ method: 'GET', path: `/api/v4/leads/${lead()}`, ...fault });
      const failed = await h.callJson('get_lead', { id: lead() });
      assert.equal(failed.body.error, 'kommo_error', JSON.stringify(failed.body));
    }
    // Every failed read gave its unit back: the one call of the hour is still available.
    assert.equal((await h.callJson('get_lead', { id: lead() })).isError, false);
    assert.equal((await h.callJson('get_lead', { id: lead() })).body.error, 'rate_limited');

    const h2 = await start({ policy: readPolicy });
    assert.equal((await h2.callJson('get_lead', { id: 987654321 })).body.error, 'not_found', 'Kommo answered 404: it did take the call');
    assert.equal((await h2.callJson('get_lead', { id: lead() })).body.error, 'rate_limited');
  });

  test('a write Kommo answered with a 4xx keeps its unit (Kommo judged it)', async () => {
    const h = await start({
      policy: { version: '1', default: 'allow', tools: { run_salesbot: { limits: [{ counter: 'bots', window: 'hour', max: 1 }] } } },
    });
    sandbox.injectFault({ method: 'POST', path: '/api/v4/bots/run', status: 403 });
    assert.equal((await h.callJson('run_salesbot', runArgs())).body.status, 403);
    assert.equal((await h.callJson('run_salesbot', runArgs())).body.error, 'rate_limited');
  });

  test('an approval that is not given gives the reservation back (approval fails closed without elicitation)', async () => {
    const h = await start({
      policy: { version: '1', default: 'allow', tools: { run_salesbot: { action: 'approval', limits: [{ counter: 'bots', window: 'hour', max: 1 }] } } },
    });
    for (let i = 0; i < 3; i++) assert.equal((await h.callJson('run_salesbot', runArgs())).body.error, 'approval_unavailable');
    assert.deepEqual(h.requests(), []);
    const approved = new PolicyMiddleware({
      policy: compilePolicy(
        { version: '1', default: 'allow', tools: { run_salesbot: { action: 'approval', limits: [{ counter: 'bots', window: 'hour', max: 1 }] } } },
        toolArguments,
      ),
      approve: async () => {},
    });
    const h2 = await start({ middleware: approved });
    assert.equal((await h2.callJson('run_salesbot', runArgs())).isError, false);
    assert.equal((await h2.callJson('run_salesbot', runArgs())).body.error, 'rate_limited', 'an approved call counts');
  });
});

describe('regex conditions run in linear time (RE2)', () => {
  test('the catastrophic-backtracking pattern of the report refuses at once, and an unrelated call is not held up', { timeout: 10_000 }, async () => {
    const h = await start({
      policy: { version: '1', default: 'allow', tools: { update_lead: { require: [{ path: 'args.name', op: 'regex', value: '([A-Za-z0-9]+\\s?)+' }] } } },
    });
    // 254 letters and a "!": a backtracking engine needs about 2^254 steps for this name.
    const [refused, account] = await Promise.all([h.callJson('update_lead', { id: lead(), name: `${'a'.repeat(254)}!` }), h.callJson('get_account')]);
    assert.equal(refused.body.error, 'policy_denied');
    assert.equal(refused.body.rule, 'tools.update_lead.require[0]');
    assert.equal(account.isError, false);
    assert.deepEqual(
      h.requests().map((r) => r.path),
      ['/api/v4/account'],
    );
    assert.equal((await h.callJson('update_lead', { id: lead(), name: 'Acme renewal 2026' })).isError, false, 'a name that matches goes through');
  });
});

describe('policy reload', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kommo-policy-'));
  const limited = (max: number, extra: object = {}) =>
    JSON.stringify({ version: '1', default: 'allow', tools: { get_lead: { limits: [{ counter: 'reads', window: 'hour', max }] } }, ...extra });

  test('reload keeps counters, applies to the next call and sends tools/list_changed; an invalid edit keeps the old policy', async () => {
    const file = join(dir, 'reload.json');
    writeFileSync(file, limited(3));
    const store = new PolicyStore(file, toolArguments);
    const h = await start({ policy: store, now: clock().now });
    let changed = 0;
    h.client.setNotificationHandler('notifications/tools/list_changed', () => void changed++);
    store.onChange(() => void h.app.notifyToolsChanged());
    const id = lead();
    assert.equal((await h.callJson('get_lead', { id })).isError, false);
    assert.equal((await h.callJson('get_lead', { id })).isError, false);

    writeFileSync(file, limited(3, { hide: ['get_users'] }));
    assert.deepEqual(store.reload(), { ok: true, changed: true });
    assert.equal((await h.callJson('get_users')).body.error, 'policy_denied', 'the new policy applies to the next call');
    assert.ok(!(await h.client.listTools()).tools.some((t) => t.name === 'get_users'));
    assert.equal((await h.callJson('get_lead', { id })).isError, false, 'third of three');
    assert.equal((await h.callJson('get_lead', { id })).body.error, 'rate_limited', 'the counter survived the reload');

    writeFileSync(file, '{"version":"1","default":"alow"}');
    const bad = store.reload();
    assert.equal(bad.ok, false);
    if (!bad.ok) assert.match(bad.error.message, /default: default must be "allow" or "deny"/);
    assert.equal((await h.callJson('get_users')).body.error, 'policy_denied', 'the previous policy stays');
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(changed, 1, 'one notifications/tools/list_changed, for the valid edit only');
    store.close();
  });

  /**
   * Each way a policy file gets replaced in practice, with the path as the server was given it. The
   * store polls every 50 ms here (1 s by default); the contract is that the edit applies within 2 s.
   */
  const swaps: Array<{ name: string; setup: (base: string) => string; replace: (base: string, text: string) => void }> = [
    {
      name: 'editor rename-over',
      setup: (base) => {
        renameSync(`${base}/v1.json`, `${base}/policy.json`);
        return `${base}/policy.json`;
      },
      replace: (base, text) => {
        writeFileSync(`${base}/policy.json.tmp`, text);
        renameSync(`${base}/policy.json.tmp`, `${base}/policy.json`);
      },
    },
    {
      name: 'delete then recreate',
      setup: (base) => {
        renameSync(`${base}/v1.json`, `${base}/policy.json`);
        return `${base}/policy.json`;
      },
      replace: (base, text) => {
        unlinkSync(`${base}/policy.json`);
        writeFileSync(`${base}/policy.json`, text);
      },
    },
    {
      name: 'symlink swap (ln -sfn)',
      setup: (base) => {
        symlinkSync(`${base}/v1.json`, `${base}/policy.json`);
        return `${base}/policy.json`;
      },
      replace: (base, text) => {
        writeFileSync(`${base}/v2.json`, text);
        unlinkSync(`${base}/policy.json`);
        symlinkSync(`${base}/v2.json`, `${base}/policy.json`);
      },
    },
    {
      name: 'Kubernetes ConfigMap update (the ..data link renamed over)',
      setup: (base) => {
        mkdirSync(`${base}/..v1`);
        renameSync(`${base}/v1.json`, `${base}/..v1/policy.json`);
        symlinkSync('..v1', `${base}/..data`);
        symlinkSync('..data/policy.json', `${base}/policy.json`);
        return `${base}/policy.json`;
      },
      replace: (base, text) => {
        const version = mkdtempSync(`${base}/..v`);
        writeFileSync(`${version}/policy.json`, text);
        symlinkSync(basename(version), `${base}/..data_tmp`);
        renameSync(`${base}/..data_tmp`, `${base}/..data`);
      },
    },
    {
      name: "in-place edit of a symlink's target in another directory",
      setup: (base) => {
        mkdirSync(`${base}/link`);
        symlinkSync(`${base}/v1.json`, `${base}/link/policy.json`);
        return `${base}/link/policy.json`;
      },
      replace: (base, text) => writeFileSync(`${base}/v1.json`, text),
    },
  ];
  for (const swap of swaps) {
    test(`hot reload follows the path: ${swap.name} applies within 2 s and is logged with the file's SHA-256`, async () => {
      const base = mkdtempSync(join(dir, 'swap-'));
      writeFileSync(`${base}/v1.json`, limited(5));
      const file = swap.setup(base);
      const lines: Record<string, unknown>[] = [];
      const logger = createLogger('info', (line) => lines.push(JSON.parse(line) as Record<string, unknown>));
      const store = new PolicyStore(file, toolArguments, { debounceMs: 20, pollMs: 50, logger });
      store.watch();
      try {
        const h = await start({ policy: store });
        assert.equal((await h.callJson('get_account')).isError, false);
        const next = limited(5, { hide: ['get_account'] });
        swap.replace(base, next);
        const deadline = Date.now() + 2_000;
        while (!store.current.hidden.has('get_account') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
        assert.equal((await h.callJson('get_account')).body.error, 'policy_denied', 'the new policy is in force');
        const reloaded = lines.find((l) => l.msg === 'policy reloaded');
        assert.equal(reloaded?.sha256, createHash('sha256').update(next).digest('hex'));
        assert.equal(reloaded?.file, file, 'the path as given, not the link target');

        const bad = '{"version":"1","default":"alow"}';
        const badSha = createHash('sha256').update(bad).digest('hex');
        swap.replace(base, bad);
        const rejectedBad = () => lines.find((l) => l.msg === 'policy reload rejected; the previous policy stays in force' && l.sha256 === badSha);
        const logged = Date.now() + 2_000;
        while (!rejectedBad() && Date.now() < logged) await new Promise((r) => setTimeout(r, 10));
        assert.equal(rejectedBad()?.inForceSha256, reloaded?.sha256, 'the rejected edit is logged with its SHA-256 and that of the policy kept');
        assert.equal((await h.callJson('get_account')).body.error, 'policy_denied', 'the previous policy stays');
      } finally {
        store.close();
      }
    });
  }
});

describe('dry run, audit, fail closed', () => {
  test('dry_run: refusals are computed and audited, and the calls go through', async () => {
    const audit: AuditRecord[] = [];
    const h = await start({
      policy: {
        version: '1',
        default: 'deny',
        mode: 'dry_run',
        hide: ['get_users'],
        tools: { get_lead: { limits: [{ counter: 'r', window: 'hour', max: 1 }] }, run_salesbot: { action: 'approval' } },
      },
      audit: (r) => audit.push(r),
    });
    assert.equal((await h.client.listTools()).tools.length, SERVED.length, 'every tool is listed, since every call goes through');
    assert.equal((await h.callJson('get_users')).isError, false);
    assert.equal((await h.callJson('get_account')).isError, false);
    assert.equal((await h.callJson('get_lead', { id: lead() })).isError, false);
    assert.equal((await h.callJson('get_lead', { id: lead() })).isError, false);
    assert.equal((await h.callJson('run_salesbot', runArgs())).isError, false);
    assert.deepEqual(
      audit.map((r) => [r.tool, r.decision, r.rule, r.code, r.mode]),
      [
        ['get_users', 'deny', 'hide', 'ok', 'dry_run'],
        ['get_account', 'deny', 'default', 'ok', 'dry_run'],
        ['get_lead', 'allow', 'tools.get_lead', 'ok', 'dry_run'],
        ['get_lead', 'rate_limited', 'tools.get_lead.limits[0]', 'ok', 'dry_run'],
        ['run_salesbot', 'approval', 'tools.run_salesbot.action', 'sending', 'dry_run'],
        ['run_salesbot', 'approval', 'tools.run_salesbot.action', 'ok', 'dry_run'],
      ],
    );
    assert.equal(h.requests().filter((r) => !isNameLookup(r)).length, 6, 'get_users, get_account, two get_lead, the bot check and the run');
  });

  test('one audit line per decision: argument keys and hash, never values; Kommo status and duration', async () => {
    const audit: AuditRecord[] = [];
    const h = await start({ policy: { version: '1', default: 'allow', hide: ['get_users'] }, audit: (r) => audit.push(r) });
    await h.callJson('create_lead', { name: 'Secret Customer Ltda', price: 777 });
    await h.callJson('get_users');
    await h.callJson('get_lead', { id: 'x' });
    // The write's `sending` line (written before its request) comes first.
    assert.deepEqual(
      audit.map((r) => [r.tool, r.code]),
      [
        ['create_lead', 'sending'],
        ['create_lead', 'ok'],
        ['get_users', 'policy_denied'],
        ['get_lead', 'invalid_arguments'],
      ],
    );
    const [, created, hidden, invalid] = audit as [AuditRecord, AuditRecord, AuditRecord, AuditRecord];
    assert.deepEqual(created.argKeys, ['name', 'price']);
    assert.match(created.argsSha256, /^[0-9a-f]{64}$/);
    assert.equal(created.decision, 'allow');
    assert.equal(created.code, 'ok');
    assert.equal(created.session, 'stdio');
    assert.equal(typeof created.kommoStatus, 'number');
    assert.ok(created.kommoRequests >= 1);
    assert.equal(typeof created.durationMs, 'number');
    assert.ok(!JSON.stringify(audit).includes('Secret Customer'), 'no argument values');
    assert.ok(!JSON.stringify(audit).includes('777'), 'no argument values');
    assert.ok(!JSON.stringify(audit).includes(sandbox.token), 'no token');
    assert.deepEqual([hidden.decision, hidden.rule, hidden.code, hidden.kommoRequests], ['deny', 'hide', 'policy_denied', 0]);
    assert.deepEqual([invalid.decision, invalid.code], ['invalid_arguments', 'invalid_arguments']);
  });

  test('without KOMMO_AUDIT_LOG, audit lines go to the stderr logger at info level; the hash is over canonical JSON', () => {
    const lines: string[] = [];
    const audit = loggerAudit(createLogger('info', (line) => lines.push(line)));
    audit.write({
      time: 't',
      grant: 'stdio',
      session: 's',
      tool: 'get_lead',
      decision: 'allow',
      mode: 'enforce',
      argKeys: ['id'],
      argsSha256: 'h',
      code: 'ok',
      kommoRequests: 1,
      durationMs: 1,
    });
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.equal(line.level, 'info');
    assert.equal(line.msg, 'audit');
    assert.equal(line.tool, 'get_lead');
    assert.equal(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 3 }], c: null } }), '{"a":{"c":null,"d":[1,{"e":3,"f":2}]},"b":1}');
  });

  test('an exception inside the policy machinery refuses the call (policy_error), never allows it', async () => {
    const broken = {
      get current(): never {
        throw new Error('boom');
      },
    };
    const h = await start({ middleware: new PolicyMiddleware({ policy: broken as never }) });
    assert.deepEqual((await h.client.listTools()).tools, []);
    const { body } = await h.callJson('get_account');
    assert.equal(body.error, 'policy_denied');
    assert.equal(body.rule, 'policy_error');
    assert.deepEqual(h.requests(), []);
  });
});
