/**
 * The counter store's cost, memory against Redis in the same run (Redis: a redis-server this
 * benchmark starts on a free loopback port, as the tests do):
 *  1. decisions per second (evaluate + reserve + commit of update_lead's three counters, one per
 *     lead) with several concurrent clients, each its own store instance (as replicas are);
 *  2. the latency a store adds to each call: reserve + commit alone, and get_lead end to end through
 *     the official Client, the server and the sandbox, interleaved so both stores see the same drift.
 */
import { performance } from 'node:perf_hooks';
import type { CounterStore } from '../policy/counter-store.js';
import { evaluate, type Admission } from '../policy/evaluate.js';
import { Limiter } from '../policy/limiter.js';
import { MemoryCounterStore } from '../policy/memory-counter-store.js';
import { PolicyMiddleware } from '../policy/middleware.js';
import { RedisCounterStore } from '../policy/redis-store.js';
import { startSandbox } from '../src/sandbox/index.js';
import { startHarness, type Harness } from '../test/harness.js';
import { startRedisServer } from '../test/redis-server.js';
import { jsonAudit, ms, realisticPolicy, stats } from './policy.js';

export const name = 'counters';
export const description = 'memory vs Redis counter store: decisions/s with concurrent clients, latency added per call (p50/p99)';

const CLIENTS = 8;
const DECISIONS = 40_000;
const SAMPLES = 2_000;
const CALLS = 500;
const WARMUP = 100;

interface Contender {
  label: string;
  /** A new client of the store (memory: the one process store; Redis: a new connection). */
  client(): Promise<CounterStore>;
}

const scope = { grant: 'bench-grant', session: 'bench-session' };
const leads = Array.from({ length: 1_000 }, (_, i) => ({ id: 1_000 + i, price: 5_000 + i, name: `Lead ${i}` }));

/** `CLIENTS` loops deciding at once, each on its own store client; decisions per second overall. */
async function throughput(contender: Contender): Promise<number> {
  const policy = realisticPolicy();
  const limiters = await Promise.all(Array.from({ length: CLIENTS }, async () => new Limiter({ store: await contender.client() })));
  const perClient = DECISIONS / CLIENTS;
  const loop = async (limiter: Limiter, offset: number, count = perClient): Promise<void> => {
    for (let i = 0; i < count; i++) {
      const decision = evaluate(policy, 'update_lead', leads[(offset + i) % leads.length]!, scope) as Admission;
      const reserved = await limiter.reserve(decision.limits);
      if (!reserved.ok) throw new Error('every call must be admitted here');
      await limiter.commit(reserved.reservation);
    }
  };
  await Promise.all(limiters.map((l, c) => loop(l, c * 97, WARMUP)));
  const started = performance.now();
  await Promise.all(limiters.map((l, c) => loop(l, c * 131)));
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(limiters.map((l) => l.store.close()));
  return DECISIONS / seconds;
}

/** reserve + commit of one call's counters, one client, one at a time. */
async function storeLatency(contender: Contender): Promise<number[]> {
  const policy = realisticPolicy();
  const limiter = new Limiter({ store: await contender.client() });
  const samples: number[] = [];
  for (let i = 0; i < SAMPLES + WARMUP; i++) {
    const decision = evaluate(policy, 'update_lead', leads[i % leads.length]!, scope) as Admission;
    const started = performance.now();
    const reserved = await limiter.reserve(decision.limits);
    if (!reserved.ok) throw new Error('every call must be admitted here');
    await limiter.commit(reserved.reservation);
    if (i >= WARMUP) samples.push(performance.now() - started);
  }
  await limiter.store.close();
  return samples;
}

/** get_lead through the real server on each store, interleaved. */
async function endToEnd(contenders: Contender[]): Promise<number[][]> {
  const sandbox = await startSandbox({ rps: 0, leads: 500 });
  const harnesses: Harness[] = [];
  try {
    for (const contender of contenders) {
      const limiter = new Limiter({ store: await contender.client() });
      harnesses.push(
        await startHarness({ sharedSandbox: sandbox, middleware: new PolicyMiddleware({ policy: realisticPolicy(), limiter, audit: jsonAudit }) }),
      );
    }
    const ids = sandbox.store.leads.slice(0, 100).map((l) => l.id);
    const samples = contenders.map(() => [] as number[]);
    for (let i = 0; i < CALLS + WARMUP; i++) {
      // Alternate who goes first, so drift (GC, JIT, sandbox state) hits every store alike.
      const order = i % 2 === 0 ? harnesses.map((_, k) => k) : harnesses.map((_, k) => harnesses.length - 1 - k);
      for (const k of order) {
        const started = performance.now();
        const result = await harnesses[k]!.call('get_lead', { id: ids[i % ids.length]! });
        const elapsed = performance.now() - started;
        if (result.isError) throw new Error(`benchmark call failed: ${JSON.stringify(result.content)}`);
        if (i >= WARMUP) samples[k]!.push(elapsed);
      }
    }
    return samples;
  } finally {
    for (const h of harnesses) await h.close();
    await sandbox.close();
  }
}

export async function run(): Promise<void> {
  const redis = await startRedisServer();
  const redisClients: RedisCounterStore[] = [];
  let prefixes = 0;
  const memoryStore = new MemoryCounterStore({ maxKeys: 1_000_000 });
  const contenders: Contender[] = [
    { label: 'memory', client: async () => memoryStore },
    {
      label: 'redis',
      client: async () => {
        // One prefix per measurement, so each starts from empty counters.
        const store = new RedisCounterStore({ url: redis.url, prefix: `bench${Math.floor(prefixes++ / CLIENTS)}:`, maxArgsKeys: 1_000_000 });
        redisClients.push(store);
        if (!(await store.whenReady(5000))) throw new Error('the benchmark Redis did not answer');
        return store;
      },
    },
  ];
  try {
    process.stdout.write(
      `evaluate + reserve + commit (update_lead, 3 counters incl. per-lead), ${CLIENTS} concurrent clients, ${DECISIONS.toLocaleString('en-US')} decisions:\n`,
    );
    for (const contender of contenders) {
      const rate = await throughput(contender);
      process.stdout.write(`  ${contender.label.padEnd(6)} : ${Math.round(rate).toLocaleString('en-US')} decisions/s\n`);
    }
    process.stdout.write(`reserve + commit alone, one client, ${SAMPLES} calls:\n`);
    for (const contender of contenders) {
      const s = stats(await storeLatency(contender));
      process.stdout.write(`  ${contender.label.padEnd(6)} : p50 ${ms(s.p50)}  p99 ${ms(s.p99)}  mean ${ms(s.mean)}\n`);
    }
    const [memory, onRedis] = (await endToEnd(contenders)).map(stats);
    process.stdout.write(`get_lead through the MCP Client → server → sandbox, ${CALLS} calls each, interleaved:\n`);
    process.stdout.write(`  memory : p50 ${ms(memory!.p50)}  p99 ${ms(memory!.p99)}\n`);
    process.stdout.write(`  redis  : p50 ${ms(onRedis!.p50)}  p99 ${ms(onRedis!.p99)}\n`);
    process.stdout.write(`  added by Redis per call: p50 ${ms(onRedis!.p50 - memory!.p50)}  p99 ${ms(onRedis!.p99 - memory!.p99)}\n`);
  } finally {
    await Promise.all(redisClients.map((c) => c.close()));
    await redis.close();
  }
}
