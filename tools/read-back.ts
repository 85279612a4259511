/**
 * Kommo answers writes with ids only. After a write has succeeded we read the record back so the
 * agent sees what was stored; if that read fails, the write still stands and is reported as done
 * (an error here would invite the agent to repeat a write that already happened).
 */
import type { KommoClient } from '../src/kommo/client.js';
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
