/**
 * Answers about a period: new, won, lost, revenue, ticket, conversion (and open or in a stage among the leads created in it).
 */
import { figures, isNewIn, isOpen, matchesFilter } from '../summary.js';
import type { Intent } from './intent.js';
import { type AnswerContext, filterOf, periodInfo, periodOf, scopeNames } from './answer-context.js';

export async function periodFigure(ctx: AnswerContext, intent: Intent): Promise<Record<string, unknown>> {
  const w = ctx.words;
  const p = periodOf(ctx);
  const data = await ctx.services.periodLeads(p.period, ctx.call, ctx.progress);
  const f = figures(p.period, data.leads, filterOf(ctx));
  const scope = w.scope(scopeNames(ctx));
  const when = w.periodPhrase(p.spec, p.period);
  let value: number | null;
  let unit: string;
  switch (intent.kind) {
    case 'count':
      unit = 'leads';
      value = intent.metric === 'closed' ? f.won + f.lost : f[intent.metric];
      break;
    case 'revenue':
      unit = 'currency';
      value = f.revenue;
      break;
    case 'average':
      unit = 'currency';
      value = f.won > 0 ? f.average : null;
      break;
    case 'conversion':
      unit = 'percent';
      value = f.won + f.lost > 0 ? f.conversion_rate : null;
      break;
    default:
      unit = 'summary';
      value = null;
  }
  const text = w.periodFigure(intent.kind, intent.kind === 'count' ? intent.metric : undefined, f, scope, when);
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
export async function openCreatedIn(ctx: AnswerContext): Promise<Record<string, unknown>> {
  const w = ctx.words;
  const p = periodOf(ctx);
  const data = await ctx.services.periodLeads(p.period, ctx.call, ctx.progress);
  const filter = filterOf(ctx);
  const value = data.leads.filter((l) => matchesFilter(l, filter) && isNewIn(p.period, l) && isOpen(l)).length;
  const text = w.openCreatedIn(value, w.scope(scopeNames(ctx)), w.periodPhrase(p.spec, p.period));
  const interpretation = w.openCreatedInNote() + w.scopeNote(scopeNames(ctx));
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
