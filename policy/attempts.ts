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
  /** HTTP status, 0 when no answer came. */
  status: number;
  durationMs: number;
  /** False only when the request provably never left (refused connection, unknown host, cancelled before sending). */
  sent: boolean;
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

const isWrite = (a: KommoAttempt): boolean => a.method !== 'GET';

/** A write request left and Kommo did not turn it away for load: Kommo may have acted on it. */
export function writeMayHaveActed(attempts: readonly KommoAttempt[]): boolean {
  return attempts.some((a) => isWrite(a) && a.sent && a.status !== 429);
}

/** A write request left and its answer was lost (none came, or a 5xx): nobody knows whether it was applied. */
export function writeOutcomeUnknown(attempts: readonly KommoAttempt[]): boolean {
  return attempts.some((a) => isWrite(a) && a.sent && (a.status === 0 || a.status >= 500));
}
