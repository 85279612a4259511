/**
 * ask_kommo: parses the question (no LLM, no network beyond Kommo), fetches only what the answer
 * needs through the same services as the reports, and answers in the question's language with the
 * figure, the period and the interpretation, plus the data as structured content.
 */
import type { Contact, Lead, Pipeline, User } from '../../kommo/types.js';
import { PageProgress, throwIfCancelled, type ReportCall } from '../context.js';
import { countOpen } from '../dashboard.js';
import type { Freshness } from '../incremental-cache.js';
import { inStageStream, readStreams } from '../leads-query.js';
import { contains, describePeriod, isoLocal, type Calendar, type Period } from '../period.js';
import { nameOfPipeline, nameOfUser } from '../sales-report.js';
import { taskFacts, type ReportServices, type TaskFacts } from '../services.js';
import { breakdown, figures, isNewIn, isOpen, matchesFilter, toFacts, type Breakdown, type LeadFacts, type LeadFilter } from '../summary.js';
import { parseQuestion, type Intent, type LeadAttribute, type Metric, type NamedStage, type Understood } from './intent.js';
import { resolvePeriod, type PeriodSpec } from './period-parse.js';
import { Words, type LeadItem, type ScopeNames } from './render.js';

const MAX_LISTED = 10;

export async function askKommo(services: ReportServices, call: ReportCall, question: string): Promise<Record<string, unknown>> {
  const progress = new PageProgress(call);
  const [pipelines, users] = await Promise.all([services.pipelines(call.signal), services.users(call.signal)]);
  const parsed = parseQuestion(question, {
    pipelines: pipelines.map((p) => ({ id: p.id, name: p.name, statuses: p._embedded?.statuses ?? [] })),
    users,
  });
  if (!parsed.understood) {
    const words = new Words(parsed.language, undefined);
    const { answer, supported } = words.notUnderstood(parsed.reason, parsed.detail);
    return { understood: false, language: parsed.language, question, reason: parsed.reason, ...(parsed.detail && { detail: parsed.detail }), answer, supported };
  }
  const [currency, { calendar }] = await Promise.all([services.currency(call.signal), services.calendar(call)]);
  const words = new Words(parsed.language, currency);
  const ctx: AnswerContext = { services, call, progress, words, parsed, pipelines, users, calendar };
  const body = await answer(ctx);
  return {
    understood: true,
    language: parsed.language,
    question,
    intent: intentName(parsed.intent),
    ...body,
    filters: {
      pipelines: parsed.pipelines,
      users: parsed.users,
      stages: parsed.stages.map((s) => ({ pipeline_id: s.pipelineId, pipeline_name: s.pipelineName, status_id: s.statusId, name: s.name })),
    },
    ...(currency && { currency }),
    computed_at: new Date(call.now()).toISOString(),
  };
}

interface AnswerContext {
  services: ReportServices;
  call: ReportCall;
  progress: PageProgress;
  words: Words;
  parsed: Understood;
  pipelines: Pipeline[];
  users: User[];
  calendar: Calendar;
}

function intentName(intent: Intent): string {
  switch (intent.kind) {
    case 'count':
      return `count_${intent.metric}`;
    case 'ranking':
      return `ranking_by_${intent.by}`;
    case 'tasks':
      return `tasks_${intent.which}`;
    case 'lookup':
      return intent.attribute ? `lead_${intent.attribute}` : `lookup_${intent.entity}`;
    default:
      return intent.kind;
  }
}

async function answer(ctx: AnswerContext): Promise<Record<string, unknown>> {
  const intent = ctx.parsed.intent;
  switch (intent.kind) {
    case 'lookup':
      return lookup(ctx, intent);
    case 'tasks':
      return tasks(ctx, intent);
    case 'total':
      return currentCount(ctx, intent.kind);
    // With a period, leads "in a stage" or "open" are those created in it that are there now.
    case 'stage':
    case 'open':
      return ctx.parsed.period ? openCreatedIn(ctx) : currentCount(ctx, intent.kind);
    case 'ranking':
      return intent.metric === 'open' ? rankingNow(ctx, intent) : rankingInPeriod(ctx, intent);
    default:
      return periodFigure(ctx, intent);
  }
}

// ---- figures of a period ----

