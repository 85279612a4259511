/**
 * The counter store on Redis: several replicas (or a restarted process) share one budget.
 *
 * Every operation that reads and writes counters is one Lua script, so reserve-all-or-nothing,
 * rollback and merge are atomic across every client of the Redis. Scripts take "now" from Redis
 * `TIME`, so window boundaries do not depend on the replicas' clocks. Key layout, under the prefix
 * (`KOMMO_REDIS_PREFIX`, so several deployments can share one Redis):
 *
 *   <prefix>c:<counter key>   hash {w: window start ms, m: window length ms, n: units used}; it
 *                             expires (PEXPIREAT) when its window ends
 *   <prefix>args              sorted set of the live per-argument counter keys, scored by the end of
 *                             their window: at most `maxArgsKeys` of them (bounded memory); a call
 *                             that needs one more is refused (`full`), a live counter is never evicted
 *   <prefix>m:<marker>        single-use markers: gone when their TTL has passed
 *   <prefix>r:<uuid>          receipt of a reservation (its window starts), deleted when the call is
 *                             committed or rolled back, else expiring with its longest window
 *
 * Fixed-class counters (grant, session, global) are few per client and each lives one window at most.
 *
 * When Redis cannot be reached every method throws `LimiterUnavailable` at once (no offline queue,
 * a per-command timeout); the client reconnects by itself. A reservation sent without an answer (the
 * connection dropped, or the command timed out) refuses its call, and is cancelled as soon as Redis
 * answers again: if its receipt is there, its units are given back, so a refused call costs nothing
 * even then.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createClient, type RedisClientType } from 'redis';
import { silentLogger, type Logger } from '../src/log.js';
import {
  LimiterUnavailable,
  type CounterClass,
  type CounterRequest,
  type CounterStore,
  type Hold,
  type HeldUnit,
  type StoreReserveResult,
} from './counter-store.js';

export interface RedisCounterStoreOptions {
  url: string;
  /** Namespace of every key (KOMMO_REDIS_PREFIX). */
  prefix: string;
  /** Cap on live per-argument counter keys under this prefix. */
  maxArgsKeys: number;
  /** A command that takes longer fails (the call is refused). Default 2000 ms. */
  commandTimeoutMs?: number;
  logger?: Logger;
  /**
   * Tests only: the store's clock instead of Redis `TIME` (the conformance suite crosses window
   * boundaries without waiting). Production leaves it unset.
   */
  now?: () => number;
}

/**
 * Preamble of every script. ARGV[1] is empty in production: "now" is Redis `TIME`. A test may pass
 * its own "now" (the injected clock of the conformance suite); keys then still expire on Redis' own
 * clock, shifted by the same amount. `arg()` reads the following ARGV in order.
 */
const NOW = `
local clock = redis.call('TIME')
local real = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local now = real
if ARGV[1] ~= '' then now = tonumber(ARGV[1]) end
local argi = 1
local function arg() argi = argi + 1; return ARGV[argi] end
local function window_start(window_ms) return now - (now % window_ms) end
local function expire_at(key, t) redis.call('PEXPIREAT', key, t - now + real) end
local function used_in(key, ws, window_ms)
  local s = redis.call('HMGET', key, 'w', 'm', 'n')
  if tonumber(s[1]) == ws and tonumber(s[2]) == window_ms then return tonumber(s[3]) or 0 end
  return 0
end
local function give_back(key, class, ws, window_ms)
  if window_start(window_ms) ~= ws then return end
  local used = used_in(key, ws, window_ms)
  if used == 1 then
    redis.call('DEL', key)
    if class == 'args' then redis.call('ZREM', KEYS[1], key) end
  elseif used > 1 then
    redis.call('HSET', key, 'n', used - 1)
  end
end
local function count(key, class, ws, window_ms, n)
  redis.call('HSET', key, 'w', ws, 'm', window_ms, 'n', n)
  expire_at(key, ws + window_ms)
  if class == 'args' then
    redis.call('ZADD', KEYS[1], ws + window_ms, key)
    local ttl = redis.call('PTTL', KEYS[1])
    if ttl < 0 or ttl < ws + window_ms - now then expire_at(KEYS[1], ws + window_ms) end
  end
end
`;

/**
 * KEYS: args zset, receipt, then one counter key per request. ARGV: now, maxArgsKeys, receipt TTL,
 * then per request class ('fixed'|'args'), windowMs, max. Returns {1, windowStart...} or
 * {0, index (1-based), reason ('spent'|'full'), used, retryAfterMs}. A success leaves a receipt (the
 * window starts) so that a reservation whose reply was lost can be cancelled later (CANCEL).
 */
