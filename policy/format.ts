/**
 * The policy file format (policy/README.md): PolicyLayer's JSON policy format unchanged
 * (`version`, `default`, `hide`, `all_tools.limits`, `tools.<name>.{require, deny_if, limits}`) plus
 * our extensions (`action`, `reason`, `approval`, `mode`, `description`, `$schema`, windows in
 * seconds, scopes `grant|session|global|args.<path>`).
 *
 * Everything unknown is an error: a typo must never open a door. Every problem is reported with the
 * JSON path where it is (`tools.run_salesbot.limits[0].window`) and a sentence saying what is allowed.
 */
import { RE2JS } from 're2js';
import { z } from 'zod';
import * as defaults from '../src/defaults.js';

export const CONDITION_OPS = ['eq', 'neq', 'in', 'not_in', 'lt', 'lte', 'gt', 'gte', 'regex', 'contains', 'exists'] as const;
export type ConditionOp = (typeof CONDITION_OPS)[number];

export const NAMED_WINDOWS = { second: 1, minute: 60, hour: 3_600, day: 86_400 } as const;
export type NamedWindow = keyof typeof NAMED_WINDOWS;
/** A year: longer windows are almost certainly a unit mistake (ms instead of s). */
export const MAX_WINDOW_SECONDS = 31_536_000;
export const MAX_LIMIT = 1_000_000_000;
export const MAX_REGEX_SOURCE = 1_000;
export const MAX_APPROVAL_TIMEOUT_S = 3_600;
export const MAX_PENDING_APPROVALS = 100;

/** `args.` followed by dotted argument names or array indexes: `args.lead_id`, `args.items.0.id`. */
export const ARG_PATH = /^args(\.[A-Za-z0-9_-]+)+$/;
export const SCOPE = /^(grant|session|global|args(\.[A-Za-z0-9_-]+)+)$/;
export const COUNTER = /^[A-Za-z0-9_.:-]{1,64}$/;

const text = (what: string, max: number) =>
  z
    .string({ error: `${what} must be a string` })
    .trim()
    .min(1, `${what} must not be empty`)
    .max(max, `${what} must be at most ${max} characters`);

const WINDOW_ERROR = `window must be "second", "minute", "hour", "day" or a whole number of seconds from 1 to ${MAX_WINDOW_SECONDS}, e.g. "minute" or 90`;

/** One message whichever branch fails, so a bad window is explained the same way in every case. */
const Window = z
  .union(
    [
      z.enum(Object.keys(NAMED_WINDOWS) as [NamedWindow, ...NamedWindow[]], { error: WINDOW_ERROR }),
      z.number({ error: WINDOW_ERROR }).int(WINDOW_ERROR).min(1, WINDOW_ERROR).max(MAX_WINDOW_SECONDS, WINDOW_ERROR),
    ],
    { error: WINDOW_ERROR },
  )
  .describe('second, minute, hour, day, or a number of seconds.');

const Mode = z.enum(['enforce', 'dry_run'], { error: 'mode must be "enforce" or "dry_run"' }).describe('dry_run: decide and log, but let every call through.');

const Limit = z
  .strictObject({
    counter: z
      .string({ error: 'counter must be a name (letters, digits, _ . : -), e.g. "run_salesbot_rate"' })
      .regex(COUNTER, 'counter must be 1 to 64 letters, digits or _ . : - (e.g. "run_salesbot_rate")')
      .describe('Counter name; reuse it to share a budget across tools.'),
    window: Window,
    max: z
      .number({ error: 'max must be a whole number of calls per window, e.g. 10' })
      .int('max must be a whole number of calls per window, e.g. 10')
      .min(1, 'max must be at least 1; to block a tool use "action": "deny"')
      .max(MAX_LIMIT, `max must be at most ${MAX_LIMIT}`)
      .describe('Calls allowed per window.'),
    scope: z
      .string({ error: 'scope must be "grant", "session", "global" or "args.<argument>"' })
      .regex(SCOPE, 'scope must be "grant", "session", "global" or "args.<argument>", e.g. "args.lead_id"')
      .optional()
      .meta({
        default: 'grant',
        description: 'grant (per credential), session (per MCP session), global (whole process) or args.<argument> (per argument value).',
      }),
  })
  .meta({
    id: 'limit',
    description: 'At most `max` calls per fixed UTC-aligned window, per scope. The same counter name in several places is one shared budget.',
  });

const Scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

const Condition = z
  .strictObject({
    path: z
      .string({ error: 'path must be a string like "args.price"' })
      .regex(ARG_PATH, 'path must be "args." followed by an argument name, e.g. "args.price" or "args.metadata.key"')
      .describe('args.<argument>, dotted for nested values, e.g. "args.price".'),
    op: z
      .enum(CONDITION_OPS, { error: `op must be one of ${CONDITION_OPS.join(', ')}` })
      .describe('regex is a full match in RE2 syntax (no backreferences or lookarounds); exists takes true or false.'),
    value: z.unknown().optional().describe('What to compare with: a list for in / not_in, a number for lt / lte / gt / gte, a pattern for regex.'),
  })
  .meta({ id: 'condition', description: 'A test on the validated arguments of the call.' })
  .superRefine((c, ctx) => {
    const bad = (message: string) => ctx.addIssue({ code: 'custom', path: ['value'], message });
    switch (c.op) {
      case 'eq':
      case 'neq':
        if (!Scalar.safeParse(c.value).success) bad(`op "${c.op}" needs a value that is a string, number, boolean or null`);
        break;
      case 'in':
      case 'not_in':
        if (!Array.isArray(c.value) || c.value.length === 0 || !c.value.every((v) => Scalar.safeParse(v).success)) {
          bad(`op "${c.op}" needs a non-empty list of strings or numbers as value, e.g. ["leads", "contacts"]`);
        }
        break;
      case 'lt':
      case 'lte':
      case 'gt':
      case 'gte':
        if (typeof c.value !== 'number' || !Number.isFinite(c.value)) bad(`op "${c.op}" needs a number as value, e.g. 100000`);
        break;
      case 'contains':
        if (!['string', 'number', 'boolean'].includes(typeof c.value)) bad('op "contains" needs a string, number or boolean as value');
        break;
      case 'exists':
        if (c.value !== undefined && typeof c.value !== 'boolean') bad('op "exists" takes true (the argument is given) or false (it is not)');
        break;
      case 'regex': {
        if (typeof c.value !== 'string' || c.value.length === 0 || c.value.length > MAX_REGEX_SOURCE) {
          bad(`op "regex" needs a pattern string of 1 to ${MAX_REGEX_SOURCE} characters as value`);
          break;
        }
        try {
          compilePattern(c.value);
        } catch (err) {
          bad(`the pattern is not valid RE2 syntax (no backreferences or lookarounds): ${err instanceof Error ? err.message : String(err)}`);
        }
        break;
      }
    }
  });

const Limits = z.array(Limit, { error: 'limits must be a list of {counter, window, max, scope} entries' });

const DenyIf = z.strictObject({
  conditions: z.array(Condition, { error: 'conditions must be a list of conditions (an empty list always denies)' }),
  on_deny: text('on_deny', 500).optional().describe('Told to the agent when this entry refuses a call.'),
});

const Approval = z.strictObject({
  message: text('approval.message', 1_000).optional().describe('Shown to the person above the call summary.'),
  timeout_s: z
    .number({ error: 'timeout_s must be a whole number of seconds' })
    .int('timeout_s must be a whole number of seconds')
    .min(1, 'timeout_s must be at least 1')
    .max(MAX_APPROVAL_TIMEOUT_S, `timeout_s must be at most ${MAX_APPROVAL_TIMEOUT_S}`)
    .optional()
    .meta({ default: defaults.APPROVAL_TIMEOUT_MS / 1000 }),
  max_pending: z
    .number({ error: 'max_pending must be a whole number of approval requests, e.g. 1' })
    .int('max_pending must be a whole number of approval requests, e.g. 1')
    .min(1, 'max_pending must be at least 1; to block the tool use "action": "deny"')
    .max(MAX_PENDING_APPROVALS, `max_pending must be at most ${MAX_PENDING_APPROVALS}`)
    .optional()
    .meta({
      default: defaults.MAX_PENDING_APPROVALS,
      description: 'At most this many approval requests wait at once per client; more calls are refused (rate_limited) while a person is being asked.',
    }),
});