interface ResolvedPeriod {
  period: Period;
  spec: PeriodSpec;
  defaulted: boolean;
}

function periodOf(ctx: AnswerContext): ResolvedPeriod {
  const spec: PeriodSpec = ctx.parsed.period ?? { kind: 'this_month' };
  const resolved = resolvePeriod(spec, ctx.calendar);
  // Dates were checked while parsing; a failure here would be a missing year completed into a non-date.
  if (!resolved.ok) return { period: ctx.calendar.thisMonth(), spec: { kind: 'this_month' }, defaulted: true };
  return { period: resolved.period, spec: resolved.spec, defaulted: ctx.parsed.period === undefined };
}

/** Every filter the question named (and the answer reports): pipelines, responsible users, stages. */
function filterOf(ctx: AnswerContext): LeadFilter {
  return {
    ...(ctx.parsed.pipelines.length > 0 && { pipelineIds: ctx.parsed.pipelines.map((p) => p.id) }),
    ...(ctx.parsed.users.length > 0 && { userIds: ctx.parsed.users.map((u) => u.id) }),
    ...(ctx.parsed.stages.length > 0 && { stages: ctx.parsed.stages.map(({ pipelineId, statusId }) => ({ pipelineId, statusId })) }),
  };
}

function scopeNames(ctx: AnswerContext): ScopeNames {
  return {
    pipelines: ctx.parsed.pipelines.map((p) => p.name),
    users: ctx.parsed.users.map((u) => u.name),
    stages: ctx.parsed.stages.map((s) => `${s.name} (${s.pipelineName})`),
  };
}

function periodInfo(ctx: AnswerContext, p: ResolvedPeriod): Record<string, unknown> {
  return { ...describePeriod(p.period), label: ctx.words.periodLabel(p.spec, p.period), defaulted: p.defaulted };
}

async function periodFigure(ctx: AnswerContext, intent: Intent): Promise<Record<string, unknown>> {
  const w = ctx.words;
  const p = periodOf(ctx);
  const data = await ctx.services.periodLeads(p.period, ctx.call, ctx.progress);
  const f = figures(p.period, data.leads, filterOf(ctx));
  const scope = w.scope(scopeNames(ctx));
  const when = w.periodPhrase(p.spec, p.period);
  let value: number | null;
  let text: string;
  let unit: string;
  switch (intent.kind) {
    case 'count': {
      unit = 'leads';
      if (intent.metric === 'closed') {
        value = f.won + f.lost;
        text = `${w.metricName('closed')}${scope} — ${when}: ${w.number(value)} (${w.number(f.won)} ${w.t({ pt: 'ganhos', es: 'ganados', en: 'won' })}, ${w.number(f.lost)} ${w.t({ pt: 'perdidos', es: 'perdidos', en: 'lost' })}).`;
      } else {
        value = f[intent.metric];
        text = `${w.metricName(intent.metric)}${scope} — ${when}: ${w.number(value)}.`;
      }
      break;
    }
    case 'revenue':
      unit = 'currency';
      value = f.revenue;
      text = `${w.metricName('revenue')}${scope} — ${when}: ${w.money(f.revenue)} (${w.number(f.won)} ${w.t({ pt: 'leads ganhos', es: 'leads ganados', en: 'won leads' })}).`;
      break;
    case 'average':
      unit = 'currency';
      value = f.won > 0 ? f.average : null;
      text =
        f.won > 0
          ? `${w.metricName('average')}${scope} — ${when}: ${w.money(f.average)} (${w.number(f.won)} ${w.t({ pt: 'leads ganhos, receita', es: 'leads ganados, ingresos', en: 'won leads, revenue' })} ${w.money(f.revenue)}).`
          : `${w.metricName('average')}${scope} — ${when}: ${w.t({ pt: 'nenhum lead ganho no período, não há média.', es: 'ningún lead ganado en el período, no hay promedio.', en: 'no won leads in the period, so no average.' })}`;
      break;
    case 'conversion':
      unit = 'percent';
      value = f.won + f.lost > 0 ? f.conversion_rate : null;
      text =
        value !== null
          ? `${w.metricName('conversion')}${scope} — ${when}: ${w.percent(value)} (${w.number(f.won)} ${w.t({ pt: 'ganhos de', es: 'ganados de', en: 'won of' })} ${w.number(f.won + f.lost)} ${w.t({ pt: 'fechados', es: 'cerrados', en: 'closed' })}).`
          : `${w.metricName('conversion')}${scope} — ${when}: ${w.t({ pt: 'nenhum lead ganho ou perdido no período.', es: 'ningún lead ganado o perdido en el período.', en: 'no won or lost leads in the period.' })}`;
      break;
    default: {
      unit = 'summary';
      value = null;
      text =
        `${w.t({ pt: 'Resumo', es: 'Resumen', en: 'Summary' })}${scope} — ${when}: ` +
        w.t({
          pt: `${w.number(f.new)} novos, ${w.number(f.won)} ganhos, ${w.number(f.lost)} perdidos; receita ${w.money(f.revenue)}; ticket médio ${w.money(f.average)}; conversão ${w.percent(f.conversion_rate)}.`,
          es: `${w.number(f.new)} nuevos, ${w.number(f.won)} ganados, ${w.number(f.lost)} perdidos; ingresos ${w.money(f.revenue)}; ticket promedio ${w.money(f.average)}; conversión ${w.percent(f.conversion_rate)}.`,
          en: `${w.number(f.new)} new, ${w.number(f.won)} won, ${w.number(f.lost)} lost; revenue ${w.money(f.revenue)}; average deal ${w.money(f.average)}; conversion ${w.percent(f.conversion_rate)}.`,
        });
    }
  }
  const interpretation = w.interpretation(intent) + w.scopeNote(scopeNames(ctx)) + (p.defaulted ? w.defaultPeriodNote() : '');
  return {
    answer: `${text}\n${interpretation}`,
    value,
    unit,
    period: periodInfo(ctx, p),
    interpretation: interpretation.trim(),
    data: { figures: f },
    cached: data.cached,
    data_computed_at: new Date(data.computedAt).toISOString(),
  };
}

