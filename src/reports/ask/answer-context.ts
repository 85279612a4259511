/**
 * What every kind of answer shares: the parsed question, its period, filters and scope, and the leads as they are now.
 */
import type { Pipeline, User } from '../../kommo/types.js';
import type { PageProgress, ReportCall } from '../context.js';
import type { Freshness } from '../incremental-cache.js';
import { inStageStream, readStreams } from '../leads-query.js';
import { describePeriod, isoLocal, type Calendar, type Period } from '../period.js';
import type { ReportServices } from '../services.js';
import { isOpen, toFacts, type LeadFacts, type LeadFilter } from '../summary.js';
import type { NamedStage, Understood } from './intent.js';
import { resolvePeriod, type PeriodSpec } from './period-parse.js';
import type { Words, ScopeNames } from './render.js';

export const MAX_LISTED = 10;

export interface AnswerContext {
  services: ReportServices;
  call: ReportCall;
  progress: PageProgress;
  words: Words;
  parsed: Understood;
  pipelines: Pipeline[];
  users: User[];
  calendar: Calendar;
}

export interface ResolvedPeriod {
  period: Period;
  spec: PeriodSpec;
  defaulted: boolean;
}

export function periodOf(ctx: AnswerContext): ResolvedPeriod {
  const spec: PeriodSpec = ctx.parsed.period ?? { kind: 'this_month' };
  const resolved = resolvePeriod(spec, ctx.calendar);
  // Dates were checked while parsing; a failure here would be a missing year completed into a non-date.
  if (!resolved.ok) return { period: ctx.calendar.thisMonth(), spec: { kind: 'this_month' }, defaulted: true };
  return { period: resolved.period, spec: resolved.spec, defaulted: ctx.parsed.period === undefined };
}

/** Every filter the question named (and the answer reports): pipelines, responsible users, stages. */
export function filterOf(ctx: AnswerContext): LeadFilter {
  return {
    ...(ctx.parsed.pipelines.length > 0 && { pipelineIds: ctx.parsed.pipelines.map((p) => p.id) }),
    ...(ctx.parsed.users.length > 0 && { userIds: ctx.parsed.users.map((u) => u.id) }),
    ...(ctx.parsed.stages.length > 0 && { stages: ctx.parsed.stages.map(({ pipelineId, statusId }) => ({ pipelineId, statusId })) }),
  };
}

export function scopeNames(ctx: AnswerContext): ScopeNames {
  return {
    pipelines: ctx.parsed.pipelines.map((p) => p.name),
    users: ctx.parsed.users.map((u) => u.name),
    stages: ctx.parsed.stages.map((s) => `${s.name} (${s.pipelineName})`),
  };
}

export function periodInfo(ctx: AnswerContext, p: ResolvedPeriod): Record<string, unknown> {
  return { ...describePeriod(p.period), label: ctx.words.periodLabel(p.spec, p.period), defaulted: p.defaulted };
}

export interface CurrentLeads {
  leads: LeadFacts[];
  source: Record<string, unknown>;
}

/**
 * Leads as they are now. From the incremental copy when it is warm; for a few stages (or the open
 * stages of a named pipeline) on a cold start, from one filtered stream per stage, which costs the
 * matching pages instead of a full pass. Everything else fills the copy (one full pass, once).
 */
export async function currentLeads(ctx: AnswerContext, stages: NamedStage[]): Promise<CurrentLeads> {
  const warm = ctx.services.leads.isWarm;
  if (!warm && stages.length > 0) {
    const results = await readStreams(
      { kommo: ctx.services.kommo, call: ctx.call, progress: ctx.progress },
      stages.map((s) => inStageStream(s.pipelineId, s.statusId)),
    );
    return {
      leads: results.flat().map(toFacts),
      source: {
        kind: 'filtered_requests',
        note: 'one filter[statuses] request stream per stage, made for this answer',
        at: new Date(ctx.call.now()).toISOString(),
      },
    };
  }
  const snap = await ctx.services.leads.snapshot(ctx.call, ctx.progress);
  const all = [...snap.records.values()];
  const wanted = stages.length > 0 ? all.filter((l) => stages.some((s) => s.pipelineId === l.pipeline_id && s.statusId === l.status_id)) : all;
  return { leads: wanted, source: { kind: 'incremental_cache', freshness: snap.freshness satisfies Freshness } };
}

export function openStagesOf(ctx: AnswerContext): NamedStage[] {
  return ctx.parsed.pipelines.flatMap((named) => {
    const pipeline = ctx.pipelines.find((p) => p.id === named.id);
    return (pipeline?._embedded?.statuses ?? [])
      .filter((s) => isOpen({ status_id: s.id }))
      .map((s) => ({ pipelineId: named.id, pipelineName: named.name, statusId: s.id, name: s.name }));
  });
}

export function freshnessNote(ctx: AnswerContext, source: Record<string, unknown>): string {
  const f = source['freshness'] as Freshness | undefined;
  if (!f) return '';
  const at = isoLocal(ctx.calendar.timezone, Date.parse(f.synced_at) / 1000);
  return ctx.words.freshness(at, f);
}
