/**
 * Which counter store a process uses, and what happens while a shared one (Redis) is away.
 *
 * - No `KOMMO_REDIS_URL`: the memory store (one process).
 * - `KOMMO_REDIS_FAIL=closed` (default): the Redis store alone. While Redis is away every call that
 *   needs a counter is refused (`limiter_unavailable`); calls without limits go on.
 * - `KOMMO_REDIS_FAIL=open`: `FailOpenCounterStore`. While Redis is away calls are counted in this
 *   process's memory, and the log says loudly, once a minute, that budgets are per replica. When
 *   Redis is back, the units counted meanwhile are added to the shared counters of the same windows
 *   (and approval markers claimed meanwhile are claimed there), so no call is forgotten; then Redis
 *   counts again. A reservation is committed or rolled back in the store that took it.
 */
import type { Logger } from '../src/log.js';
import { LimiterUnavailable, type CounterRequest, type CounterStore, type Hold, type StoreReserveResult } from './counter-store.js';
import { MemoryCounterStore } from './memory-counter-store.js';
import type { CountedElsewhere, RedisCounterStore } from './redis-store.js';

export interface CounterStoreSettings {
  /** KOMMO_LIMITER_MAX_KEYS: cap on per-argument keys (and on each memory partition). */
  maxKeys: number;
  redis?: { url: string; prefix: string; fail: 'closed' | 'open' };
}

/**
 * The store the settings ask for; a Redis store connects in the background (see `whenReady`). The
 * Redis client is loaded only when configured: it costs every other start (`--help`, stdio) time.
 */
export async function createCounterStore(
  settings: CounterStoreSettings,
  logger: Logger,
): Promise<CounterStore & { whenReady?(timeoutMs: number): Promise<boolean> }> {
  if (!settings.redis) return new MemoryCounterStore({ maxKeys: settings.maxKeys });
  const { RedisCounterStore } = await import('./redis-store.js');
  const redis = new RedisCounterStore({ url: settings.redis.url, prefix: settings.redis.prefix, maxArgsKeys: settings.maxKeys, logger });
  if (settings.redis.fail === 'closed') return redis;
  return new FailOpenCounterStore({ redis, maxKeys: settings.maxKeys, logger });
}

export interface FailOpenOptions {
  redis: RedisCounterStore;
  maxKeys: number;
  logger: Logger;
  /** The memory fallback's clock. */
  now?: () => number;
  /** How often the outage is logged again. Default one minute. */
  warnEveryMs?: number;
}

/** One stretch of time without Redis, counted in memory. */
interface Outage {
  memory: MemoryCounterStore;
  /** Counters reserved in memory, by key. */
  counted: Map<string, CounterRequest>;
  /** Markers claimed in memory, with when their claim ends. */
  claims: Map<string, number>;
  /** Units already added to Redis, by key and window (a merge cut short resumes, never repeats). */
  sent: Map<string, number>;
  /** Set once its counts are in Redis: its holds are then rolled back there. */
  merged: boolean;
  timer: NodeJS.Timeout;
  since: number;
}

const windowId = (key: string, windowStart: number): string => `${key}\u0000${windowStart}`;

export const OUTAGE_MESSAGE =
  'Redis is unreachable and KOMMO_REDIS_FAIL=open: rate limits are counted in this process only, so budgets are per replica until Redis is back';

export const RECOVERED_MESSAGE = 'Redis reachable again: the units counted in this process meanwhile were added to the shared counters, which are in use again';

export class FailOpenCounterStore implements CounterStore {
  readonly kind = 'redis' as const;
  private readonly redis: RedisCounterStore;
  private readonly maxKeys: number;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly warnEveryMs: number;
  private outage: Outage | undefined;
  private recovering = false;
  private readonly outageOf = new WeakMap<Hold, Outage>();

  constructor(options: FailOpenOptions) {
    this.redis = options.redis;
    this.maxKeys = options.maxKeys;
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
    this.warnEveryMs = options.warnEveryMs ?? 60_000;
    this.redis.onReady(() => void this.recover());
  }

  whenReady(timeoutMs: number): Promise<boolean> {
    return this.redis.whenReady(timeoutMs);
  }

  /** True while calls are counted in this process only. */
  get degraded(): boolean {
    return this.outage !== undefined;
  }

