import { z } from 'zod';
import { describeLeadChange } from '../policy/approval-summary.js';
import { InvalidArguments } from '../src/errors.js';
import type { ReferenceData } from '../src/kommo/reference.js';
import { LOST_STATUS_ID, WON_STATUS_ID, type Lead, type Pipeline } from '../src/kommo/types.js';
import { defineTool } from './define.js';
import { readBackLead } from './read-back.js';
import { lossReasonId, pipelineId, recordId, statusId } from './schemas.js';

/** Where a lead sits, named for a person: ids plus the pipeline and stage names. */
interface Place {
  pipeline_id: number;
  pipeline: string | null;
  status_id: number;
  status: string | null;
}

const isClosed = (id: number) => id === WON_STATUS_ID || id === LOST_STATUS_ID;

function place(pipelines: Pipeline[], pipeline_id: number, status_id: number): Place {
  const pipeline = pipelines.find((p) => p.id === pipeline_id);
  const status = pipeline?._embedded?.statuses?.find((s) => s.id === status_id);
  return { pipeline_id, pipeline: pipeline?.name ?? null, status_id, status: status?.name ?? null };
}

/**
 * The pipeline to send with the stage. Kommo needs pipeline_id for 142/143 (they exist in every
 * pipeline) and for a stage in another pipeline, so it is always sent: 142/143 stay in the lead's
 * pipeline, any other stage goes to the pipeline that holds it.
 */
function targetPipeline(pipelines: Pipeline[], lead: Lead, status_id: number, requested: number | undefined): number | undefined {
  if (requested !== undefined) {
    const pipeline = pipelines.find((p) => p.id === requested);
    if (!pipeline) return undefined;
    const hasStage = isClosed(status_id) || pipeline._embedded?.statuses?.some((s) => s.id === status_id);
    return hasStage ? requested : undefined;
  }
  if (isClosed(status_id)) return lead.pipeline_id;
  return pipelines.find((p) => p._embedded?.statuses?.some((s) => s.id === status_id))?.id;
}

/** Pipelines from the cache; refetched once when a stage is missing, since it may be newer than the cache. */
async function pipelinesKnowing(reference: ReferenceData, status_id: number, pipeline_id: number | undefined, signal: AbortSignal) {
  const known = (pipelines: Pipeline[]) =>
    (pipeline_id === undefined || pipelines.some((p) => p.id === pipeline_id)) &&
    (isClosed(status_id) || pipelines.some((p) => p._embedded?.statuses?.some((s) => s.id === status_id)));
  const cached = await reference.pipelines(signal);
  if (known(cached)) return cached;
  reference.clear();
  return reference.pipelines(signal);
}

function unknownTarget(pipelines: Pipeline[], status_id: number, pipeline_id: number | undefined): InvalidArguments {
  if (pipeline_id !== undefined && !pipelines.some((p) => p.id === pipeline_id)) {
    return new InvalidArguments(`There is no pipeline ${pipeline_id} in this account; get_pipelines lists the pipelines and their stages.`, [
      { path: 'pipeline_id', message: `Unknown pipeline ${pipeline_id}.` },
    ]);
  }
  const where = pipeline_id === undefined ? 'any pipeline' : `pipeline ${pipeline_id}`;
  return new InvalidArguments(`There is no stage ${status_id} in ${where}; get_pipelines lists the pipelines and their stage ids.`, [
    { path: 'status_id', message: `Unknown stage ${status_id} in ${where}.` },
  ]);
}

export default defineTool({
  name: 'move_lead',
  title: 'Move lead',
  description:
    'Moves a lead to a stage, finding its pipeline if omitted; says from/to. Lost (143) takes loss_reason_id.',
  kind: 'write',
  input: z
    .object({
      lead_id: recordId('Lead id'),
      status_id: statusId,
      pipeline_id: pipelineId.optional(),
      loss_reason_id: lossReasonId.optional(),
    })
    .strict()
    .refine((args) => args.loss_reason_id === undefined || args.status_id === LOST_STATUS_ID, {
      path: ['loss_reason_id'],
      message: 'loss_reason_id is only meaningful when moving to 143 (Closed - lost).',
    }),
  verify: ({ lead_id }) => `call get_lead with id ${lead_id} to see which stage the lead is in now`,
  describe: ({ lead_id, status_id, pipeline_id, loss_reason_id }, ctx) =>
    describeLeadChange(lead_id, { status_id, pipeline_id, loss_reason_id }, ctx),
  async run({ lead_id, status_id, pipeline_id, loss_reason_id }, { kommo, reference, signal, log }) {
    const lead = await kommo.leads.get(lead_id, { signal });
    const pipelines = await pipelinesKnowing(reference, status_id, pipeline_id, signal);
    const target = targetPipeline(pipelines, lead, status_id, pipeline_id);
    if (target === undefined) throw unknownTarget(pipelines, status_id, pipeline_id);
    const body = { status_id, pipeline_id: target, ...(loss_reason_id !== undefined && { loss_reason_id }) };
    await kommo.leads.update(lead_id, body, { signal });
    const moved = await readBackLead(kommo, lead_id, { signal, log });
    return {
      moved: true,
      lead_id,
      from: place(pipelines, lead.pipeline_id, lead.status_id),
      to: place(pipelines, target, status_id),
      lead: moved,
    };
  },
});
