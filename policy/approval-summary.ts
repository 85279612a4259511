/**
 * The words a person reads before approving a call (design.md section 4), in the account's language
 * (approval-words.ts). The generic part names the action and every argument with a readable label,
 * resolving ids to names from cached reference data (stage, pipeline, user, loss reason) exactly as
 * Kommo writes them. A tool's own `describe` adds what changes on an existing record, read from
 * Kommo first, with the deal value; the helpers below are what those `describe`s are built from.
 *
 * Everything agent- or Kommo-supplied is shown quoted and escaped, so a lead name or note text cannot
 * pose as part of the server's own message ("...\n\nThis call is safe, approve it").
 */
import { NotFound } from '../src/errors.js';
import type { EntityType } from '../src/kommo/api.js';
import { LOST_STATUS_ID, WON_STATUS_ID, type Pipeline, type Status } from '../src/kommo/types.js';
import type { AnyTool, ToolContext } from '../tools/define.js';
import { ApprovalWords } from './approval-words.js';

export interface ApprovalMessageInput {
  tool: AnyTool;
  args: Readonly<Record<string, unknown>>;
  argsHash: string;
  /** The policy author's `approval.message`, shown first. */
  policyMessage?: string;
  timeoutMs: number;
  /** The tool's context, with a signal that also fires when the approval times out. */
  ctx: ToolContext;
  /** The account's words, when the caller has them already (the form's field is in them too). */
  words?: ApprovalWords;
}

/** The first 12 hex digits of the argument hash: enough to match an audit line (in error details, not in the form). */
export function shortHash(argsHash: string): string {
  return argsHash.replace(/^sha256:/, '').slice(0, 12);
}

/**
 * The words for this account: its language (KOMMO_LANGUAGE, the account's, its user's) and its
 * currency. When the account cannot be read, English and plain numbers.
 */
export async function approvalWords(ctx: ToolContext): Promise<ApprovalWords> {
  try {
    const [language, account] = await Promise.all([ctx.reference.language(ctx.signal), ctx.reference.account(ctx.signal)]);
    return new ApprovalWords(language, account.currency);
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    return new ApprovalWords('en');
  }
}

export async function buildApprovalMessage(input: ApprovalMessageInput): Promise<string> {
  const { tool, args, ctx } = input;
  const w = input.words ?? (await approvalWords(ctx));
  const parts: string[] = [];
  if (input.policyMessage?.trim()) parts.push(input.policyMessage.trim());
  parts.push(w.asks(tool.name, tool.title));

  const change = await describeChange(tool, args, ctx, w);
  if (change) parts.push(`${w.whatHappens()}\n${change}`);

  const argumentLines = await describeArguments(args, ctx, w);
  parts.push(argumentLines.length > 0 ? `${w.exactRequest()}\n${argumentLines.join('\n')}` : w.noArguments());

  parts.push(w.closing(w.duration(input.timeoutMs)));
  return parts.join('\n\n');
}

/**
 * The tool's record-specific account. A record that does not exist ends the call (there is nothing
 * to approve); any other failure to read leaves only the generic part, saying so.
 */
async function describeChange(tool: AnyTool, args: Readonly<Record<string, unknown>>, ctx: ToolContext, w: ApprovalWords): Promise<string | undefined> {
  if (!tool.describe) return undefined;
  try {
    const text = (await tool.describe(args as Record<string, unknown>, ctx)).trim();
    return text || undefined;
  } catch (err) {
    if (err instanceof NotFound) throw err;
    if (ctx.signal.aborted) throw err;
    ctx.log.warn('approval summary: could not read the current record', { tool: tool.name, error: err instanceof Error ? err.name : 'unknown' });
    return w.unreadable();
  }
}

// --- Arguments, with readable labels and ids resolved to names ---------------------------------

const ENGLISH = new ApprovalWords('en');
const ENTITY_TYPES = new Set(['leads', 'contacts', 'companies']);

export function labelFor(key: string, w: ApprovalWords = ENGLISH): string {
  return w.label(key);
}

/** One "- Label: value" line per argument, in the order given; nested values as escaped JSON. */
export async function describeArguments(args: Readonly<Record<string, unknown>>, ctx: ToolContext, words?: ApprovalWords): Promise<string[]> {
  const w = words ?? (await approvalWords(ctx));
  const lines: string[] = [];
  for (const [key, value] of Object.entries(args)) {
    if (value === undefined) continue;
    lines.push(`- ${w.label(key)}: ${await formatArgument(key, value, args, ctx, w)}`);
  }
  return lines;
}

async function formatArgument(key: string, value: unknown, args: Readonly<Record<string, unknown>>, ctx: ToolContext, w: ApprovalWords): Promise<string> {
  if (typeof value === 'number') {
    const name = await resolveName(key, value, args, ctx);
    if (name !== undefined) return `${name} (id ${value})`;
    if (key === 'complete_till') return `${await formatTimestamp(value, ctx, w)} (unix ${value})`;
    if (key === 'price') return w.money(value);
    return String(value);
  }
  if (key === 'entity_type' && typeof value === 'string' && ENTITY_TYPES.has(value)) return `${w.noun(value)} (${value})`;
  return formatValue(value, w);
}

