/**
 * Limits a governed agent cannot escape, tried as a hostile agent would, through the official MCP
 * Client, the real server and the sandbox's request log: floods of distinct values cannot evict a
 * spent budget, a store that cannot be reached refuses limited calls, writes Kommo may have applied
 * keep their unit, and approvals are neither free nor endless.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { compilePolicy } from '../policy/compile.js';
import { toolArguments } from '../tools/index.js';
import { LimiterUnavailable, type CounterStore } from '../policy/counter-store.js';
import { Limiter } from '../policy/limiter.js';
import { MemoryCounterStore } from '../policy/memory-counter-store.js';
import { PolicyMiddleware } from '../policy/middleware.js';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { startHarness, type Harness, type HarnessOptions } from './harness.js';

let sandbox: Sandbox;
const open: Harness[] = [];

before(async () => {
  sandbox = await startSandbox({ rps: 0, leads: 60 });
});
after(async () => {
  for (const h of open) await h.close();
  await sandbox.close();
});

async function start(options: HarnessOptions): Promise<Harness> {
  const h = await startHarness({ sharedSandbox: sandbox, ...options });
  open.push(h);
  h.resetLog();
  return h;
}

const T0 = Date.UTC(2026, 2, 1, 10, 0, 5);
const leads = () => sandbox.store.leads.filter((l) => !l.is_deleted);

function middleware(policy: object, store: CounterStore, extra: Partial<ConstructorParameters<typeof PolicyMiddleware>[0]> = {}): PolicyMiddleware {
  return new PolicyMiddleware({ policy: compilePolicy(policy, toolArguments), limiter: new Limiter({ store, now: () => T0 }), ...extra });
}

describe('counters cannot be evicted or flooded', () => {
  test('a flood of distinct argument values at a small KOMMO_LIMITER_MAX_KEYS leaves the spent create_lead budget spent', async () => {
    const store = new MemoryCounterStore({ maxKeys: 5, now: () => T0 });
    const policy = {
      version: '1',
      default: 'allow',
      tools: {
        create_lead: { limits: [{ counter: 'creates', window: 'day', max: 2, scope: 'grant' }] },
        run_salesbot: { action: 'approval', limits: [{ counter: 'bot_per_lead', window: 'day', max: 1, scope: 'args.entity_id' }] },
        get_lead: { limits: [{ counter: 'reads_per_lead', window: 'hour', max: 3, scope: 'args.id' }] },
      },
    };
    const h = await start({ middleware: middleware(policy, store) });
    for (const name of ['flood one', 'flood two']) assert.equal((await h.callJson('create_lead', { name })).isError, false);

    // A client without elicitation: every run_salesbot is refused before Kommo, and leaves no key.
    for (let i = 0; i < 300; i++) {
      const refused = await h.callJson('run_salesbot', { bot_id: sandbox.store.bots[0]!.id, entity_id: 1_000_000 + i, entity_type: 'leads' });
      assert.equal(refused.body.error, 'approval_unavailable');
    }
    assert.equal(store.size.args, 0, 'refused calls leave no counter behind');

    // Distinct lead ids: the first five take the five per-argument keys; the rest are refused, not evicting.
    h.resetLog();
    const results = [];
    for (const l of leads().slice(0, 40)) results.push(await h.callJson('get_lead', { id: l.id }));
    assert.equal(results.filter((r) => !r.isError).length, 5);
    const full = results.filter((r) => r.body.error === 'rate_limited');
    assert.equal(full.length, 35);
    assert.equal(full[0]!.body.reason, 'limiter_full');
    assert.match(full[0]!.body.message as string, /^get_lead was not made because the rate limiter is full: .* the first frees in \d+ seconds; retry then\.$/);
    assert.equal(full[0]!.body.retryAfterSeconds, 3_600 - 5, 'the per-lead hour windows end at 11:00:00');
    assert.equal(h.requests().length, 5, 'only the admitted reads reached Kommo');
    assert.deepEqual(store.size, { fixed: 1, args: 5, markers: 0 });

    const third = await h.callJson('create_lead', { name: 'flood three' });
    assert.equal(third.body.error, 'rate_limited');
    assert.equal(third.body.counter, 'creates');
    assert.equal(h.requests().filter((r) => r.method === 'POST').length, 0);
  });
});

describe('a counter store that cannot be reached', () => {
  const failing = (how: 'throws' | 'rejects'): CounterStore => {
    const down = () => new LimiterUnavailable('connect ECONNREFUSED 127.0.0.1:6379');
    const fail = how === 'throws' ? () => { throw down(); } : () => Promise.reject(down());
    return { kind: 'redis', reserve: fail, commit: fail, rollback: fail, used: fail, claimOnce: fail, close: () => {} };
  };
  for (const how of ['throws', 'rejects'] as const) {
    test(`(${how}) refuses calls that need a counter with limiter_unavailable and no request; calls without limits go on`, async () => {
      const policy = { version: '1', default: 'allow', tools: { get_lead: { limits: [{ counter: 'reads', window: 'minute', max: 10 }] } } };
      const h = await start({ middleware: middleware(policy, failing(how)) });
      const refused = await h.callJson('get_lead', { id: leads()[0]!.id });
      assert.equal(refused.body.error, 'limiter_unavailable');
      assert.equal(refused.body.tool, 'get_lead');
      assert.match(refused.body.message as string, /^get_lead was not made because its rate-limit counters/);
      assert.doesNotMatch(JSON.stringify(refused.body), /ECONNREFUSED|6379/, 'the store\'s own error stays in the server log');
      assert.deepEqual(h.requests(), []);
      assert.equal((await h.callJson('get_account', {})).isError, false);
      assert.equal(h.requests().length, 1);
    });
  }
});
