/**
 * Counting a Kommo list without reading it. Kommo returns no totals for leads or tasks, but its paging
 * tells enough: at 250 a page, page p answers 204 when the list has at most (p - 1) × 250 items,
 * a full page with a `next` link when it has more than p × 250, and otherwise the last page, whose
 * length gives the exact count. So a count is a search for the last page. Blind, it doubles until
 * the end is passed, then halves: about 2 × log2(pages) requests, and one for lists of up to 250.
 *
 * A list sorted by a field that grows along it (leads by `created_at`, tasks by `complete_till`)
 * says more: each page read shows where the values stand and how fast they rise there, so the next
 * probe goes where the end (or a threshold) should lie — Newton's step on the values, refined by
 * fitting a power of the position through the last two pages' slopes, since accounts grow at a
 * changing pace. On 100,000 leads that finds the last page in about 5 requests instead of 14. Only
 * the choice of pages is guessed: every figure still comes from the page that holds it. After
 * `MAX_GUIDED` guesses, all short of the end, the search steps out from the furthest page read by
 * 1, 2, 4… pages, then halves; a guess past a page known to be after (or values that say nothing)
 * gives way to halving or doubling. So an odd list costs about `MAX_GUIDED` requests more than a
 * blind search, at most.
 *
 * The same search on a sorted list finds how many items lie below a threshold (e.g. open tasks
 * whose deadline has passed).
 */
import type { Call, Page } from '../kommo/api.js';
import type { Query } from '../kommo/query.js';
import { throwIfCancelled } from './context.js';

export const PAGE = 250;
/** Probes placed from the values before the search goes blind. */
export const MAX_GUIDED = 6;
/** A guided probe reaches at most this many times further than the furthest page read. */
const MAX_REACH = 64;

export interface CountRequest {
  /** One page of the list (e.g. `api.leads.list`). */
  list: (query: Query, call: Call) => Promise<Page<unknown>>;
  query: Query;
  signal: AbortSignal;
  /** Known upper bound (e.g. the count of a wider filter): the search starts from it, not by doubling. */
  atMost?: number;
  /**
   * The query sorts the list ascending by this numeric field, and its last item's value is about
   * `endsNear` (e.g. `created_at` and now): the probes follow the values.
   */
  sortedBy?: { field: string; endsNear: number };
  /** Called after every request (progress, accounting). */
  onRequest?: () => Promise<void> | void;
}

/** Where a probed page sits against the position searched for. */
type Verdict = { found: number } | 'before' | 'after';

/** What a page read before the position says about the values: the last one, and how fast they rise. */
interface Sample {
  /** Index in the list of the page's last item. */
  last: number;
  value: number;
  /** Index of the page's middle, where `slope` is measured. */
  middle: number;
  /** Rise of the value per item across the page. */
  slope: number;
}

function sampleOf(page: number, items: unknown[], field: string): Sample | undefined {
  const first = (items[0] as Record<string, unknown> | undefined)?.[field];
  const last = (items[items.length - 1] as Record<string, unknown> | undefined)?.[field];
  if (typeof first !== 'number' || typeof last !== 'number' || items.length < 2) return undefined;
  const start = (page - 1) * PAGE;
  return { last: start + items.length - 1, value: last, middle: start + (items.length - 1) / 2, slope: (last - first) / (items.length - 1) };
}

/**
 * The index at which the values should reach `target`, from the pages read so far (in list order):
 * values = c + b × index^g, with g from the last two slopes (g = 1, a straight line, with one page).
 */
function estimateIndex(samples: readonly Sample[], target: number): number | undefined {
  const top = samples[samples.length - 1];
  // Values already past the target say nothing about where the list ends.
  if (!top || !(top.slope > 0) || !(top.value < target)) return undefined;
  let estimate = top.last + (target - top.value) / top.slope;
  const previous = samples[samples.length - 2];
  if (previous && previous.slope > 0 && top.middle > previous.middle && previous.middle > 0) {
    const k = Math.min(4, Math.max(-0.9, Math.log(top.slope / previous.slope) / Math.log(top.middle / previous.middle)));
    const g = k + 1;
    const b = top.slope / (g * top.middle ** k);
    const c = top.value - b * top.last ** g;
    const fitted = ((target - c) / b) ** (1 / g);
    if (Number.isFinite(fitted) && fitted > top.last) estimate = fitted;
  }
  return Number.isFinite(estimate) ? estimate : undefined;
}

