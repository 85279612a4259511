/**
 * ask_kommo: parses the question (no LLM, no network beyond Kommo), fetches only what the answer
 * needs through the same services as the reports, and answers in the question's language with the
 * figure, the period and the interpretation, plus the data as structured content.
 */
import { PageProgress, type ReportCall } from '../context.js';
import type { ReportServices } from '../services.js';
import { dataShownBy, parseQuestion, type Intent } from './intent.js';
import { Words } from './render.js';
import type { AnswerContext } from './answer-context.js';
import { currentCount } from './current-figures.js';
import { lookup } from './lookup.js';
import { openCreatedIn, periodFigure } from './period-figures.js';
import { rankingInPeriod, rankingNow } from './rankings.js';
import { tasks } from './task-answers.js';

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
    return {
      understood: false,
      language: parsed.language,
      question,
      reason: parsed.reason,
      ...(parsed.detail && { detail: parsed.detail }),
      answer,
      supported,
    };
  }
  call.mayShowDataOf(dataShownBy(parsed));
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
