/**
 * The one error path of the server: everything that can refuse or fail a tool call is a typed
 * `ToolError` (or a `KommoFailure` from the HTTP client, which `asToolError` turns into one), and
 * `toErrorResult` is the only place that turns one into an MCP tool result.
 * Messages are fixed, trusted sentences written here; upstream bodies are never echoed (they can
 * carry prompt injection or, in axios errors, request headers with the token).
 */
import type { CallToolResult } from '@modelcontextprotocol/server';

export type ErrorCode =
  | 'policy_denied'
  | 'rate_limited'
  | 'approval_required'
  | 'approval_declined'
  | 'approval_unavailable'
  | 'invalid_arguments'
  | 'not_found'
  | 'kommo_error'
  | 'limiter_unavailable'
  | 'audit_unavailable'
  | 'cancelled'
  | 'internal_error';

export type ErrorDetails = Record<string, unknown>;

export class ToolError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetails = {},
  ) {
    super(message);
    this.name = new.target.name;
  }

  toJSON(): Record<string, unknown> {
    return { error: this.code, message: this.message, ...this.details };
  }
}

export class PolicyDenied extends ToolError {
  constructor(message: string, details: { rule: string } & ErrorDetails) {
    super('policy_denied', message, details);
  }
}

export class RateLimited extends ToolError {
  constructor(message: string, details: { retryAfterSeconds: number; limit: number; window: string; remaining: number } & ErrorDetails) {
    super('rate_limited', message, details);
  }
}

export class ApprovalRequired extends ToolError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('approval_required', message, details);
  }
}

export class ApprovalDeclined extends ToolError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('approval_declined', message, details);
  }
}

export class ApprovalUnavailable extends ToolError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('approval_unavailable', message, details);
  }
}

/**
 * The call needs a rate-limit counter and the counter store (Redis, with `KOMMO_REDIS_FAIL=closed`)
 * cannot be reached: the call is refused rather than let through uncounted. Calls with no limits
 * are not affected.
 */
export class LimiterUnavailableError extends ToolError {
  constructor(tool: string, details: ErrorDetails = {}) {
    super(
      'limiter_unavailable',
      `${tool} was not made because its rate-limit counters are kept in a shared store that cannot be reached right now; retry in a few seconds, and tell the user if it keeps failing.`,
      { tool, retryAfterSeconds: 5, ...details },
    );
  }
}

/** The audit line of an earlier call could not be written: no write or execute goes out unaudited. */
export class AuditUnavailable extends ToolError {
  constructor(tool: string) {
    super(
      'audit_unavailable',
      `${tool} was not made because the audit log cannot be written right now, and changes are only made with an audit trail; reads still work. Tell the user to check the audit log file (KOMMO_AUDIT_LOG).`,
      { tool },
    );
  }
}

/** What the middleware answers (and audits) for a tool call the client cancelled before it finished. */
export class CallCancelled extends ToolError {
  constructor(tool: string) {
    super('cancelled', `${tool} was cancelled by the client before it finished.`, { tool });
  }
}

/**
 * Code the server loads on first use (the reports) failed to load: the installation is incomplete or
 * damaged. Nothing was asked of Kommo; the cause (which file) goes to the server log, not to the agent.
 */
export class CodeUnavailable extends ToolError {
  constructor(part: string) {
    super(
      'internal_error',
      `The call was not made because the server's ${part} code failed to load; its installation looks incomplete: tell the user to reinstall kommo-mcp (the server log names the file).`,
      { reason: 'code_unavailable', part },
    );
  }
}

export interface FieldIssue {
  path: string;
  message: string;
  /** The values the field may take, when they are known (e.g. the account's stages). */
  choices?: Array<{ id: number; name: string }>;
}

export class InvalidArguments extends ToolError {
  constructor(
    message: string,
    readonly issues: FieldIssue[],
  ) {
    super('invalid_arguments', message, { fields: issues.map((i) => i.path), issues });
  }
}

export class NotFound extends ToolError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('not_found', message, details);
  }
}

/**
 * A tool's `kommo_error`: Kommo failed the call, or answered it in a way the tool cannot use.
 * `status` is the HTTP status, or 0 when no answer came (network error, timeout).
 */
export class KommoError extends ToolError {
  constructor(
    message: string,
    readonly status: number,
    details: ErrorDetails = {},
  ) {
    super('kommo_error', message, { status, ...details });
  }
}

/** The end of a write's message when its answer was lost: Kommo may have acted. */
export const MAY_HAVE_BEEN_APPLIED = 'so the change may have been applied; check the record before trying again.';

