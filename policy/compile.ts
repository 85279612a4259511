/**
 * A validated policy document turned into the shape `evaluate` reads: regexes compiled, windows in
 * milliseconds, argument paths split, and each rule labelled with its JSON path (the `rule` that a
 * denial names). Compiling happens once per load, never per call.
 */
import { APPROVAL_TIMEOUT_MS, MAX_PENDING_APPROVALS } from '../src/defaults.js';
import {
  acceptsArgument,
  compilePattern,
  formatPath,
  NAMED_WINDOWS,
  validatePolicy,
  type ConditionOp,
  type PolicyCondition,
  type PolicyDocument,
  type PolicyIssue,
  type PolicyLimit,
  type PolicyPattern,
  type ToolArguments,
} from './format.js';
import { PolicyError } from './errors.js';

export type Mode = 'enforce' | 'dry_run';
export type Action = 'allow' | 'deny' | 'approval';

export interface CompiledCondition {
  /** `args.price` → `['price']`. */
  path: readonly string[];
  pathText: string;
  op: ConditionOp;
  value: unknown;
  regex?: PolicyPattern;
  /** JSON path of the condition in the policy file. */
  rule: string;
}

export type ScopeSpec = { kind: 'grant' } | { kind: 'session' } | { kind: 'global' } | { kind: 'args'; path: readonly string[]; text: string };

export interface CompiledLimit {
  counter: string;
  windowMs: number;
  /** "minute", or "90 seconds". */
  window: string;
  max: number;
  scope: ScopeSpec;
  /** The scope as written: "grant", "args.lead_id". */
  scopeText: string;
  rule: string;
  /** Tools that draw on the same counter ("all tools" for all_tools limits). */
  sharedWith: readonly string[];
}

export interface CompiledDenyIf {
  conditions: readonly CompiledCondition[];
  onDeny?: string;
  rule: string;
}

export interface CompiledToolRule {
  /** Whether the tool is named under `tools`. */
  listed: boolean;
  action: Action;
  /** The JSON path of what decided the action: `tools.x.action`, `tools.x`, `default`. */
  actionRule: string;
  reason?: string;
  approval: ApprovalSettings;
  mode: Mode;
  require: readonly CompiledCondition[];
  denyIf: readonly CompiledDenyIf[];
  /** all_tools limits first, then the tool's own. */
  limits: readonly CompiledLimit[];
}

export interface CompiledPolicy {
  file?: string;
  document: PolicyDocument;
  default: 'allow' | 'deny';
  mode: Mode;
  hideAll: boolean;
  hidden: ReadonlySet<string>;
  allTools: readonly CompiledLimit[];
  /** One entry per tool name of the contract, listed or not. */
  tools: ReadonlyMap<string, CompiledToolRule>;
}

/** Where the current policy comes from: a fixed policy, or a `PolicyStore` that reloads its file. */
export interface PolicyHolder {
  readonly current: CompiledPolicy;
}

export const DEFAULT_APPROVAL_TIMEOUT_MS = APPROVAL_TIMEOUT_MS;
export const DEFAULT_MAX_PENDING_APPROVALS = MAX_PENDING_APPROVALS;

export interface ApprovalSettings {
  message?: string;
  timeoutMs: number;
  /** Approval requests that may wait at once per grant (`approval.max_pending`). */
  maxPending: number;
}

/** The approval settings of a tool that sets none. */
export const DEFAULT_APPROVAL: ApprovalSettings = { timeoutMs: DEFAULT_APPROVAL_TIMEOUT_MS, maxPending: DEFAULT_MAX_PENDING_APPROVALS };

/**
 * Validates and compiles; throws `PolicyError` naming the JSON path of the first problem.
 * `toolArguments`: what each tool accepts, so conditions and scopes on unknown arguments are refused.
 */
export function compilePolicy(value: unknown, toolArguments: ToolArguments, file?: string): CompiledPolicy {
  const result = validatePolicy(value, toolArguments);
  if (!result.ok) throw new PolicyError(file, result.issues);
  return compileDocument(result.policy, toolArguments, file);
}

/** Validates without throwing: for `policy check`, which lists every problem. */
export function tryCompilePolicy(
  value: unknown,
  toolArguments: ToolArguments,
  file?: string,
): { ok: true; policy: CompiledPolicy } | { ok: false; issues: PolicyIssue[] } {
  const result = validatePolicy(value, toolArguments);
  return result.ok ? { ok: true, policy: compileDocument(result.policy, toolArguments, file) } : result;
}