/** Open leads among those created in the period (the "new" stream already carries their current stage). */
async function openCreatedIn(ctx: AnswerContext): Promise<Record<string, unknown>> {
  const w = ctx.words;
  const p = periodOf(ctx);
  const data = await ctx.services.periodLeads(p.period, ctx.call, ctx.progress);
  const filter = filterOf(ctx);
  const value = data.leads.filter((l) => matchesFilter(l, filter) && isNewIn(p.period, l) && isOpen(l)).length;
  const text = w.t({
    pt: `Leads criados que continuam em aberto${w.scope(scopeNames(ctx))} — ${w.periodPhrase(p.spec, p.period)}: ${w.number(value)}.`,
    es: `Leads creados que siguen abiertos${w.scope(scopeNames(ctx))} — ${w.periodPhrase(p.spec, p.period)}: ${w.number(value)}.`,
    en: `Leads created that are still open${w.scope(scopeNames(ctx))} — ${w.periodPhrase(p.spec, p.period)}: ${w.number(value)}.`,
  });
  const interpretation =
    w.t({
      pt: 'Leads com data de criação no período que hoje não estão em Ganho (142) nem Perdido (143).',
      es: 'Leads con fecha de creación en el período que hoy no están en Ganado (142) ni Perdido (143).',
      en: 'Leads created in the period that are not in Closed - won (142) or Closed - lost (143) now.',
    }) + w.scopeNote(scopeNames(ctx));
  return {
    answer: `${text}\n${interpretation}`,
    value,
    unit: 'leads',
    period: periodInfo(ctx, p),
    interpretation,
    data: { open_created_in_period: value },
    cached: data.cached,
    data_computed_at: new Date(data.computedAt).toISOString(),
  };
}

// ---- figures of now ----

interface CurrentLeads {
  leads: LeadFacts[];
  source: Record<string, unknown>;
}

/**
 * Leads as they are now. From the incremental copy when it is warm; for a few stages (or the open
 * stages of a named pipeline) on a cold start, from one filtered stream per stage, which costs the
 * matching pages instead of a full pass. Everything else fills the copy (one full pass, once).
 */
