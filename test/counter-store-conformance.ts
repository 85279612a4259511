/**
 * What every counter store must do (policy/counter-store.ts), as one suite that runs against each
 * store: `runCounterStoreConformance('memory', makeStore, clock)`. The clock is the store's own idea
 * of "now" (an injected clock for the memory store; for Redis, whatever the test makes Redis read),
 * moved forward by the suite to cross window boundaries without waiting.
 *
 * Each test uses its own key names, so a store shared between tests (one Redis) does not leak
 * counts from one test into another.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import type { CounterClass, CounterRequest, CounterStore, MaybePromise } from '../policy/counter-store.js';

export interface ConformanceClock {
  /** The store's current time, ms since the epoch. */
  now(): MaybePromise<number>;
  /** Moves the store's time forward by `ms`. */
  advance(ms: number): MaybePromise<void>;
}

export interface ConformanceStoreOptions {
  /** The cap on per-argument keys (KOMMO_LIMITER_MAX_KEYS). */
  maxKeys: number;
}

export type MakeCounterStore = (options: ConformanceStoreOptions) => MaybePromise<CounterStore>;

const MINUTE = 60_000;
const HOUR = 3_600_000;

/** A fake clock for stores that take one (the memory store). */
export function conformanceClock(start = Date.UTC(2026, 2, 1, 10, 0, 0)): ConformanceClock & { current: () => number } {
  let t = start;
  return {
    now: () => t,
    current: () => t,
    advance: (ms) => {
      t += ms;
    },
  };
}

