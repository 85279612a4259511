/**
 * What report code needs from the tool call it runs in: the cancellation signal, the clock, the
 * progress channel and the logger. A structural subset of the tools' `ToolContext`, so `src/` does not
 * depend on `tools/`.
 */
import { Cancelled } from '../errors.js';
import type { Logger } from '../log.js';

export interface ReportCall {
  signal: AbortSignal;
  now: () => number;
  progress: (progress: number, total?: number, message?: string) => Promise<void>;
  log: Logger;
  /** Refuses when the policy keeps any of these tools (and so their data) from this caller. */
  mayShowDataOf: (tools: readonly string[]) => void;
}

/**
 * Counts the Kommo pages a call has fetched and reports each one as an MCP progress notification
 * (progress only ever grows; the total is unknown because Kommo does not count list results).
 */
export class PageProgress {
  private pages = 0;

  constructor(private readonly call: ReportCall) {}

  get count(): number {
    return this.pages;
  }

  async page(message: string): Promise<void> {
    this.pages += 1;
    try {
      await this.call.progress(this.pages, undefined, message);
    } catch {
      // A lost progress notification must not fail the report.
    }
  }
}

/** Stops work as soon as the client cancels, between pages as well as inside requests. */
export function throwIfCancelled(signal: AbortSignal): void {
  if (signal.aborted) throw new Cancelled();
}

/** A cancellation, however it surfaced: our check, the Kommo client's, or the pacer's AbortError. */
export function isCancellation(err: unknown): boolean {
  return err instanceof Cancelled || (err instanceof Error && err.name === 'AbortError');
}