async function currentLeads(ctx: AnswerContext, stages: NamedStage[]): Promise<CurrentLeads> {
  const warm = ctx.services.leads.isWarm;
  if (!warm && stages.length > 0) {
    const results = await readStreams(
      { kommo: ctx.services.kommo, call: ctx.call, progress: ctx.progress },
      stages.map((s) => inStageStream(s.pipelineId, s.statusId)),
    );
    return {
      leads: results.flat().map(toFacts),
      source: { kind: 'filtered_requests', note: 'one filter[statuses] request stream per stage, made for this answer', at: new Date(ctx.call.now()).toISOString() },
    };
  }
  const snap = await ctx.services.leads.snapshot(ctx.call, ctx.progress);
  const all = [...snap.records.values()];
  const wanted = stages.length > 0 ? all.filter((l) => stages.some((s) => s.pipelineId === l.pipeline_id && s.statusId === l.status_id)) : all;
  return { leads: wanted, source: { kind: 'incremental_cache', freshness: snap.freshness satisfies Freshness } };
}

function openStagesOf(ctx: AnswerContext): NamedStage[] {
  return ctx.parsed.pipelines.flatMap((named) => {
    const pipeline = ctx.pipelines.find((p) => p.id === named.id);
    return (pipeline?._embedded?.statuses ?? [])
      .filter((s) => isOpen({ status_id: s.id }))
      .map((s) => ({ pipelineId: named.id, pipelineName: named.name, statusId: s.id, name: s.name }));
  });
}

async function currentCount(ctx: AnswerContext, kind: 'stage' | 'total' | 'open'): Promise<Record<string, unknown>> {
  const w = ctx.words;
  const stages = ctx.parsed.stages.length > 0 ? ctx.parsed.stages : kind === 'open' && ctx.parsed.pipelines.length > 0 ? openStagesOf(ctx) : [];
  const current = await currentLeads(ctx, stages);
  const filter = filterOf(ctx);
  const selected = current.leads.filter((l) => matchesFilter(l, filter) && (kind !== 'open' || isOpen(l)));
  const value = selected.length;
  // The stage is already in the sentence for a stage count.
  const scope = w.scope(kind === 'stage' ? { ...scopeNames(ctx), stages: [] } : scopeNames(ctx));
  let text: string;
  if (kind === 'stage') {
    const names = ctx.parsed.stages.map((s) => `${s.name} (${s.pipelineName})`).join(', ');
    text = w.t({
      pt: `Leads na etapa ${names} agora${scope}: ${w.number(value)}.`,
      es: `Leads en la etapa ${names} ahora${scope}: ${w.number(value)}.`,
      en: `Leads in stage ${names} now${scope}: ${w.number(value)}.`,
    });
  } else {
    text = `${w.metricName(kind)}${scope}: ${w.number(value)}.`;
  }
  const interpretation = w.interpretation({ kind } as Intent) + (kind === 'stage' ? '' : w.scopeNote(scopeNames(ctx))) + freshnessNote(ctx, current.source);
  const byStage = kind === 'stage' && ctx.parsed.stages.length > 1
    ? ctx.parsed.stages.map((s) => ({ pipeline_id: s.pipelineId, status_id: s.statusId, name: s.name, leads: selected.filter((l) => l.pipeline_id === s.pipelineId && l.status_id === s.statusId).length }))
    : undefined;
  return {
    answer: `${text}\n${interpretation}`,
    value,
    unit: 'leads',
    interpretation,
    data: { count: value, ...(kind === 'total' && { open: countOpen(selected) }), ...(byStage && { by_stage: byStage }) },
    source: current.source,
  };
}

function freshnessNote(ctx: AnswerContext, source: Record<string, unknown>): string {
  const f = source['freshness'] as Freshness | undefined;
  if (!f) return '';
  const at = isoLocal(ctx.calendar.timezone, Date.parse(f.synced_at) / 1000);
  return ctx.words.t({
    pt: ` Dados da cópia em memória atualizada em ${at} (há ${f.age_seconds} s).`,
    es: ` Datos de la copia en memoria actualizada el ${at} (hace ${f.age_seconds} s).`,
    en: ` Data from the in-memory copy brought up to date at ${at} (${f.age_seconds} s ago).`,
  });
}

// ---- rankings ----

