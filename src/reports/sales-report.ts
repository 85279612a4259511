/**
 * get_sales_report: the original's fields (period, leads total/new/won/lost, revenue
 * total/average/conversion_rate, performance by_user and by_pipeline with names), computed from the
 * filtered fetches of `ReportServices.periodLeads`, with the timezone and exact boundaries stated.
 */
import type { Pipeline, User } from '../kommo/types.js';
import { PageProgress, type ReportCall } from './context.js';
import { describePeriod, type Calendar, type Period } from './period.js';
import type { ReportServices, TimezoneInfo } from './services.js';
import { breakdown, figures, type Breakdown } from './summary.js';

export const DEFINITIONS = {
  new: 'leads whose created_at falls in the period',
  won: 'leads now in stage 142 (Closed - won) whose closed_at falls in the period',
  lost: 'leads now in stage 143 (Closed - lost) whose closed_at falls in the period',
  total: 'distinct leads that are new, won or lost in the period',
  revenue_total: 'sum of the prices of the won leads, in the account currency',
  revenue_average: 'revenue total / won leads, rounded to a whole amount (0 without won leads)',
  conversion_rate: 'won / (won + lost) × 100, in percent with two decimals (0 without closed leads)',
  leads_count: 'per user or pipeline: distinct leads that are new, won or lost in the period',
} as const;

export function nameOfUser(users: readonly User[], id: number): string {
  return users.find((u) => u.id === id)?.name ?? `User ${id}`;
}

export function nameOfPipeline(pipelines: readonly Pipeline[], id: number): string {
  return pipelines.find((p) => p.id === id)?.name ?? `Pipeline ${id}`;
}

export function userRow(row: Breakdown, users: readonly User[]): Record<string, unknown> {
  return { user_id: row.key, user_name: nameOfUser(users, row.key), ...breakdownFigures(row) };
}

export function pipelineRow(row: Breakdown, pipelines: readonly Pipeline[]): Record<string, unknown> {
  return { pipeline_id: row.key, pipeline_name: nameOfPipeline(pipelines, row.key), ...breakdownFigures(row) };
}

/** The figures every by_user / by_pipeline row carries, in the original's field names. */
function breakdownFigures(row: Breakdown): Record<string, unknown> {
  return {
    leads_count: row.total,
    new: row.new,
    won: row.won,
    lost: row.lost,
    revenue: row.revenue,
    conversion_rate: row.conversion_rate,
  };
}

export function timezoneNote(tz: TimezoneInfo): string {
  return tz.source === 'account'
    ? "the Kommo account's timezone (account datetime_settings)"
    : tz.source === 'KOMMO_TIMEZONE'
      ? 'the KOMMO_TIMEZONE setting, which overrides the account timezone'
      : 'UTC: the account did not report a timezone and KOMMO_TIMEZONE is not set';
}

export async function salesReport(services: ReportServices, call: ReportCall, choosePeriod: (calendar: Calendar) => Period): Promise<Record<string, unknown>> {
  const progress = new PageProgress(call);
  const { calendar, tz } = await services.calendar(call);
  const period = choosePeriod(calendar);
  const [pipelines, users, currency] = await Promise.all([services.pipelines(call.signal), services.users(call.signal), services.currency(call.signal)]);
  const data = await services.periodLeads(period, call, progress);
  const f = figures(period, data.leads);
  return {
    period: describePeriod(period),
    timezone: tz.timezone,
    timezone_source: timezoneNote(tz),
    ...(currency && { currency }),
    leads: { total: f.total, new: f.new, won: f.won, lost: f.lost },
    revenue: { total: f.revenue, average: f.average, conversion_rate: f.conversion_rate },
    performance: {
      by_user: breakdown(period, data.leads, 'user').map((r) => userRow(r, users)),
      by_pipeline: breakdown(period, data.leads, 'pipeline').map((r) => pipelineRow(r, pipelines)),
    },
    definitions: DEFINITIONS,
    computed_at: new Date(data.computedAt).toISOString(),
    cached: data.cached,
    ...(data.cached && { cache_note: 'The same period was computed a few minutes ago: figures re-used from computed_at, no Kommo request made.' }),
  };
}