const RESERVE = `${NOW}
local cap, receipt_ttl = tonumber(arg()), tonumber(arg())
local n = #KEYS - 2
local classes, windows, starts, after = {}, {}, {}, {}
local pending = {}
local refusal = nil
local purged, new_args = false, 0
for i = 1, n do
  local key, class, window_ms, max = KEYS[i + 2], arg(), tonumber(arg()), tonumber(arg())
  local ws = window_start(window_ms)
  local used = used_in(key, ws, window_ms) + (pending[key] or 0)
  classes[i], windows[i], starts[i] = class, window_ms, ws
  if used + 1 > max then
    local wait = ws + window_ms - now
    if refusal == nil or wait > refusal[5] then refusal = {0, i, 'spent', used, wait} end
  else
    if class == 'args' and used == 0 then
      if not purged then
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
        purged = true
      end
      if not redis.call('ZSCORE', KEYS[1], key) then
        new_args = new_args + 1
        if redis.call('ZCARD', KEYS[1]) + new_args > cap then
          local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
          local wait = first[2] and math.max(1, tonumber(first[2]) - now) or window_ms
          if refusal == nil or wait > refusal[5] then refusal = {0, i, 'full', 0, wait} end
        end
      end
    end
    pending[key] = (pending[key] or 0) + 1
    after[i] = used + 1
  end
end
if refusal then return refusal end
local reply = {1}
for i = 1, n do
  count(KEYS[i + 2], classes[i], starts[i], windows[i], after[i])
  reply[i + 1] = starts[i]
end
redis.call('SET', KEYS[2], table.concat(starts, ','), 'PX', receipt_ttl)
return reply
`;

/**
 * KEYS: args zset, receipt, then one counter key per unit. ARGV: now, then per unit class,
 * windowStart, windowMs. A unit whose window is over, or whose key holds another window, is left
 * alone. The receipt goes too.
 */
const ROLLBACK = `${NOW}
for i = 1, #KEYS - 2 do
  local key, class = KEYS[i + 2], arg()
  local ws = tonumber(arg())
  give_back(key, class, ws, tonumber(arg()))
end
redis.call('DEL', KEYS[2])
return 0
`;

/**
 * A reservation whose reply never came: if Redis took it (its receipt is there), give its units
 * back. KEYS: args zset, receipt, then one counter key per request. ARGV: now, then per request
 * class, windowMs. Returns 1 if there was something to cancel.
 */
const CANCEL = `${NOW}
local saved = redis.call('GET', KEYS[2])
if not saved then return 0 end
local i = 0
for ws in string.gmatch(saved, '[^,]+') do
  i = i + 1
  local class = arg()
  give_back(KEYS[i + 2], class, tonumber(ws), tonumber(arg()))
end
redis.call('DEL', KEYS[2])
return 1
`;

/**
 * Adds units counted elsewhere (the in-memory fallback while Redis was away) to the window they
 * were counted in, if it is still the current one. KEYS: args zset, counter keys. ARGV: now, then
 * per key class, windowStart, windowMs, units. Returns how many units were added.
 */
const MERGE = `${NOW}
local added = 0
for i = 1, #KEYS - 1 do
  local key, class, ws, window_ms, units = KEYS[i + 1], arg(), tonumber(arg()), tonumber(arg()), tonumber(arg())
  if window_start(window_ms) == ws and units > 0 then
    count(key, class, ws, window_ms, used_in(key, ws, window_ms) + units)
    added = added + units
  end
end
return added
`;

/** KEYS: the counter key. ARGV: now, windowMs. */
const USED = `${NOW}
local window_ms = tonumber(arg())
return used_in(KEYS[1], window_start(window_ms), window_ms)
`;

/** KEYS: the marker key. ARGV: now, ttlMs. 1 for the first claim until the TTL has passed. */
const CLAIM = `${NOW}
local ttl = tonumber(arg())
local claimed_until = tonumber(redis.call('GET', KEYS[1]))
if claimed_until and claimed_until > now then return 0 end
redis.call('SET', KEYS[1], now + ttl)
expire_at(KEYS[1], now + ttl)
return 1
`;

interface Script {
  source: string;
  sha: string;
}

const script = (source: string): Script => ({ source, sha: createHash('sha1').update(source).digest('hex') });
const SCRIPTS = {
  reserve: script(RESERVE),
  rollback: script(ROLLBACK),
  cancel: script(CANCEL),
  merge: script(MERGE),
  used: script(USED),
  claim: script(CLAIM),
};

/** A reservation on Redis, with the receipt that lets it be cancelled if its reply is lost. */
interface RedisHold extends Hold {
  receipt?: string;
}

