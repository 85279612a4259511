/**
 * In-memory rate limits: fixed windows aligned to UTC (a "minute" window runs from :00.000 to
 * :59.999 of each UTC minute; a 90-second window from each multiple of 90 s since the epoch), at most
 * exactly `max` calls per window per counter and scope key.
 *
 * A call reserves every counter that applies to it at once, all or nothing: if any one is spent,
 * nothing is taken and the call is refused (refused calls cost nothing). After the call the
 * reservation is committed, or rolled back when the call never reached Kommo. Counter names are
 * global to the process, so a counter named in several tools is one shared budget, and the state
 * outlives any policy reload.
 *
 * State lives in an LRU cache with a fixed number of keys, so memory stays bounded whatever the
 * number of sessions or argument values; when it is full the least recently used key is forgotten
 * (that key then starts a fresh window). The clock is injected.
 */
import { LRUCache } from 'lru-cache';
import type { LimitRequest } from './evaluate.js';

interface Slot {
  windowStart: number;
  windowMs: number;
  count: number;
}

export interface Reservation {
  readonly slots: ReadonlyArray<{ key: string; windowStart: number; windowMs: number }>;
  settled: boolean;
}

export interface Refusal {
  request: LimitRequest;
  /** Until the refusing windows end (the longest one when several are spent). */
  retryAfterMs: number;
  remaining: number;
}

export type ReserveResult = { ok: true; reservation: Reservation } | { ok: false; refusal: Refusal };

export interface LimiterOptions {
  /** Cap on counter keys held in memory (KOMMO_LIMITER_MAX_KEYS). */
  maxKeys?: number;
  now?: () => number;
}

export const DEFAULT_LIMITER_MAX_KEYS = 100_000;

export class Limiter {
  private readonly slots: LRUCache<string, Slot>;
  readonly now: () => number;

  constructor(options: LimiterOptions = {}) {
    this.slots = new LRUCache<string, Slot>({ max: options.maxKeys ?? DEFAULT_LIMITER_MAX_KEYS });
    this.now = options.now ?? Date.now;
  }

  /** Takes one unit of every request's counter, or none of them. Synchronous, hence atomic. */
  reserve(requests: readonly LimitRequest[]): ReserveResult {
    if (requests.length === 0) return { ok: true, reservation: { slots: [], settled: false } };
    const now = this.now();
    let refusal: Refusal | undefined;
    const planned: Array<{ key: string; windowStart: number; windowMs: number; count: number }> = [];
    for (const request of requests) {
      const { windowMs, max } = request.limit;
      const windowStart = Math.floor(now / windowMs) * windowMs;
      const used = this.used(request.key, windowStart, windowMs);
      if (used + 1 > max) {
        const retryAfterMs = windowStart + windowMs - now;
        if (!refusal || retryAfterMs > refusal.retryAfterMs) refusal = { request, retryAfterMs, remaining: Math.max(0, max - used) };
        continue;
      }
      planned.push({ key: request.key, windowStart, windowMs, count: used + 1 });
    }
    if (refusal) return { ok: false, refusal };
    for (const p of planned) this.slots.set(p.key, { windowStart: p.windowStart, windowMs: p.windowMs, count: p.count });
    return { ok: true, reservation: { slots: planned.map(({ key, windowStart, windowMs }) => ({ key, windowStart, windowMs })), settled: false } };
  }

  /** The call reached Kommo: the reservation stands. */
  commit(reservation: Reservation): void {
    reservation.settled = true;
  }

  /** The call never reached Kommo: give each unit back, unless its window has already ended. */
  rollback(reservation: Reservation): void {
    if (reservation.settled) return;
    reservation.settled = true;
    for (const { key, windowStart, windowMs } of reservation.slots) {
      const slot = this.slots.peek(key);
      if (slot && slot.windowStart === windowStart && slot.windowMs === windowMs && slot.count > 0) slot.count -= 1;
    }
  }

  /** Calls left in the current window for a request (for messages and `policy check`). */
  remaining(request: LimitRequest): number {
    const { windowMs, max } = request.limit;
    const windowStart = Math.floor(this.now() / windowMs) * windowMs;
    return Math.max(0, max - this.used(request.key, windowStart, windowMs));
  }

  /** Keys currently held (bounded by maxKeys). */
  get size(): number {
    return this.slots.size;
  }

  private used(key: string, windowStart: number, windowMs: number): number {
    const slot = this.slots.get(key);
    return slot && slot.windowStart === windowStart && slot.windowMs === windowMs ? slot.count : 0;
  }
}
