/**
 * get_dashboard: today's, this month's and last month's figures at a cost that does not grow with
 * the account. Revenue needs prices, so the leads won since the start of last month are read (one
 * `filter[closed_at]` stream with stage 142 in every pipeline); new and lost leads are counted from
 * Kommo's paging (src/reports/count.ts) without being read, on lists sorted by a date that ends near
 * now. The new leads are positions on the list of all leads by creation date, near its end, so the
 * total of leads comes with them (handed to `AccountFigures`) and today's usually costs nothing; the
 * month's lost leads cost one request when they are up to 250, today's then read off the month's page,
 * and a longer month's count starts from a guess (the month's won leads, read for revenue, times the
 * ratio of lost to won among the older leads).
 * So the answer costs the account and pipelines, ceil(won since the start of last month / 250) pages
 * and a few probes (22 requests on the 100,000-lead sandbox on the first of a month, 36 on the 31st,
 * when the won leads of two months span 23 pages). The other whole-account figures (open leads, tasks)
 * are counted in the background by `AccountFigures`; each part says how fresh it is.
 * Field names follow the original's dashboard (leads, tasks, revenue, top_pipelines).
 */
import type { Query } from '../kommo/query.js';
import type { Lead, Pipeline } from '../kommo/types.js';
import { LOST_STATUS_ID, WON_STATUS_ID } from '../kommo/types.js';
import { inEveryPipeline, type LeadsSeen } from './account-figures.js';
import { PageProgress, type ReportCall } from './context.js';
import { countList, type ListRequest, PAGE, PagedList } from './count.js';
import { rangeFilter, readStream } from './leads-query.js';
import { contains, describePeriod, type Period } from './period.js';
import { nameOfPipeline, timezoneNote } from './sales-report.js';
import type { DashboardPeriods, ReportServices } from './services.js';
import { conversionRate, isOpen, round2, type LeadFacts } from './summary.js';

const TOP_PIPELINES = 5;

export const DASHBOARD_DEFINITIONS = {
  'leads.total': 'all leads in the account (see freshness.account_figures)',
  'leads.open': 'leads not in stage 142 (won) or 143 (lost)',
  'leads.new_*': 'leads whose created_at falls in the day / month (account timezone)',
  'leads.won_* / lost_*': 'leads now in stage 142 / 143 whose closed_at falls in the day / month',
  'tasks.open': 'tasks not completed',
  'tasks.overdue': 'tasks not completed whose deadline (complete_till) is before now',
  'tasks.completed_today': 'completed tasks last updated today (Kommo records no completion time; completing a task updates it)',
  'revenue.*': 'sum of the prices of the leads won in the day / month',
  'revenue.growth_percentage': '(this month so far - last month) / last month × 100; null when last month had no revenue',
  top_pipelines: 'pipelines by revenue this month, with the leads won in them this month',
} as const;

/** The first second of `a` to the end of `b`, for one filtered stream over both. */
function span(a: Period, b: Period): Period {
  return { ...a, to: b.to, end: b.end };
}

async function readPeriods(
  services: ReportServices,
  call: ReportCall,
  progress: PageProgress,
  pipelines: readonly Pipeline[],
  today: Period,
  month: Period,
  lastMonth: Period,
): Promise<DashboardPeriods> {
  const computedAt = call.now();
  const before = progress.count;
  const onRequest = (): Promise<void> => progress.page(`dashboard: ${progress.count - before + 1} request(s)`);
  const both = span(lastMonth, month);
  const won = await readStream(
    { kommo: services.kommo, call, progress },
    {
      label: `leads won ${both.from}..${both.to}`,
      query: { ...rangeFilter('closed_at', both), ...inEveryPipeline(pipelines, WON_STATUS_ID) },
      keep: (lead) => lead.status_id === WON_STATUS_ID && contains(both, lead.closed_at),
    },
  );
  const nowSec = Math.floor(computedAt / 1000);
  const source = (query: Query): ListRequest => ({ list: services.kommo.leads.list, query, signal: call.signal, onRequest });
  // All leads oldest first: the total is the end of the list, and the leads new in a period are
  // those between the positions of its first and last seconds, which lie near the end, where the
  // probes for the total already read (count.ts).
  const byCreation = new PagedList(source({ 'order[created_at]': 'asc' }));
  const total = await byCreation.count({ sortedBy: { field: 'created_at', endsNear: nowSec } });
  const createdBefore = (instant: number): Promise<number> => byCreation.countBelow('created_at', instant, { atMost: total });
  const newIn = async (p: Period): Promise<number> => {
    const before = await createdBefore(p.start);
    return (await createdBefore(p.end)) - before;
  };
  const newMonth = await newIn(month);
  const newToday = await newIn(today);
  // Leads created before last month are mostly closed: their shares of won and lost guess the
  // whole-account counts of those (a guess only chooses the first page probed).
  const older = byCreation
    .pagesRead()
    .flatMap(([, page]) => page.items as Lead[])
    .filter((lead) => lead.created_at < lastMonth.start);
  const shareOf = (statusId: number): number => older.filter((lead) => lead.status_id === statusId).length / older.length;
  const leads: LeadsSeen = { total, ...(older.length >= PAGE && { share: { won: shareOf(WON_STATUS_ID), lost: shareOf(LOST_STATUS_ID) } }) };
  // Lost leads closed this month, sorted so that a count over many pages follows the dates toward
  // now; today's read off the month's page when the month fits on one, else counted apart.
  const lost = (p: Period): Query => ({ ...rangeFilter('closed_at', p), ...inEveryPipeline(pipelines, LOST_STATUS_ID), 'order[updated_at]': 'asc' });
  const byUpdate = { field: 'updated_at', endsNear: nowSec };
  const lostInMonth = new PagedList(source(lost(month)));
  // Guessed from this month's won leads (read above) and the ratio of lost to won among the older leads.
  const wonMonth = won.filter((lead) => contains(month, lead.closed_at));
  const lostGuess = leads.share && leads.share.won > 0 ? { expect: (wonMonth.length * leads.share.lost) / leads.share.won } : {};
  const lostMonth = await lostInMonth.count({ sortedBy: byUpdate, ...lostGuess });
  const monthPage = lostInMonth.wholeList();
  const lostToday = monthPage
    ? monthPage.filter((lead) => contains(today, (lead as Lead).closed_at)).length
    : await countList({ ...source(lost(today)), atMost: lostMonth, sortedBy: byUpdate });
  return {
    computedAt,
    requests: progress.count - before,
    won: {
      today: won.filter((l) => contains(today, l.closed_at)),
      month: wonMonth,
      last: won.filter((l) => contains(lastMonth, l.closed_at)),
    },
    leads,
    counts: { newToday, newMonth, lostToday, lostMonth },
  };
}

