/**
 * Concurrent callers asking for the same work (the same period's leads, the same cache refresh)
 * share one run. A caller that cancels stops waiting at once; if the shared run itself was ended
 * by another caller's cancellation, a caller still interested starts it again under its own signal.
 */
import { Cancelled } from '../errors.js';
import { isCancellation } from './context.js';

export class SharedWork<T> {
  private readonly inflight = new Map<string, Promise<T>>();

  async run(key: string, signal: AbortSignal, start: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      let pending = this.inflight.get(key);
      if (!pending) {
        const created: Promise<T> = start().finally(() => {
          if (this.inflight.get(key) === created) this.inflight.delete(key);
        });
        pending = created;
        this.inflight.set(key, pending);
      }
      try {
        return await untilAborted(pending, signal);
      } catch (err) {
        if (signal.aborted || attempt > 0 || !isCancellation(err)) throw err;
      }
    }
  }
}

/** Waits for a shared promise, but gives up as soon as this caller's signal aborts. */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Cancelled());
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new Cancelled());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
