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
import type { CompiledLimit, CompiledPolicy, CompiledToolRule, Mode } from './compile.js';
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
  scopePhrase: string;
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
  const g = gate(policy, tool);
  if (g.outcome === 'hidden' || g.outcome === 'deny') {
    return { outcome: 'deny', tool, rule: g.rule, message: g.message!, unlisted: true, mode: g.mode };
  }
  const rule = toolRule(policy, tool);
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
      if (entry.conditions.every((c) => matches(c, args))) {
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
  const limits: LimitRequest[] = [];
  const seen = new Set<string>();
  for (const limit of rule.limits) {
    const { key: scopeKey, phrase } = scopeKeyOf(limit, scope, args);
    const key = `${limit.counter}\u0000${scopeKey}`;
    if (seen.has(key)) continue; // one counter counts a call once, however often it is listed
    seen.add(key);
    limits.push({ limit, key, class: limit.scope.kind === 'args' ? 'args' : 'fixed', windowMs: limit.windowMs, max: limit.max, scopePhrase: phrase });
  }
  return {
    outcome: rule.action === 'approval' ? 'approval' : 'allow',
    tool,
    rule: rule.actionRule,
    limits,
    ...(rule.action === 'approval' && { approval: rule.approval }),
    mode: rule.mode,
  };
}

/** Values longer than this are hashed in scope keys, so key memory stays small. */
const MAX_KEY_VALUE = 64;

/**
 * The scope part of a counter's state key. Every `args.*` scope shares the `a:` space, so a counter
 * shared by update_lead (`args.id`) and move_lead (`args.lead_id`) counts per lead across both.
 */
export function scopeKeyOf(limit: CompiledLimit, scope: CallScope, args: Record<string, unknown>): { key: string; phrase: string } {
  switch (limit.scope.kind) {
    case 'grant':
      return { key: `g:${scope.grant}`, phrase: 'for this client' };
    case 'session':
      return { key: `s:${scope.session}`, phrase: 'in this session' };
    case 'global':
      return { key: '*', phrase: 'for all clients together' };
    case 'args': {
      const value = resolvePath(args, limit.scope.path);
      const name = limit.scope.path.join('.');
      if (typeof value === 'symbol' || value === undefined) return { key: 'a:-', phrase: `for calls without ${name}` };
      const text = typeof value === 'string' ? `s${value}` : `j${JSON.stringify(value)}`;
      const key = text.length > MAX_KEY_VALUE ? `h${createHash('sha256').update(text).digest('base64url')}` : text;
      const shown = typeof value === 'string' || typeof value === 'number' ? String(value).slice(0, 40) : 'this value';
      return { key: `a:${key}`, phrase: `for ${name} ${shown}` };
    }
  }
}
