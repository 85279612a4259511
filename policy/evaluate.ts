/**
 * The policy decision, as a pure function of (policy, tool, arguments, caller): no clock, no
 * counters, no I/O. The order is fixed and documented:
 *
 *   1. hidden      `hide` names the tool (or "*")                          → deny (not listed)
 *   2. tool rule   its `action`, or `default` when the tool is not listed  → deny (not listed)
 *   3. require     every condition must hold                               → else deny
 *   4. deny_if     an entry whose conditions all hold (empty: always)      → deny with on_deny
 *   5. limits      all_tools limits + the tool's own, each with its scope key, for the limiter
 *   6. approval    `action: "approval"` → a person must approve (after the limits are reserved)
 *
 * Steps 1–2 depend on the tool name only (`gate`): they decide tools/list, so tools/list and
 * tools/call read the same function and cannot disagree.
 */
import { createHash } from 'node:crypto';
import type { CompiledCondition, CompiledLimit, CompiledPolicy, CompiledToolRule, Mode } from './compile.js';
import type { CounterRequest } from './counter-store.js';
import { DEFAULT_APPROVAL, type ApprovalSettings } from './compile.js';
import { describeCondition, matches, resolvePath, UnjudgeableInput } from './conditions.js';

/** Who is calling: the credential (grant) and the MCP session. */
export interface CallScope {
  grant: string;
  session: string;
}

/** One counter a call needs; it is also the counter store's request (key, class, window, max). */
export interface LimitRequest extends CounterRequest {
  limit: CompiledLimit;
  /** Counter name + scope key: the limiter's state key. */
  key: string;
  /** For messages: "for this client", "for lead_id 42". */
  readonly scopePhrase: string;
}

export interface Denial {
  outcome: 'deny';
  tool: string;
  rule: string;
  message: string;
  /** Denied on the name alone (hidden, default deny, action deny): not in tools/list. */
  unlisted: boolean;
  mode: Mode;
}

export interface Admission {
  outcome: 'allow' | 'approval';
  tool: string;
  rule: string;
  limits: LimitRequest[];
  approval?: ApprovalSettings;
  mode: Mode;
}

export type Decision = Denial | Admission;

export type GateOutcome = 'hidden' | 'deny' | 'allow' | 'approval';

export interface Gate {
  outcome: GateOutcome;
  rule: string;
  message?: string;
  mode: Mode;
}

const NEXT_STEP_LIST = 'Continue with the tools in tools/list, or ask the user to change the policy file.';

export function toolRule(policy: CompiledPolicy, tool: string): CompiledToolRule {
  return (
    policy.tools.get(tool) ?? {
      listed: false,
      action: policy.default,
      actionRule: 'default',
      approval: DEFAULT_APPROVAL,
      mode: policy.mode,
      require: [],
      denyIf: [],
      limits: policy.default === 'allow' ? policy.allTools : [],
    }
  );
}

/** Steps 1–2: what the tool name alone decides. */
export function gate(policy: CompiledPolicy, tool: string): Gate {
  const rule = toolRule(policy, tool);
  if (policy.hideAll || policy.hidden.has(tool)) {
    return {
      outcome: 'hidden',
      rule: 'hide',
      message: `${tool} is hidden by the policy, so it cannot be called; the call was not made. ${NEXT_STEP_LIST}`,
      mode: rule.mode,
    };
  }
  if (rule.action === 'deny') {
    const message = rule.listed
      ? `${tool} is not allowed by the policy${rule.reason ? `: ${rule.reason}` : '.'} The call was not made. ${NEXT_STEP_LIST}`
      : `${tool} is not allowed by the policy (tools it does not list are denied); the call was not made. ${NEXT_STEP_LIST}`;
    return { outcome: 'deny', rule: rule.actionRule, message, mode: rule.mode };
  }
  return { outcome: rule.action, rule: rule.actionRule, mode: rule.mode };
}

