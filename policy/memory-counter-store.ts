/**
 * The in-memory counter store (one process), the default. It answers synchronously, so a
 * reservation is atomic without locks and the hot path allocates little.
 *
 * Keys live in three partitions, each a map capped at `maxKeys` (KOMMO_LIMITER_MAX_KEYS):
 * `fixed` counters (grant, session, global), `args` counters (one per argument value), and approval
 * markers. A partition never evicts a live entry: when a new key finds no room, the entries whose
 * window has ended are reclaimed first, and if none has, the reservation is refused (`full`) with
 * the time the first entry frees. So a flood of distinct argument values can neither grow memory
 * nor push a spent `grant` counter out (which would hand its budget back).
 */
import type { CounterClass, CounterRequest, CounterStore, HeldUnit, Hold, StoreReserveResult } from './counter-store.js';
import { LIMITER_MAX_KEYS } from '../src/defaults.js';

export const DEFAULT_LIMITER_MAX_KEYS = LIMITER_MAX_KEYS;

export interface MemoryCounterStoreOptions {
  /** Cap on the keys of each partition (KOMMO_LIMITER_MAX_KEYS). */
  maxKeys?: number;
  /** Milliseconds since the epoch; injectable for tests. */
  now?: () => number;
}

interface Slot {
  windowStart: number;
  windowMs: number;
  count: number;
}

const endOf = (slot: Slot): number => slot.windowStart + slot.windowMs;

/** Keys with a lifetime; a live key is never dropped to make room for a new one. */
class Partition {
  /** A plain map: nothing is ever evicted by recency, so an LRU's bookkeeping would buy nothing. */
  readonly slots = new Map<string, Slot>();
  /** No key ends before this (a lower bound; exact when `earliestExact`). */
  private earliestEnd = Infinity;
  private earliestExact = true;

  /** Every new key is admitted only after `hasRoom`, so the map never holds more than this. */
  constructor(readonly maxKeys: number) {}

  /** The key's slot if it belongs to the window starting at `windowStart`. */
  live(key: string, windowStart: number, windowMs: number): Slot | undefined {
    const slot = this.slots.get(key);
    return slot !== undefined && slot.windowStart === windowStart && slot.windowMs === windowMs ? slot : undefined;
  }

  /** Whether `extra` new keys fit, after reclaiming ended windows if needed. */
  hasRoom(extra: number, now: number): boolean {
    if (this.slots.size + extra <= this.maxKeys) return true;
    this.reclaim(now);
    return this.slots.size + extra <= this.maxKeys;
  }

  /** Milliseconds until the first key's window ends (when a full partition frees). */
  freesIn(now: number): number {
    if (!this.earliestExact) this.reclaim(now);
    return Math.max(1, this.earliestEnd - now);
  }

  put(key: string, slot: Slot): void {
    const previous = this.slots.get(key);
    if (previous !== undefined && endOf(previous) <= this.earliestEnd) this.earliestExact = false;
    this.slots.set(key, slot);
    this.earliestEnd = Math.min(this.earliestEnd, endOf(slot));
  }

  remove(key: string, slot: Slot): void {
    if (endOf(slot) <= this.earliestEnd) this.earliestExact = false;
    this.slots.delete(key);
  }

  /** Drops every key whose window has ended and recomputes the earliest end exactly. */
  private reclaim(now: number): void {
    if (now < this.earliestEnd && this.earliestExact) return;
    const ended: string[] = [];
    let earliest = Infinity;
    for (const [key, slot] of this.slots.entries()) {
      const end = endOf(slot);
      if (end <= now) ended.push(key);
      else if (end < earliest) earliest = end;
    }
    for (const key of ended) this.slots.delete(key);
    this.earliestEnd = earliest;
    this.earliestExact = true;
  }
}

export class MemoryCounterStore implements CounterStore {
  readonly kind = 'memory' as const;
  readonly now: () => number;
  private readonly fixed: Partition;
  private readonly args: Partition;
  private readonly markers: Partition;
  /** `reserve`'s slot per request, reused: it runs to the end without yielding, so no two calls share it. */
  private readonly found: Array<Slot | undefined> = [];

  constructor(options: MemoryCounterStoreOptions = {}) {
    const maxKeys = options.maxKeys ?? DEFAULT_LIMITER_MAX_KEYS;
    if (!Number.isInteger(maxKeys) || maxKeys < 1) throw new RangeError('maxKeys must be a whole number of at least 1');
    this.now = options.now ?? Date.now;
    this.fixed = new Partition(maxKeys);
    this.args = new Partition(maxKeys);
    this.markers = new Partition(maxKeys);
  }

