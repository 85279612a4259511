/**
 * The call pipeline every tool goes through:
 *
 *   name gate (hidden / denied) → validate args → evaluate rules → reserve limits → approval
 *     → decide again under the policy then in force → run → commit or roll back → audit line
 *
 * Anything refused before `run` makes zero Kommo requests and costs no budget. Any unexpected
 * failure of the policy machinery refuses the call (`policy_denied`, rule "policy_error"): the
 * firewall fails closed. In dry-run mode every decision is computed, logged and audited, and the
 * call goes through.
 *
 * Create one per process and share it between sessions: the limiter inside holds the counters, and
 * a `grant` or `global` budget must span every session.
 */
import { performance } from 'node:perf_hooks';
import type { CallToolResult, InputRequiredResult } from '@modelcontextprotocol/server';
import {
  ApprovalDeclined,
  asToolError,
  AuditUnavailable,
  lostWriteError,
  CallCancelled,
  KommoError,
  LimiterUnavailableError,
  NotFound,
  PolicyDenied,
  RateLimited,
  ToolError,
  toErrorResult,
} from '../src/errors.js';
import { scrubSecrets, silentLogger, type Logger } from '../src/log.js';
import { toSuccessResult } from '../src/result.js';
import type { AnyTool, ToolContext } from '../tools/define.js';
import { requestApproval, type ApprovalEvent, type ApprovalRequest, type Elicit } from './approval.js';
import { askForApproval, checkApproval, type ApprovalRoundTrip } from './approval-round-trip.js';
import { parseArguments } from './arguments.js';
import { kommoAttempts, reachedKommo, writeMayHaveActed, writeOutcomeUnknown, type AttemptTracker, type KommoAttempt } from './attempts.js';
import { argsSha256, canonicalJson, noAudit, type AuditFields, type AuditRecord, type AuditSink } from './audit.js';
import { sha256Hex } from './store.js';
import { ALLOW_ALL, DEFAULT_APPROVAL, type CompiledPolicy, type Mode, type PolicyHolder } from './compile.js';
import { LimiterUnavailable } from './counter-store.js';
import { evaluate, gate, isListed, type Admission, type CallScope, type LimitRequest } from './evaluate.js';
import { Limiter, type Refusal, type Reservation, type ReserveResult } from './limiter.js';

export type { CallScope } from './evaluate.js';
export type { PolicyHolder } from './compile.js';

export type { Elicit } from './approval.js';

export interface CallEnv {
  scope: CallScope;
  /** Present only when the client declared the elicitation capability. */
  elicit?: Elicit;
  /**
   * 2026-07-28 `tools/call`: approval is an `input_required` round trip instead of a nested
   * elicitation (without either, approval is unavailable).
   */
  roundTrip?: ApprovalRoundTrip;
  /** The middleware adds `mayShowDataOf`, judged against the policy snapshot of the call. */
  toolContext: Omit<ToolContext, 'mayShowDataOf'>;
}

export interface PolicyMiddlewareOptions {
  /** Default: allow every tool, no limits. */
  policy?: CompiledPolicy | PolicyHolder;
  /** Default: a new limiter with `maxKeys` and `now`. */
  limiter?: Limiter;
  maxKeys?: number;
  now?: () => number;
  /** Default: no audit lines. */
  audit?: AuditSink;
  logger?: Logger;
  attempts?: AttemptTracker;
  /** Values no result may carry (the Kommo token, other configured secrets): scrubbed from every result. */
  secrets?: readonly string[];
  /** The approval step; default `requestApproval` (policy/approval.ts). */
  approve?: (request: ApprovalRequest) => Promise<void>;
}

