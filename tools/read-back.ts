/**
 * Kommo answers writes with ids only. After a write has succeeded we read the record back so the
 * agent sees what was stored; if that read fails, the write still stands and is reported as done
 * (an error here would invite the agent to repeat a write that already happened).
 */
import type { KommoClient } from '../src/kommo/client.js';
import { compactRecord } from '../src/kommo/compact.js';
import type { Query } from '../src/kommo/query.js';
import type { Logger } from '../src/log.js';

export async function readBack<T>(
  kommo: KommoClient,
  path: string,
  opts: { signal: AbortSignal; log: Logger; query?: Query },
): Promise<T | null> {
  try {
    return await kommo.getOne<T>(path, { signal: opts.signal, query: opts.query });
  } catch (err) {
    opts.log.warn('read-back after write failed', { path, error: err instanceof Error ? err.name : 'unknown' });
    return null;
  }
}

/** A lead after a write, in the same compact shape (contacts included) as get_leads and get_lead. */
export async function readBackLead(
  kommo: KommoClient,
  id: number,
  opts: { signal: AbortSignal; log: Logger },
): Promise<Record<string, unknown> | null> {
  const lead = await readBack<unknown>(kommo, `/api/v4/leads/${id}`, { ...opts, query: { with: 'contacts' } });
  return lead === null ? null : compactRecord(lead);
}