/** How long a command waits for the store's first connection before refusing. */
const FIRST_CONNECTION_WAIT_MS = 2000;

/** Unanswered reservations kept for cancelling; beyond this the oldest is given up (over-counts). */
const MAX_UNSETTLED = 10_000;

/** One unit counted outside Redis, to add to Redis' count of the same window. */
export interface CountedElsewhere {
  key: string;
  class: CounterClass;
  windowStart: number;
  windowMs: number;
  units: number;
}

export class RedisCounterStore implements CounterStore {
  readonly kind = 'redis' as const;
  readonly prefix: string;
  private readonly client: RedisClientType;
  private readonly maxArgsKeys: number;
  private readonly logger: Logger;
  private readonly now?: () => number;
  private readonly readyListeners: Array<() => void> = [];
  private down = false;
  /** Set at the first connection: before it, a command waits a little for it instead of failing. */
  private everReady = false;
  private readonly unsettled = new Map<string, readonly CounterRequest[]>();
  private cancelling = false;
  private closed = false;
  private readonly connecting: Promise<void>;

  constructor(options: RedisCounterStoreOptions) {
    this.prefix = options.prefix;
    this.maxArgsKeys = options.maxArgsKeys;
    this.logger = options.logger ?? silentLogger;
    if (options.now) this.now = options.now;
    this.client = createClient({
      url: options.url,
      // Refuse at once while disconnected: a queued reservation would hold the call for as long as
      // Redis is away, and then count it in a window the caller never saw.
      disableOfflineQueue: true,
      commandOptions: { timeout: options.commandTimeoutMs ?? 2000 },
      socket: {
        connectTimeout: 2000,
        // Reconnect for ever, backing off to one attempt every 2 s.
        reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 2000),
      },
    }) as RedisClientType;
    const where = redisAddress(options.url);
    this.client.on('error', (err: unknown) => {
      if (this.down || this.closed) return;
      this.down = true;
      this.logger.error('Redis counter store unreachable; reconnecting', { redis: where, error: err instanceof Error ? err.message : String(err) });
    });
    this.client.on('ready', () => {
      if (this.down) this.logger.warn('Redis counter store reachable again', { redis: where });
      this.down = false;
      this.everReady = true;
      void this.cancelUnsettled();
      for (const listener of this.readyListeners) listener();
    });
    this.connecting = this.client.connect().then(
      () => {},
      () => {},
    );
  }

  /** Resolves once connected, or after `timeoutMs` (calls are refused until Redis answers). */
  async whenReady(timeoutMs: number): Promise<boolean> {
    if (this.client.isReady) return true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.connecting, new Promise<void>((done) => (timer = setTimeout(done, timeoutMs)))]);
    clearTimeout(timer);
    return this.client.isReady;
  }

  get isReady(): boolean {
    return this.client.isReady;
  }

  /** Called each time the connection is (re)established. */
  onReady(listener: () => void): void {
    this.readyListeners.push(listener);
  }

  async reserve(requests: readonly CounterRequest[]): Promise<StoreReserveResult> {
    if (requests.length === 0) return { ok: true, hold: { units: [] } };
    await this.firstConnection();
    // Not sent at all: nothing to cancel later.
    if (!this.client.isReady) throw new LimiterUnavailable('The Redis counter store is not connected.');
    const receipt = randomUUID();
    const keys = [this.argsKey, this.receiptKey(receipt), ...requests.map((r) => this.counterKey(r.key))];
    // The receipt matters as long as the longest of the units it could give back.
    const receiptTtl = Math.max(...requests.map((r) => r.windowMs));
    const args = [String(this.maxArgsKeys), String(receiptTtl), ...requests.flatMap((r) => [r.class, String(r.windowMs), String(r.max)])];
    let reply: Array<number | string>;
    try {
      reply = (await this.run(SCRIPTS.reserve, keys, args)) as Array<number | string>;
    } catch (err) {
      // Sent, but no answer: Redis may have taken the units. The call is refused, so they go back.
      this.unsettle(receipt, requests);
      throw err;
    }
    if (reply[0] === 1) {
      const units = requests.map((r, i): HeldUnit => ({ key: r.key, class: r.class, windowStart: Number(reply[i + 1]), windowMs: r.windowMs }));
      const hold: RedisHold = { units, receipt };
      return { ok: true, hold };
    }
    return {
      ok: false,
      index: Number(reply[1]) - 1,
      reason: reply[2] === 'full' ? 'full' : 'spent',
      used: Number(reply[3]),
      retryAfterMs: Math.max(0, Number(reply[4])),
    };
  }

  /** The units are already counted: only the receipt goes, without holding up the call. */
  commit(hold: Hold): void {
    const { receipt } = hold as RedisHold;
    if (receipt && this.client.isReady) this.client.del(this.receiptKey(receipt)).catch(() => {});
  }

  async rollback(hold: Hold): Promise<void> {
    if (hold.units.length === 0) return;
    const keys = [this.argsKey, this.receiptKey((hold as RedisHold).receipt ?? '-'), ...hold.units.map((u) => this.counterKey(u.key))];
    const args = hold.units.flatMap((u) => [u.class, String(u.windowStart), String(u.windowMs)]);
    await this.run(SCRIPTS.rollback, keys, args);
  }

  /** Reservations sent without an answer, waiting to be cancelled. */
  get unsettledCount(): number {
    return this.unsettled.size;
  }

  async used(request: CounterRequest): Promise<number> {
    return Number(await this.run(SCRIPTS.used, [this.counterKey(request.key)], [String(request.windowMs)]));
  }

  async claimOnce(marker: string, ttlMs: number): Promise<boolean> {
    return (await this.run(SCRIPTS.claim, [`${this.prefix}m:${marker}`], [String(Math.max(1, Math.ceil(ttlMs)))])) === 1;
  }

  /** Adds units counted while Redis was away to their window, if it is still current. */
  async merge(counted: readonly CountedElsewhere[]): Promise<number> {
    if (counted.length === 0) return 0;
    const keys = [this.argsKey, ...counted.map((c) => this.counterKey(c.key))];
    const args = counted.flatMap((c) => [c.class, String(c.windowStart), String(c.windowMs), String(c.units)]);
    return Number(await this.run(SCRIPTS.merge, keys, args));
  }

  private unsettle(receipt: string, requests: readonly CounterRequest[]): void {
    if (this.unsettled.size >= MAX_UNSETTLED) {
      const [oldest] = this.unsettled.keys();
      this.unsettled.delete(oldest!);
      this.logger.warn('too many unanswered reservations to cancel; the oldest may stay spent until its window ends');
    }
    this.unsettled.set(receipt, requests);
    void this.cancelUnsettled();
  }

  /**
   * Cancels the unanswered reservations, oldest first. On the connection that sent them Redis runs
   * the cancel after the reservation; on a new connection the old one's commands are done or lost.
   */
  private async cancelUnsettled(): Promise<void> {
    if (this.cancelling || !this.client.isReady) return;
    this.cancelling = true;
    try {
      for (const [receipt, requests] of [...this.unsettled]) {
        const keys = [this.argsKey, this.receiptKey(receipt), ...requests.map((r) => this.counterKey(r.key))];
        await this.run(
          SCRIPTS.cancel,
          keys,
          requests.flatMap((r) => [r.class, String(r.windowMs)]),
        );
        this.unsettled.delete(receipt);
      }
    } catch {
      // Redis went away again: the rest waits for the next connection.
    } finally {
      this.cancelling = false;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // destroy() rather than quit(): quit waits for a reply that never comes while Redis is away.
    this.client.destroy();
  }

  private get argsKey(): string {
    return `${this.prefix}args`;
  }

  private receiptKey(receipt: string): string {
    return `${this.prefix}r:${receipt}`;
  }

  private counterKey(key: string): string {
    return `${this.prefix}c:${key}`;
  }

  /** EVALSHA, loading the script once on NOSCRIPT (a restarted or flushed Redis). */
  private run(s: Script, keys: string[], scriptArgs: string[]): Promise<unknown> {
    const args = [this.now ? String(this.now()) : '', ...scriptArgs];
    return this.guard(async () => {
      try {
        return await this.client.evalSha(s.sha, { keys, arguments: args });
      } catch (err) {
        if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
        return await this.client.eval(s.source, { keys, arguments: args });
      }
    });
  }

  /** A process just started (its first calls racing the first connection) waits for it, briefly. */
  private async firstConnection(): Promise<void> {
    if (!this.everReady && !this.closed) await this.whenReady(FIRST_CONNECTION_WAIT_MS);
  }

  private async guard<T>(command: () => Promise<T>): Promise<T> {
    if (this.closed) throw new LimiterUnavailable('The Redis counter store is closed.');
    await this.firstConnection();
    try {
      return await command();
    } catch (err) {
      throw new LimiterUnavailable('The Redis counter store could not be reached.', { cause: err });
    }
  }
}

/** host:port of a Redis URL, for logs (the URL itself may carry a password). */
export function redisAddress(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '6379'}`;
  } catch {
    return 'redis';
  }
}