/** What one call went through, for the audit line. */
interface CallRecord {
  decision: string;
  rule?: string;
  mode: Mode;
  /** The arguments as the client sent them: what a call refused before validation is audited with. */
  sent: unknown;
  args?: Record<string, unknown>;
  argsHash?: string;
  attempts: KommoAttempt[];
  /** Kommo reads made to write the approval summary: requests the call caused, though not its own. */
  summaryAttempts: KommoAttempt[];
  /** The client cancelled the call before it finished. */
  cancelled?: boolean;
  /** What happened to the call's reserved units: kept (the call counts) or given back. */
  budget?: 'kept' | 'given_back';
  /** A write was sent and its answer lost: it may have been applied. */
  outcomeUnknown?: boolean;
  /** The call was answered with the approval form (first round of a 2026-07-28 approval). */
  inputRequired?: boolean;
}

export class PolicyMiddleware {
  readonly limiter: Limiter;
  private readonly holder: PolicyHolder;
  private readonly audit: AuditSink;
  private readonly logger: Logger;
  private readonly attempts: AttemptTracker;
  private readonly approve: (request: ApprovalRequest) => Promise<void>;
  private readonly secrets: readonly string[];
  /** Approval requests waiting for a person, per grant: when each one times out (limiter clock). */
  private readonly pendingApprovals = new Map<string, number[]>();
  /** Release of the slot held by each 2026-07-28 approval still out with a person, by state id. */
  private readonly roundTripSlots = new Map<string, () => void>();
  /** The last audit line failed to be written: writes and executes are refused until one succeeds. */
  private auditFailing = false;
  private auditFailureLoggedAt = Number.NEGATIVE_INFINITY;

  constructor(options: PolicyMiddlewareOptions = {}) {
    const policy = options.policy ?? ALLOW_ALL;
    this.holder = 'current' in policy ? policy : { current: policy };
    this.limiter = options.limiter ?? new Limiter({ ...(options.maxKeys && { maxKeys: options.maxKeys }), ...(options.now && { now: options.now }) });
    this.audit = options.audit ?? noAudit;
    this.logger = options.logger ?? silentLogger;
    this.attempts = options.attempts ?? kommoAttempts;
    this.approve = options.approve ?? requestApproval;
    this.secrets = options.secrets ?? [];
  }

  get policy(): CompiledPolicy {
    return this.holder.current;
  }

  /** The tools an agent may see; `call` refuses exactly the ones left out here (same `gate`). */
  visibleTools(tools: readonly AnyTool[]): AnyTool[] {
    try {
      const policy = this.holder.current;
      return tools.filter((tool) => isListed(policy, tool.name));
    } catch (err) {
      // Fail closed: list nothing rather than something `call` might not refuse.
      this.logger.error('policy evaluation failed; no tool listed', { error: describeError(err) });
      return [];
    }
  }