const ToolRule = z
  .strictObject({
    action: z
      .enum(['allow', 'deny', 'approval'], { error: 'action must be "allow", "deny" or "approval"' })
      .optional()
      .meta({ default: 'allow', description: 'approval: a person approves each call (MCP elicitation).' }),
    reason: text('reason', 500).optional().describe('Told to the agent when this tool is refused.'),
    approval: Approval.optional().describe('With action "approval".'),
    mode: Mode.optional(),
    require: z.array(Condition, { error: 'require must be a list of conditions' }).optional().describe('Every condition must hold, else the call is refused.'),
    deny_if: z
      .array(DenyIf, { error: 'deny_if must be a list of {conditions, on_deny} entries' })
      .optional()
      .describe('Each entry refuses the call when all its conditions hold (an empty list always refuses).'),
    limits: Limits.optional(),
  })
  .superRefine((rule, ctx) => {
    if (rule.approval && rule.action !== 'approval') {
      ctx.addIssue({ code: 'custom', path: ['approval'], message: 'approval settings only apply with "action": "approval"; add it or remove "approval"' });
    }
  })
  .meta({ id: 'toolRule' });

const HIDE_DESCRIPTION = 'Tools removed from tools/list and refused when called anyway; "*" hides all.';

export const PolicySchema = z
  .strictObject({
    $schema: z.string({ error: '$schema must be a string (the path or URL of policy.schema.json)' }).optional(),
    version: z.literal('1', { error: 'version must be the string "1"' }),
    description: text('description', 2_000).optional(),
    default: z
      .enum(['allow', 'deny'], { error: 'default must be "allow" or "deny" (what happens to tools not listed under "tools")' })
      .describe('What happens to tools not listed under "tools".'),
    mode: Mode.optional(),
    hide: z
      .array(z.string({ error: 'hide entries must be tool names or "*"' }), { error: 'hide must be a list of tool names (or "*")' })
      .optional()
      .describe(HIDE_DESCRIPTION),
    all_tools: z.strictObject({ limits: Limits.optional() }).optional(),
    tools: z.record(z.string(), ToolRule, { error: 'tools must be an object keyed by tool name' }).optional(),
  })
  .meta({
    title: 'kommo-mcp policy',
    description: 'PolicyLayer JSON policy format plus kommo-mcp extensions (action, reason, approval, mode). Check a file with: kommo-mcp policy check <file>',
  });

/**
 * The JSON Schema of the format, for editors (completion and checking as you type), generated from
 * the zod schema above with the catalogue's tool names filled in under `hide` and `tools` (the parser
 * checks those names itself, for its "did you mean" hints). The shipped `policy/policy.schema.json`
 * is this for the catalogue; a test keeps the two equal. Regenerate with
 *   npm run build && node dist/src/policy-schema.js > policy/policy.schema.json
 */
export function policyJsonSchema(kinds: ToolKinds): Record<string, unknown> {
  const names = [...kinds.keys()];
  const forCatalogue = PolicySchema.extend({
    hide: z
      .array(z.enum(['*', ...names]))
      .optional()
      .describe(HIDE_DESCRIPTION),
    tools: z.strictObject(Object.fromEntries(names.map((name) => [name, ToolRule.optional().describe(`${name} (${kinds.get(name)})`)]))).optional(),
  }).meta(PolicySchema.meta() ?? {});
  return z.toJSONSchema(forCatalogue, { target: 'draft-07', io: 'input' }) as Record<string, unknown>;
}

export type PolicyDocument = z.infer<typeof PolicySchema>;
export type PolicyLimit = z.infer<typeof Limit>;
export type PolicyCondition = z.infer<typeof Condition>;
export type PolicyToolRule = z.infer<typeof ToolRule>;

export interface PolicyIssue {
  /** JSON path of the offending value, e.g. `tools.run_salesbot.limits[0].window`. */
  path: string;
  message: string;
}

export type ValidationResult = { ok: true; policy: PolicyDocument } | { ok: false; issues: PolicyIssue[] };

/**
 * The tools a policy may name (the keys: any other name is refused) and the arguments each accepts,
 * as dotted paths (`price`; `items.*.id` for array elements). The server derives it from its tool
 * catalogue and passes it in, so policy/ knows no tool code.
 */
