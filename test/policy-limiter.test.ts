/**
 * The limiter over a counter store, with a fake clock: policy limits become store requests (class by
 * scope), refusals say how long and why, settling is once only, and a store that answers with
 * promises works the same. The store's own rules (windows, all or nothing, partitions) are in the
 * conformance suite (test/counter-store-conformance.ts).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compilePolicy } from '../policy/compile.js';
import { toolArguments } from '../tools/index.js';
import { evaluate, type Admission, type LimitRequest } from '../policy/evaluate.js';
import type { CounterStore } from '../policy/counter-store.js';
import { Limiter, type ReserveResult } from '../policy/limiter.js';
import { MemoryCounterStore } from '../policy/memory-counter-store.js';

const scope = { grant: 'g1', session: 's1' };
/** 2026-03-01T10:00:00Z plus an offset. */
const T0 = Date.UTC(2026, 2, 1, 10, 0, 0);

function clock(start = T0) {
  let t = start;
  return { now: () => t, set: (v: number) => (t = v), advance: (ms: number) => (t += ms) };
}

function requests(policy: object, tool: string, args: Record<string, unknown> = {}, who = scope): LimitRequest[] {
  return (evaluate(compilePolicy(policy, toolArguments), tool, args, who) as Admission).limits;
}

const perMinute = (max: number, extra: object = {}) => ({
  version: '1',
  default: 'allow',
  tools: { run_salesbot: { limits: [{ counter: 'run_salesbot_rate', window: 'minute', max, scope: 'grant', ...extra }] } },
});

/** The memory store answers at once; these tests read its answers without awaiting. */
function now<T>(value: T | Promise<T>): T {
  assert.equal(value instanceof Promise, false, 'the memory store answers synchronously');
  return value as T;
}

const ok = (r: ReserveResult | Promise<ReserveResult>): boolean => now(r).ok;