/**
 * What the HTTP client throws: a Kommo request failed, typed by what happened. Not a tool error:
 * `asToolError` below is the one place that turns it into one. `status` is the HTTP status (0 when
 * no answer came); `details` go into the error result as they are; `retryable` tells the client's
 * retry loop that the request did not take effect; `outcomeUnknown` marks a write that was sent and
 * whose answer was lost (the agent is told it may have been applied).
 */
export class KommoFailure extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly details: ErrorDetails = {},
    readonly retryable = false,
    readonly outcomeUnknown = false,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Kommo answered with an HTTP status that is an error (or a 2xx body that is not JSON): `status` says which. */
export class KommoHttpError extends KommoFailure {}

/** No answer came within the deadline of an attempt (`status` 0). */
export class KommoTimeout extends KommoFailure {}

/** The connection failed: refused, unknown host, unreachable, or reset (`status` 0). */
export class KommoUnreachable extends KommoFailure {}

/** Kommo's answer was larger than the client accepts in one response (`status` 0). */
export class KommoResponseTooLarge extends KommoFailure {
  constructor() {
    super('Kommo answered with more data than this server accepts in one response; narrow the request.', 0, { reason: 'too_large' });
  }
}

/** Kommo answered 404 (or 204 for one record): `what` names the record, e.g. "Lead 42". */
export class KommoNotFound extends KommoFailure {
  constructor(what = 'The requested record') {
    super(`${what} was not found in Kommo.`, 404);
  }
}

/** Where a cancelled call stopped, which decides what the agent is told. */
export type CancelledAt = 'before_answer' | 'after_write_sent' | 'unfinished';

const CANCELLED_MESSAGES: Record<CancelledAt, string> = {
  before_answer: 'The call was cancelled before Kommo answered.',
  after_write_sent: 'The call was cancelled after the request was sent to Kommo',
  unfinished: 'The call was cancelled before it finished.',
};

/** The client cancelled the call (in the HTTP client, the pacer queue or between report pages). */
export class Cancelled extends KommoFailure {
  constructor(at: CancelledAt = 'unfinished') {
    super(CANCELLED_MESSAGES[at], 0, { reason: 'cancelled' }, false, at === 'after_write_sent');
  }
}

/** A list walk reached its page bound: the answer is larger than a call may read. */
export class PageLimitReached extends KommoFailure {
  constructor(maxPages: number, list: string) {
    super(`Stopped after ${maxPages} pages of ${list}: the result is too large to walk; narrow the question.`, 0);
  }
}

/**
 * The tool error for a thrown value, or undefined when it is not one we know (a bug: the caller
 * answers `internal_error`). The only place a Kommo failure becomes a tool error: a missing record
 * is `not_found`; anything else is `kommo_error` with its `status`, and a write whose answer was
 * lost says that it may have been applied.
 */
export function asToolError(err: unknown): ToolError | undefined {
  if (err instanceof ToolError) return err;
  if (!(err instanceof KommoFailure)) return undefined;
  if (err instanceof KommoNotFound) return new NotFound(err.message, err.details);
  if (!err.outcomeUnknown) return new KommoError(err.message, err.status, err.details);
  return new KommoError(`${err.message}, ${MAY_HAVE_BEEN_APPLIED}`, err.status, { ...err.details, outcome: 'unknown' });
}

/**
 * The error of a write that was sent and whose answer was lost (from the attempts the middleware
 * saw): it may have been applied, so say how to check (`check`), never "try again later".
 */
export function lostWriteError(tool: string, check: string, failure: unknown): KommoError {
  const status = failure instanceof KommoError ? failure.status : 0;
  const reason = failure instanceof ToolError ? failure.details.reason : undefined;
  const what =
    status >= 500
      ? `Kommo answered with a server error (HTTP ${status})`
      : reason === 'timeout'
        ? 'no answer came in time'
        : reason === 'cancelled'
          ? 'the call was cancelled before the answer came'
          : 'the connection broke before the answer came';
  return new KommoError(`${tool} sent the change to Kommo but ${what}, so the change may have been applied: ${check} before trying again.`, status, {
    ...(reason !== undefined && { reason }),
    outcome: 'unknown',
    check,
  });
}

/** A JSON value's kind, as an error message names it ("an array", "a string", "null"). */
export function jsonKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Turns any thrown value into the JSON error result `{"error": CODE, "message": …, …details}`. */
export function toErrorResult(err: unknown): CallToolResult {
  const payload = asToolError(err)?.toJSON() ?? {
    error: 'internal_error',
    message: 'The server failed unexpectedly while handling this call; nothing more is known.',
  };
  return { isError: true, content: [{ type: 'text', text: JSON.stringify(payload) }] };
}