  /** With a `roundTrip` the answer may be the approval form (`input_required`) instead of a result. */
  call(tool: AnyTool, rawArgs: unknown, env: CallEnv & { roundTrip: ApprovalRoundTrip }): Promise<CallToolResult | InputRequiredResult>;
  call(tool: AnyTool, rawArgs: unknown, env: CallEnv): Promise<CallToolResult>;
  async call(tool: AnyTool, rawArgs: unknown, env: CallEnv): Promise<CallToolResult | InputRequiredResult> {
    const started = performance.now();
    const record: CallRecord = { decision: 'allow', mode: 'enforce', sent: rawArgs, attempts: [], summaryAttempts: [] };
    let reservation: Reservation | undefined;
    let reachedRun = false;
    let result: CallToolResult | InputRequiredResult;
    let failure: unknown;
    try {
      const policy = this.holder.current; // one snapshot per call until a person has approved it
      const admission = this.admit(policy, tool, rawArgs, env.scope, record);
      if (tool.kind !== 'read' && this.auditFailing) {
        record.decision = 'audit_unavailable';
        throw new AuditUnavailable(tool.name);
      }
      if (admission?.outcome === 'approval' && admission.mode === 'enforce' && env.roundTrip) {
        const binding = { grant: env.scope.grant, policySha256: policySha256(policy) };
        const request = this.approvalRequest(tool, admission, record, env);
        if (!env.roundTrip.state) {
          // First round. The slot stays taken while the person decides: until the state comes back or expires.
          const release = this.takeApprovalSlot(tool, admission, env.scope, record);
          let asked: Awaited<ReturnType<typeof askForApproval>>;
          try {
            // The limits must allow the call now, but nothing is spent until it is approved.
            const check = await this.reserve(tool, admission, record);
            if (check) await this.settle(tool, check, true);
            const roundTrip = env.roundTrip;
            asked = await this.attempts.run(record.summaryAttempts, () => askForApproval(request, roundTrip, binding));
          } catch (err) {
            release();
            throw err;
          }
          this.holdRoundTripSlot(asked.claims.id, asked.claims.expiresAt - this.limiter.now(), release);
          record.inputRequired = true;
          this.writeAudit(tool, env.scope, record, undefined, performance.now() - started);
          return scrubSecrets(asked.form, this.secrets);
        }
        // The approval is no longer out with a person (a foreign state leaves its owner's slot alone).
        if (env.roundTrip.state.grant === env.scope.grant) this.roundTripSlots.get(env.roundTrip.state.id)?.();
        try {
          await checkApproval(request, { ...env.roundTrip, state: env.roundTrip.state }, binding);
        } catch (err) {
          // A declined approval keeps its unit, as in the 2025 era (when the limits still have one).
          if (err instanceof ApprovalDeclined) reservation = await this.reserve(tool, admission, record).catch(() => undefined);
          throw err;
        }
        // Reserved only now that a person approved: a cap reached in between refuses the call.
        reservation = await this.reserve(tool, admission, record);
      } else if (admission?.outcome === 'approval' && admission.mode === 'enforce') {
        // The wait slot is taken before anything else, so a refused call costs no reservation and no summary reads.
        const release = this.takeApprovalSlot(tool, admission, env.scope, record);
        try {
          reservation = await this.reserve(tool, admission, record);
          const request = this.approvalRequest(tool, admission, record, env);
          await this.attempts.run(record.summaryAttempts, () => this.approve(request));
        } finally {
          release();
        }
        if (this.holder.current !== policy) this.decideAgain(tool, record, env.scope);
      } else {
        reservation = await this.reserve(tool, admission, record);
        if (admission?.outcome === 'approval') this.wouldRefuse(tool, record, 'approval', admission.rule);
      }
      const context = this.gatedContext(policy, tool, env);
      // A tool whose results show other tools' data is refused before any request when one is kept from the caller.
      if (tool.showsDataOf) context.mayShowDataOf(tool.showsDataOf);
      // A write leaves only once the audit holds a line for it, so an audit that fails refuses it before Kommo.
      if (tool.kind !== 'read') this.writeAhead(tool, env.scope, record);
      reachedRun = true;
      const data = await this.attempts.run(record.attempts, () => tool.run(record.args!, context));
      result = toSuccessResult(data, tool.peopleText === true);
    } catch (err) {
      // From here on a Kommo failure is the tool error it maps to (one mapper, src/errors.ts).
      failure = asToolError(err) ?? (reachedRun ? err : this.policyError(tool, err, record));
      if (!(failure instanceof ToolError)) this.logInternalError(tool, failure);
      if (reachedRun && tool.kind !== 'read' && writeOutcomeUnknown(record.attempts)) {
        record.outcomeUnknown = true;
        failure = lostWriteError(tool.name, tool.verify?.(record.args!) ?? 'look at the record in Kommo', failure);
      }
      record.cancelled = env.toolContext.signal.aborted;
      // A cancelled write whose answer was lost keeps saying that it may have been applied.
      result = toErrorResult(record.cancelled && !record.outcomeUnknown ? new CallCancelled(tool.name) : failure);
    }
    if (reservation) {
      const giveBack = failure !== undefined && shouldRollback(tool, failure, reachedRun, record.attempts);
      record.budget = giveBack ? 'given_back' : 'kept';
      await this.settle(tool, reservation, giveBack);
    }
    this.writeAudit(tool, env.scope, record, failure, performance.now() - started);
    return scrubSecrets(result, this.secrets);
  }

