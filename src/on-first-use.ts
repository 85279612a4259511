/**
 * What start-up leaves for later: code and state that only some calls need. The report and ask_kommo
 * code (src/reports/) is imported by the call that first needs it, so a start that only lists tools
 * never reads it (the bundle keeps it in chunks of its own, see build/bundle.ts). This module is on
 * the start-up path: it imports report code only dynamically, and report types only as types.
 */
import { CodeUnavailable } from './errors.js';
import type { KommoApi } from './kommo/api.js';
import type { ReferenceData } from './kommo/reference.js';
import type { Logger } from './log.js';
import type { ReportServices, ReportServicesOptions } from './reports/services.js';

/** The process's report services, created on first use. */
export type ReportsOnFirstUse = () => Promise<ReportServices>;

/**
 * Loads code on first use (`load` is a dynamic `import()`). A load that fails (a chunk missing from a
 * damaged installation) is logged once with its cause and becomes a `CodeUnavailable` tool error, so
 * the call gets the usual JSON error and the server goes on.
 */
export async function loadCode<T>(part: string, log: Logger, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    log.error('code failed to load', {
      part,
      error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
      ...(typeof code === 'string' && { code }),
    });
    throw new CodeUnavailable(part);
  }
}

/**
 * One value, made on first use: calls that arrive while it is being made wait for the same one. A
 * make that fails is not kept, so the next use tries again.
 */
export function onFirstUse<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => {
    if (made) return made;
    const attempt = make();
    made = attempt;
    attempt.catch(() => {
      if (made === attempt) made = undefined;
    });
    return attempt;
  };
}

/**
 * The report services (period cache, incremental copies of leads and tasks) of one process: created
 * by the first report call, then shared by every session, so their caches are shared as before.
 */
export function reportsOnFirstUse(kommo: KommoApi, reference: ReferenceData, log: Logger, options: ReportServicesOptions = {}): ReportsOnFirstUse {
  return onFirstUse(async () => {
    const { ReportServices } = await loadCode('report', log, () => import('./reports/services.js'));
    return new ReportServices(kommo, reference, options);
  });
}
