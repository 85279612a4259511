/**
 * Which Kommo requests a tool call made. The Kommo client reports every HTTP attempt through its
 * `onAttempt` hook; `kommoAttempts.observe` files it under the call running in the current async
 * context. The middleware reads the list to decide commit or roll back (did Kommo take the call?)
 * and to write the Kommo status in the audit line.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface KommoAttempt {
  method: string;
  path: string;
  status: number;
  durationMs: number;
}

export class AttemptTracker {
  private readonly storage = new AsyncLocalStorage<KommoAttempt[]>();

  /** Pass as the Kommo client's `onAttempt`. */
  readonly observe = (attempt: KommoAttempt): void => {
    this.storage.getStore()?.push(attempt);
  };

  /** Runs `fn`, collecting the attempts it makes into `into`. */
  run<T>(into: KommoAttempt[], fn: () => Promise<T>): Promise<T> {
    return this.storage.run(into, fn);
  }
}

/** One per process, shared by the Kommo client(s) and the middleware. */
export const kommoAttempts = new AttemptTracker();

/** Kommo answered and did not refuse for load: the call took effect (or was judged) upstream. */
export function reachedKommo(attempts: readonly KommoAttempt[]): boolean {
  return attempts.some((a) => a.status !== 0 && a.status !== 429 && a.status < 500);
}