  /** Gate, arguments, rules. Returns the admission to act on; undefined when dry-run lets a denial through. */
  private admit(policy: CompiledPolicy, tool: AnyTool, rawArgs: unknown, scope: CallScope, record: CallRecord): Admission | undefined {
    const g = gate(policy, tool.name);
    record.mode = g.mode;
    if (g.outcome === 'hidden' || g.outcome === 'deny') {
      record.decision = 'deny';
      record.rule = g.rule;
      if (g.mode === 'enforce') throw new PolicyDenied(g.message!, { rule: g.rule, tool: tool.name });
      this.wouldRefuse(tool, record, 'deny', g.rule);
    }
    try {
      record.args = parseArguments(tool, rawArgs);
    } catch (err) {
      record.decision = 'invalid_arguments';
      throw err;
    }
    record.argsHash = argsSha256(record.args);
    if (record.decision === 'deny') return undefined; // dry run of a name-level denial
    const decision = evaluate(policy, tool.name, record.args, scope);
    record.decision = decision.outcome;
    record.rule = decision.rule;
    if (decision.outcome === 'deny') {
      if (decision.mode === 'enforce') throw new PolicyDenied(decision.message, { rule: decision.rule, tool: tool.name });
      this.wouldRefuse(tool, record, 'deny', decision.rule);
      return undefined;
    }
    return decision;
  }

  /**
   * All the call's counters at once, or a `rate_limited` refusal that costs nothing. A counter store
   * that cannot be reached refuses the call (`limiter_unavailable`): never let through uncounted.
   */
  private async reserve(tool: AnyTool, admission: Admission | undefined, record: CallRecord): Promise<Reservation | undefined> {
    if (!admission || admission.limits.length === 0) return undefined;
    let reserved: ReserveResult;
    try {
      const answer = this.limiter.reserve(admission.limits);
      reserved = answer instanceof Promise ? await answer : answer;
    } catch (err) {
      if (!(err instanceof LimiterUnavailable)) throw err;
      this.logger.error('counter store unavailable; call refused', { tool: tool.name, store: this.limiter.store.kind, error: describeError(err) });
      record.decision = 'limiter_unavailable';
      record.rule = admission.limits[0]!.limit.rule;
      if (admission.mode === 'enforce') throw new LimiterUnavailableError(tool.name);
      this.wouldRefuse(tool, record, 'limiter_unavailable', record.rule);
      return undefined;
    }
    if (reserved.ok) return reserved.reservation;
    const { refusal } = reserved;
    record.decision = 'rate_limited';
    record.rule = refusal.request.limit.rule;
    if (admission.mode === 'enforce') throw rateLimited(tool.name, refusal);
    this.wouldRefuse(tool, record, 'rate_limited', refusal.request.limit.rule);
    return undefined;
  }

  /**
   * At most `approval.max_pending` approvals wait at once per grant: one person answers them, and
   * an agent must not be able to queue prompts. Returns the release of the slot.
   */
  private takeApprovalSlot(tool: AnyTool, admission: Admission, scope: CallScope, record: CallRecord): () => void {
    const { maxPending, timeoutMs } = admission.approval!;
    const now = this.limiter.now();
    const waiting = this.pendingApprovals.get(scope.grant) ?? [];
    if (waiting.length >= maxPending) {
      const rule = `tools.${tool.name}.approval.max_pending`;
      record.decision = 'rate_limited';
      record.rule = rule;
      const retryAfterSeconds = Math.max(1, Math.ceil((Math.min(...waiting) - now) / 1000));
      throw new RateLimited(
        `${tool.name} was not made because a person is already being asked to approve ${waiting.length === 1 ? 'another call' : `${waiting.length} other calls`} for this client (at most ${maxPending} at once); wait for that answer, and retry in ${retryAfterSeconds} second${retryAfterSeconds === 1 ? '' : 's'} at the latest.`,
        { retryAfterSeconds, limit: maxPending, window: 'at once', remaining: 0, reason: 'approval_pending', rule },
      );
    }
    const deadline = now + timeoutMs;
    waiting.push(deadline);
    this.pendingApprovals.set(scope.grant, waiting);
    return () => {
      const i = waiting.indexOf(deadline);
      if (i >= 0) waiting.splice(i, 1);
      if (waiting.length === 0 && this.pendingApprovals.get(scope.grant) === waiting) this.pendingApprovals.delete(scope.grant);
    };
  }

