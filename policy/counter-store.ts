/**
 * Where rate-limit counters and single-use markers live. The limiter decides *which* counters a call
 * needs (from the policy); a store only keeps counts. Two stores implement this contract: memory
 * (the default, one process) and Redis (several replicas share one budget). One conformance suite
 * runs against both.
 *
 * Windows are fixed and aligned to UTC: a window of `windowMs` starts at every multiple of
 * `windowMs` since the epoch, and the store's own clock decides which window "now" is (the memory
 * store an injected clock, the Redis store Redis `TIME`, never the replicas' clocks).
 *
 * Methods may answer synchronously (the memory store, on the hot path) or with a promise (Redis).
 * A store that cannot be reached throws `LimiterUnavailable`; it never answers "allowed" by guess.
 */

export type MaybePromise<T> = T | Promise<T>;

/**
 * `fixed`: grant, session and global counters: a handful per client, never evicted while their
 * window lives. `args`: per-argument-value counters (`scope: "args.<path>"`): their number depends on
 * what the agent sends, so it is capped; when the cap is reached a call that needs a *new* key is
 * refused (`reason: "full"`) instead of evicting a live counter.
 */
export type CounterClass = 'fixed' | 'args';

export interface CounterRequest {
  /** Counter name + scope key: unique per counter and scope value. */
  key: string;
  class: CounterClass;
  windowMs: number;
  max: number;
}

/** One unit taken in one window of one counter; `windowStart` is the window id. */
export interface HeldUnit {
  key: string;
  class: CounterClass;
  /** Start of the window the unit was taken in (ms since the epoch). */
  windowStart: number;
  windowMs: number;
}

/** What a successful reservation holds, to commit or roll back later. */
export interface Hold {
  readonly units: readonly HeldUnit[];
}

export interface StoreRefusal {
  /** Index, in the request list, of the counter that refused (the one whose wait is longest). */
  index: number;
  /** `spent`: the counter's window is used up. `full`: no room for a new per-argument key. */
  reason: 'spent' | 'full';
  /** Units used in the refusing counter's current window (0 for `full`). */
  used: number;
  /** Until the refusing window ends (`spent`), or until a per-argument key frees (`full`). */
  retryAfterMs: number;
}

export type StoreReserveResult = { ok: true; hold: Hold } | ({ ok: false } & StoreRefusal);

export interface CounterStore {
  /** Which store this is, for logs and benchmarks. */
  readonly kind: 'memory' | 'redis';
  /**
   * Takes one unit of every requested counter in its current window, all or nothing: if any one is
   * spent (or a new per-argument key finds no room), nothing is taken and nothing is created.
   */
  reserve(requests: readonly CounterRequest[]): MaybePromise<StoreReserveResult>;
  /** The call counts: the units stay taken. */
  commit(hold: Hold): MaybePromise<void>;
  /**
   * Gives each unit back if its window is still the one it was taken in (after the window rolled
   * over, a rollback is a no-op). A key whose count returns to zero is deleted, so a refused or
   * refunded call leaves no trace.
   */
  rollback(hold: Hold): MaybePromise<void>;
  /** Units used in the request's current window (for messages and `policy check`). */
  used(request: CounterRequest): MaybePromise<number>;
  /**
   * True exactly once per marker until `ttlMs` has passed, false on every later claim: the
   * single-use mark of an approval state, shared by every replica that shares the store.
   */
  claimOnce(marker: string, ttlMs: number): MaybePromise<boolean>;
  close(): MaybePromise<void>;
}

/** The counter store cannot be reached: calls that need a counter are refused (fail closed). */
export class LimiterUnavailable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LimiterUnavailable';
  }
}