describe('limit requests', () => {
  test('exactly max calls per window, then refused until the UTC minute ends', () => {
    const c = clock(T0 + 17_500); // 10:00:17.5
    const limiter = new Limiter({ now: c.now });
    const req = requests(perMinute(10), 'run_salesbot');
    for (let i = 0; i < 10; i++) assert.equal(ok(limiter.reserve(req)), true, `call ${i + 1}`);
    const refused = now(limiter.reserve(req));
    assert.equal(refused.ok, false);
    if (!refused.ok) assert.deepEqual([refused.refusal.reason, refused.refusal.retryAfterMs, refused.refusal.remaining], ['spent', 42_500, 0]);
    c.set(T0 + 60_000);
    assert.equal(ok(limiter.reserve(req)), true, 'a new window at 10:01:00.000');
    assert.equal(now(limiter.remaining(req[0]!)), 9);
  });

  test('grant, session and global scopes are fixed counters; args.<path> scopes are per-argument counters', () => {
    const policy = {
      version: '1',
      default: 'allow',
      tools: {
        move_lead: {
          limits: [
            { counter: 'a', window: 'minute', max: 1, scope: 'grant' },
            { counter: 'b', window: 'minute', max: 1, scope: 'session' },
            { counter: 'c', window: 'minute', max: 1, scope: 'global' },
            { counter: 'd', window: 'minute', max: 1, scope: 'args.lead_id' },
          ],
        },
      },
    };
    assert.deepEqual(
      requests(policy, 'move_lead', { lead_id: 1, status_id: 142 }).map((r) => [r.class, r.windowMs, r.max]),
      [
        ['fixed', 60_000, 1],
        ['fixed', 60_000, 1],
        ['fixed', 60_000, 1],
        ['args', 60_000, 1],
      ],
    );
  });

  test('a full per-argument store refuses with reason "full" and the time the first key frees', () => {
    const c = clock(T0 + 10_000);
    const limiter = new Limiter({ now: c.now, maxKeys: 2 });
    const perLead = perMinute(5, { scope: 'args.entity_id', counter: 'per_lead' });
    assert.ok(ok(limiter.reserve(requests(perLead, 'run_salesbot', { entity_id: 1 }))));
    assert.ok(ok(limiter.reserve(requests(perLead, 'run_salesbot', { entity_id: 2 }))));
    const refused = now(limiter.reserve(requests(perLead, 'run_salesbot', { entity_id: 3 })));
    assert.equal(refused.ok, false);
    if (!refused.ok) assert.deepEqual([refused.refusal.reason, refused.refusal.retryAfterMs, refused.refusal.remaining], ['full', 50_000, 5]);
  });

  test('rollback gives the unit back; commit keeps it; settling twice does nothing', () => {
    const limiter = new Limiter({ now: clock().now });
    const req = requests(perMinute(2), 'run_salesbot');
    const a = now(limiter.reserve(req));
    const b = now(limiter.reserve(req));
    assert.ok(a.ok && b.ok);
    limiter.rollback(a.reservation);
    limiter.rollback(a.reservation);
    assert.equal(now(limiter.remaining(req[0]!)), 1);
    limiter.commit(b.reservation);
    limiter.rollback(b.reservation);
    assert.equal(now(limiter.remaining(req[0]!)), 1);
  });

  test('a counter named in several tools is one budget', () => {
    const limiter = new Limiter({ now: clock().now });
    const policy = {
      version: '1',
      default: 'allow',
      tools: {
        create_lead: { limits: [{ counter: 'writes', window: 'minute', max: 3 }] },
        add_note: { limits: [{ counter: 'writes', window: 'minute', max: 3 }] },
      },
    };
    assert.ok(ok(limiter.reserve(requests(policy, 'create_lead', { name: 'a' }))));
    assert.ok(ok(limiter.reserve(requests(policy, 'add_note', {}))));
    assert.ok(ok(limiter.reserve(requests(policy, 'create_lead', { name: 'b' }))));
    assert.equal(ok(limiter.reserve(requests(policy, 'add_note', {}))), false);
  });

  test('scopes: per grant, per argument value', () => {
    const limiter = new Limiter({ now: clock().now });
    const grant = perMinute(1);
    assert.ok(ok(limiter.reserve(requests(grant, 'run_salesbot', {}, { grant: 'a', session: 'x' }))));
    assert.ok(ok(limiter.reserve(requests(grant, 'run_salesbot', {}, { grant: 'b', session: 'x' }))), 'another client has its own budget');
    const perLead = perMinute(1, { scope: 'args.entity_id', counter: 'per_lead' });
    assert.ok(ok(limiter.reserve(requests(perLead, 'run_salesbot', { entity_id: 1 }))));
    assert.ok(ok(limiter.reserve(requests(perLead, 'run_salesbot', { entity_id: 2 }))));
    assert.equal(ok(limiter.reserve(requests(perLead, 'run_salesbot', { entity_id: 1 }))), false);
  });
});

test('a store that answers with promises (Redis) gives the same results through the limiter', async () => {
  const c = clock();
  const memory = new MemoryCounterStore({ now: c.now });
  const remote: CounterStore = {
    kind: 'redis',
    reserve: async (r) => memory.reserve(r),
    commit: async (h) => memory.commit(h),
    rollback: async (h) => memory.rollback(h),
    used: async (r) => memory.used(r),
    claimOnce: async (m, t) => memory.claimOnce(m, t),
    close: async () => memory.close(),
  };
  const limiter = new Limiter({ store: remote, now: c.now });
  const req = requests(perMinute(1), 'run_salesbot');
  const first = limiter.reserve(req);
  assert.ok(first instanceof Promise);
  const held = await first;
  assert.ok(held.ok);
  const refused = await limiter.reserve(req);
  assert.equal(refused.ok, false);
  await limiter.rollback(held.reservation);
  assert.equal(await limiter.remaining(req[0]!), 1);
});