/**
 * Whether tools/list shows the tool: everything the name alone does not deny. In dry-run mode every
 * tool is shown, because every call goes through.
 */
export function isListed(policy: CompiledPolicy, tool: string): boolean {
  const g = gate(policy, tool);
  return g.mode === 'dry_run' || g.outcome === 'allow' || g.outcome === 'approval';
}

/** Steps 1–6 for one call with validated arguments. */
export function evaluate(policy: CompiledPolicy, tool: string, args: Record<string, unknown>, scope: CallScope): Decision {
  const rule = toolRule(policy, tool);
  if (policy.hideAll || rule.action === 'deny' || policy.hidden.has(tool)) {
    const g = gate(policy, tool);
    return { outcome: 'deny', tool, rule: g.rule, message: g.message!, unlisted: true, mode: g.mode };
  }
  const deny = (ruleName: string, message: string): Denial => ({ outcome: 'deny', tool, rule: ruleName, message, unlisted: false, mode: rule.mode });
  try {
    for (const condition of rule.require) {
      if (!matches(condition, args)) {
        return deny(
          condition.rule,
          `${tool} was refused by the policy, which requires that ${describeCondition(condition)}${rule.reason ? ` (${rule.reason})` : ''}; ` +
            'the call was not made. Change the arguments, or ask the user.',
        );
      }
    }
    for (const entry of rule.denyIf) {
      if (allMatch(entry.conditions, args)) {
        const why =
          entry.onDeny ??
          rule.reason ??
          (entry.conditions.length ? `it refuses calls where ${entry.conditions.map(describeCondition).join(' and ')}.` : 'it refuses these calls.');
        return deny(entry.rule, `${tool} was refused by the policy: ${why} The call was not made.`);
      }
    }
  } catch (err) {
    if (err instanceof UnjudgeableInput) return deny(err.condition.rule, `${tool} was refused by the policy: ${err.message}; the call was not made.`);
    throw err;
  }
  const limits = limitRequests(rule.limits, scope, args);
  if (rule.action === 'approval') return { outcome: 'approval', tool, rule: rule.actionRule, limits, approval: rule.approval, mode: rule.mode };
  return { outcome: 'allow', tool, rule: rule.actionRule, limits, mode: rule.mode };
}

/**
 * What a limit needs on every call, worked out once per limit list: the key prefix, the counter
 * class, and whether the list can name one counter twice under keys that only the call's values tell
 * apart (two `args.*` scopes of one counter). Same counter and same scope twice is dropped here, so
 * the hot path compares keys only in that rare case.
 */
interface LimitPlan {
  limits: readonly PlannedLimit[];
  checkRepeats: boolean;
}

interface PlannedLimit {
  limit: CompiledLimit;
  prefix: string;
  class: 'args' | 'fixed';
  /**
   * The last grant or session id and the key built for it: handing the store the same string again
   * spares building it and hashing it anew on every call of the same client.
   */
  lastScope?: string;
  lastKey?: string;
}

const plans = new WeakMap<readonly CompiledLimit[], LimitPlan>();

function planOf(limits: readonly CompiledLimit[]): LimitPlan {
  let plan = plans.get(limits);
  if (plan) return plan;
  const planned: PlannedLimit[] = [];
  let checkRepeats = false;
  for (const limit of limits) {
    const same = planned.filter((p) => p.limit.counter === limit.counter);
    // One counter counts a call once, however often it is listed: the first listing is the one used.
    if (same.some((p) => p.limit.scopeText === limit.scopeText || (p.class === 'fixed' && p.limit.scope.kind === limit.scope.kind))) continue;
    if (limit.scope.kind === 'args' && same.some((p) => p.class === 'args')) checkRepeats = true;
    planned.push({ limit, prefix: `${limit.counter}\u0000`, class: limit.scope.kind === 'args' ? 'args' : 'fixed' });
  }
  plan = { limits: planned, checkRepeats };
  plans.set(limits, plan);
  return plan;
}

