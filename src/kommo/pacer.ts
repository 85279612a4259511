/**
 * One outgoing pace for the whole process: callers wait in one FIFO queue and are let through one at a
 * time, a little over 1000 / rps ms apart, so concurrent tools never burst past Kommo's 7 requests/second.
 * Spacing is measured from the moment a caller was actually let through, so a late timer can only
 * widen a gap, never narrow one. A caller that gives up (abort) leaves the queue without using a slot.
 * The clock and sleep are injectable so tests need no wall-clock waits.
 */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const realSleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** Monotonic milliseconds: a wall-clock step (NTP, DST on a bad host) must not open or stall the pace. */
const monotonicNow = (): number => performance.now();

/** Spacing slack over the exact 1000 / rps (1.5%: 7 rps → 145 ms apart, 6.9 per second). */
const INTERVAL_MARGIN = 1.015;

interface Waiter {
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

export class Pacer {
  readonly intervalMs: number;
  /** Earliest time the next caller may be let through. */
  private nextAt = -Infinity;
  /** Set after Kommo answered 429: nobody goes until then. */
  private pausedUntil = -Infinity;
  private readonly queue: Waiter[] = [];
  private pumping = false;

  constructor(
    readonly rps: number,
    private readonly now: () => number = monotonicNow,
    private readonly sleep: Sleep = realSleep,
  ) {
    if (!(rps > 0) || !Number.isFinite(rps)) throw new RangeError('rps must be a positive finite number');
    // A hair over 1000 / rps: 7 × (1000 / 7) adds up to 999.99… in floating point, and arrival
    // jitter at Kommo can close a gap a little; either would let rps + 1 requests land in one second.
    this.intervalMs = (1000 / rps) * INTERVAL_MARGIN;
  }

  /** Callers waiting for their turn. */
  get waiting(): number {
    return this.queue.length;
  }

  /**
   * Resolves when the caller may send its request; callers go in call order. Rejects with the
   * signal's reason if it is aborted first (the caller then uses no slot).
   */
  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.queue.length === 0 && this.now() >= this.gate()) {
      this.nextAt = this.now() + this.intervalMs;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject };
      if (signal) {
        waiter.signal = signal;
        waiter.onAbort = () => {
          const i = this.queue.indexOf(waiter);
          if (i >= 0) this.queue.splice(i, 1);
          reject(signal.reason);
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.queue.push(waiter);
      void this.pump();
    });
  }

  /**
   * Holds everyone back for `ms` (after a 429: Kommo counts the whole account, so one caller's
   * rejection means the others would be rejected too).
   */
  pauseFor(ms: number): void {
    if (!(ms > 0)) return;
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + ms);
  }

  private gate(): number {
    return Math.max(this.nextAt, this.pausedUntil);
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0) {
        const wait = this.gate() - this.now();
        if (wait > 0) {
          // Re-check after every sleep: timers round, the head may have left, a pause may have grown.
          await this.sleep(wait);
          continue;
        }
        const waiter = this.queue.shift()!;
        if (waiter.signal && waiter.onAbort) waiter.signal.removeEventListener('abort', waiter.onAbort);
        this.nextAt = this.now() + this.intervalMs;
        waiter.resolve();
      }
    } catch (err) {
      // Only an injected sleep can fail here; fail the waiters rather than leave them hanging.
      for (const waiter of this.queue.splice(0)) waiter.reject(err);
    } finally {
      this.pumping = false;
    }
  }
}
