/**
 * The Redis counter store against a real redis-server: what only Redis can show (key layout and
 * expiry, prefixes, several clients at once, Redis going away and coming back, script reloads).
 */
import assert from 'node:assert/strict';
import { connect, createServer, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { LimiterUnavailable, type CounterRequest } from '../policy/counter-store.js';
import { RedisCounterStore } from '../policy/redis-store.js';
import { createLogger } from '../src/log.js';
import { conformanceClock, runCounterStoreConformance } from './counter-store-conformance.js';
import { startRedisServer, type RedisServer } from './redis-server.js';

let redis: RedisServer;
const stores: RedisCounterStore[] = [];
let prefixes = 0;

before(async () => {
  redis = await startRedisServer();
});
after(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await redis.close();
});

/** A store on its own prefix (tests do not see each other's keys) unless one is given. */
async function store(options: { prefix?: string; maxArgsKeys?: number } = {}): Promise<RedisCounterStore> {
  const s = new RedisCounterStore({ url: redis.url, prefix: options.prefix ?? `t${++prefixes}:`, maxArgsKeys: options.maxArgsKeys ?? 1000 });
  stores.push(s);
  assert.equal(await s.whenReady(5000), true);
  return s;
}

// The shared suite, with the store's clock injected so it can cross hour and day windows without
// waiting; the tests below use Redis' own clock and real short windows.
const clock = conformanceClock();
runCounterStoreConformance(
  'redis',
  async ({ maxKeys }) => {
    const s = new RedisCounterStore({ url: redis.url, prefix: `conformance${++prefixes}:`, maxArgsKeys: maxKeys, now: clock.current });
    await s.whenReady(5000);
    return s;
  },
  clock,
);

const fixed = (key: string, max: number, windowMs = 60_000): CounterRequest => ({ key, class: 'fixed', windowMs, max });
const perArg = (key: string, max: number, windowMs = 60_000): CounterRequest => ({ key, class: 'args', windowMs, max });

/** Parses a RESP integer reply. */
const int = (reply: string): number => Number(/^:(-?\d+)/.exec(reply)?.[1] ?? NaN);
const keysUnder = async (prefix: string): Promise<string[]> =>
  (await redis.command('KEYS', `${prefix}*`)).split('\r\n').filter((_line, i, all) => i > 0 && all[i - 1]!.startsWith('$'));

