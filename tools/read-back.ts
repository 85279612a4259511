/**
 * Kommo answers writes with ids only. After a write has succeeded we read the record back so the
 * agent sees what was stored; if that read fails, the write still stands and is reported as done
 * (an error here would invite the agent to repeat a write that already happened).
 */
import type { KommoApi } from '../src/kommo/api.js';
import { compactRecord, lookUpEmbeddedNames } from '../src/kommo/compact.js';
import type { Logger } from '../src/log.js';

export async function readBack<T>(read: () => Promise<T>, log: Logger, record: string): Promise<T | null> {
  try {
    return await read();
  } catch (err) {
    log.warn('read-back after write failed', { record, error: err instanceof Error ? err.name : 'unknown' });
    return null;
  }
}

/**
 * A lead after a write, in the same compact shape (contacts included) as get_leads and get_lead.
 * When only the names of its contacts and companies cannot be read, they are left out (`[id]`).
 */
export async function readBackLead(kommo: KommoApi, id: number, opts: { signal: AbortSignal; log: Logger }): Promise<Record<string, unknown> | null> {
  const lead = await readBack(() => kommo.leads.get(id, { signal: opts.signal, with: 'contacts' }), opts.log, `lead ${id}`);
  if (lead === null) return null;
  const names = await readBack(() => lookUpEmbeddedNames(kommo, [lead], { signal: opts.signal }), opts.log, `names embedded in lead ${id}`);
  return compactRecord(lead, names ?? undefined);
}
