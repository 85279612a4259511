/**
 * The in-memory counter store: the shared conformance suite, plus what only memory promises
 * (synchronous answers, bounded partitions whatever the flood).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CounterRequest } from '../policy/counter-store.js';
import { MemoryCounterStore } from '../policy/memory-counter-store.js';
import { conformanceClock, runCounterStoreConformance } from './counter-store-conformance.js';

const clock = conformanceClock();
runCounterStoreConformance('memory', ({ maxKeys }) => new MemoryCounterStore({ maxKeys, now: clock.current }), clock);

const perLead = (i: number): CounterRequest => ({ key: `per_lead\u0000a:j${i}`, class: 'args', windowMs: 60_000, max: 5 });

test('memory store: answers synchronously (the hot path awaits nothing)', () => {
  const store = new MemoryCounterStore({ now: () => 0 });
  const reserved = store.reserve([perLead(1)]);
  assert.equal(reserved instanceof Promise, false);
  assert.equal(reserved.ok, true);
  assert.equal(store.used(perLead(1)), 1);
});

test('memory store: 200,000 distinct argument values keep at most maxKeys keys, and the fixed counters stay', () => {
  let t = Date.UTC(2026, 2, 1);
  const store = new MemoryCounterStore({ maxKeys: 1_000, now: () => t });
  const grant: CounterRequest = { key: 'writes\u0000g:stdio', class: 'fixed', windowMs: 86_400_000, max: 1 };
  assert.equal(store.reserve([grant]).ok, true);
  let admitted = 0;
  for (let i = 0; i < 200_000; i++) {
    if (store.reserve([perLead(i)]).ok) admitted++;
    if (i % 20_000 === 0) t += 1; // time moves, windows do not end: nothing may be reclaimed
  }
  assert.equal(admitted, 1_000);
  assert.deepEqual(store.size, { fixed: 1, args: 1_000, markers: 0 });
  assert.equal(store.reserve([grant]).ok, false, 'the spent daily counter is still spent');
});

test('memory store: a full fixed partition refuses a new session key instead of evicting a live one', () => {
  const store = new MemoryCounterStore({ maxKeys: 2, now: () => 1_000 });
  const session = (s: string): CounterRequest => ({ key: `calls\u0000s:${s}`, class: 'fixed', windowMs: 60_000, max: 1 });
  assert.equal(store.reserve([session('a')]).ok, true);
  assert.equal(store.reserve([session('b')]).ok, true);
  assert.deepEqual(store.reserve([session('c')]), { ok: false, index: 0, reason: 'full', used: 0, retryAfterMs: 59_000 });
  assert.equal(store.reserve([session('a')]).ok, false, 'session a is still spent');
});

test('memory store: a marker claim finding the marker partition full of live markers is refused (no replay by eviction)', () => {
  let t = 0;
  const store = new MemoryCounterStore({ maxKeys: 2, now: () => t });
  assert.equal(store.claimOnce('m1', 10_000), true);
  assert.equal(store.claimOnce('m2', 10_000), true);
  assert.equal(store.claimOnce('m3', 10_000), false);
  assert.equal(store.claimOnce('m1', 10_000), false, 'm1 was not forgotten');
  t = 10_000;
  assert.equal(store.claimOnce('m3', 10_000), true, 'expired markers make room');
});