export type ToolArguments = ReadonlyMap<string, readonly string[]>;

/** Tool name → kind ("read", "write", "execute"), from the catalogue, for reports and the JSON Schema. */
export type ToolKinds = ReadonlyMap<string, string>;

/** Checks a parsed JSON value against the format, then the rules that span several places. */
export function validatePolicy(value: unknown, toolArguments: ToolArguments): ValidationResult {
  const parsed = PolicySchema.safeParse(value, { reportInput: true });
  const issues = [...(parsed.success ? [] : parsed.error.issues.flatMap(toIssues)), ...checkToolNames(value, toolArguments)];
  if (parsed.success) issues.push(...checkCounters(parsed.data), ...checkArgumentPaths(parsed.data, toolArguments));
  return parsed.success && issues.length === 0 ? { ok: true, policy: parsed.data } : { ok: false, issues };
}

/** Whether `tool` accepts the argument at `path` (`args.` already removed, e.g. `items.0.id`). */
export function acceptsArgument(toolArguments: ToolArguments, tool: string, path: string): boolean {
  const segments = path.split('.');
  return (toolArguments.get(tool) ?? []).some((known) => {
    const parts = known.split('.');
    return parts.length === segments.length && parts.every((p, i) => p === segments[i] || (p === '*' && /^\d+$/.test(segments[i]!)));
  });
}

/**
 * A condition or `args.` scope on an argument the tool does not take would never match: a typo
 * (`args.prce`) would silently switch a `deny_if` off. Each must name an argument of its tool; an
 * all_tools scope, an argument of at least one tool (it then counts only the tools that take it).
 */
function checkArgumentPaths(policy: PolicyDocument, toolArguments: ToolArguments): PolicyIssue[] {
  const issues: PolicyIssue[] = [];
  const check = (tools: readonly string[], argPath: string, at: (string | number)[]) => {
    const path = argPath.slice('args.'.length);
    if (tools.some((tool) => acceptsArgument(toolArguments, tool, path))) return;
    const known = [...new Set(tools.flatMap((tool) => toolArguments.get(tool) ?? []))];
    const hint = closest(path, known);
    const whose = tools.length === 1 ? `${tools[0]} has no argument` : 'no tool has an argument';
    const list = known.length === 0 ? `${tools[0]} takes no arguments` : `the arguments are ${known.join(', ')}`;
    issues.push({
      path: formatPath(at),
      message: `${whose} "${path}", so this would never apply${hint ? `; did you mean "args.${hint}"?` : `; ${list}`}`,
    });
  };
  const everyTool = [...toolArguments.keys()];
  (policy.all_tools?.limits ?? []).forEach((limit, i) => {
    if (limit.scope?.startsWith('args.')) check(everyTool, limit.scope, ['all_tools', 'limits', i, 'scope']);
  });
  for (const [tool, rule] of Object.entries(policy.tools ?? {})) {
    const base = ['tools', tool];
    (rule.require ?? []).forEach((c, i) => {
      check([tool], c.path, [...base, 'require', i, 'path']);
    });
    (rule.deny_if ?? []).forEach((d, i) => {
      d.conditions.forEach((c, j) => {
        check([tool], c.path, [...base, 'deny_if', i, 'conditions', j, 'path']);
      });
    });
    (rule.limits ?? []).forEach((limit, i) => {
      if (limit.scope?.startsWith('args.')) check([tool], limit.scope, [...base, 'limits', i, 'scope']);
    });
  }
  return issues;
}

/** Tool names under `hide` and `tools`: read from the raw value, so they are reported with any other problem. */
function checkToolNames(value: unknown, toolArguments: ToolArguments): PolicyIssue[] {
  const names = [...toolArguments.keys()];
  const issues: PolicyIssue[] = [];
  if (value === null || typeof value !== 'object') return issues;
  const { hide, tools } = value as { hide?: unknown; tools?: unknown };
  if (Array.isArray(hide)) {
    hide.forEach((name, i) => {
      if (typeof name === 'string' && name !== '*' && !toolArguments.has(name))
        issues.push({ path: formatPath(['hide', i]), message: unknownTool(name, names) });
    });
  }
  if (tools !== null && typeof tools === 'object' && !Array.isArray(tools)) {
    for (const name of Object.keys(tools)) {
      if (!toolArguments.has(name)) issues.push({ path: formatPath(['tools', name]), message: unknownTool(name, names) });
    }
  }
  return issues;
}

