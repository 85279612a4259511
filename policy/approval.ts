/**
 * The approval step of the call pipeline (design.md section 4). The middleware calls
 * `requestApproval` after the limits are reserved and before the tool runs; it resolves only on an
 * explicit human approval of exactly these arguments, and otherwise throws one of
 * ApprovalUnavailable / ApprovalDeclined / ApprovalRequired (the middleware then rolls back the
 * reservation and makes no Kommo request).
 */
import { ApprovalUnavailable } from '../src/errors.js';
import type { AnyTool, ToolContext } from '../tools/define.js';
import type { Elicit } from './middleware.js';

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
}

export async function requestApproval(req: ApprovalRequest): Promise<void> {
  throw new ApprovalUnavailable(
    `${req.tool.name} needs a person's approval, and this server cannot ask for it yet. ` +
      'Ask the user to run it themselves, or to change the policy for this tool.',
  );
}
