/**
 * Counting a Kommo list without reading it. Kommo returns no totals for leads or tasks, but its paging
 * tells enough: at 250 a page, page p answers 204 when the list has at most (p - 1) × 250 items,
 * a full page with a `next` link when it has more than p × 250, and otherwise the last page, whose
 * length gives the exact count. So a count is a search for the last page: doubling until the end
 * is passed, then halving — about 2 × log2(pages) requests, and a single one for lists of up to 250.
 *
 * The same search on a list sorted by a field finds how many items lie below a threshold (e.g.
 * open tasks whose deadline has passed), a page at a time.
 */
import type { Call, Page } from '../kommo/api.js';
import type { Query } from '../kommo/query.js';
import { throwIfCancelled } from './context.js';

export const PAGE = 250;

export interface CountRequest {
  /** One page of the list (e.g. `api.leads.list`). */
  list: (query: Query, call: Call) => Promise<Page<unknown>>;
  query: Query;
  signal: AbortSignal;
  /** Known upper bound (e.g. the count of a wider filter): the search starts from it, not by doubling. */
  atMost?: number;
  /** Called after every request (progress, accounting). */
  onRequest?: () => Promise<void> | void;
}

/** Where a probed page sits against the position searched for. */
type Verdict = { found: number } | 'before' | 'after';

/**
 * Finds the position by probing pages: `judge` says whether page p is before it (everything on p
 * counts and more follows), after it (nothing on p counts), or holds it (the exact figure).
 */
async function searchPages(req: CountRequest, judge: (page: number, items: unknown[], hasNext: boolean) => Verdict): Promise<number> {
  const probe = async (page: number): Promise<Verdict> => {
    throwIfCancelled(req.signal);
    const result = await req.list({ ...req.query, limit: PAGE, page }, { signal: req.signal });
    await req.onRequest?.();
    return judge(page, result.items, result.hasNext);
  };
  // lo: a page known to be before the position (0 = none yet); hi: a page known to be after it.
  let lo = 0;
  let hi: number | undefined;
  const first = await probe(1);
  if (typeof first === 'object') return first.found;
  if (first === 'after') return 0;
  lo = 1;
  if (req.atMost !== undefined) hi = Math.max(2, Math.ceil(req.atMost / PAGE) + 1);
  while (hi === undefined) {
    const page = lo * 2;
    const verdict = await probe(page);
    if (typeof verdict === 'object') return verdict.found;
    if (verdict === 'before') lo = page;
    else hi = page;
  }
  while (hi - lo > 1) {
    const page = Math.floor((lo + hi) / 2);
    const verdict = await probe(page);
    if (typeof verdict === 'object') return verdict.found;
    if (verdict === 'before') lo = page;
    else hi = page;
  }
  // No page holds it: the position falls exactly at the end of page lo.
  return lo * PAGE;
}

/** The number of items the filtered list holds. */
export function countList(req: CountRequest): Promise<number> {
  return searchPages(req, (page, items, hasNext) => {
    if (items.length === 0) return 'after';
    if (hasNext) return 'before';
    return { found: (page - 1) * PAGE + items.length };
  });
}

/**
 * How many items of a list sorted ascending by `field` have `field` below `threshold` (`order[field]=asc`
 * must be in the query).
 */
export function countBelow(req: CountRequest, field: string, threshold: number): Promise<number> {
  return searchPages(req, (page, items, hasNext) => {
    if (items.length === 0) return 'after';
    const values = items.map((item) => Number((item as Record<string, unknown>)[field]));
    const below = values.filter((v) => v < threshold).length;
    if (below === 0) return page === 1 ? { found: 0 } : 'after';
    if (below === items.length && hasNext) return 'before';
    return { found: (page - 1) * PAGE + below };
  });
}
