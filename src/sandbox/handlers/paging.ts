/** `page` / `limit` paging of Kommo lists, with `_page` and `_links.self/next/first/prev`, and 204 when empty. */
import { leafValues, child } from '../query.js';
import { hal, noContent, problem, type Reply } from '../responses.js';
import type { RequestContext } from './context.js';

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 250;

export interface Paging {
  page: number;
  limit: number;
}

/** `limit` defaults to 50 and is clamped to 250; a non-numeric or < 1 `page`/`limit` is a 400. */
export function readPaging(ctx: RequestContext): Paging | Reply {
  const read = (name: string, fallback: number): number | Reply => {
    const text = leafValues(child(ctx.query, name))[0];
    if (text === undefined || text === '') return fallback;
    if (!/^\d+$/.test(text) || Number(text) < 1) return problem(400, `Invalid ${name}: it must be an integer of 1 or more`);
    return Number(text);
  };
  const page = read('page', 1);
  if (typeof page !== 'number') return page;
  const limit = read('limit', DEFAULT_LIMIT);
  if (typeof limit !== 'number') return limit;
  return { page, limit: Math.min(limit, MAX_LIMIT) };
}

export function isReply(value: Paging | Reply): value is Reply {
  return 'status' in value;
}

function pageHref(ctx: RequestContext, page: number, limit: number): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(ctx.rawQuery)) {
    if (key === 'page' || key === 'limit') continue;
    for (const v of Array.isArray(value) ? value : [value]) params.append(key, v);
  }
  params.set('limit', String(limit));
  params.set('page', String(page));
  return `${ctx.baseUrl}${ctx.path}?${params.toString()}`;
}

export interface PageOptions {
  /** Users lists also carry `_total_items` and `_page_count`. */
  totals?: boolean;
}

/** Slices `items` (already filtered and sorted) to the requested page; 204 when the page is empty. */
export function pagedReply<T>(
  ctx: RequestContext,
  paging: Paging,
  key: string,
  items: readonly T[],
  render: (item: T) => unknown,
  options: PageOptions = {},
): Reply {
  const { page, limit } = paging;
  const start = (page - 1) * limit;
  const slice = items.slice(start, start + limit);
  if (slice.length === 0) return noContent();
  const pageLinks: Record<string, { href: string }> = { self: { href: pageHref(ctx, page, limit) } };
  if (start + limit < items.length) pageLinks['next'] = { href: pageHref(ctx, page + 1, limit) };
  pageLinks['first'] = { href: pageHref(ctx, 1, limit) };
  if (page > 1) pageLinks['prev'] = { href: pageHref(ctx, page - 1, limit) };
  const totals = options.totals ? { _total_items: items.length, _page_count: Math.ceil(items.length / limit) } : {};
  return hal({ ...totals, _page: page, _links: pageLinks, _embedded: { [key]: slice.map(render) } });
}
