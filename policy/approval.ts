/**
 * The approval step of the call pipeline (docs/architecture.md). The middleware calls
 * `requestApproval` after the limits are reserved and before the tool runs; it resolves only on an
 * explicit human approval of exactly these arguments, and otherwise throws one of
 * ApprovalUnavailable / ApprovalDeclined / ApprovalRequired (the middleware then rolls back the
 * reservation and makes no Kommo request).
 *
 * The only voice that can approve is the MCP client's answer to our `elicitation/create` (the
 * person's app). Nothing in the arguments or `_meta` is read here, and no approval is remembered: each
 * call asks again, showing exactly the arguments it will run with. Those are frozen before asking, so
 * what ran is what was shown.
 */
import { APPROVAL_TIMEOUT_MS as DEFAULT_APPROVAL_TIMEOUT_MS } from '../src/defaults.js';
import { ProtocolError, ProtocolErrorCode, SdkError, SdkErrorCode, type ElicitRequestFormParams, type ElicitResult } from '@modelcontextprotocol/server';
import { ApprovalDeclined, ApprovalRequired, ApprovalUnavailable, KommoNotFound } from '../src/errors.js';
import type { AnyTool, ToolContext } from '../tools/define.js';
import { approvalWords, type ApprovalWords } from '../src/approval-words.js';
import { buildApprovalMessage, shortHash } from './approval-summary.js';

/** Asks the client to show a form to its user (MCP elicitation); resolves with the person's answer. */
export type Elicit = (params: ElicitRequestFormParams, options: { signal: AbortSignal; timeoutMs: number }) => Promise<ElicitResult>;

export type ApprovalEvent = 'proposed' | 'approved' | 'declined' | 'expired' | 'cancelled';

export interface ApprovalRequest {
  tool: AnyTool;
  /** The validated arguments the human approves; the call runs with exactly these. */
  args: Record<string, unknown>;
  /** SHA-256 of the canonical arguments, as written in the audit lines. */
  argsHash: string;
  /** The policy's `approval.message`, shown to the human above the call summary. */
  message?: string;
  /** The policy's `approval.timeout_s` in ms (default 120 s). */
  timeoutMs: number;
  /** Present only when the client declared elicitation. */
  elicit?: Elicit;
  toolContext: ToolContext;
  /** Writes one audit line for an approval event. */
  audit: (event: ApprovalEvent, fields?: Record<string, unknown>) => void;
  /** How often the waiting call sends notifications/progress (keeps clients that reset their timeout on progress waiting); default 15 s. */
  progressEveryMs?: number;
}

export { DEFAULT_APPROVAL_TIMEOUT_MS };

/** The one form field: the person must pick "approve"; anything else is not an approval. */
export const DECISION_FIELD = 'decision';
export const APPROVE = 'approve';
export const REJECT = 'reject';

/**
 * The form: one required choice, titled in the account's language with the current titled-enum
 * form (`oneOf` of `const` + `title`; `enumNames` is deprecated). The values stay "approve"/"reject".
 */
export function approvalSchema(w: ApprovalWords): ElicitRequestFormParams['requestedSchema'] {
  const field = w.decisionField();
  return {
    type: 'object',
    properties: {
      [DECISION_FIELD]: {
        type: 'string',
        title: field.title,
        description: field.description,
        oneOf: [
          { const: APPROVE, title: field.approve },
          { const: REJECT, title: field.reject },
        ],
      },
    },
    required: [DECISION_FIELD],
  };
}

const PROGRESS_EVERY_MS = 15_000;

export type Answer = { outcome: 'approved' } | { outcome: 'declined'; reason: 'declined' | 'not_approved' | 'invalid_answer' } | { outcome: 'dismissed' };

/** Reads the client's answer strictly: only `accept` with exactly `{decision: "approve"}` approves. */
export function readAnswer(result: ElicitResult): Answer {
  switch (result.action) {
    case 'accept': {
      const content: unknown = result.content;
      if (content === null || typeof content !== 'object' || Array.isArray(content)) return { outcome: 'declined', reason: 'invalid_answer' };
      const keys = Object.keys(content);
      const decision = (content as Record<string, unknown>)[DECISION_FIELD];
      if (keys.length !== 1 || keys[0] !== DECISION_FIELD || (decision !== APPROVE && decision !== REJECT)) {
        return { outcome: 'declined', reason: 'invalid_answer' };
      }
      return decision === APPROVE ? { outcome: 'approved' } : { outcome: 'declined', reason: 'not_approved' };
    }
    case 'decline':
      return { outcome: 'declined', reason: 'declined' };
    case 'cancel':
      return { outcome: 'dismissed' };
    default:
      return { outcome: 'declined', reason: 'invalid_answer' };
  }
}