function metricValue(row: Breakdown, metric: Metric): number {
  switch (metric) {
    case 'revenue':
      return row.revenue;
    case 'average':
      return row.average;
    case 'conversion':
      return row.conversion_rate;
    case 'new':
    case 'won':
    case 'lost':
      return row[metric];
    case 'open':
      return 0;
  }
}

function formatMetric(w: Words, metric: Metric, value: number): string {
  return metric === 'revenue' || metric === 'average' ? w.money(value) : metric === 'conversion' ? w.percent(value) : w.number(value);
}

async function rankingInPeriod(ctx: AnswerContext, intent: Extract<Intent, { kind: 'ranking' }>): Promise<Record<string, unknown>> {
  const w = ctx.words;
  const p = periodOf(ctx);
  const data = await ctx.services.periodLeads(p.period, ctx.call, ctx.progress);
  const rows = breakdown(p.period, data.leads, intent.by, filterOf(ctx))
    .filter((r) => (intent.metric === 'conversion' ? r.won + r.lost > 0 : intent.metric === 'average' ? r.won > 0 : true))
    .sort((a, b) => metricValue(b, intent.metric) - metricValue(a, intent.metric) || b.revenue - a.revenue || a.key - b.key);
  const name = (key: number): string => (intent.by === 'user' ? nameOfUser(ctx.users, key) : nameOfPipeline(ctx.pipelines, key));
  const ranking = rows.map((r, i) => ({
    position: i + 1,
    [intent.by === 'user' ? 'user_id' : 'pipeline_id']: r.key,
    name: name(r.key),
    value: metricValue(r, intent.metric),
    new: r.new,
    won: r.won,
    lost: r.lost,
    revenue: r.revenue,
    average: r.average,
    conversion_rate: r.conversion_rate,
  }));
  const lines = ranking.slice(0, MAX_LISTED).map(
    (r) =>
      `${r.position}. ${r.name} — ${formatMetric(w, intent.metric, r.value)} (${w.number(r.won)} ${w.t({ pt: 'ganhos', es: 'ganados', en: 'won' })}` +
      `${intent.metric === 'revenue' ? '' : `, ${w.money(r.revenue)}`})`,
  );
  const head = w.t({
    pt: `Ranking por ${intent.by === 'user' ? 'responsável' : 'funil'} — ${w.rankMetricName(intent.metric)}, ${w.periodPhrase(p.spec, p.period)}${w.scope(scopeNames(ctx))}:`,
    es: `Ranking por ${intent.by === 'user' ? 'responsable' : 'embudo'} — ${w.rankMetricName(intent.metric)}, ${w.periodPhrase(p.spec, p.period)}${w.scope(scopeNames(ctx))}:`,
    en: `Ranking by ${intent.by === 'user' ? 'responsible user' : 'pipeline'} — ${w.rankMetricName(intent.metric)}, ${w.periodPhrase(p.spec, p.period)}${w.scope(scopeNames(ctx))}:`,
  });
  const empty = w.t({ pt: 'nenhum lead no período.', es: 'ningún lead en el período.', en: 'no leads in the period.' });
  const interpretation = w.interpretation(intent) + (p.defaulted ? w.defaultPeriodNote() : '');
  return {
    answer: `${head}${lines.length ? '\n' + lines.join('\n') : ' ' + empty}\n${interpretation}`,
    value: ranking[0]?.value ?? null,
    unit: 'ranking',
    period: periodInfo(ctx, p),
    interpretation,
    data: { ranking, leader: ranking[0] ?? null },
    cached: data.cached,
    data_computed_at: new Date(data.computedAt).toISOString(),
  };
}

