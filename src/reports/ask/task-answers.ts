/**
 * Answers about tasks: open and overdue, overall or by responsible user.
 */
import { throwIfCancelled } from '../context.js';
import { contains, isoLocal } from '../period.js';
import { nameOfUser } from '../sales-report.js';
import { taskFacts, type TaskFacts } from '../services.js';
import type { Intent } from './intent.js';
import { type AnswerContext, freshnessNote, MAX_LISTED, periodInfo, periodOf } from './answer-context.js';

export async function openTasks(ctx: AnswerContext): Promise<{ tasks: TaskFacts[]; source: Record<string, unknown> }> {
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

export async function tasks(ctx: AnswerContext, intent: Extract<Intent, { kind: 'tasks' }>): Promise<Record<string, unknown>> {
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
    const head = w.taskRankingHead(key);
    const lines = ranking.slice(0, MAX_LISTED).map((r) => w.taskRankingLine(r, key));
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
  const which = intent.which === 'overdue' ? 'overdue' : intent.which === 'open' ? 'open' : 'both';
  const value = which === 'overdue' ? overdue.length : open.length;
  const text = w.taskCount(which, open.length, overdue.length, scope);
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
