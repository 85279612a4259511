/**
 * The limiter with a fake clock: fixed UTC windows, exact max, all-or-nothing reservations,
 * rollback, shared counters, bounded memory.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compilePolicy } from '../policy/compile.js';
import { evaluate, type Admission, type LimitRequest } from '../policy/evaluate.js';
import { Limiter } from '../policy/limiter.js';

const scope = { grant: 'g1', session: 's1' };
/** 2026-03-01T10:00:00Z plus an offset. */
const T0 = Date.UTC(2026, 2, 1, 10, 0, 0);

function clock(start = T0) {
  let t = start;
  return { now: () => t, set: (v: number) => (t = v), advance: (ms: number) => (t += ms) };
}

function requests(policy: object, tool: string, args: Record<string, unknown> = {}, who = scope): LimitRequest[] {
  return (evaluate(compilePolicy(policy), tool, args, who) as Admission).limits;
}

const perMinute = (max: number, extra: object = {}) => ({
  version: '1',
  default: 'allow',
  tools: { run_salesbot: { limits: [{ counter: 'run_salesbot_rate', window: 'minute', max, scope: 'grant', ...extra }] } },
});

describe('fixed windows', () => {
  test('exactly max calls per window, then refused until the UTC minute ends', () => {
    const c = clock(T0 + 17_500); // 10:00:17.5
    const limiter = new Limiter({ now: c.now });
    const req = requests(perMinute(10), 'run_salesbot');
    for (let i = 0; i < 10; i++) assert.equal(limiter.reserve(req).ok, true, `call ${i + 1}`);
    const refused = limiter.reserve(req);
    assert.equal(refused.ok, false);
    if (!refused.ok) {
      assert.equal(refused.refusal.retryAfterMs, 42_500, 'until 10:01:00.000');
      assert.equal(refused.refusal.remaining, 0);
    }
    c.set(T0 + 59_999);
    assert.equal(limiter.reserve(req).ok, false, 'still the same window at :59.999');
    c.set(T0 + 60_000);
    assert.equal(limiter.reserve(req).ok, true, 'a new window at 10:01:00.000');
    assert.equal(limiter.remaining(req[0]!), 9);
  });

  test('day windows reset at midnight UTC; numeric windows align to multiples since the epoch', () => {
    const c = clock(Date.UTC(2026, 2, 1, 23, 59, 59));
    const limiter = new Limiter({ now: c.now });
    const day = requests(perMinute(1, { window: 'day' }), 'run_salesbot');
    assert.equal(limiter.reserve(day).ok, true);
    assert.equal(limiter.reserve(day).ok, false);
    c.set(Date.UTC(2026, 2, 2, 0, 0, 0));
    assert.equal(limiter.reserve(day).ok, true);

    const ninety = requests(perMinute(1, { window: 90, counter: 'n' }), 'run_salesbot');
    c.set(90_000 * 1_000_000 + 89_000);
    assert.equal(limiter.reserve(ninety).ok, true);
    const r = limiter.reserve(ninety);
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.refusal.retryAfterMs, 1_000);
    c.advance(1_000);
    assert.equal(limiter.reserve(ninety).ok, true);
  });
});

describe('reservations', () => {
  test('all or nothing: a spent counter leaves the others untouched', () => {
    const c = clock();
    const limiter = new Limiter({ now: c.now });
    const policy = {
      version: '1',
      default: 'allow',
      all_tools: { limits: [{ counter: 'all', window: 'minute', max: 100 }] },
      tools: { create_lead: { limits: [{ counter: 'writes', window: 'minute', max: 1 }] } },
    };
    const req = requests(policy, 'create_lead', { name: 'x' });
    assert.equal(limiter.reserve(req).ok, true);
    assert.equal(limiter.reserve(req).ok, false);
    assert.equal(limiter.remaining(req[0]!), 99, 'the refused call took nothing from "all"');
  });

  test('rollback gives the unit back; commit keeps it; settling twice does nothing', () => {
    const limiter = new Limiter({ now: clock().now });
    const req = requests(perMinute(2), 'run_salesbot');
    const a = limiter.reserve(req);
    const b = limiter.reserve(req);
    assert.ok(a.ok && b.ok);
    limiter.rollback(a.reservation);
    limiter.rollback(a.reservation);
    assert.equal(limiter.remaining(req[0]!), 1);
    limiter.commit(b.reservation);
    limiter.rollback(b.reservation);
    assert.equal(limiter.remaining(req[0]!), 1);
  });

  test('a rollback after the window ended does not touch the new window', () => {
    const c = clock();
    const limiter = new Limiter({ now: c.now });
    const req = requests(perMinute(1), 'run_salesbot');
    const a = limiter.reserve(req);
    assert.ok(a.ok);
    c.advance(60_000);
    const b = limiter.reserve(req);
    assert.ok(b.ok);
    limiter.rollback(a.reservation);
    assert.equal(limiter.remaining(req[0]!), 0);
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
    assert.ok(limiter.reserve(requests(policy, 'create_lead', { name: 'a' })).ok);
    assert.ok(limiter.reserve(requests(policy, 'add_note', {})).ok);
    assert.ok(limiter.reserve(requests(policy, 'create_lead', { name: 'b' })).ok);
    assert.equal(limiter.reserve(requests(policy, 'add_note', {})).ok, false);
  });

  test('scopes: per grant, per argument value', () => {
    const limiter = new Limiter({ now: clock().now });
    const grant = perMinute(1);
    assert.ok(limiter.reserve(requests(grant, 'run_salesbot', {}, { grant: 'a', session: 'x' })).ok);
    assert.ok(limiter.reserve(requests(grant, 'run_salesbot', {}, { grant: 'b', session: 'x' })).ok, 'another client has its own budget');
    const perLead = perMinute(1, { scope: 'args.entity_id', counter: 'per_lead' });
    assert.ok(limiter.reserve(requests(perLead, 'run_salesbot', { entity_id: 1 })).ok);
    assert.ok(limiter.reserve(requests(perLead, 'run_salesbot', { entity_id: 2 })).ok);
    assert.equal(limiter.reserve(requests(perLead, 'run_salesbot', { entity_id: 1 })).ok, false);
  });
});

test('memory stays bounded: 1,000,000 distinct scope keys keep at most maxKeys entries', () => {
  const limiter = new Limiter({ now: clock().now, maxKeys: 1_000 });
  const [template] = requests(perMinute(5, { scope: 'args.entity_id' }), 'run_salesbot', { entity_id: 1 });
  for (let i = 0; i < 1_000_000; i++) limiter.reserve([{ ...template!, key: `run_salesbot_rate\u0000a:j${i}` }]);
  assert.equal(limiter.size, 1_000);
});