interface Guide {
  field: string;
  target: number;
}

/**
 * Finds the position by probing pages: `judge` says whether page p is before it (everything on p
 * counts and more follows), after it (nothing on p counts), or holds it (the exact figure).
 */
async function searchPages(req: CountRequest, guide: Guide | undefined, judge: (page: number, items: unknown[], hasNext: boolean) => Verdict): Promise<number> {
  // lo: a page known to be before the position (0 = none yet); hi: a page known to be after it.
  let lo = 0;
  let hi = req.atMost !== undefined ? Math.max(2, Math.ceil(req.atMost / PAGE) + 1) : undefined;
  const samples: Sample[] = [];
  let guided = 0;
  /** How far past lo the next blind probe goes once the guesses are spent. */
  let stride = 1;
  let stepped = false;
  const nextPage = (): number => {
    stepped = false;
    if (lo === 0) return 1;
    const estimate = guide && guided < MAX_GUIDED ? estimateIndex(samples, guide.target) : undefined;
    if (estimate !== undefined) {
      // The item at `estimate` is the last one (or the first at the threshold): its page.
      const page = Math.min(Math.max(Math.floor(Math.max(0, estimate - 1) / PAGE) + 1, lo + 1), lo * MAX_REACH);
      if (hi === undefined || page < hi) {
        guided += 1;
        return page;
      }
    }
    // Guesses spent, each short of the end: the end is most likely just past lo, so step out from it.
    if (guided >= MAX_GUIDED && (hi === undefined || lo + stride < hi)) {
      stepped = true;
      return lo + stride;
    }
    return hi === undefined ? lo * 2 : Math.floor((lo + hi) / 2);
  };
  while (hi === undefined || hi - lo > 1) {
    throwIfCancelled(req.signal);
    const page = nextPage();
    const result = await req.list({ ...req.query, limit: PAGE, page }, { signal: req.signal });
    await req.onRequest?.();
    const verdict = judge(page, result.items, result.hasNext);
    if (typeof verdict === 'object') return verdict.found;
    if (verdict === 'after') {
      if (page === 1) return 0;
      hi = page;
      continue;
    }
    if (stepped) stride *= 2;
    lo = page;
    const sample = guide && sampleOf(page, result.items, guide.field);
    if (sample) samples.push(sample);
  }
  // No page holds it: the position falls exactly at the end of page lo.
  return lo * PAGE;
}

/** The number of items the filtered list holds. */
export function countList(req: CountRequest): Promise<number> {
  const guide = req.sortedBy && { field: req.sortedBy.field, target: req.sortedBy.endsNear };
  return searchPages(req, guide, (page, items, hasNext) => {
    if (items.length === 0) return 'after';
    if (hasNext) return 'before';
    return { found: (page - 1) * PAGE + items.length };
  });
}

/**
 * The count, and the items themselves when the whole list fits on one page: figures over a part of
 * it (e.g. today within the month) then cost no request.
 */
export async function countListKeepingOnePage(req: CountRequest): Promise<{ count: number; items?: unknown[] }> {
  let firstPage: unknown[] | undefined;
  const list: CountRequest['list'] = async (query, call) => {
    const page = await req.list(query, call);
    if (query['page'] === 1) firstPage = page.items;
    return page;
  };
  const count = await countList({ ...req, list });
  return count <= PAGE && firstPage ? { count, items: firstPage } : { count };
}

/**
 * How many items of a list sorted ascending by `field` have `field` below `threshold` (`order[field]=asc`
 * must be in the query).
 */
export function countBelow(req: CountRequest, field: string, threshold: number): Promise<number> {
  return searchPages(req, { field, target: threshold }, (page, items, hasNext) => {
    if (items.length === 0) return 'after';
    const values = items.map((item) => Number((item as Record<string, unknown>)[field]));
    const below = values.filter((v) => v < threshold).length;
    if (below === 0) return page === 1 ? { found: 0 } : 'after';
    if (below === items.length && hasNext) return 'before';
    return { found: (page - 1) * PAGE + below };
  });
}
