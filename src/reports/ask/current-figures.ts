/**
 * Answers about now: total leads, open leads, leads in a stage.
 */
import { countOpen } from '../dashboard.js';
import { isOpen, matchesFilter } from '../summary.js';
import type { Intent } from './intent.js';
import { type AnswerContext, currentLeads, filterOf, freshnessNote, openStagesOf, scopeNames } from './answer-context.js';

export async function currentCount(ctx: AnswerContext, kind: 'stage' | 'total' | 'open'): Promise<Record<string, unknown>> {
  const w = ctx.words;
  const stages = ctx.parsed.stages.length > 0 ? ctx.parsed.stages : kind === 'open' && ctx.parsed.pipelines.length > 0 ? openStagesOf(ctx) : [];
  const current = await currentLeads(ctx, stages);
  const filter = filterOf(ctx);
  const selected = current.leads.filter((l) => matchesFilter(l, filter) && (kind !== 'open' || isOpen(l)));
  const value = selected.length;
  // The stage is already in the sentence for a stage count.
  const scope = w.scope(kind === 'stage' ? { ...scopeNames(ctx), stages: [] } : scopeNames(ctx));
  const text = w.currentCount(kind, scopeNames(ctx).stages.join(', '), scope, value);
  const interpretation = w.interpretation({ kind } as Intent) + (kind === 'stage' ? '' : w.scopeNote(scopeNames(ctx))) + freshnessNote(ctx, current.source);
  const byStage =
    kind === 'stage' && ctx.parsed.stages.length > 1
      ? ctx.parsed.stages.map((s) => ({
          pipeline_id: s.pipelineId,
          status_id: s.statusId,
          name: s.name,
          leads: selected.filter((l) => l.pipeline_id === s.pipelineId && l.status_id === s.statusId).length,
        }))
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