function compileDocument(doc: PolicyDocument, toolArguments: ToolArguments, file?: string): CompiledPolicy {
  const mode: Mode = doc.mode ?? 'enforce';
  const users = new Map<string, Set<string>>();
  const use = (counter: string, who: string) => {
    let set = users.get(counter);
    if (!set) {
      set = new Set();
      users.set(counter, set);
    }
    set.add(who);
  };
  for (const l of doc.all_tools?.limits ?? []) use(l.counter, 'all tools');
  for (const [name, rule] of Object.entries(doc.tools ?? {})) for (const l of rule.limits ?? []) use(l.counter, name);

  const allTools = (doc.all_tools?.limits ?? []).map((l, i) => compileLimit(l, formatPath(['all_tools', 'limits', i]), users));
  const tools = new Map<string, CompiledToolRule>();
  for (const name of toolArguments.keys()) {
    const rule = doc.tools?.[name];
    // An all_tools limit per argument value counts the tools that take that argument.
    const allToolsHere = allTools.filter((l) => l.scope.kind !== 'args' || acceptsArgument(toolArguments, name, l.scope.path.join('.')));
    if (!rule) {
      tools.set(name, {
        listed: false,
        action: doc.default,
        actionRule: 'default',
        approval: DEFAULT_APPROVAL,
        mode,
        require: [],
        denyIf: [],
        limits: doc.default === 'allow' ? allToolsHere : [],
      });
      continue;
    }
    const base = ['tools', name];
    tools.set(name, {
      listed: true,
      action: rule.action ?? 'allow',
      actionRule: formatPath(rule.action ? [...base, 'action'] : base),
      ...(rule.reason && { reason: rule.reason }),
      approval: {
        ...(rule.approval?.message && { message: rule.approval.message }),
        timeoutMs: (rule.approval?.timeout_s ?? DEFAULT_APPROVAL_TIMEOUT_MS / 1000) * 1000,
        maxPending: rule.approval?.max_pending ?? DEFAULT_MAX_PENDING_APPROVALS,
      },
      mode: rule.mode ?? mode,
      require: (rule.require ?? []).map((c, i) => compileCondition(c, formatPath([...base, 'require', i]))),
      denyIf: (rule.deny_if ?? []).map((d, i) => ({
        conditions: d.conditions.map((c, j) => compileCondition(c, formatPath([...base, 'deny_if', i, 'conditions', j]))),
        ...(d.on_deny && { onDeny: d.on_deny }),
        rule: formatPath([...base, 'deny_if', i]),
      })),
      limits: [...allToolsHere, ...(rule.limits ?? []).map((l, i) => compileLimit(l, formatPath([...base, 'limits', i]), users))],
    });
  }
  const hide = doc.hide ?? [];
  return {
    ...(file !== undefined && { file }),
    document: doc,
    default: doc.default,
    mode,
    hideAll: hide.includes('*'),
    hidden: new Set(hide.filter((n) => n !== '*')),
    allTools,
    tools,
  };
}

function compileCondition(c: PolicyCondition, rule: string): CompiledCondition {
  return {
    path: c.path.split('.').slice(1),
    pathText: c.path,
    op: c.op,
    value: c.op === 'exists' ? (c.value ?? true) : c.value,
    ...(c.op === 'regex' && { regex: compilePattern(c.value as string) }),
    rule,
  };
}

function compileLimit(l: PolicyLimit, rule: string, users: Map<string, Set<string>>): CompiledLimit {
  const seconds = typeof l.window === 'number' ? l.window : NAMED_WINDOWS[l.window];
  const scopeText = l.scope ?? 'grant';
  const scope: ScopeSpec =
    scopeText === 'grant' || scopeText === 'session' || scopeText === 'global'
      ? { kind: scopeText }
      : { kind: 'args', path: scopeText.split('.').slice(1), text: scopeText };
  return {
    counter: l.counter,
    windowMs: seconds * 1000,
    window: typeof l.window === 'string' ? l.window : l.window === 1 ? 'second' : `${l.window} seconds`,
    max: l.max,
    scope,
    scopeText,
    rule,
    sharedWith: [...(users.get(l.counter) ?? [])],
  };
}

/** The policy used when a test or embedder gives none: every tool allowed, no limits. */
export const ALLOW_ALL: CompiledPolicy = compilePolicy({ version: '1', default: 'allow' }, new Map(), '(built-in allow-all)');