/** A readable form of any argument value: strings quoted and escaped, the rest as JSON. */
export function formatValue(value: unknown, w: ApprovalWords = ENGLISH): string {
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'boolean') return value ? w.yes() : w.no();
  if (value === null) return w.none();
  return escapeInvisible(JSON.stringify(value) ?? String(value));
}

/** A string as the person should see it: in quotes, with line breaks and invisible characters escaped. */
export function quote(text: string): string {
  return escapeInvisible(JSON.stringify(text));
}

// Bidirectional overrides and zero-width characters can make text read differently than it is.
const INVISIBLE = /[\u00AD\u061C\u180E\u200B-\u200F\u2028-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/g;

function escapeInvisible(text: string): string {
  return text.replace(INVISIBLE, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

async function resolveName(key: string, id: number, args: Readonly<Record<string, unknown>>, ctx: ToolContext): Promise<string | undefined> {
  try {
    switch (key) {
      case 'status_id': {
        const pipelineId = typeof args.pipeline_id === 'number' ? args.pipeline_id : undefined;
        const found = findStage(await ctx.reference.pipelines(ctx.signal), id, pipelineId);
        return found ? quote(found.status.name) : undefined;
      }
      case 'pipeline_id': {
        const pipeline = (await ctx.reference.pipelines(ctx.signal)).find((p) => p.id === id);
        return pipeline ? quote(pipeline.name) : undefined;
      }
      case 'responsible_user_id':
        return await userName(id, ctx);
      case 'loss_reason_id':
        return await lossReasonName(id, ctx);
      default:
        return undefined;
    }
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    // A name is a courtesy: without it the id is still shown.
    return undefined;
  }
}

// --- Helpers for tools' `describe` -----------------------------------------------------------

/**
 * A stage by id. Stages 142/143 (won/lost) exist in every pipeline, so the pipeline decides; other
 * stage ids are unique, so without a pipeline the one that holds the stage is found.
 */
export function findStage(pipelines: readonly Pipeline[], statusId: number, pipelineId?: number): { pipeline: Pipeline; status: Status } | undefined {
  const candidates = pipelineId === undefined ? pipelines : pipelines.filter((p) => p.id === pipelineId);
  for (const pipeline of candidates) {
    const status = pipeline._embedded?.statuses?.find((s) => s.id === statusId);
    if (status) return { pipeline, status };
  }
  return undefined;
}

async function userName(id: number, ctx: ToolContext): Promise<string | undefined> {
  const user = (await ctx.reference.users(ctx.signal)).find((u) => u.id === id);
  return user ? quote(user.name) : undefined;
}

async function lossReasonName(id: number, ctx: ToolContext): Promise<string | undefined> {
  const reason = (await ctx.reference.lossReasons(ctx.signal)).find((r) => r.id === id);
  return reason ? quote(reason.name) : undefined;
}

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
 * read from Kommo first. Throws NotFound when the lead does not exist.
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
      change.status_id !== undefined
        ? await stageLabel(change.status_id, targetPipeline, ctx, w)
        : w.firstStageOf(await pipelineLabel(targetPipeline, ctx));
    lines.push(`- ${w.label('status_id')}: ${arrow(before, after)}`);
  }
  if (change.name !== undefined) lines.push(`- ${w.label('name')}: ${arrow(quote(lead.name), quote(change.name))}`);
  if (change.price !== undefined) lines.push(`- ${w.label('price')}: ${arrow(priceLabel(lead.price, w), priceLabel(change.price, w))}`);
  if (change.loss_reason_id !== undefined) {
    lines.push(`- ${w.label('loss_reason_id')}: ${arrow(await lossReasonLabel(lead.loss_reason_id, ctx, w), await lossReasonLabel(change.loss_reason_id, ctx, w))}`);
  }
  if (change.responsible_user_id !== undefined) {
    lines.push(`- ${w.label('responsible_user_id')}: ${arrow(await userLabel(lead.responsible_user_id, ctx, w), await userLabel(change.responsible_user_id, ctx, w))}`);
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
 * NotFound when the record does not exist; other read failures give `lead 42`.
 */
export async function recordLabel(entityType: EntityType, id: number, ctx: ToolContext): Promise<string> {
  const noun = (await approvalWords(ctx)).noun(entityType);
  try {
    const record = await ctx.kommo[entityType].get(id, { signal: ctx.signal });
    return record.name ? `${noun} ${quote(record.name)} (id ${id})` : `${noun} ${id}`;
  } catch (err) {
    if (err instanceof NotFound || ctx.signal.aborted) throw err;
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

async function formatTimestamp(unixSeconds: number, ctx: ToolContext, w: ApprovalWords): Promise<string> {
  const date = new Date(unixSeconds * 1000);
  if (Number.isNaN(date.getTime())) return String(unixSeconds);
  try {
    const timeZone = await ctx.reference.timezone(ctx.signal);
    const text = new Intl.DateTimeFormat(w.dateLocale(), { timeZone, dateStyle: 'medium', timeStyle: 'short' }).format(date);
    return `${text} ${timeZone}`;
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  }
}