describe('Redis counter store', () => {
  it('reserves all counters or none; a refusal names the spent counter and creates no key', async () => {
    const s = await store();
    assert.equal((await s.reserve([fixed('a', 1)])).ok, true);
    const refused = await s.reserve([fixed('b', 5), fixed('a', 1)]);
    assert.equal(refused.ok, false);
    if (refused.ok) return;
    assert.equal(refused.index, 1);
    assert.equal(refused.reason, 'spent');
    assert.equal(refused.used, 1);
    assert.ok(refused.retryAfterMs > 0 && refused.retryAfterMs <= 60_000);
    assert.equal(await s.used(fixed('b', 5)), 0);
    assert.deepEqual(await keysUnder(`${s.prefix}c:`), [`${s.prefix}c:a`]);
  });

  it('takes window starts from Redis TIME, aligned to the window, and keys expire when their window ends', async () => {
    const s = await store();
    const res = await s.reserve([fixed('w', 3, 60_000), fixed('h', 3, 3_600_000)]);
    assert.ok(res.ok);
    const [minute, hour] = res.hold.units;
    const redisNowMs = Number((await redis.command('TIME')).split('\r\n')[2]) * 1000;
    assert.equal(minute!.windowStart % 60_000, 0);
    assert.equal(hour!.windowStart % 3_600_000, 0);
    assert.ok(Math.abs(minute!.windowStart + 30_000 - redisNowMs) <= 31_000);
    const ttl = int(await redis.command('PTTL', `${s.prefix}c:w`));
    assert.ok(ttl > 0 && ttl <= 60_000, `PTTL ${ttl}`);
    assert.equal(int(await redis.command('PEXPIRETIME', `${s.prefix}c:w`)), minute!.windowStart + 60_000);
    assert.equal(int(await redis.command('PEXPIRETIME', `${s.prefix}c:h`)), hour!.windowStart + 3_600_000);
  });

  it('a short window resets on time, and its key is gone after it', async () => {
    const s = await store();
    const windowMs = 150;
    // Start right after a boundary so the first reservations share one window.
    const wait = windowMs - (Date.now() % windowMs);
    await sleep(wait + 5);
    const first = await s.reserve([fixed('short', 2, windowMs)]);
    assert.ok(first.ok);
    const left = await s.reserve([fixed('short', 2, windowMs)]);
    const refused = await s.reserve([fixed('short', 2, windowMs)]);
    if (left.ok && left.hold.units[0]!.windowStart === first.hold.units[0]!.windowStart) assert.equal(refused.ok, false);
    await sleep(first.hold.units[0]!.windowStart + 2 * windowMs - Date.now() + 50);
    assert.equal(int(await redis.command('EXISTS', `${s.prefix}c:short`)), 0);
    assert.equal((await s.reserve([fixed('short', 2, windowMs)])).ok, true);
  });

  it('rolls back to zero by deleting the key; a rollback after the window rolled over is a no-op', async () => {
    const s = await store();
    const a = await s.reserve([fixed('r', 5), perArg('lead:1', 5)]);
    assert.ok(a.ok);
    await s.rollback(a.hold);
    assert.deepEqual(await keysUnder(s.prefix), []);
    const windowMs = 500;
    await sleep(windowMs - (Date.now() % windowMs) + 5);
    const old = await s.reserve([fixed('roll', 5, windowMs)]);
    assert.ok(old.ok);
    await sleep(old.hold.units[0]!.windowStart + windowMs - Date.now() + 5);
    const fresh = await s.reserve([fixed('roll', 5, windowMs)]);
    assert.ok(fresh.ok);
    assert.notEqual(fresh.hold.units[0]!.windowStart, old.hold.units[0]!.windowStart);
    await s.rollback(old.hold);
    assert.equal(await s.used(fixed('roll', 5, windowMs)), 1, 'the new window keeps its unit');
  });

  it('several clients reserving at once never take more than max', async () => {
    const clients = await Promise.all([1, 2, 3, 4, 5].map(() => store({ prefix: 'shared-race:' })));
    const attempts = await Promise.all(
      Array.from({ length: 200 }, (_, i) => clients[i % clients.length]!.reserve([fixed('race', 17), fixed('race-wide', 1000)])),
    );
    assert.equal(attempts.filter((r) => r.ok).length, 17);
    assert.equal(await clients[0]!.used(fixed('race', 17)), 17);
    assert.equal(await clients[0]!.used(fixed('race-wide', 1000)), 17, 'refused calls took nothing from the other counter');
  });

  it('caps live per-argument keys: a new key is refused (full) while the cap is reached, no live key is evicted', async () => {
    const s = await store({ maxArgsKeys: 3 });
    for (const id of [1, 2, 3]) assert.ok((await s.reserve([perArg(`lead:${id}`, 5)])).ok);
    const full = await s.reserve([fixed('grant', 100), perArg('lead:4', 5)]);
    assert.equal(full.ok, false);
    if (full.ok) return;
    assert.equal(full.reason, 'full');
    assert.equal(full.index, 1);
    assert.ok(full.retryAfterMs > 0 && full.retryAfterMs <= 60_000);
    assert.equal(await s.used(fixed('grant', 100)), 0);
    assert.ok((await s.reserve([perArg('lead:2', 5)])).ok, 'a live key still counts');
    assert.equal(await s.used(perArg('lead:1', 5)), 1);
    assert.equal(int(await redis.command('ZCARD', `${s.prefix}args`)), 3);
    // A flood of distinct values leaves at most the cap behind.
    await Promise.all(Array.from({ length: 100 }, (_, i) => s.reserve([perArg(`flood:${i}`, 5)])));
    assert.equal((await keysUnder(`${s.prefix}c:`)).length, 3);
  });

  it('per-argument keys free their room when their window ends or they roll back to zero', async () => {
    const s = await store({ maxArgsKeys: 1 });
    const windowMs = 500;
    await sleep(windowMs - (Date.now() % windowMs) + 5);
    const one = await s.reserve([perArg('x', 5, windowMs)]);
    assert.ok(one.ok);
    const end = one.hold.units[0]!.windowStart + windowMs;
    let y = await s.reserve([perArg('y', 5, 60_000)]);
    if (y.ok) {
      // Only possible if this machine stalled past the end of x's window.
      assert.ok(Date.now() >= end - 5, 'a live key is never evicted for a new one');
    } else {
      assert.equal(y.reason, 'full');
      await sleep(end - Date.now() + 5);
      y = await s.reserve([perArg('y', 5, 60_000)]);
    }
    assert.ok(y.ok, 'the expired key made room');
    await s.rollback(y.hold);
    assert.ok((await s.reserve([perArg('z', 5)])).ok, 'the rolled-back key made room');
  });

  it('a call made as the process starts waits for the first connection instead of being refused', async () => {
    const s = new RedisCounterStore({ url: redis.url, prefix: `t${++prefixes}:`, maxArgsKeys: 10 });
    stores.push(s);
    assert.equal(s.isReady, false);
    assert.ok((await s.reserve([fixed('first', 1)])).ok);
  });

  it('keeps deployments apart by prefix', async () => {
    const one = await store({ prefix: 'deploy-a:' });
    const two = await store({ prefix: 'deploy-b:' });
    assert.ok((await one.reserve([fixed('k', 1)])).ok);
    assert.ok((await two.reserve([fixed('k', 1)])).ok);
    assert.equal((await one.reserve([fixed('k', 1)])).ok, false);
    assert.ok(await one.claimOnce('state', 60_000));
    assert.ok(await two.claimOnce('state', 60_000));
  });

  it('claims a marker once across clients until its TTL passes', async () => {
    const [one, two] = await Promise.all([store({ prefix: 'claims:' }), store({ prefix: 'claims:' })]);
    const claims = await Promise.all([one!.claimOnce('m1', 150), two!.claimOnce('m1', 150), one!.claimOnce('m1', 150)]);
    assert.deepEqual(claims.filter(Boolean).length, 1);
    assert.equal(await two!.claimOnce('m1', 150), false);
    await sleep(200);
    assert.equal(await two!.claimOnce('m1', 150), true);
  });

  it('reloads its scripts after Redis forgot them', async () => {
    const s = await store();
    assert.ok((await s.reserve([fixed('f', 2)])).ok);
    await redis.command('SCRIPT', 'FLUSH');
    assert.ok((await s.reserve([fixed('f', 2)])).ok);
    assert.equal(await s.used(fixed('f', 2)), 2);
  });

  it('merges units counted elsewhere into their window when it is still current, and only then', async () => {
    const s = await store({ maxArgsKeys: 10 });
    const res = await s.reserve([fixed('m', 10)]);
    assert.ok(res.ok);
    const ws = res.hold.units[0]!.windowStart;
    const added = await s.merge([
      { key: 'm', class: 'fixed', windowStart: ws, windowMs: 60_000, units: 3 },
      { key: 'old', class: 'fixed', windowStart: ws - 60_000, windowMs: 60_000, units: 4 },
      { key: 'lead:9', class: 'args', windowStart: ws, windowMs: 60_000, units: 2 },
    ]);
    assert.equal(added, 5);
    assert.equal(await s.used(fixed('m', 10)), 4);
    assert.equal(await s.used(fixed('old', 10)), 0);
    assert.equal(await s.used(perArg('lead:9', 10)), 2);
    assert.equal(int(await redis.command('ZCARD', `${s.prefix}args`)), 1);
  });
});