export async function requestApproval(req: ApprovalRequest): Promise<void> {
  const { tool, argsHash, toolContext: ctx } = req;
  const ref = shortHash(argsHash);
  const timeoutMs = req.timeoutMs > 0 ? req.timeoutMs : DEFAULT_APPROVAL_TIMEOUT_MS;
  const timeoutSeconds = Math.round(timeoutMs / 100) / 10;
  const details = { tool: tool.name, argsHash: ref };

  if (!req.elicit) throw unavailable(tool.name, details);
  const elicit = req.elicit;

  // What the person sees is what runs: nothing may change the arguments after they are shown.
  deepFreeze(req.args);
  const shown = canonical(req.args);

  const started = ctx.now();
  const waited = (): number => Math.max(0, ctx.now() - started);
  // The middleware's audit lines carry the argument hash already (argsSha256).
  const audit = (event: ApprovalEvent, fields: Record<string, unknown> = {}): void => req.audit(event, fields);

  const wait = startWaiting(ctx.signal, timeoutMs, timeoutSeconds);
  let stopKeepAlive: (() => void) | undefined;

  audit('proposed', { timeoutSeconds });
  let answer: Answer;
  try {
    const shownCtx = { ...ctx, signal: wait.signal };
    const words = await approvalWords(shownCtx);
    const message = await buildApprovalMessage({
      tool,
      args: req.args,
      argsHash,
      ...(req.message !== undefined && { policyMessage: req.message }),
      timeoutMs,
      ctx: shownCtx,
      words,
    });
    throwIfStopped(wait.signal);
    stopKeepAlive = keepAlive(ctx, tool.name, timeoutSeconds, waited, req.progressEveryMs ?? PROGRESS_EVERY_MS);

    const pending = elicit({ mode: 'form', message, requestedSchema: approvalSchema(words) }, { signal: wait.signal, timeoutMs });
    // The race below may settle first; a late rejection of the request must not go unhandled.
    pending.catch(() => {});
    answer = readAnswer(await untilStopped(pending, wait.signal));
  } catch (err) {
    const waitedMs = waited();
    refuseUnanswered(classifyUnanswered(err, wait.timedOut(), ctx.signal.aborted), err, {
      tool: tool.name,
      details,
      waitedMs,
      timeoutSeconds,
      audit,
      log: ctx.log,
    });
  } finally {
    wait.dispose();
    stopKeepAlive?.();
  }

  const waitedMs = waited();
  if (answer.outcome === 'approved' && canonical(req.args) !== shown) {
    // Unreachable while the arguments are frozen; kept so a future change cannot slip through.
    audit('cancelled', { waitedMs, reason: 'arguments_changed' });
    throw new ApprovalRequired(`The arguments of this ${tool.name} call changed after they were shown, so nothing was sent to Kommo; call again.`, details);
  }
  concludeApproval(answer, tool.name, details, (event, fields) => audit(event, { waitedMs, ...fields }));
}

/** The wait for an answer: `signal` aborts when the client cancels the tool call or nobody answers in time. */
interface Waiting {
  signal: AbortSignal;
  /** Whether the wait ended because the approval timeout passed. */
  timedOut(): boolean;
  /** Clears the timer and the link to the call's signal. */
  dispose(): void;
}

function startWaiting(callSignal: AbortSignal, timeoutMs: number, timeoutSeconds: number): Waiting {
  const stop = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    stop.abort(new SdkError(SdkErrorCode.RequestTimeout, `Approval timed out after ${timeoutSeconds} s`));
  }, timeoutMs);
  const onCallCancelled = (): void => stop.abort(callSignal.reason);
  if (callSignal.aborted) onCallCancelled();
  else callSignal.addEventListener('abort', onCallCancelled, { once: true });
  return {
    signal: stop.signal,
    timedOut: () => timedOut,
    dispose: () => {
      clearTimeout(timer);
      callSignal.removeEventListener('abort', onCallCancelled);
    },
  };
}

/**
 * Sends notifications/progress while the person decides (clients that reset their timeout on
 * progress keep waiting); returns the function that stops it. Progress must increase with each
 * notification: seconds waited, to a tenth, strictly rising.
 */
function keepAlive(ctx: ToolContext, toolName: string, timeoutSeconds: number, waited: () => number, everyMs: number): () => void {
  let reported = 0;
  const interval = setInterval(() => {
    reported = Math.max(Math.round(waited() / 100) / 10, Math.round((reported + 0.1) * 10) / 10);
    void ctx.progress(reported, timeoutSeconds, `Waiting for a person to approve ${toolName}`).catch(() => {});
  }, everyMs);
  interval.unref?.();
  return () => clearInterval(interval);
}

/** Why no answer came from the person. */
type Unanswered = 'expired' | 'call_cancelled' | 'record_not_found' | 'client_cannot_elicit' | 'elicitation_failed';

function classifyUnanswered(err: unknown, timedOut: boolean, callCancelled: boolean): Unanswered {
  if (timedOut || isTimeout(err)) return 'expired';
  if (callCancelled) return 'call_cancelled';
  if (err instanceof KommoNotFound) return 'record_not_found';
  if (clientCannotElicit(err)) return 'client_cannot_elicit';
  return 'elicitation_failed';
}