const sum = (leads: readonly Lead[]): number => leads.reduce((s, l) => s + (typeof l.price === 'number' ? Math.round(l.price) : 0), 0);

export async function dashboard(services: ReportServices, call: ReportCall): Promise<Record<string, unknown>> {
  const progress = new PageProgress(call);
  const { calendar, tz } = await services.calendar(call);
  const today = calendar.todayPeriod();
  const month = calendar.thisMonth();
  const lastMonth = calendar.lastMonth();
  const [pipelines, currency] = await Promise.all([services.pipelines(call.signal), services.currency(call.signal)]);
  const key = `${tz.timezone}|${today.from}`;
  const cached = services.dashboardPeriods.get(key);
  const periods = cached ?? (await readPeriods(services, call, progress, pipelines, today, month, lastMonth));
  if (!cached) services.dashboardPeriods.set(key, periods);
  const account = await services.accountFigures.read(
    { pipelines, nowSec: Math.floor(call.now() / 1000), today, ...(!cached && { leads: periods.leads }) },
    call.signal,
    progress,
    services.accountFiguresWaitMs,
  );

  const { won, counts } = periods;
  const revenue = { today: sum(won.today), month: sum(won.month), last: sum(won.last) };
  const top = pipelines
    .map((p) => {
      const inPipeline = won.month.filter((l) => l.pipeline_id === p.id);
      return { id: p.id, name: nameOfPipeline(pipelines, p.id), won_this_month: inPipeline.length, revenue: sum(inPipeline) };
    })
    .sort((a, b) => b.revenue - a.revenue || b.won_this_month - a.won_this_month || a.id - b.id)
    .slice(0, TOP_PIPELINES);
  const a = account.counts;
  return {
    timezone: tz.timezone,
    timezone_source: timezoneNote(tz),
    ...(currency && { currency }),
    today: describePeriod(today),
    this_month: describePeriod(month),
    last_month: describePeriod(lastMonth),
    leads: {
      total: a ? a.leads.total : null,
      open: a ? a.leads.open : null,
      new_today: counts.newToday,
      won_today: won.today.length,
      lost_today: counts.lostToday,
      new_this_month: counts.newMonth,
      won_this_month: won.month.length,
      lost_this_month: counts.lostMonth,
    },
    tasks: a ? a.tasks : { total: null, open: null, overdue: null, completed_today: null },
    revenue: {
      today: revenue.today,
      this_month: revenue.month,
      last_month: revenue.last,
      growth_percentage: revenue.last > 0 ? round2(((revenue.month - revenue.last) / revenue.last) * 100) : null,
      average_this_month: won.month.length > 0 ? Math.round(revenue.month / won.month.length) : 0,
      conversion_rate_this_month: conversionRate(won.month.length, counts.lostMonth),
    },
    top_pipelines: top,
    freshness: {
      period_figures: {
        computed_at: new Date(periods.computedAt).toISOString(),
        age_seconds: Math.max(0, Math.round((call.now() - periods.computedAt) / 1000)),
        cached: cached !== undefined,
        requests: cached ? 0 : periods.requests,
        note: 'today / this month / last month: won leads read with filters, new and lost counted from paging; re-used for a few minutes',
      },
      account_figures: account.freshness,
    },
    definitions: DASHBOARD_DEFINITIONS,
    computed_at: new Date(call.now()).toISOString(),
  };
}

export function countOpen(leads: readonly LeadFacts[]): number {
  let n = 0;
  for (const lead of leads) if (isOpen(lead)) n += 1;
  return n;
}
