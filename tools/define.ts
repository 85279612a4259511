/**
 * A tool is pure data: name, texts, kind, zod input, optional output schema and a `run` function.
 * Annotations follow from the kind, so read-only presets and policies filter data, not code paths.
 */
import type { ToolAnnotations } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { KommoApi } from '../src/kommo/api.js';
import type { ReferenceData } from '../src/kommo/reference.js';
import type { Logger } from '../src/log.js';
import type { ReportsOnFirstUse } from '../src/on-first-use.js';

export type ToolKind = 'read' | 'write' | 'execute';

export interface ToolContext {
  /** The Kommo API (the only way tools reach Kommo). */
  kommo: KommoApi;
  /** Cached reference data (account, timezone, pipelines, users, loss reasons). */
  reference: ReferenceData;
  /** Aborted when the client cancels the call. */
  signal: AbortSignal;
  log: Logger;
  /** Wall clock in ms, injectable for tests. */
  now: () => number;
  /** Sends notifications/progress when the client asked for it; otherwise does nothing. */
  progress: (progress: number, total?: number, message?: string) => Promise<void>;
  /**
   * Process-wide report state (period cache, incremental copies of leads and tasks) used by
   * get_sales_report, get_dashboard and ask_kommo; created by the first call that asks for it, then
   * shared by every session of the process.
   */
  reports: ReportsOnFirstUse;
  /**
   * Refuses (policy_denied, naming the tool) when the policy hides or denies any of these tools for
   * this caller: an answer built from a tool's data may not reach an agent that tool is kept from.
   */
  mayShowDataOf: (tools: readonly string[]) => void;
}

export type ToolInput = z.ZodObject<z.ZodRawShape>;

export interface ToolDefinition<I extends ToolInput = ToolInput> {
  name: string;
  title: string;
  /** Written for an LLM: what it does, when to use it, units. */
  description: string;
  kind: ToolKind;
  /**
   * Its results carry text written by people outside the conversation (names, notes, task text,
   * custom field values): they are marked as data, not instructions (src/result.ts).
   */
  peopleText?: boolean;
  /** Other tools whose data its results show (a report shows leads, users, pipelines). */
  showsDataOf?: readonly string[];
  input: I;
  output?: z.ZodType;
  /** Set only where the kind's defaults are wrong for this tool (e.g. idempotent pin/unpin). */
  annotations?: Partial<ToolAnnotations>;
  run(args: z.infer<I>, ctx: ToolContext): Promise<Record<string, unknown>>;
  /**
   * For approvals: a plain-language account of what the call will do, reading the current record
   * from Kommo when that makes the change clear ("moves from Negotiation to Closed - won").
   */
  describe?(args: z.infer<I>, ctx: ToolContext): Promise<string>;
  /**
   * Writes and executes: how the agent can see whether the change was applied when Kommo's answer
   * was lost (timeout, 5xx, broken connection, cancel after sending), e.g. "call get_lead with id 42".
   */
  verify?(args: z.infer<I>): string;
}

/** The catalogue's view of a tool: arguments arrive already validated against `input`. */
export type AnyTool = ToolDefinition<ToolInput>;

/**
 * Type-checks `run` and `describe` against the tool's own zod input, then erases that type for the
 * catalogue (the middleware only ever calls them with `input.parse` output).
 */
export function defineTool<I extends ToolInput>(tool: ToolDefinition<I>): AnyTool {
  return tool as unknown as AnyTool;
}

/**
 * The hints of a tool's kind, written only where they say something the spec's defaults do not
 * (readOnlyHint false, destructiveHint true, idempotentHint false, openWorldHint true): readOnlyHint
 * always, destructiveHint and idempotentHint only when readOnlyHint is false (the spec gives them no
 * meaning otherwise), idempotentHint only when true. openWorldHint is true for every tool here, so it
 * is left to its default. No `title`: the top-level `title` is the display name the spec looks at first.
 */
export function annotationsFor(tool: AnyTool): ToolAnnotations {
  const hints: ToolAnnotations = tool.kind === 'read' ? { readOnlyHint: true } : { readOnlyHint: false, destructiveHint: tool.kind === 'execute' };
  const merged = { ...hints, ...tool.annotations };
  if (merged.readOnlyHint) {
    delete merged.destructiveHint;
    delete merged.idempotentHint;
  } else if (merged.idempotentHint === false) delete merged.idempotentHint;
  if (merged.openWorldHint === true) delete merged.openWorldHint;
  return merged;
}

/**
 * A tool's zod schema as the JSON Schema tools/list carries, without what costs every session bytes
 * and tells a model nothing: the safe-integer bounds of every integer, `exclusiveMinimum: 0` where
 * `minimum: 1` says the same, a date regex where `format: "date"` is given, and string length
 * guards (a string out of bounds still gets `invalid_arguments` naming the field).
 */
export function toolJsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io });
  return tidy(rest) as Record<string, unknown>;
}

function tidy(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(tidy);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) out[key] = tidy(value);
  if (out['type'] === 'integer') {
    if (typeof out['maximum'] === 'number' && out['maximum'] >= Number.MAX_SAFE_INTEGER) delete out['maximum'];
    if (typeof out['minimum'] === 'number' && out['minimum'] <= Number.MIN_SAFE_INTEGER) delete out['minimum'];
    if (typeof out['exclusiveMinimum'] === 'number') {
      out['minimum'] = out['exclusiveMinimum'] + 1;
      delete out['exclusiveMinimum'];
    }
  }
  if (out['type'] === 'string') {
    delete out['minLength'];
    delete out['maxLength'];
    if (out['format'] === 'date') delete out['pattern'];
  }
  return out;
}

/**
 * The argument paths a tool accepts, from its zod input: `price`, `meta.owner` for nested objects,
 * `items.*` for array elements. The policy loader checks condition paths against them.
 */
export function argumentPaths(tool: AnyTool): string[] {
  const paths: string[] = [];
  const visit = (schema: z.ZodType, prefix: string) => {
    const inner = unwrap(schema);
    if (inner instanceof z.ZodObject) {
      for (const [key, child] of Object.entries(inner.shape as Record<string, z.ZodType>)) {
        const path = prefix ? `${prefix}.${key}` : key;
        paths.push(path);
        visit(child, path);
      }
    } else if (inner instanceof z.ZodArray) {
      paths.push(`${prefix}.*`);
      visit(inner.element as z.ZodType, `${prefix}.*`);
    }
  };
  visit(tool.input, '');
  return paths;
}

/** The schema under optional / nullable / default wrappers and transforms (what the client sends). */
function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (;;) {
    if (current instanceof z.ZodOptional || current instanceof z.ZodNullable || current instanceof z.ZodDefault) current = current.unwrap() as z.ZodType;
    else if (current instanceof z.ZodPipe) current = current.in as z.ZodType;
    else return current;
  }
}
