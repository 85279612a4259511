/**
 * The shape every list tool answers with, so an agent pages through any list the same way:
 * `{ <items>, page, limit, count, has_more, next_page? }`.
 */
import type { KommoClient } from '../src/kommo/client.js';
import type { Query } from '../src/kommo/query.js';

export const DEFAULT_LIMIT = 50;

export interface ListRequest {
  path: string;
  /** Key under `_embedded` in Kommo's answer, reused as the key of the result. */
  key: string;
  limit?: number | undefined;
  page?: number | undefined;
  query?: Query;
  signal: AbortSignal;
  /** Turns each Kommo item into the shape the tool answers with (e.g. the compact record shape). */
  shape?: (item: unknown) => unknown;
}

export async function listPage(kommo: KommoClient, req: ListRequest): Promise<Record<string, unknown>> {
  const limit = req.limit ?? DEFAULT_LIMIT;
  const page = req.page ?? 1;
  const result = await kommo.listPage<unknown>(req.path, req.key, {
    query: { ...req.query, limit, page },
    signal: req.signal,
  });
  return {
    [req.key]: req.shape ? result.items.map(req.shape) : result.items,
    page,
    limit,
    count: result.items.length,
    has_more: result.hasNext,
    ...(result.hasNext && { next_page: page + 1 }),
  };
}
