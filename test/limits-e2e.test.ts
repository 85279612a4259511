/**
 * Limits a governed agent cannot escape, tried as a hostile agent would, through the official MCP
 * Client, the real server and the sandbox's request log: floods of distinct values cannot evict a
 * spent budget, a store that cannot be reached refuses limited calls, writes Kommo may have applied
 * keep their unit, and approvals are neither free nor endless.
 */
import assert from 'node:assert/strict';
import { createServer as createNetServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { AuditRecord } from '../policy/audit.js';
import { compilePolicy } from '../policy/compile.js';
import { toolArguments } from '../tools/index.js';
import { LimiterUnavailable, type CounterStore } from '../policy/counter-store.js';
import { Limiter } from '../policy/limiter.js';
import { MemoryCounterStore } from '../policy/memory-counter-store.js';
import { PolicyMiddleware } from '../policy/middleware.js';
import { Pacer } from '../src/kommo/pacer.js';
import { startSandbox, type Sandbox, type SandboxFault } from '../src/sandbox/index.js';
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
const leadPosts = (h: Harness) => h.requests().filter((r) => r.method === 'POST' && r.path === '/api/v4/leads').length;

/** Resolves once the sandbox has received `count` requests matching `what`. */
async function received(what: (r: { method: string; path: string }) => boolean, count = 1): Promise<void> {
  while (sandbox.requests.filter(what).length < count) await new Promise((resolve) => setTimeout(resolve, 5));
}

/** A loopback port nothing listens on (connection refused). */
async function closedPort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const CREATES_TWICE_A_DAY = {
  version: '1',
  default: 'allow',
  tools: { create_lead: { limits: [{ counter: 'creates', window: 'day', max: 2, scope: 'grant' }] } },
};

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

describe('a write Kommo may have applied keeps its unit', () => {
  const faults: Array<{ name: string; fault: Omit<SandboxFault, 'times'>; status: number; why: RegExp }> = [
    { name: 'a timeout', fault: { method: 'POST', path: '/api/v4/leads', status: 201, delayMs: 1_500 }, status: 0, why: /but no answer came in time/ },
    { name: 'a 502', fault: { method: 'POST', path: '/api/v4/leads', status: 502 }, status: 502, why: /server error \(HTTP 502\)/ },
    { name: 'a 500', fault: { method: 'POST', path: '/api/v4/leads', status: 500 }, status: 500, why: /server error \(HTTP 500\)/ },
    { name: 'a reset after sending', fault: { method: 'POST', path: '/api/v4/leads', status: 0, destroy: true }, status: 0, why: /the connection broke/ },
  ];
  for (const { name, fault, status, why } of faults) {
    test(`${name}: five create_lead calls under 2 per day put exactly 2 writes on the wire, and say the lead may exist`, async () => {
      const audit: AuditRecord[] = [];
      const h = await start({
        middleware: middleware(CREATES_TWICE_A_DAY, new MemoryCounterStore({ now: () => T0 }), { audit: { write: (r) => audit.push(r), close: () => {} } }),
        client: { timeoutMs: 150 },
      });
      sandbox.injectFault({ ...fault, times: Infinity });
      try {
        const results = [];
        for (let i = 0; i < 5; i++) results.push(await h.callJson('create_lead', { name: `Ambiguous ${name} ${i}` }));
        assert.equal(leadPosts(h), 2, 'exactly as many writes as the budget allows');
        assert.deepEqual(results.map((r) => r.body.error), ['kommo_error', 'kommo_error', 'rate_limited', 'rate_limited', 'rate_limited']);
        const first = results[0]!.body;
        assert.equal(first.status, status);
        assert.equal(first.outcome, 'unknown');
        assert.match(first.message as string, why);
        assert.match(
          first.message as string,
          /^create_lead sent the change to Kommo but .*, so the change may have been applied: call get_leads with query "Ambiguous .* 0" to see whether the lead was created before trying again\.$/,
        );
        assert.doesNotMatch(JSON.stringify(results.map((r) => r.body)), /try again later/i);
        const lines = audit.filter((r) => r.tool === 'create_lead');
        assert.deepEqual(lines.slice(0, 2).map((r) => [r.budget, r.kommoOutcome]), [['kept', 'unknown'], ['kept', 'unknown']]);
      } finally {
        sandbox.clearFaults();
      }
    });
  }

  test('a cancel after the request was sent keeps the unit; a cancel while queued in the pace gives it back', async () => {
    const audit: AuditRecord[] = [];
    const shared = middleware(CREATES_TWICE_A_DAY, new MemoryCounterStore({ now: () => T0 }), { audit: { write: (r) => audit.push(r), close: () => {} } });
    const h = await start({ middleware: shared });
    sandbox.injectFault({ method: 'POST', path: '/api/v4/leads', status: 201, delayMs: 60_000, times: Infinity });
    try {
      for (let i = 0; i < 2; i++) {
        const controller = new AbortController();
        const pending = h.client.callTool({ name: 'create_lead', arguments: { name: `Cancelled ${i}` } }, { signal: controller.signal });
        await received((r) => r.method === 'POST' && r.path === '/api/v4/leads', i + 1);
        controller.abort();
        await assert.rejects(pending);
      }
      while (audit.filter((r) => r.tool === 'create_lead').length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
      assert.deepEqual(audit.map((r) => [r.budget, r.kommoOutcome]), [['kept', 'unknown'], ['kept', 'unknown']]);
      const third = await h.callJson('create_lead', { name: 'Cancelled 2' });
      assert.equal(third.body.error, 'rate_limited', 'both cancelled writes count');
      assert.equal(leadPosts(h), 2);
    } finally {
      sandbox.clearFaults();
    }

    // One request every 2 s: a call waiting behind another in the pace never sends its write.
    const audit2: AuditRecord[] = [];
    const slow = await start({
      middleware: middleware(CREATES_TWICE_A_DAY, new MemoryCounterStore({ now: () => T0 }), { audit: { write: (r) => audit2.push(r), close: () => {} } }),
      client: { pacer: new Pacer(0.5) },
    });
    assert.equal((await slow.callJson('get_account', {})).isError, false);
    const controller = new AbortController();
    const queued = slow.client.callTool({ name: 'create_lead', arguments: { name: 'Queued' } }, { signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort();
    await assert.rejects(queued);
    while (!audit2.some((r) => r.tool === 'create_lead')) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(audit2.find((r) => r.tool === 'create_lead')!.budget, 'given_back');
    assert.equal(leadPosts(slow), 0);
  });

  test('a write that never left (connection refused) gives its unit back: the budget is whole afterwards', async () => {
    const shared = middleware(CREATES_TWICE_A_DAY, new MemoryCounterStore({ now: () => T0 }));
    const down = await start({ middleware: shared, client: { baseUrl: `http://127.0.0.1:${await closedPort()}` } });
    for (let i = 0; i < 4; i++) {
      const failed = await down.callJson('create_lead', { name: `Never sent ${i}` });
      assert.equal(failed.body.error, 'kommo_error');
      assert.doesNotMatch(failed.body.message as string, /may have been applied/);
    }
    const up = await start({ middleware: shared });
    for (let i = 0; i < 2; i++) assert.equal((await up.callJson('create_lead', { name: `Sent ${i}` })).isError, false);
    assert.equal((await up.callJson('create_lead', { name: 'Sent 2' })).body.error, 'rate_limited');
    assert.equal(leadPosts(up), 2);
  });

  test('a write Kommo answered 429 gives its unit back', async () => {
    const h = await start({ middleware: middleware(CREATES_TWICE_A_DAY, new MemoryCounterStore({ now: () => T0 })) });
    sandbox.injectFault({ method: 'POST', path: '/api/v4/leads', status: 429, times: 3 });
    for (let i = 0; i < 3; i++) assert.equal((await h.callJson('create_lead', { name: `Busy ${i}` })).body.status, 429);
    for (let i = 0; i < 2; i++) assert.equal((await h.callJson('create_lead', { name: `Taken ${i}` })).isError, false);
    assert.equal((await h.callJson('create_lead', { name: 'Taken 2' })).body.error, 'rate_limited');
    assert.equal(leadPosts(h), 5);
  });
});
