/**
 * The building blocks of the tools' `describe`: what a call will change on an existing record, read
 * from Kommo first ("moves from Negociação to Closed - won"), in the account's language, for the
 * approval form. Everything agent- or Kommo-supplied is quoted (src/quote.ts).
 */
import { approvalWords, type ApprovalWords } from '../src/approval-words.js';
import { KommoNotFound } from '../src/errors.js';
import type { EntityType } from '../src/kommo/api.js';
import { findStage, lossReasonName, userName } from '../src/kommo/names.js';
import { LOST_STATUS_ID, WON_STATUS_ID } from '../src/kommo/types.js';
import { quote } from '../src/quote.js';
import type { ToolContext } from './define.js';

/** `"Negociação" (funil "Funil de vendas")`, or the bare ids when the stage is unknown. */
async function stageLabel(statusId: number, pipelineId: number, ctx: ToolContext, w: ApprovalWords): Promise<string> {
  try {
    const pipelines = await ctx.reference.pipelines(ctx.signal);
    const found = findStage(pipelines, statusId, pipelineId);
    if (found) return w.stageIn(quote(found.status.name), quote(found.pipeline.name));
    const pipeline = pipelines.find((p) => p.id === pipelineId);
    return w.stageId(statusId, pipeline ? quote(pipeline.name) : String(pipelineId));
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    return w.stageId(statusId, String(pipelineId));
  }
}

async function lossReasonLabel(id: number | null | undefined, ctx: ToolContext, w: ApprovalWords): Promise<string> {
  if (id === null || id === undefined || id === 0) return w.none();
  try {
    return (await lossReasonName(id, ctx)) ?? w.reasonId(id);
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    return w.reasonId(id);
  }
}

const priceLabel = (price: number | null | undefined, w: ApprovalWords): string => (price === null || price === undefined ? w.none() : w.money(price));

export interface LeadChange {
  name?: string;
  price?: number;
  status_id?: number;
  pipeline_id?: number;
  loss_reason_id?: number;
  responsible_user_id?: number;
}

/**
 * `Lead "Acme renewal" (id 42), value R$ 1,200:` then one line per change, before → after
 * (stage "Negociação" (funil "Funil de vendas") → "Closed - won" (…), value R$ 1,200 → R$ 1,500),
 * read from Kommo first. Throws KommoNotFound when the lead does not exist.
 */
export async function describeLeadChange(leadId: number, change: LeadChange, ctx: ToolContext): Promise<string> {
  const w = await approvalWords(ctx);
  const lead = await ctx.kommo.leads.get(leadId, { signal: ctx.signal });
  const lines = [w.leadHeader(quote(lead.name), lead.id, priceLabel(lead.price, w))];
  const arrow = (before: string, after: string): string => (before === after ? w.unchanged(after) : `${before} → ${after}`);

  if (change.status_id !== undefined || change.pipeline_id !== undefined) {
    const before = await stageLabel(lead.status_id, lead.pipeline_id, ctx, w);
    const targetPipeline = change.pipeline_id ?? (await pipelineHolding(change.status_id, ctx)) ?? lead.pipeline_id;
    const after =
      change.status_id !== undefined ? await stageLabel(change.status_id, targetPipeline, ctx, w) : w.firstStageOf(await pipelineLabel(targetPipeline, ctx));
    lines.push(`- ${w.label('status_id')}: ${arrow(before, after)}`);
  }
  if (change.name !== undefined) lines.push(`- ${w.label('name')}: ${arrow(quote(lead.name), quote(change.name))}`);
  if (change.price !== undefined) lines.push(`- ${w.label('price')}: ${arrow(priceLabel(lead.price, w), priceLabel(change.price, w))}`);
  if (change.loss_reason_id !== undefined) {
    lines.push(
      `- ${w.label('loss_reason_id')}: ${arrow(await lossReasonLabel(lead.loss_reason_id, ctx, w), await lossReasonLabel(change.loss_reason_id, ctx, w))}`,
    );
  }
  if (change.responsible_user_id !== undefined) {
    lines.push(
      `- ${w.label('responsible_user_id')}: ${arrow(await userLabel(lead.responsible_user_id, ctx, w), await userLabel(change.responsible_user_id, ctx, w))}`,
    );
  }
  if (lines.length === 1) lines.push(w.nothingToChange());
  return lines.join('\n');
}

/** Without a pipeline, a stage other than won/lost (which every pipeline has) is in the pipeline that holds it. */
async function pipelineHolding(statusId: number | undefined, ctx: ToolContext): Promise<number | undefined> {
  if (statusId === undefined || statusId === WON_STATUS_ID || statusId === LOST_STATUS_ID) return undefined;
  try {
    return findStage(await ctx.reference.pipelines(ctx.signal), statusId)?.pipeline.id;
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    return undefined;
  }
}

async function userLabel(id: number, ctx: ToolContext, w: ApprovalWords): Promise<string> {
  try {
    return (await userName(id, ctx)) ?? w.userId(id);
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    return w.userId(id);
  }
}

async function pipelineLabel(id: number, ctx: ToolContext): Promise<string> {
  try {
    const pipeline = (await ctx.reference.pipelines(ctx.signal)).find((p) => p.id === id);
    return pipeline ? quote(pipeline.name) : String(id);
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    return String(id);
  }
}

/**
 * `lead "Acme renewal" (id 42)` (the noun in the account's language), read from Kommo. Throws
 * KommoNotFound when the record does not exist; other read failures give `lead 42`.
 */
export async function recordLabel(entityType: EntityType, id: number, ctx: ToolContext): Promise<string> {
  const noun = (await approvalWords(ctx)).noun(entityType);
  try {
    const record = await ctx.kommo[entityType].get(id, { signal: ctx.signal });
    return record.name ? `${noun} ${quote(record.name)} (id ${id})` : `${noun} ${id}`;
  } catch (err) {
    if (err instanceof KommoNotFound || ctx.signal.aborted) throw err;
    return `${noun} ${id}`;
  }
}

/** `Salesbot "Welcome" (id 7)`, or `Salesbot 7` when Kommo does not say its name. */
export async function salesbotLabel(botId: number, ctx: ToolContext): Promise<string> {
  try {
    const bot = await ctx.kommo.bots.get(botId, { signal: ctx.signal });
    return bot?.name ? `Salesbot ${quote(bot.name)} (id ${botId})` : `Salesbot ${botId}`;
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    return `Salesbot ${botId}`;
  }
}

export async function describeSalesbot(
  action: 'run' | 'stop',
  args: { bot_id: number; entity_id: number; entity_type: EntityType },
  ctx: ToolContext,
): Promise<string> {
  const [w, bot, record] = await Promise.all([approvalWords(ctx), salesbotLabel(args.bot_id, ctx), recordLabel(args.entity_type, args.entity_id, ctx)]);
  return w.salesbot(action, bot, record);
}

/** "Adds a note to lead "Acme" (id 42)." / "Creates a task on …", in the account's language. */
export async function describeRecordAction(action: 'note' | 'task', entityType: EntityType, id: number, ctx: ToolContext): Promise<string> {
  const [w, record] = await Promise.all([approvalWords(ctx), recordLabel(entityType, id, ctx)]);
  return action === 'note' ? w.addsNote(record) : w.createsTask(record);
}

/** Pinning or unpinning a note, in the account's language. */
export async function describePinning(pinned: boolean, entityType: EntityType, noteId: number, ctx: ToolContext): Promise<string> {
  return (await approvalWords(ctx)).pinning(pinned, noteId, entityType);
}
