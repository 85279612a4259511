/**
 * One outgoing pace for the whole process: calls are given evenly spaced start slots
 * (1000 / rps ms apart), queued in arrival order, so concurrent tools never burst past Kommo's
 * 7 requests/second. The clock and sleep are injectable so tests need no wall-clock waits.
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

export class Pacer {
  private readonly intervalMs: number;
  private nextSlot = 0;

  constructor(
    readonly rps: number,
    private readonly now: () => number = Date.now,
    private readonly sleep: Sleep = realSleep,
  ) {
    if (!(rps > 0)) throw new RangeError('rps must be positive');
    this.intervalMs = 1000 / rps;
  }

  /** Resolves when the caller may send its request; slots are taken in call order. */
  async acquire(signal?: AbortSignal): Promise<void> {
    const now = this.now();
    const slot = Math.max(now, this.nextSlot);
    this.nextSlot = slot + this.intervalMs;
    if (slot > now) await this.sleep(slot - now, signal);
  }
}