export function runCounterStoreConformance(name: string, makeStore: MakeCounterStore, clock: ConformanceClock): void {
  describe(`counter store conformance: ${name}`, () => {
    const prefix = () => `conf-${randomUUID().slice(0, 8)}`;
    const req = (key: string, max: number, windowMs = MINUTE, kind: CounterClass = 'fixed'): CounterRequest => ({ key, class: kind, windowMs, max });

    /** Moves to `offset` ms into the next window of `windowMs` (so a test never straddles a boundary by accident). */
    const alignTo = async (windowMs: number, offset: number): Promise<void> => {
      const now = await clock.now();
      const start = Math.floor(now / windowMs) * windowMs;
      await clock.advance(start + windowMs + offset - now);
    };

    const withStore = async (maxKeys: number, fn: (store: CounterStore) => Promise<void>): Promise<void> => {
      const store = await makeStore({ maxKeys });
      try {
        await fn(store);
      } finally {
        await store.close();
      }
    };

    test('exactly max units per UTC-aligned window, then "spent" until the window ends', () =>
      withStore(100, async (store) => {
        await alignTo(MINUTE, 17_500);
        const r = [req(`${prefix()}:g`, 3)];
        for (let i = 0; i < 3; i++) assert.equal((await store.reserve(r)).ok, true, `unit ${i + 1}`);
        const refused = await store.reserve(r);
        assert.deepEqual(refused, { ok: false, index: 0, reason: 'spent', used: 3, retryAfterMs: 42_500 });
        assert.equal(await store.used(r[0]!), 3);
        await clock.advance(42_499);
        assert.equal((await store.reserve(r)).ok, false, 'still the same window 1 ms before its end');
        await clock.advance(1);
        assert.equal((await store.reserve(r)).ok, true, 'a new window at the next UTC minute');
        assert.equal(await store.used(r[0]!), 1);
      }));

    test('windows that are not named units align to multiples of their length since the epoch', () =>
      withStore(100, async (store) => {
        await alignTo(90_000, 89_000);
        const r = [req(`${prefix()}:n`, 1, 90_000)];
        assert.equal((await store.reserve(r)).ok, true);
        const refused = await store.reserve(r);
        assert.equal(refused.ok, false);
        if (!refused.ok) assert.equal(refused.retryAfterMs, 1_000);
        await clock.advance(1_000);
        assert.equal((await store.reserve(r)).ok, true);
      }));

    test('all or nothing: one spent counter takes nothing from the others and creates no key', () =>
      withStore(2, async (store) => {
        await alignTo(MINUTE, 0);
        const p = prefix();
        const writes = req(`${p}:writes`, 1);
        const all = req(`${p}:all`, 100);
        assert.equal((await store.reserve([all, writes])).ok, true);
        const perLead = req(`${p}:lead:1`, 5, MINUTE, 'args');
        const refused = await store.reserve([all, perLead, writes]);
        assert.equal(refused.ok, false);
        if (!refused.ok) assert.deepEqual([refused.index, refused.reason], [2, 'spent']);
        assert.equal(await store.used(all), 1, 'the refused call took nothing from "all"');
        assert.equal(await store.used(perLead), 0);
        // maxKeys 2: had the refused call created its per-argument key, the second of these would find no room.
        assert.equal((await store.reserve([req(`${p}:lead:2`, 5, MINUTE, 'args')])).ok, true);
        assert.equal((await store.reserve([req(`${p}:lead:3`, 5, MINUTE, 'args')])).ok, true);
      }));

    test('the refusing counter reported is the one with the longest wait', () =>
      withStore(100, async (store) => {
        await alignTo(HOUR, 0);
        const p = prefix();
        const minute = req(`${p}:m`, 1, MINUTE);
        const hour = req(`${p}:h`, 1, HOUR);
        assert.equal((await store.reserve([minute, hour])).ok, true);
        const refused = await store.reserve([minute, hour]);
        assert.equal(refused.ok, false);
        if (!refused.ok) assert.deepEqual([refused.index, refused.retryAfterMs], [1, HOUR]);
      }));

    test('commit keeps the unit; rollback gives it back; a rollback after the window ended is a no-op', () =>
      withStore(100, async (store) => {
        await alignTo(MINUTE, 0);
        const r = [req(`${prefix()}:g`, 2)];
        const a = await store.reserve(r);
        const b = await store.reserve(r);
        assert.ok(a.ok && b.ok);
        await store.commit(b.hold);
        await store.rollback(a.hold);
        assert.equal(await store.used(r[0]!), 1);
        await clock.advance(MINUTE);
        assert.equal((await store.reserve(r)).ok, true);
        await store.rollback(b.hold);
        assert.equal(await store.used(r[0]!), 1, "the old window's unit is not taken from the new one");
      }));

    test('a rollback to zero deletes the key: a refunded call leaves no trace (nor takes room)', () =>
      withStore(2, async (store) => {
        await alignTo(MINUTE, 0);
        const p = prefix();
        for (let i = 0; i < 50; i++) {
          const held = await store.reserve([req(`${p}:lead:${i}`, 5, HOUR, 'args')]);
          assert.ok(held.ok, `key ${i} found room: refunded keys were deleted`);
          await store.rollback(held.hold);
        }
        assert.equal(await store.used(req(`${p}:lead:0`, 5, HOUR, 'args')), 0);
      }));

    test('a full per-argument partition refuses a new key ("full") until the first window ends, and never evicts a live one', () =>
      withStore(3, async (store) => {
        await alignTo(MINUTE, 20_000);
        const p = prefix();
        const lead = (i: number) => req(`${p}:lead:${i}`, 2, MINUTE, 'args');
        for (let i = 0; i < 3; i++) assert.equal((await store.reserve([lead(i)])).ok, true);
        const refused = await store.reserve([lead(3)]);
        assert.deepEqual(refused, { ok: false, index: 0, reason: 'full', used: 0, retryAfterMs: 40_000 });
        for (let i = 0; i < 3; i++) assert.equal(await store.used(lead(i)), 1, `live key ${i} kept its count`);
        assert.equal((await store.reserve([lead(0)])).ok, true, 'an existing key still counts');
        assert.equal((await store.reserve([lead(0)])).ok, false, 'and is spent at max');
        await clock.advance(40_000);
        assert.equal((await store.reserve([lead(3)])).ok, true, 'ended windows are reclaimed for new keys');
      }));

    test('ended windows are reclaimed before refusing; live keys of longer windows stay', () =>
      withStore(2, async (store) => {
        await alignTo(HOUR, 0);
        const p = prefix();
        const short = req(`${p}:short`, 1, 1_000, 'args');
        const long = req(`${p}:long`, 1, HOUR, 'args');
        assert.equal((await store.reserve([short])).ok, true);
        assert.equal((await store.reserve([long])).ok, true);
        await clock.advance(1_000);
        assert.equal((await store.reserve([req(`${p}:new`, 1, HOUR, 'args')])).ok, true);
        assert.equal((await store.reserve([long])).ok, false, 'the spent hour counter is still spent');
      }));

    test('a flood of per-argument keys never evicts a spent grant counter', () =>
      withStore(5, async (store) => {
        await alignTo(MINUTE, 0);
        const p = prefix();
        const grant = req(`${p}:create_lead:g`, 2, 86_400_000);
        assert.equal((await store.reserve([grant])).ok, true);
        assert.equal((await store.reserve([grant])).ok, true);
        let admitted = 0;
        for (let i = 0; i < 200; i++) if ((await store.reserve([req(`${p}:get_lead:${i}`, 1, MINUTE, 'args')])).ok) admitted++;
        assert.equal(admitted, 5, 'only maxKeys new per-argument keys');
        assert.deepEqual(await store.reserve([grant]), {
          ok: false,
          index: 0,
          reason: 'spent',
          used: 2,
          retryAfterMs: 86_400_000 - ((await clock.now()) % 86_400_000),
        });
      }));

    test('concurrent reservations never exceed max', () =>
      withStore(100, async (store) => {
        await alignTo(MINUTE, 0);
        const r = [req(`${prefix()}:g`, 10)];
        const results = await Promise.all(Array.from({ length: 30 }, () => store.reserve(r)));
        assert.equal(results.filter((x) => x.ok).length, 10);
        assert.equal(await store.used(r[0]!), 10);
      }));

    test('claimOnce: true once, false until the ttl has passed, then true again', () =>
      withStore(100, async (store) => {
        const marker = `${prefix()}:approval`;
        assert.equal(await store.claimOnce(marker, 5_000), true);
        assert.equal(await store.claimOnce(marker, 5_000), false);
        await clock.advance(4_999);
        assert.equal(await store.claimOnce(marker, 5_000), false);
        await clock.advance(1);
        assert.equal(await store.claimOnce(marker, 5_000), true);
        assert.equal(await store.claimOnce(`${marker}:other`, 5_000), true, 'markers are independent');
      }));
  });
}