  /** Keeps a 2026-07-28 approval's slot until its state comes back (released by id) or expires. */
  private holdRoundTripSlot(id: string, lifetimeMs: number, release: () => void): void {
    const done = (): void => {
      clearTimeout(timer);
      this.roundTripSlots.delete(id);
      release();
    };
    const timer = setTimeout(done, Math.max(0, lifetimeMs));
    timer.unref?.();
    this.roundTripSlots.set(id, done);
  }

  /**
   * The policy was reloaded while a person was deciding: the approved call must still be allowed by
   * the policy now in force (not hidden, not denied, conditions holding), or it is not made.
   */
  private decideAgain(tool: AnyTool, record: CallRecord, scope: CallScope): void {
    const policy = this.holder.current;
    const decision = evaluate(policy, tool.name, record.args!, scope);
    if (decision.outcome !== 'deny') return;
    if (decision.mode === 'dry_run') {
      this.wouldRefuse(tool, record, 'deny', decision.rule);
      return;
    }
    record.decision = 'deny';
    record.rule = decision.rule;
    throw new PolicyDenied(`The policy changed while this ${tool.name} call waited for approval, and the policy now in force refuses it: ${decision.message}`, {
      rule: decision.rule,
      tool: tool.name,
      reason: 'policy_changed',
    });
  }

  /** Commits or gives back; a store failure here leaves the units taken (the safe side) and is logged. */
  private async settle(tool: AnyTool, reservation: Reservation, rollback: boolean): Promise<void> {
    try {
      const done = rollback ? this.limiter.rollback(reservation) : this.limiter.commit(reservation);
      if (done instanceof Promise) await done;
    } catch (err) {
      this.logger.error(`counter store failed to ${rollback ? 'give back' : 'commit'} a reservation; its units stay taken`, {
        tool: tool.name,
        error: describeError(err),
      });
    }
  }

  /**
   * The tool context with the data gate: a tool whose answer shows other tools' data asks first,
   * and is refused when the policy hides or denies any of them for this caller (in dry run, logged).
   */
  private gatedContext(policy: CompiledPolicy, tool: AnyTool, env: CallEnv): ToolContext {
    return {
      ...env.toolContext,
      mayShowDataOf: (tools) => {
        for (const source of tools) {
          const g = gate(policy, source);
          if (g.outcome !== 'hidden' && g.outcome !== 'deny') continue;
          if (g.mode === 'dry_run') {
            this.logger.info('policy dry run: this answer would have been refused, as it shows data of a tool the policy keeps from the caller', {
              tool: tool.name,
              source,
            });
            continue;
          }
          throw new PolicyDenied(
            `${tool.name} cannot answer this: the answer would show data of ${source}, which the policy ${g.outcome === 'hidden' ? 'hides' : 'denies'}; the call was refused. Ask something that does not need it, or ask the user to change the policy.`,
            { rule: g.rule, tool: tool.name, dataOf: source },
          );
        }
      },
    };
  }

  private approvalRequest(tool: AnyTool, admission: Admission, record: CallRecord, env: CallEnv): ApprovalRequest {
    const approval = admission.approval ?? DEFAULT_APPROVAL;
    return {
      tool,
      args: record.args!,
      argsHash: record.argsHash!,
      ...(approval.message && { message: approval.message }),
      timeoutMs: approval.timeoutMs,
      ...(env.elicit && { elicit: env.elicit }),
      toolContext: this.gatedContext(this.holder.current, tool, env),
      audit: (event: ApprovalEvent, fields?: Record<string, unknown>) =>
        this.writeLine({
          ...this.baseRecord(tool, env.scope, record),
          decision: 'approval',
          code: event,
          event,
          kommoRequests: record.summaryAttempts.length,
          durationMs: 0,
          ...fields,
        }),
    };
  }