async function rankingNow(ctx: AnswerContext, intent: Extract<Intent, { kind: 'ranking' }>): Promise<Record<string, unknown>> {
  const w = ctx.words;
  const current = await currentLeads(ctx, []);
  const filter = filterOf(ctx);
  // With a period: the open leads created in it.
  const created = ctx.parsed.period ? periodOf(ctx) : undefined;
  const counts = new Map<number, number>();
  for (const lead of current.leads) {
    if (!isOpen(lead) || !matchesFilter(lead, filter) || (created && !isNewIn(created.period, lead))) continue;
    const key = intent.by === 'user' ? lead.responsible_user_id : lead.pipeline_id;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const ranking = [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .map(([key, value], i) => ({
      position: i + 1,
      [intent.by === 'user' ? 'user_id' : 'pipeline_id']: key,
      name: intent.by === 'user' ? nameOfUser(ctx.users, key) : nameOfPipeline(ctx.pipelines, key),
      value,
    }));
  const head = w.t({
    pt: `Ranking por ${intent.by === 'user' ? 'responsável' : 'funil'} — leads em aberto agora${w.scope(scopeNames(ctx))}:`,
    es: `Ranking por ${intent.by === 'user' ? 'responsable' : 'embudo'} — leads abiertos ahora${w.scope(scopeNames(ctx))}:`,
    en: `Ranking by ${intent.by === 'user' ? 'responsible user' : 'pipeline'} — open leads now${w.scope(scopeNames(ctx))}:`,
  });
  const lines = ranking.slice(0, MAX_LISTED).map((r) => `${r.position}. ${r.name} — ${w.number(r.value)}`);
  const interpretation =
    w.interpretation(intent) + ' ' + w.interpretation({ kind: 'open' }) + (created ? w.createdInPeriodNote(created.spec, created.period) : '') + freshnessNote(ctx, current.source);
  return {
    answer: `${head}\n${lines.join('\n')}\n${interpretation}`,
    value: ranking[0]?.value ?? null,
    unit: 'ranking',
    ...(created && { period: periodInfo(ctx, created) }),
    interpretation,
    data: { ranking, leader: ranking[0] ?? null },
    source: current.source,
  };
}

// ---- tasks ----

async function openTasks(ctx: AnswerContext): Promise<{ tasks: TaskFacts[]; source: Record<string, unknown> }> {
  const userIds = ctx.parsed.users.map((u) => u.id);
  if (ctx.services.tasks.isWarm) {
    const snap = await ctx.services.tasks.snapshot(ctx.call, ctx.progress);
    const tasks = [...snap.records.values()].filter((t) => !t.is_completed && (userIds.length === 0 || userIds.includes(t.responsible_user_id)));
    return { tasks, source: { kind: 'incremental_cache', freshness: snap.freshness } };
  }
  const query: Record<string, number> = { 'filter[is_completed]': 0 };
  if (userIds.length === 1) query['filter[responsible_user_id]'] = userIds[0]!;
  const tasks: TaskFacts[] = [];
  for await (const page of ctx.services.kommo.tasks.pages(query, { signal: ctx.call.signal })) {
    throwIfCancelled(ctx.call.signal);
    for (const t of page) {
      if (t.is_completed || (userIds.length > 0 && !userIds.includes(t.responsible_user_id))) continue;
      tasks.push(taskFacts(t));
    }
    await ctx.progress.page(`open tasks: ${tasks.length} so far`);
  }
  return { tasks, source: { kind: 'filtered_requests', note: 'filter[is_completed]=0, made for this answer', at: new Date(ctx.call.now()).toISOString() } };
}

async function tasks(ctx: AnswerContext, intent: Extract<Intent, { kind: 'tasks' }>): Promise<Record<string, unknown>> {
  const w = ctx.words;
  const fetched = await openTasks(ctx);
  const source = fetched.source;
  // With a period: the tasks due in it.
  const due = ctx.parsed.period ? periodOf(ctx) : undefined;
  const open = due ? fetched.tasks.filter((t) => contains(due.period, t.complete_till)) : fetched.tasks;
  const nowSec = Math.floor(ctx.call.now() / 1000);
  const overdue = open.filter((t) => t.complete_till < nowSec);
  const scope = w.scope({ pipelines: [], users: ctx.parsed.users.map((u) => u.name), stages: [] });
  const interpretation = w.interpretation(intent) + (due ? w.dueInPeriodNote(due.spec, due.period) : '') + freshnessNote(ctx, source);
  if (intent.byUser) {
    const rows = new Map<number, { open: number; overdue: number }>();
    for (const t of open) {
      const row = rows.get(t.responsible_user_id) ?? { open: 0, overdue: 0 };
      row.open += 1;
      if (t.complete_till < nowSec) row.overdue += 1;
      rows.set(t.responsible_user_id, row);
    }
    const key = intent.which === 'open' ? 'open' : 'overdue';
    const ranking = [...rows.entries()]
      .sort((a, b) => b[1][key] - a[1][key] || a[0] - b[0])
      .map(([id, r], i) => ({ position: i + 1, user_id: id, name: nameOfUser(ctx.users, id), open: r.open, overdue: r.overdue }));
    const head = w.t({
      pt: `Tarefas ${key === 'open' ? 'em aberto' : 'atrasadas'} por responsável:`,
      es: `Tareas ${key === 'open' ? 'abiertas' : 'vencidas'} por responsable:`,
      en: `${key === 'open' ? 'Open' : 'Overdue'} tasks by responsible user:`,
    });
    const lines = ranking.slice(0, MAX_LISTED).map(
      (r) => `${r.position}. ${r.name} — ${w.number(r[key])} (${w.number(r.open)} ${w.t({ pt: 'em aberto', es: 'abiertas', en: 'open' })}, ${w.number(r.overdue)} ${w.t({ pt: 'atrasadas', es: 'vencidas', en: 'overdue' })})`,
    );
    return {
      answer: `${head}\n${lines.join('\n')}\n${interpretation}`,
      value: ranking[0]?.[key] ?? null,
      unit: 'ranking',
      ...(due && { period: periodInfo(ctx, due) }),
      interpretation,
      data: { ranking, open: open.length, overdue: overdue.length },
      source,
    };
  }
  let text: string;
  let value: number;
  if (intent.which === 'overdue') {
    value = overdue.length;
    text = w.t({ pt: `Tarefas atrasadas${scope}: ${w.number(value)}.`, es: `Tareas vencidas${scope}: ${w.number(value)}.`, en: `Overdue tasks${scope}: ${w.number(value)}.` });
  } else if (intent.which === 'open') {
    value = open.length;
    text = w.t({
      pt: `Tarefas em aberto${scope}: ${w.number(value)} (${w.number(overdue.length)} atrasadas).`,
      es: `Tareas abiertas${scope}: ${w.number(value)} (${w.number(overdue.length)} vencidas).`,
      en: `Open tasks${scope}: ${w.number(value)} (${w.number(overdue.length)} overdue).`,
    });
  } else {
    value = open.length;
    text = w.t({
      pt: `Tarefas em aberto${scope}: ${w.number(open.length)}, das quais ${w.number(overdue.length)} atrasadas.`,
      es: `Tareas abiertas${scope}: ${w.number(open.length)}, de las cuales ${w.number(overdue.length)} vencidas.`,
      en: `Open tasks${scope}: ${w.number(open.length)}, of which ${w.number(overdue.length)} overdue.`,
    });
  }
  return {
    answer: `${text}\n${interpretation}`,
    value,
    unit: 'tasks',
    ...(due && { period: periodInfo(ctx, due) }),
    interpretation,
    data: { open: open.length, overdue: overdue.length, as_of: isoLocal(ctx.calendar.timezone, nowSec) },
    source,
  };
}

// ---- lookups ----

async function lookup(ctx: AnswerContext, intent: Extract<Intent, { kind: 'lookup' }>): Promise<Record<string, unknown>> {
  const w = ctx.words;
  const page = await ctx.services.kommo[intent.entity].list({ query: intent.name, limit: MAX_LISTED, page: 1 }, { signal: ctx.call.signal });
  await ctx.progress.page(`search of ${intent.entity}`);
  const tz = ctx.calendar.timezone;
  const items =
    intent.entity === 'leads'
      ? (page.items as Lead[]).map((l) => {
          const pipeline = ctx.pipelines.find((p) => p.id === l.pipeline_id);
          const status = pipeline?._embedded?.statuses?.find((s) => s.id === l.status_id);
          return {
            id: l.id,
            name: l.name,
            price: l.price ?? 0,
            status_id: l.status_id,
            status_name: status?.name ?? null,
            pipeline_id: l.pipeline_id,
            pipeline_name: pipeline?.name ?? null,
            responsible_user_id: l.responsible_user_id,
            responsible_user_name: nameOfUser(ctx.users, l.responsible_user_id),
            created_at: isoLocal(tz, l.created_at),
            closed_at: l.closed_at ? isoLocal(tz, l.closed_at) : null,
          };
        })
      : (page.items as Contact[]).map((c) => ({
          id: c.id,
          name: c.name,
          responsible_user_id: c.responsible_user_id,
          responsible_user_name: nameOfUser(ctx.users, c.responsible_user_id),
          phones: fieldValues(c, 'PHONE'),
          emails: fieldValues(c, 'EMAIL'),
          created_at: isoLocal(tz, c.created_at),
        }));
  const what = intent.entity === 'leads' ? w.t({ pt: 'lead(s)', es: 'lead(s)', en: 'lead(s)' }) : w.t({ pt: 'contato(s)', es: 'contacto(s)', en: 'contact(s)' });
  const head =
    items.length === 0
      ? w.t({
          pt: `Nenhum ${intent.entity === 'leads' ? 'lead' : 'contato'} encontrado para “${intent.name}”.`,
          es: `Ningún ${intent.entity === 'leads' ? 'lead' : 'contacto'} encontrado para “${intent.name}”.`,
          en: `No ${intent.entity === 'leads' ? 'lead' : 'contact'} found for “${intent.name}”.`,
        })
      : w.t({
          pt: `Encontrei ${items.length}${page.hasNext ? '+' : ''} ${what} para “${intent.name}”:`,
          es: `Encontré ${items.length}${page.hasNext ? '+' : ''} ${what} para “${intent.name}”:`,
          en: `Found ${items.length}${page.hasNext ? '+' : ''} ${what} for “${intent.name}”:`,
        });
  const lines = items.map((item) =>
    'price' in item
      ? `#${item.id} ${item.name} — ${w.money(item.price)}, ${item.status_name ?? item.status_id} (${item.pipeline_name ?? item.pipeline_id}), ${item.responsible_user_name}` +
        `, ${w.t({ pt: 'criado', es: 'creado', en: 'created' })} ${localMinute(item.created_at)}` +
        (item.closed_at ? `, ${w.t({ pt: 'fechado', es: 'cerrado', en: 'closed' })} ${localMinute(item.closed_at)}` : '')
      : `#${item.id} ${item.name}${item.phones.length ? ` — ${item.phones.join(', ')}` : ''}${item.emails.length ? `, ${item.emails.join(', ')}` : ''}, ${item.responsible_user_name}`,
  );
  const interpretation = w.interpretation(intent);
  const attribute = intent.attribute;
  if (attribute && intent.entity === 'leads') {
    // One lead's attribute: the sentence that answers it, then the lead's other facts.
    const leads = items as LeadItem[];
    const sentences = leads.map((item) => w.leadAttribute(attribute, item));
    const value = leads.length === 1 ? attributeValue(attribute, leads[0]!) : null;
    const answered = leads.length === 0 ? head : sentences.join('\n');
    return {
      answer: `${answered}${lines.length ? '\n' + lines.join('\n') : ''}\n${interpretation}`,
      value,
      unit: attribute === 'value' ? 'currency' : attribute === 'created' || attribute === 'closed' ? 'date' : 'name',
      interpretation,
      data: { query: intent.name, attribute, leads: items, has_more: page.hasNext },
    };
  }
  return {
    answer: `${head}${lines.length ? '\n' + lines.join('\n') : ''}\n${interpretation}`,
    value: items.length,
    unit: intent.entity,
    interpretation,
    data: { query: intent.name, [intent.entity]: items, has_more: page.hasNext },
  };
}

/** The answer's `value`: the attribute itself (a local day YYYY-MM-DD for dates). */
function attributeValue(attribute: LeadAttribute, item: LeadItem): string | number | null {
  switch (attribute) {
    case 'stage':
      return item.status_name;
    case 'pipeline':
      return item.pipeline_name;
    case 'value':
      return item.price;
    case 'responsible':
      return item.responsible_user_name;
    case 'created':
      return item.created_at.slice(0, 10);
    case 'closed':
      return item.closed_at ? item.closed_at.slice(0, 10) : null;
  }
}

/** "2026-03-05T14:07:00-03:00" → "2026-03-05 14:07". */
function localMinute(iso: string): string {
  return iso.slice(0, 16).replace('T', ' ');
}

function fieldValues(contact: Contact, code: string): string[] {
  const field = contact.custom_fields_values?.find((f) => f.field_code === code);
  return (field?.values ?? []).map((v) => String(v.value));
}


