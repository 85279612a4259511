/**
 * Choosing the counter store, and KOMMO_REDIS_FAIL=open against a real redis-server that goes away
 * and comes back: calls are counted in memory meanwhile, the outage is logged loudly and repeatedly,
 * and on return the units counted meanwhile join the shared counters (none lost, none twice).
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { CounterRequest } from '../policy/counter-store.js';
import { MemoryCounterStore } from '../policy/memory-counter-store.js';
import { RedisCounterStore } from '../policy/redis-store.js';
import { createCounterStore, FailOpenCounterStore, OUTAGE_MESSAGE, RECOVERED_MESSAGE } from '../policy/shared-counters.js';
import { createLogger } from '../src/log.js';
import { startRedisServer, type RedisServer } from './redis-server.js';

let redis: RedisServer;
const closers: Array<() => unknown> = [];
let prefixes = 0;

before(async () => {
  redis = await startRedisServer();
});
after(async () => {
  for (const close of closers) await close();
  await redis.close();
});

const budget: CounterRequest = { key: 'run_salesbot_rate\u0000g:stdio', class: 'fixed', windowMs: 3_600_000, max: 5 };

function recordingLogger(): { lines: Array<{ level: string; msg: string }>; logger: ReturnType<typeof createLogger> } {
  const lines: Array<{ level: string; msg: string }> = [];
  return { lines, logger: createLogger('debug', (line) => lines.push(JSON.parse(line) as { level: string; msg: string })) };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400 && !condition(); i++) await sleep(25);
  assert.ok(condition(), what);
}

async function openStore(prefix: string, warnEveryMs = 60_000) {
  const { lines, logger } = recordingLogger();
  const redisStore = new RedisCounterStore({ url: redis.url, prefix, maxArgsKeys: 100, logger });
  const store = new FailOpenCounterStore({ redis: redisStore, maxKeys: 100, logger, warnEveryMs });
  closers.push(() => store.close());
  assert.equal(await store.whenReady(5000), true);
  return { store, redisStore, lines };
}

describe('createCounterStore', () => {
  it('memory without KOMMO_REDIS_URL, Redis alone when fail=closed, Redis with a memory fallback when fail=open', async () => {
    const logger = createLogger('error', () => {});
    const memory = await createCounterStore({ maxKeys: 10 }, logger);
    assert.ok(memory instanceof MemoryCounterStore);
    const closed = await createCounterStore({ maxKeys: 10, redis: { url: redis.url, prefix: 'choose:', fail: 'closed' } }, logger);
    const open = await createCounterStore({ maxKeys: 10, redis: { url: redis.url, prefix: 'choose:', fail: 'open' } }, logger);
    closers.push(
      () => closed.close(),
      () => open.close(),
    );
    assert.ok(closed instanceof RedisCounterStore);
    assert.ok(open instanceof FailOpenCounterStore);
    assert.deepEqual([memory.kind, closed.kind, open.kind], ['memory', 'redis', 'redis']);
  });
});

describe('KOMMO_REDIS_FAIL=open', () => {
  it('counts in memory while Redis is away, logs it at once and again every interval, and merges the units on return', async () => {
    const { store, lines } = await openStore(`open${++prefixes}:`, 100);
    const other = await openStore(`open${prefixes}:`);
    for (let i = 0; i < 2; i++) assert.ok((await store.reserve([budget])).ok);

    await redis.stop({ save: true });
    const during = [await store.reserve([budget]), await store.reserve([budget])];
    assert.ok(
      during.every((r) => r.ok),
      'calls go on while Redis is away',
    );
    assert.equal(store.degraded, true);
    const refunded = await store.reserve([budget]);
    assert.ok(refunded.ok);
    await store.rollback(refunded.hold);
    assert.equal(await store.used(budget), 2, 'meanwhile this replica counts (and caps) what it lets through itself');
    const outageLines = () => lines.filter((l) => l.msg === OUTAGE_MESSAGE && l.level === 'error').length;
    assert.equal(outageLines(), 1, 'logged as soon as the outage is seen');
    await until(() => outageLines() >= 3, 'logged again every interval while Redis is away');

    await redis.start();
    await until(() => !store.degraded, 'back on Redis after it returns');
    assert.ok(lines.some((l) => l.msg === RECOVERED_MESSAGE && l.level === 'warn'));
    const linesAtReturn = outageLines();
    await sleep(250);
    assert.equal(outageLines(), linesAtReturn, 'the outage log stops once Redis is back');
    // 2 before + 2 during (the refunded one not counted): one unit left for every replica.
    assert.equal(await other.store.used(budget), 4);
    const race = await Promise.all([store.reserve([budget]), other.store.reserve([budget]), store.reserve([budget])]);
    assert.equal(race.filter((r) => r.ok).length, 1);
  });

  it('a reservation taken in memory is rolled back in Redis once its units were merged there', async () => {
    const { store, redisStore } = await openStore(`open${++prefixes}:`);
    await redis.stop({ save: true });
    const held = await store.reserve([budget]);
    assert.ok(held.ok);
    await redis.start();
    await until(() => !store.degraded, 'back on Redis');
    assert.equal(await redisStore.used(budget), 1);
    await store.rollback(held.hold);
    assert.equal(await redisStore.used(budget), 0, 'the refund reached the shared counter');
  });

  it('an approval marker claimed while Redis was away cannot be claimed again on another replica after', async () => {
    const { store } = await openStore(`open${++prefixes}:`);
    const { store: other } = await openStore(`open${prefixes}:`);
    await redis.stop({ save: true });
    assert.equal(await store.claimOnce('state-1', 60_000), true);
    assert.equal(await store.claimOnce('state-1', 60_000), false);
    await redis.start();
    await until(() => !store.degraded, 'back on Redis');
    assert.equal(await other.claimOnce('state-1', 60_000), false);
  });
});