/** A TCP relay to Redis that can swallow the next reply and cut the connection, as a network fault would. */
async function faultyRelay(port: number): Promise<{ url: string; dropNextReply(): void; close(): Promise<void> }> {
  let drop = false;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect({ host: '127.0.0.1', port });
    const cut = (): void => {
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', cut);
      socket.on('close', cut);
    }
    client.on('data', (chunk: Buffer) => upstream.write(chunk));
    upstream.on('data', (chunk: Buffer) => {
      if (!drop) return void client.write(chunk);
      drop = false;
      cut();
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port: relayPort } = server.address() as { port: number };
  return {
    url: `redis://127.0.0.1:${relayPort}`,
    dropNextReply: () => {
      drop = true;
    },
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((done) => server.close(() => done()));
    },
  };
}

describe('Redis counter store when Redis goes away', () => {
  it('a reservation Redis took but whose reply was lost is given back once Redis answers again', async () => {
    const relay = await faultyRelay(redis.port);
    after(() => relay.close());
    const prefix = `lost${++prefixes}:`;
    const s = new RedisCounterStore({ url: relay.url, prefix, maxArgsKeys: 10 });
    stores.push(s);
    assert.equal(await s.whenReady(5000), true);
    const direct = await store({ prefix });
    const kept = await s.reserve([fixed('lost', 5), perArg('lead:7', 5)]);
    assert.ok(kept.ok);
    s.commit(kept.hold);
    relay.dropNextReply();
    await assert.rejects(async () => s.reserve([fixed('lost', 5), perArg('lead:8', 5)]), LimiterUnavailable);
    for (let i = 0; i < 200 && (s.unsettledCount > 0 || !s.isReady); i++) await sleep(25);
    assert.equal(s.unsettledCount, 0, 'cancelled after reconnecting');
    assert.equal(await direct.used(fixed('lost', 5)), 1, 'only the committed call counts');
    assert.equal(await direct.used(perArg('lead:8', 5)), 0);
    assert.deepEqual(await keysUnder(`${prefix}r:`), [], 'no receipt left behind (committed, cancelled)');
    assert.equal(int(await redis.command('ZCARD', `${prefix}args`)), 1, 'the cancelled per-argument key gave its room back');
  });

  it('refuses with LimiterUnavailable at once, reconnects by itself, and keeps the saved counts', async () => {
    const s = await store();
    assert.ok((await s.reserve([fixed('outage', 5)])).ok);
    await redis.stop({ save: true });
    const started = Date.now();
    await assert.rejects(async () => s.reserve([fixed('outage', 5)]), LimiterUnavailable);
    await assert.rejects(async () => s.claimOnce('x', 1000), LimiterUnavailable);
    await assert.rejects(async () => s.used(fixed('outage', 5)), LimiterUnavailable);
    assert.ok(Date.now() - started < 1000, 'refused without waiting for Redis');
    await redis.start();
    for (let i = 0; i < 200 && !s.isReady; i++) await sleep(25);
    assert.equal(s.isReady, true);
    assert.equal(await s.used(fixed('outage', 5)), 1);
    assert.ok((await s.reserve([fixed('outage', 5)])).ok);
  });

  it('logs where Redis is (host:port) but never the password of its URL', async () => {
    const lines: string[] = [];
    const s = new RedisCounterStore({
      url: 'redis://app:Pw-6f1e9c2a@127.0.0.1:1/0',
      prefix: 'pw:',
      maxArgsKeys: 10,
      logger: createLogger('debug', (line) => lines.push(line)),
    });
    stores.push(s);
    await s.whenReady(200);
    await assert.rejects(async () => s.reserve([fixed('a', 1)]), LimiterUnavailable);
    assert.ok(
      lines.some((l) => l.includes('127.0.0.1:1')),
      'the outage is logged with the address',
    );
    assert.ok(!lines.join('\n').includes('Pw-6f1e9c2a'));
  });

  it('a store whose Redis never answers refuses every call that needs a counter', async () => {
    const s = new RedisCounterStore({ url: 'redis://127.0.0.1:1', prefix: 'nowhere:', maxArgsKeys: 10 });
    stores.push(s);
    assert.equal(await s.whenReady(200), false);
    await assert.rejects(async () => s.reserve([fixed('a', 1)]), LimiterUnavailable);
    assert.deepEqual(await s.reserve([]), { ok: true, hold: { units: [] } }, 'a call with no counters needs no Redis');
  });
});
