/**
 * Ids resolved to the names a person knows (stage, user, loss reason), from the cached reference data,
 * exactly as Kommo writes them; shared by the policy's approval form and the tools' own `describe`.
 */
import { quote } from '../quote.js';
import type { ReferenceData } from './reference.js';
import type { Pipeline, Status } from './types.js';

/** What a lookup needs from the call it runs in (a subset of the tools' context). */
export interface ReferenceCall {
  reference: ReferenceData;
  signal: AbortSignal;
}

/**
 * A stage by id. Stages 142/143 (won/lost) exist in every pipeline, so the pipeline decides; other
 * stage ids are unique, so without a pipeline the one that holds the stage is found.
 */
export function findStage(pipelines: readonly Pipeline[], statusId: number, pipelineId?: number): { pipeline: Pipeline; status: Status } | undefined {
  const candidates = pipelineId === undefined ? pipelines : pipelines.filter((p) => p.id === pipelineId);
  for (const pipeline of candidates) {
    const status = pipeline._embedded?.statuses?.find((s) => s.id === statusId);
    if (status) return { pipeline, status };
  }
  return undefined;
}

export async function userName(id: number, ctx: ReferenceCall): Promise<string | undefined> {
  const user = (await ctx.reference.users(ctx.signal)).find((u) => u.id === id);
  return user ? quote(user.name) : undefined;
}

export async function lossReasonName(id: number, ctx: ReferenceCall): Promise<string | undefined> {
  const reason = (await ctx.reference.lossReasons(ctx.signal)).find((r) => r.id === id);
  return reason ? quote(reason.name) : undefined;
}