function limitRequests(limits: readonly CompiledLimit[], scope: CallScope, args: Record<string, unknown>): LimitRequest[] {
  const plan = planOf(limits);
  const requests: LimitRequest[] = [];
  for (const planned of plan.limits) {
    const { limit } = planned;
    const value = limit.scope.kind === 'args' ? resolvePath(args, limit.scope.path) : undefined;
    const key = fixedKey(planned, scope) ?? planned.prefix + scopeKey(limit, scope, value);
    if (plan.checkRepeats && requests.some((r) => r.key === key)) continue;
    requests.push(new Request(limit, key, planned.class, value));
  }
  return requests;
}

function fixedKey(planned: PlannedLimit, scope: CallScope): string | undefined {
  const kind = planned.limit.scope.kind;
  if (kind === 'args') return undefined;
  const who = kind === 'grant' ? scope.grant : kind === 'session' ? scope.session : '';
  if (planned.lastKey === undefined || planned.lastScope !== who) {
    planned.lastScope = who;
    planned.lastKey = planned.prefix + scopeKey(planned.limit, scope, undefined);
  }
  return planned.lastKey;
}

/** A limit request whose message phrase is only written when a message needs it. */
class Request implements LimitRequest {
  readonly limit: CompiledLimit;
  readonly key: string;
  readonly class: 'args' | 'fixed';
  readonly windowMs: number;
  readonly max: number;
  readonly #value: unknown;

  constructor(limit: CompiledLimit, key: string, counterClass: 'args' | 'fixed', value: unknown) {
    this.limit = limit;
    this.key = key;
    this.class = counterClass;
    this.windowMs = limit.windowMs;
    this.max = limit.max;
    this.#value = value;
  }

  get scopePhrase(): string {
    return scopePhraseOf(this.limit, this.#value);
  }
}

function allMatch(conditions: readonly CompiledCondition[], args: Record<string, unknown>): boolean {
  for (const condition of conditions) if (!matches(condition, args)) return false;
  return true;
}

/** Values longer than this are hashed in scope keys, so key memory stays small. */
const MAX_KEY_VALUE = 64;

/**
 * The scope part of a counter's state key (`value`: the resolved argument for `args.*` scopes). Every
 * `args.*` scope shares the `a:` space, so a counter shared by update_lead (`args.id`) and move_lead
 * (`args.lead_id`) counts per lead across both.
 */
function scopeKey(limit: CompiledLimit, scope: CallScope, value: unknown): string {
  switch (limit.scope.kind) {
    case 'grant':
      return `g:${scope.grant}`;
    case 'session':
      return `s:${scope.session}`;
    case 'global':
      return '*';
    case 'args': {
      if (typeof value === 'symbol' || value === undefined) return 'a:-';
      // A finite number prints the same with or without JSON.stringify; the shortcut skips the call.
      const text = typeof value === 'string' ? `s${value}` : typeof value === 'number' && Number.isFinite(value) ? `j${value}` : `j${JSON.stringify(value)}`;
      return text.length > MAX_KEY_VALUE ? `a:h${createHash('sha256').update(text).digest('base64url')}` : `a:${text}`;
    }
  }
}

/** For messages: "for this client", "for lead_id 42". */
function scopePhraseOf(limit: CompiledLimit, value: unknown): string {
  switch (limit.scope.kind) {
    case 'grant':
      return 'for this client';
    case 'session':
      return 'in this session';
    case 'global':
      return 'for all clients together';
    case 'args': {
      const name = limit.scope.path.join('.');
      if (typeof value === 'symbol' || value === undefined) return `for calls without ${name}`;
      const shown = typeof value === 'string' || typeof value === 'number' ? String(value).slice(0, 40) : 'this value';
      return `for ${name} ${shown}`;
    }
  }
}