  private wouldRefuse(tool: AnyTool, record: CallRecord, decision: string, rule: string): void {
    this.logger.info('policy dry run: this call would have been refused or held for approval; letting it through', { tool: tool.name, decision, rule });
    record.decision = decision;
    record.rule = rule;
  }

  private policyError(tool: AnyTool, err: unknown, record: CallRecord): PolicyDenied {
    this.logger.error('policy evaluation failed; call refused', { tool: tool.name, error: describeError(err) });
    record.decision = 'deny';
    record.rule = 'policy_error';
    return new PolicyDenied(
      `${tool.name} was refused because the policy could not be evaluated for this call; the call was not made. Tell the user: the server log has the details.`,
      { rule: 'policy_error', tool: tool.name },
    );
  }

  private baseRecord(tool: AnyTool, scope: CallScope, record: CallRecord): AuditFields {
    return {
      time: new Date(this.limiter.now()).toISOString(),
      grant: scope.grant,
      session: scope.session,
      tool: tool.name,
      decision: record.decision,
      ...(record.rule && { rule: record.rule }),
      mode: record.mode,
      // Validated arguments once there are some; before that, what the client sent.
      argKeys: Object.keys(record.args ?? objectOrEmpty(record.sent)).sort(),
      argsSha256: record.argsHash ?? argsSha256(record.sent ?? {}),
    };
  }

  /**
   * Once on stderr per unexpected failure: the error's name and its stack frames, without the
   * message (it may quote customer data); the logger scrubs the token from whatever is left.
   */
  private logInternalError(tool: AnyTool, err: unknown): void {
    const frames =
      err instanceof Error && err.stack
        ? err.stack
            .split('\n')
            .filter((l) => /^\s+at /.test(l))
            .slice(0, 12)
            .map((l) => l.trim())
        : [];
    this.logger.error('internal error: the call failed unexpectedly', {
      tool: tool.name,
      error: err instanceof Error ? err.name : typeof err,
      stack: frames,
    });
  }

  /**
   * Writes one audit line. A failure marks the audit unavailable (write and execute calls are then
   * refused until a line is written again) and is logged at most once a minute.
   */
  private writeLine(line: AuditRecord): void {
    try {
      this.audit.write(line);
    } catch (err) {
      this.auditFailing = true;
      const now = this.limiter.now();
      if (now - this.auditFailureLoggedAt >= 60_000) {
        this.auditFailureLoggedAt = now;
        this.logger.error('audit line could not be written; write and execute calls are refused until the audit log works again', {
          error: describeError(err),
        });
      }
      return;
    }
    if (this.auditFailing) {
      this.auditFailing = false;
      this.logger.info('audit log writable again; write and execute calls go through');
    }
  }

  /** The `sending` line of a write or execute call, written before its first Kommo request. */
  private writeAhead(tool: AnyTool, scope: CallScope, record: CallRecord): void {
    this.writeLine({
      ...this.baseRecord(tool, scope, record),
      code: 'sending',
      event: 'sending',
      kommoRequests: record.summaryAttempts.length,
      durationMs: 0,
    });
    if (this.auditFailing) {
      record.decision = 'audit_unavailable';
      throw new AuditUnavailable(tool.name);
    }
  }

  private writeAudit(tool: AnyTool, scope: CallScope, record: CallRecord, failure: unknown, durationMs: number): void {
    const last = record.attempts[record.attempts.length - 1];
    const status = last ? last.status : failure instanceof KommoError && failure.status > 0 ? failure.status : undefined;
    this.writeLine({
      ...this.baseRecord(tool, scope, record),
      code:
        failure !== undefined
          ? record.cancelled
            ? 'cancelled'
            : failure instanceof ToolError
              ? failure.code
              : 'internal_error'
          : record.inputRequired
            ? 'input_required'
            : 'ok',
      ...(status !== undefined && { kommoStatus: status }),
      kommoRequests: record.attempts.length + record.summaryAttempts.length,
      ...(record.summaryAttempts.length > 0 && { summaryRequests: record.summaryAttempts.length }),
      ...(record.budget && { budget: record.budget }),
      ...(record.outcomeUnknown && { kommoOutcome: 'unknown' }),
      durationMs: Math.round(durationMs * 10) / 10,
    });
  }
}

