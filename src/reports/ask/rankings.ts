/**
 * Rankings by responsible user or pipeline, of a period's figures or of the open leads now.
 */
import { nameOfPipeline, nameOfUser } from '../sales-report.js';
import { breakdown, isNewIn, isOpen, matchesFilter, type Breakdown } from '../summary.js';
import type { Intent, Metric } from './intent.js';
import { type AnswerContext, currentLeads, filterOf, freshnessNote, MAX_LISTED, periodInfo, periodOf, scopeNames } from './answer-context.js';

export function metricValue(row: Breakdown, metric: Metric): number {
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

export async function rankingInPeriod(ctx: AnswerContext, intent: Extract<Intent, { kind: 'ranking' }>): Promise<Record<string, unknown>> {
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
  const lines = ranking.slice(0, MAX_LISTED).map((r) => w.rankingInPeriodLine(r, intent.metric));
  const head = w.rankingInPeriodHead(intent.by, intent.metric, w.periodPhrase(p.spec, p.period), w.scope(scopeNames(ctx)));
  const empty = w.noLeadsInPeriod();
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

export async function rankingNow(ctx: AnswerContext, intent: Extract<Intent, { kind: 'ranking' }>): Promise<Record<string, unknown>> {
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
  const head = w.rankingNowHead(intent.by, w.scope(scopeNames(ctx)));
  const lines = ranking.slice(0, MAX_LISTED).map((r) => w.rankingNowLine(r));
  const interpretation =
    w.interpretation(intent) +
    ' ' +
    w.interpretation({ kind: 'open' }) +
    (created ? w.createdInPeriodNote(created.spec, created.period) : '') +
    freshnessNote(ctx, current.source);
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
