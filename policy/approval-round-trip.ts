/**
 * The approval step on protocol revision 2026-07-28: two rounds of the same `tools/call`.
 *
 * 1. The call arrives without state: limits are checked (the middleware reserves and gives back),
 *    and the answer is an `input_required` result with the approval form and a sealed state
 *    (policy/approval-state.ts) bound to this grant, tool, exact arguments and policy.
 * 2. The client asks the person, then sends the call again with the answer and the state. The call
 *    runs only when the state matches this very call, is within the approval timeout, was never used
 *    before and the answer is an explicit "approve"; the middleware then reserves the limits (a cap
 *    reached in between refuses the call) and decides again under the policy in force.
 *
 * The 2025 era keeps the nested elicitation of policy/approval.ts; both share the form, the summary
 * the person reads and the strict reading of the answer.
 */
import { inputRequired, type ElicitResult, type InputRequiredResult } from '@modelcontextprotocol/server';
import { ApprovalRequired } from '../src/errors.js';
import { approvalSchema, concludeApproval, DEFAULT_APPROVAL_TIMEOUT_MS, readAnswer, unavailable, type ApprovalRequest } from './approval.js';
import { approvalWords } from '../src/approval-words.js';
import { buildApprovalMessage, shortHash } from './approval-summary.js';
import type { ApprovalClaims, ApprovalStates } from './approval-state.js';

/** The key of the approval form among the input requests of an `input_required` result. */
export const APPROVAL_INPUT = 'approval';

export interface ApprovalRoundTrip {
  states: ApprovalStates;
  /** The client declared form elicitation on this request. */
  canElicit: boolean;
  /** The state the client echoed, already verified by the server (second round only). */
  state?: ApprovalClaims;
  /** The client's answer to the approval form, as sent (untrusted). */
  answer?: unknown;
}

/** What the state must match besides the call itself. */
export interface ApprovalBinding {
  grant: string;
  policySha256: string;
}

/**
 * First round: the form the person will see and the sealed state, as an `input_required` result,
 * with the claims sealed in it (the middleware holds a pending-approval slot until they are used).
 */
export async function askForApproval(
  req: ApprovalRequest,
  roundTrip: ApprovalRoundTrip,
  binding: ApprovalBinding,
): Promise<{ form: InputRequiredResult; claims: ApprovalClaims }> {
  const { tool, toolContext: ctx } = req;
  const details = { tool: tool.name, argsHash: shortHash(req.argsHash) };
  if (!roundTrip.canElicit) throw unavailable(tool.name, details);
  const timeoutMs = req.timeoutMs > 0 ? req.timeoutMs : DEFAULT_APPROVAL_TIMEOUT_MS;
  const words = await approvalWords(ctx);
  const message = await buildApprovalMessage({
    tool,
    args: req.args,
    argsHash: req.argsHash,
    ...(req.message !== undefined && { policyMessage: req.message }),
    timeoutMs,
    ctx,
    words,
  });
  const { state, claims } = await roundTrip.states.seal(
    { grant: binding.grant, tool: tool.name, argsSha256: req.argsHash, policySha256: binding.policySha256 },
    timeoutMs,
  );
  req.audit('proposed', { timeoutSeconds: Math.round(timeoutMs / 100) / 10 });
  const form = inputRequired({
    inputRequests: { [APPROVAL_INPUT]: inputRequired.elicit({ message, requestedSchema: approvalSchema(words) }) },
    requestState: state,
  });
  return { form, claims };
}

/**
 * Second round: resolves only for an explicit approval of exactly this call with a fresh, unused
 * state; otherwise audits and throws what the agent is told.
 */
export async function checkApproval(req: ApprovalRequest, roundTrip: ApprovalRoundTrip & { state: ApprovalClaims }, binding: ApprovalBinding): Promise<void> {
  const { tool } = req;
  const { state, states } = roundTrip;
  const details = { tool: tool.name, argsHash: shortHash(req.argsHash) };
  const refuse = (reason: string, message: string): never => {
    req.audit(reason === 'timeout' ? 'expired' : 'cancelled', { reason });
    throw new ApprovalRequired(message, { ...details, reason });
  };
  if (state.grant !== binding.grant || state.tool !== tool.name || state.argsSha256 !== req.argsHash) {
    refuse(
      'state_mismatch',
      `The approval sent with this ${tool.name} call was given for a different call (another tool, other arguments or another client), so nothing was sent to Kommo; call ${tool.name} again without it to ask the person.`,
    );
  }
  if (state.policySha256 !== binding.policySha256) {
    refuse(
      'policy_changed',
      `The policy changed after the person was asked to approve this ${tool.name} call, so nothing was sent to Kommo; call it again to ask under the policy now in force.`,
    );
  }
  if (states.expired(state)) {
    refuse(
      'timeout',
      `The approval for this ${tool.name} call came after its time limit, so nothing was sent to Kommo; ask the user whether they still want it and call again.`,
    );
  }
  // Claimed before the answer is read: a declined or dismissed state cannot be tried again either.
  if (!(await states.claim(state))) {
    refuse(
      'replayed',
      `This approval was already used once and cannot approve another ${tool.name} call, so nothing was sent to Kommo; call it again to ask the person.`,
    );
  }
  const answer = isElicitResult(roundTrip.answer) ? readAnswer(roundTrip.answer) : ({ outcome: 'dismissed' } as const);
  concludeApproval(answer, tool.name, details, req.audit);
}

function isElicitResult(value: unknown): value is ElicitResult {
  return value !== null && typeof value === 'object' && typeof (value as { action?: unknown }).action === 'string';
}
