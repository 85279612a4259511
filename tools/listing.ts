/**
 * The shape every list tool answers with, so an agent pages through any list the same way:
 * `{ <items>, page, limit, count, has_more, next_page? }`.
 */
import type { Page } from '../src/kommo/api.js';
import type { Query } from '../src/kommo/query.js';

export const DEFAULT_LIMIT = 50;

export interface ListRequest {
  /** The key of the items in the result, e.g. "leads". */
  key: string;
  limit?: number | undefined;
  page?: number | undefined;
  /** Filters of the list, without paging (added here). */
  query?: Query;
  /** Reads one page of the list with the query given (filters plus `limit` and `page`). */
  read: (query: Query) => Promise<Page<unknown>>;
  /** Turns the page's Kommo items into the shape the tool answers with (e.g. the compact record shape). */
  shape?: (items: unknown[]) => Promise<unknown[]>;
}

export async function listPage(req: ListRequest): Promise<Record<string, unknown>> {
  const limit = req.limit ?? DEFAULT_LIMIT;
  const page = req.page ?? 1;
  const result = await req.read({ ...req.query, limit, page });
  return {
    [req.key]: req.shape ? await req.shape(result.items) : result.items,
    page,
    limit,
    count: result.items.length,
    has_more: result.hasNext,
    ...(result.hasNext && { next_page: page + 1 }),
  };
}