interface Refusal {
  tool: string;
  details: Record<string, unknown>;
  waitedMs: number;
  timeoutSeconds: number;
  audit: (event: ApprovalEvent, fields?: Record<string, unknown>) => void;
  log: ToolContext['log'];
}

/** Audits why no approval came and throws what the agent is told; nothing was sent to Kommo. */
function refuseUnanswered(unanswered: Unanswered, err: unknown, r: Refusal): never {
  const { tool, details, waitedMs, timeoutSeconds, audit } = r;
  switch (unanswered) {
    case 'expired':
      audit('expired', { waitedMs, timeoutSeconds });
      throw new ApprovalRequired(
        `Nobody answered the approval request for this ${tool} call within ${timeoutSeconds} seconds, so nothing was sent to Kommo; ask the user whether they want it and call again when they are present to approve.`,
        { ...details, reason: 'timeout', timeoutSeconds },
      );
    case 'call_cancelled':
      audit('cancelled', { waitedMs, reason: 'call_cancelled' });
      throw new ApprovalRequired(
        `The ${tool} call was cancelled while waiting for approval, so nothing was sent to Kommo; ask the user when they are present before calling it again.`,
        { ...details, reason: 'cancelled' },
      );
    case 'record_not_found':
      audit('cancelled', { waitedMs, reason: 'record_not_found' });
      throw err;
    case 'client_cannot_elicit':
      audit('cancelled', { waitedMs, reason: 'client_cannot_elicit' });
      throw unavailable(tool, details);
    case 'elicitation_failed':
      r.log.warn('approval request failed', {
        tool,
        argsHash: details['argsHash'],
        error: err instanceof ProtocolError || err instanceof SdkError ? err.code : err instanceof Error ? err.name : 'unknown',
      });
      audit('cancelled', { waitedMs, reason: 'elicitation_failed' });
      throw new ApprovalRequired(
        `The approval request for this ${tool} call could not be completed (the client did not answer it), so nothing was sent to Kommo; ask the user when they are present and call again.`,
        { ...details, reason: 'elicitation_failed' },
      );
  }
}

/**
 * The person's answer, in either era: returns on an explicit approval (audited "approved"), and
 * otherwise audits and throws what the agent is told (declined, or closed without a decision).
 */
export function concludeApproval(
  answer: Answer,
  toolName: string,
  details: Record<string, unknown>,
  audit: (event: ApprovalEvent, fields?: Record<string, unknown>) => void,
): void {
  switch (answer.outcome) {
    case 'approved':
      audit('approved');
      return;
    case 'declined':
      audit('declined', { reason: answer.reason });
      throw new ApprovalDeclined(
        answer.reason === 'invalid_answer'
          ? `The approval request for this ${toolName} call was answered without an explicit "approve", so it counts as declined and nothing was sent to Kommo; do not retry the same call unless the user asks for it.`
          : `The person declined this ${toolName} call, so nothing was sent to Kommo; do not retry the same call unless they ask for it.`,
        { ...details, reason: answer.reason },
      );
    case 'dismissed':
      audit('cancelled', { reason: 'dismissed' });
      throw new ApprovalRequired(
        `The approval request for this ${toolName} call was closed without a decision, so nothing was sent to Kommo; ask the user whether they want it and call again when they are present to approve.`,
        { ...details, reason: 'no_decision' },
      );
  }
}

export function unavailable(toolName: string, details: Record<string, unknown>): ApprovalUnavailable {
  return new ApprovalUnavailable(
    `The policy requires a person to approve every ${toolName} call, but this MCP client cannot show approval requests (it did not declare form elicitation), so nothing was sent to Kommo; tell the user to run it from an MCP client that supports elicitation, to do it in Kommo themselves, or to change the policy for ${toolName}.`,
    { ...details, reason: 'client_without_elicitation' },
  );
}

function throwIfStopped(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason ?? new Error('aborted');
}

/** Settles with `promise`, or rejects as soon as `signal` aborts (an elicit that ignores it included). */
function untilStopped<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

function isTimeout(err: unknown): boolean {
  return err instanceof SdkError && err.code === SdkErrorCode.RequestTimeout;
}

/**
 * The SDK refuses locally when the client declared no form mode; a client that cannot show a form
 * answers "method not found", or "invalid params" as the spec asks of a client given a mode it lacks.
 * (The answer itself is never checked by the SDK: `readAnswer` judges it.)
 */
function clientCannotElicit(err: unknown): boolean {
  if (err instanceof SdkError) return err.code === SdkErrorCode.CapabilityNotSupported;
  return err instanceof ProtocolError && (err.code === ProtocolErrorCode.MethodNotFound || err.code === ProtocolErrorCode.InvalidParams);
}

function deepFreeze(value: unknown): void {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const inner of Object.values(value)) deepFreeze(inner);
}

/** Key-order-independent JSON, to compare the arguments shown with those about to run. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
