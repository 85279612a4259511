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
export async function openCreatedIn(ctx: AnswerContext): Promise<Record<string, unknown>> {
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
