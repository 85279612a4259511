/**
 * Rate limits over a counter store (policy/counter-store.ts): fixed windows aligned to UTC, at most
 * exactly `max` calls per window per counter and scope key. The limiter turns the policy's limit
 * requests into store reservations and the store's refusals into what the middleware tells the agent.
 *
 * A call reserves every counter that applies to it at once, all or nothing. After the call the
 * reservation is committed, or rolled back when Kommo provably did not act (see `shouldRollback` in
 * policy/middleware.ts). Counter names are global to the process, so a counter named in several
 * tools is one shared budget, and the state outlives any policy reload.
 *
 * With the memory store every method answers synchronously (no promise on the hot path); with a
 * remote store (Redis) they answer with promises. A store that cannot be reached throws
 * `LimiterUnavailable`.
 */
import type { CounterStore, Hold, MaybePromise, StoreReserveResult } from './counter-store.js';
import type { LimitRequest } from './evaluate.js';
import { DEFAULT_LIMITER_MAX_KEYS, MemoryCounterStore } from './memory-counter-store.js';

export { DEFAULT_LIMITER_MAX_KEYS };

export interface Reservation {
  readonly hold: Hold;
  settled: boolean;
}

export interface Refusal {
  request: LimitRequest;
  /** `spent`: the counter's window is used up. `full`: the limiter has no room for a new key. */
  reason: 'spent' | 'full';
  /** Until the refusing window ends, or until a key frees (`full`). */
  retryAfterMs: number;
  remaining: number;
}

export type ReserveResult = { ok: true; reservation: Reservation } | { ok: false; refusal: Refusal };

export interface LimiterOptions {
  /** Where counters live; default a `MemoryCounterStore` with `maxKeys` and `now`. */
  store?: CounterStore;
  /** Cap on counter keys held in memory (KOMMO_LIMITER_MAX_KEYS), for the default store. */
  maxKeys?: number;
  /** Wall clock for the default store and for audit times. */
  now?: () => number;
}

const NOTHING_HELD: Hold = { units: [] };

export class Limiter {
  readonly store: CounterStore;
  readonly now: () => number;

  constructor(options: LimiterOptions = {}) {
    this.now = options.now ?? Date.now;
    this.store = options.store ?? new MemoryCounterStore({ ...(options.maxKeys !== undefined && { maxKeys: options.maxKeys }), now: this.now });
  }

  /** Takes one unit of every request's counter, or none of them. */
  reserve(requests: readonly LimitRequest[]): MaybePromise<ReserveResult> {
    if (requests.length === 0) return { ok: true, reservation: { hold: NOTHING_HELD, settled: false } };
    const answer = this.store.reserve(requests);
    return answer instanceof Promise ? answer.then((a) => toResult(requests, a)) : toResult(requests, answer);
  }

  /** The call counts: the reservation stands. Settling twice does nothing. */
  commit(reservation: Reservation): MaybePromise<void> {
    if (reservation.settled) return;
    reservation.settled = true;
    return this.store.commit(reservation.hold);
  }

  /** Kommo provably did not act: give each unit back, unless its window has already ended. */
  rollback(reservation: Reservation): MaybePromise<void> {
    if (reservation.settled) return;
    reservation.settled = true;
    return this.store.rollback(reservation.hold);
  }

  /** Calls left in the current window for a request (for messages and `policy check`). */
  remaining(request: LimitRequest): MaybePromise<number> {
    const used = this.store.used(request);
    return used instanceof Promise ? used.then((u) => Math.max(0, request.max - u)) : Math.max(0, request.max - used);
  }
}

function toResult(requests: readonly LimitRequest[], answer: StoreReserveResult): ReserveResult {
  if (answer.ok) return { ok: true, reservation: { hold: answer.hold, settled: false } };
  const request = requests[answer.index]!;
  return {
    ok: false,
    refusal: { request, reason: answer.reason, retryAfterMs: answer.retryAfterMs, remaining: Math.max(0, request.max - answer.used) },
  };
}