  reserve(requests: readonly CounterRequest[]): StoreReserveResult {
    const now = this.now();
    const units: HeldUnit[] = new Array<HeldUnit>(requests.length);
    const found = this.found;
    let newFixed = 0;
    let newArgs = 0;
    let refusal: { index: number; reason: 'spent' | 'full'; used: number; retryAfterMs: number } | undefined;
    for (let i = 0; i < requests.length; i++) {
      const request = requests[i]!;
      const windowStart = windowStartOf(now, request.windowMs);
      const partition = this.partition(request.class);
      const slot = partition.live(request.key, windowStart, request.windowMs);
      const used = slot?.count ?? 0;
      if (used + 1 > request.max) {
        const retryAfterMs = windowStart + request.windowMs - now;
        if (!refusal || retryAfterMs > refusal.retryAfterMs) refusal = { index: i, reason: 'spent', used, retryAfterMs };
      } else if (slot === undefined && !partition.slots.has(request.key)) {
        if (request.class === 'args') newArgs++;
        else newFixed++;
      }
      found[i] = slot;
      units[i] = { key: request.key, class: request.class, windowStart, windowMs: request.windowMs };
    }
    if (!refusal && (newFixed > 0 || newArgs > 0)) refusal = this.roomRefusal(requests, newFixed, newArgs, now);
    if (refusal) return { ok: false, ...refusal };
    for (let i = 0; i < requests.length; i++) {
      const slot = found[i];
      if (slot) slot.count += 1;
      else this.partition(units[i]!.class).put(units[i]!.key, { windowStart: units[i]!.windowStart, windowMs: units[i]!.windowMs, count: 1 });
    }
    return { ok: true, hold: { units } };
  }

  commit(_hold: Hold): void {
    // Units are taken at reserve; committing only means not giving them back.
  }

  rollback(hold: Hold): void {
    for (const unit of hold.units) {
      const partition = this.partition(unit.class);
      const slot = partition.slots.get(unit.key);
      if (slot === undefined || slot.windowStart !== unit.windowStart || slot.windowMs !== unit.windowMs || slot.count <= 0) continue;
      slot.count -= 1;
      // A refused or refunded call leaves no key behind (nor takes room from a new one).
      if (slot.count === 0) partition.remove(unit.key, slot);
    }
  }

  used(request: CounterRequest): number {
    const now = this.now();
    return this.partition(request.class).live(request.key, windowStartOf(now, request.windowMs), request.windowMs)?.count ?? 0;
  }

  claimOnce(marker: string, ttlMs: number): boolean {
    const now = this.now();
    const held = this.markers.slots.get(marker);
    if (held !== undefined && endOf(held) > now) return false;
    // Full of live markers: refuse the claim rather than forget a live one (which would allow a replay).
    if (held === undefined && !this.markers.hasRoom(1, now)) return false;
    this.markers.put(marker, { windowStart: now, windowMs: Math.max(1, ttlMs), count: 1 });
    return true;
  }

  close(): void {
    this.fixed.slots.clear();
    this.args.slots.clear();
    this.markers.slots.clear();
  }

  /** Keys held per partition (each at most maxKeys). */
  get size(): { fixed: number; args: number; markers: number } {
    return { fixed: this.fixed.slots.size, args: this.args.slots.size, markers: this.markers.slots.size };
  }

  private partition(kind: CounterClass): Partition {
    return kind === 'args' ? this.args : this.fixed;
  }

  private roomRefusal(requests: readonly CounterRequest[], newFixed: number, newArgs: number, now: number) {
    for (const [kind, count, partition] of [
      ['fixed', newFixed, this.fixed],
      ['args', newArgs, this.args],
    ] as const) {
      if (count === 0 || partition.hasRoom(count, now)) continue;
      const index = requests.findIndex((r) => r.class === kind && !partition.slots.has(r.key));
      return { index, reason: 'full' as const, used: 0, retryAfterMs: partition.freesIn(now) };
    }
    return undefined;
  }
}

/** Fixed windows aligned to UTC: every multiple of `windowMs` since the epoch starts one. */
export function windowStartOf(now: number, windowMs: number): number {
  return Math.floor(now / windowMs) * windowMs;
}
