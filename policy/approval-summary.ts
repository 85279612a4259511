/**
 * The words a person reads before approving a call (docs/architecture.md, "Approval"), in the account's language
 * (src/approval-words.ts). The generic part names the action and every argument with a readable
 * label, resolving ids to names from cached reference data (stage, pipeline, user, loss reason) exactly
 * as Kommo writes them. A tool's own `describe` adds what changes on an existing record, read from
 * Kommo first, with the deal value (its building blocks are in tools/describe.ts).
 *
 * Everything agent- or Kommo-supplied is shown quoted and escaped, so a lead name or note text cannot
 * pose as part of the server's own message ("...\n\nThis call is safe, approve it").
 */
import { approvalWords, ApprovalWords } from '../src/approval-words.js';
import { KommoNotFound } from '../src/errors.js';
import { findStage, lossReasonName, userName } from '../src/kommo/names.js';
import { escapeInvisible, quote } from '../src/quote.js';
import type { AnyTool, ToolContext } from '../tools/define.js';

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
    if (err instanceof KommoNotFound) throw err;
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