/**
 * The refund rule: a failed call's units are given back only when Kommo provably did not act.
 *
 * - Refused before running (policy, limits, no approval): nothing was sent. Except a declined
 *   approval: a person's decision is a real use, so an agent cannot ask again and again for free.
 * - Writes and executes: given back only when no write request left (refused locally, e.g. invalid
 *   arguments found on reading Kommo data; connection refused; unknown host; cancelled while queued)
 *   or Kommo answered it 429. A write that was sent and got a timeout, a 5xx, a broken connection or
 *   a cancel keeps its unit: it may have been applied.
 * - Reads: given back when Kommo never answered usefully (no answer, 429, 5xx after the retries) or
 *   the tool refused before asking; a read Kommo answered (404 included) counts.
 */
export function shouldRollback(tool: AnyTool, failure: unknown, reachedRun: boolean, attempts: readonly KommoAttempt[]): boolean {
  if (!reachedRun) return !(failure instanceof ApprovalDeclined);
  if (tool.kind !== 'read') return !writeMayHaveActed(attempts);
  if (reachedKommo(attempts)) return false;
  if (failure instanceof KommoError) return failure.status === 0 || failure.status === 429 || failure.status >= 500;
  if (failure instanceof NotFound) return false; // Kommo said 404 / 204
  return failure instanceof ToolError; // a typed refusal by the tool before it sent anything
}

export function rateLimited(tool: string, refusal: Refusal): RateLimited {
  const { limit } = refusal.request;
  const retryAfterSeconds = Math.max(1, Math.ceil(refusal.retryAfterMs / 1000));
  const seconds = `${retryAfterSeconds} second${retryAfterSeconds === 1 ? '' : 's'}`;
  const details = {
    retryAfterSeconds,
    limit: limit.max,
    window: limit.window,
    windowSeconds: limit.windowMs / 1000,
    remaining: refusal.remaining,
    counter: limit.counter,
    scope: limit.scopeText,
    rule: limit.rule,
  };
  if (refusal.reason === 'full') {
    return new RateLimited(
      `${tool} was not made because the rate limiter is full: it already tracks as many ${limit.scopeText === 'grant' || limit.scopeText === 'session' || limit.scopeText === 'global' ? '' : 'per-argument '}counters as it may hold (KOMMO_LIMITER_MAX_KEYS), all still in use, and the first frees in ${seconds}; retry then.`,
      { ...details, reason: 'limiter_full' },
    );
  }
  const others = limit.sharedWith.filter((name) => name !== tool);
  const shared = others.includes('all tools')
    ? ` across all tools`
    : others.length === 0
      ? ''
      : others.length <= 3
        ? ` together with ${others.join(', ')}`
        : ` together with ${others.length} other tools`;
  const calls = limit.max === 1 ? 'call' : 'calls';
  return new RateLimited(
    `${tool} is limited to ${limit.max} ${calls} per ${limit.window}${shared} ${refusal.request.scopePhrase}; ${refusal.remaining} left. Retry in ${seconds}.`,
    details,
  );
}

function objectOrEmpty(value: unknown): object {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : {};
}

function describeError(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

export type { LimitRequest };

const policyHashes = new WeakMap<CompiledPolicy, string>();

/** SHA-256 of the policy's canonical JSON: what a 2026-07-28 approval state is bound to. */
function policySha256(policy: CompiledPolicy): string {
  let hash = policyHashes.get(policy);
  if (hash === undefined) {
    hash = sha256Hex(canonicalJson(policy.document));
    policyHashes.set(policy, hash);
  }
  return hash;
}
