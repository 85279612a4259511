/**
 * get_dashboard: today's and this month's figures the same way as the sales report (filtered
 * fetches; today is a subset of this month, so it costs nothing more), and the figures that need the
 * whole account (all leads, open leads, tasks) from the incremental copies, with their freshness.
 * Field names follow the original's dashboard (leads, tasks, revenue, top_pipelines).
 */
import { PageProgress, type ReportCall } from './context.js';
import { AccountTooLarge, type Snapshot } from './incremental-cache.js';
import { describePeriod, contains } from './period.js';
import { nameOfPipeline, timezoneNote } from './sales-report.js';
import type { ReportServices, TaskFacts } from './services.js';
import { figures, isOpen, round2, type LeadFacts } from './summary.js';

const TOP_PIPELINES = 5;

export const DASHBOARD_DEFINITIONS = {
  'leads.total': 'all leads in the account now (from the in-memory copy; see freshness.all_leads)',
  'leads.open': 'leads not in stage 142 (won) or 143 (lost) now',
  'leads.new_*': 'leads whose created_at falls in the day / month (account timezone)',
  'leads.won_* / lost_*': 'leads now in stage 142 / 143 whose closed_at falls in the day / month',
  'tasks.open': 'tasks not completed',
  'tasks.overdue': 'tasks not completed whose deadline (complete_till) is before now',
  'tasks.completed_today': 'completed tasks last updated today (Kommo records no completion time; completing a task updates it)',
  'revenue.*': 'sum of the prices of the leads won in the day / month',
  'revenue.growth_percentage': '(this month so far - last month) / last month × 100; null when last month had no revenue',
  'top_pipelines': 'pipelines by revenue this month; leads_count and open_leads are all leads in the pipeline now',
} as const;

export async function dashboard(services: ReportServices, call: ReportCall): Promise<Record<string, unknown>> {
  const progress = new PageProgress(call);
  const { calendar, tz } = await services.calendar(call);
  const today = calendar.todayPeriod();
  const month = calendar.thisMonth();
  const lastMonth = calendar.lastMonth();
  const [pipelines, currency] = await Promise.all([services.pipelines(call.signal), services.currency(call.signal)]);
  const monthData = await services.periodLeads(month, call, progress);
  const lastData = await services.periodLeads(lastMonth, call, progress);
  const leadsSnap = await optional(() => services.leads.snapshot(call, progress));
  const tasksSnap = await optional(() => services.tasks.snapshot(call, progress));

  const t = figures(today, monthData.leads);
  const m = figures(month, monthData.leads);
  const l = figures(lastMonth, lastData.leads);
  const nowSec = Math.floor(call.now() / 1000);

  const allLeads = leadsSnap.ok ? [...leadsSnap.value.records.values()] : undefined;
  const allTasks = tasksSnap.ok ? [...tasksSnap.value.records.values()] : undefined;

  const top = pipelines
    .map((p) => {
      const f = figures(month, monthData.leads, { pipelineIds: [p.id] });
      const inPipeline = allLeads?.filter((lead) => lead.pipeline_id === p.id);
      return {
        id: p.id,
        name: nameOfPipeline(pipelines, p.id),
        leads_count: inPipeline ? inPipeline.length : null,
        open_leads: inPipeline ? inPipeline.filter(isOpen).length : null,
        won_this_month: f.won,
        revenue: f.revenue,
      };
    })
    .sort((a, b) => b.revenue - a.revenue || (b.leads_count ?? 0) - (a.leads_count ?? 0) || a.id - b.id)
    .slice(0, TOP_PIPELINES);

  return {
    timezone: tz.timezone,
    timezone_source: timezoneNote(tz),
    ...(currency && { currency }),
    today: describePeriod(today),
    this_month: describePeriod(month),
    last_month: describePeriod(lastMonth),
    leads: {
      total: allLeads ? allLeads.length : null,
      open: allLeads ? countOpen(allLeads) : null,
      new_today: t.new,
      won_today: t.won,
      lost_today: t.lost,
      new_this_month: m.new,
      won_this_month: m.won,
      lost_this_month: m.lost,
    },
    tasks: allTasks ? taskFigures(allTasks, nowSec, (s) => contains(today, s)) : { total: null, open: null, overdue: null, completed_today: null },
    revenue: {
      today: t.revenue,
      this_month: m.revenue,
      last_month: l.revenue,
      growth_percentage: l.revenue > 0 ? round2(((m.revenue - l.revenue) / l.revenue) * 100) : null,
      average_this_month: m.average,
      conversion_rate_this_month: m.conversion_rate,
    },
    top_pipelines: top,
    freshness: {
      period_figures: {
        computed_at: new Date(Math.min(monthData.computedAt, lastData.computedAt)).toISOString(),
        cached: monthData.cached && lastData.cached,
        note: 'today / this month / last month: filtered Kommo requests, re-used for a few minutes',
      },
      all_leads: leadsSnap.ok ? leadsSnap.value.freshness : { available: false, reason: leadsSnap.reason },
      all_tasks: tasksSnap.ok ? tasksSnap.value.freshness : { available: false, reason: tasksSnap.reason },
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

export function taskFigures(
  tasks: readonly TaskFacts[],
  nowSec: number,
  isToday: (unixSeconds: number) => boolean,
): { total: number; open: number; overdue: number; completed_today: number } {
  let open = 0;
  let overdue = 0;
  let completedToday = 0;
  for (const task of tasks) {
    if (!task.is_completed) {
      open += 1;
      if (task.complete_till < nowSec) overdue += 1;
    } else if (isToday(task.updated_at)) completedToday += 1;
  }
  return { total: tasks.length, open, overdue, completed_today: completedToday };
}

type Optional<T> = { ok: true; value: T } | { ok: false; reason: string };

/** A whole-account figure the server cannot hold in memory is reported as unavailable, not crawled. */
async function optional<R>(load: () => Promise<Snapshot<R>>): Promise<Optional<Snapshot<R>>> {
  try {
    return { ok: true, value: await load() };
  } catch (err) {
    if (err instanceof AccountTooLarge) return { ok: false, reason: err.message };
    throw err;
  }
}