  async reserve(requests: readonly CounterRequest[]): Promise<StoreReserveResult> {
    if (!this.outage) {
      try {
        return await this.redis.reserve(requests);
      } catch (err) {
        this.begin(err);
      }
    }
    const outage = this.outage!;
    const result = outage.memory.reserve(requests);
    if (result.ok) {
      for (const request of requests) outage.counted.set(request.key, request);
      this.outageOf.set(result.hold, outage);
    }
    return result;
  }

  commit(hold: Hold): void {
    const outage = this.outageOf.get(hold);
    if (outage && !outage.merged) outage.memory.commit(hold);
  }

  async rollback(hold: Hold): Promise<void> {
    const outage = this.outageOf.get(hold);
    if (outage && !outage.merged) return outage.memory.rollback(hold);
    try {
      await this.redis.rollback(hold);
    } catch (err) {
      // The unit stays spent in Redis: over-counted by one, never under-counted.
      if (!(err instanceof LimiterUnavailable)) throw err;
      this.logger.warn('a refund could not reach Redis; the unit stays spent until its window ends', { counters: hold.units.map((u) => u.key).length });
    }
  }

  async used(request: CounterRequest): Promise<number> {
    if (!this.outage) {
      try {
        return await this.redis.used(request);
      } catch (err) {
        this.begin(err);
      }
    }
    return this.outage!.memory.used(request);
  }

  async claimOnce(marker: string, ttlMs: number): Promise<boolean> {
    if (!this.outage) {
      try {
        return await this.redis.claimOnce(marker, ttlMs);
      } catch (err) {
        this.begin(err);
      }
    }
    const outage = this.outage!;
    const claimed = outage.memory.claimOnce(marker, ttlMs);
    if (claimed) outage.claims.set(marker, this.now() + ttlMs);
    return claimed;
  }

  async close(): Promise<void> {
    if (this.outage) clearInterval(this.outage.timer);
    this.outage = undefined;
    await this.redis.close();
  }

  /** Redis just failed: count in memory from now on, and say so once a minute. */
  private begin(err: unknown): void {
    if (!(err instanceof LimiterUnavailable)) throw err;
    if (this.outage) return;
    const warn = (): void => this.logger.error(OUTAGE_MESSAGE, { since: new Date(outage.since).toISOString() });
    const outage: Outage = {
      memory: new MemoryCounterStore({ maxKeys: this.maxKeys, now: this.now }),
      counted: new Map(),
      claims: new Map(),
      sent: new Map(),
      merged: false,
      timer: setInterval(() => warn(), this.warnEveryMs),
      since: this.now(),
    };
    outage.timer.unref();
    this.outage = outage;
    warn();
  }

  /**
   * Redis is reachable again: add what memory counted to Redis, then count in Redis. Calls keep
   * being counted in memory while the merge runs; what they add is merged in a further round.
   */
  private async recover(): Promise<void> {
    const outage = this.outage;
    if (!outage || this.recovering) return;
    this.recovering = true;
    const sent = outage.sent;
    let units = 0;
    try {
      for (;;) {
        const claims = [...outage.claims];
        outage.claims.clear();
        for (const [marker, until] of claims) {
          const left = until - this.now();
          if (left > 0) await this.redis.claimOnce(marker, left);
        }
        const delta: CountedElsewhere[] = [];
        for (const request of outage.counted.values()) {
          const windowStart = Math.floor(this.now() / request.windowMs) * request.windowMs;
          const extra = outage.memory.used(request) - (sent.get(windowId(request.key, windowStart)) ?? 0);
          if (extra > 0) delta.push({ key: request.key, class: request.class, windowStart, windowMs: request.windowMs, units: extra });
        }
        if (delta.length === 0 && outage.claims.size === 0) break;
        units += await this.redis.merge(delta);
        // Recorded once Redis has them: a merge cut short is sent again (over-counts, never under-counts).
        for (const d of delta) sent.set(windowId(d.key, d.windowStart), (sent.get(windowId(d.key, d.windowStart)) ?? 0) + d.units);
      }
    } catch (err) {
      // Redis went away again before the merge finished: stay in memory until it is back.
      this.recovering = false;
      if (!(err instanceof LimiterUnavailable)) this.logger.error('merging outage counts into Redis failed', { error: String(err) });
      return;
    }
    // Nothing awaited since the last (empty) round: no reservation slipped between merge and switch.
    outage.merged = true;
    clearInterval(outage.timer);
    this.outage = undefined;
    this.recovering = false;
    this.logger.warn(RECOVERED_MESSAGE, {
      outageSeconds: Math.round((this.now() - outage.since) / 1000),
      unitsAdded: units,
    });
  }
}