/** A counter name is one budget: the same window and max wherever it is used. */
function checkCounters(policy: PolicyDocument): PolicyIssue[] {
  const issues: PolicyIssue[] = [];
  const seen = new Map<string, { window: PolicyLimit['window']; max: number; path: string }>();
  const visit = (limits: PolicyLimit[] | undefined, base: (string | number)[]) => {
    (limits ?? []).forEach((limit, i) => {
      const path = formatPath([...base, i]);
      const first = seen.get(limit.counter);
      if (!first) {
        seen.set(limit.counter, { window: limit.window, max: limit.max, path });
      } else if (first.window !== limit.window || first.max !== limit.max) {
        issues.push({
          path,
          message:
            `counter "${limit.counter}" is one shared budget, first declared at ${first.path} with window ${JSON.stringify(first.window)} and max ${first.max}; ` +
            `here it has window ${JSON.stringify(limit.window)} and max ${limit.max}. Use the same window and max, or another counter name`,
        });
      }
    });
  };
  visit(policy.all_tools?.limits, ['all_tools', 'limits']);
  for (const [name, rule] of Object.entries(policy.tools ?? {})) visit(rule.limits, ['tools', name, 'limits']);
  return issues;
}

/**
 * Every object of the format, each with the keys it accepts, read from the zod schema itself (for
 * "did you mean" hints, and for the test that keeps the editors' JSON Schema in step with it).
 */
export function formatObjects(schema: z.ZodType = PolicySchema): Array<readonly string[]> {
  const found: Array<readonly string[]> = [];
  const visit = (node: z.ZodType): void => {
    const def = (node as unknown as { _zod: { def: Record<string, unknown> & { type: string } } })._zod.def;
    if (def.type === 'object') {
      const shape = def['shape'] as Record<string, z.ZodType>;
      found.push(Object.keys(shape));
      for (const child of Object.values(shape)) visit(child);
    } else if (def.type === 'array') visit(def['element'] as z.ZodType);
    else if (def.type === 'record') visit(def['valueType'] as z.ZodType);
    else if (def.type === 'union') for (const option of def['options'] as z.ZodType[]) visit(option);
    else if (def.type === 'pipe') visit(def['in'] as z.ZodType);
    else if ('innerType' in def) visit(def['innerType'] as z.ZodType);
  };
  visit(schema);
  return found;
}

const KNOWN_KEYS = [...new Set(formatObjects().flat())];

function toIssues(issue: z.core.$ZodIssue): PolicyIssue[] {
  const path = issue.path as (string | number)[];
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const hint = closest(key, KNOWN_KEYS);
      return { path: formatPath([...path, key]), message: `unknown key "${key}"${hint ? `; did you mean "${hint}"?` : ''}` };
    });
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) {
    const last = path[path.length - 1];
    return [{ path: formatPath(path), message: `${typeof last === 'string' ? last : 'this value'} is required` }];
  }
  return [{ path: formatPath(path), message: issue.message }];
}

function unknownTool(name: string, names: readonly string[]): string {
  const hint = closest(name, names);
  return hint ? `unknown tool "${name}"; did you mean "${hint}"?` : `unknown tool "${name}"; the tools are ${names.join(', ')}`;
}

/** `['tools', 'x', 'limits', 0, 'window']` → `tools.x.limits[0].window`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (typeof seg === 'string' && /^[A-Za-z_$][\w$-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out || '(root)';
}

/** The closest known word within two edits, for "did you mean". */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * A `regex` condition is a full match with RE2 semantics, as in PolicyLayer, and runs in time linear
 * in the input: a pattern such as `([a-z]+\\s?)+` cannot freeze the event loop the way a
 * backtracking engine lets it. RE2 syntax includes inline flags such as a leading `(?i)`.
 */
export function compilePattern(source: string): PolicyPattern {
  const re2 = RE2JS.compile(source);
  return { source, test: (input) => re2.matches(input) };
}

export interface PolicyPattern {
  source: string;
  /** Whether the whole input matches. */
  test(input: string): boolean;
}
