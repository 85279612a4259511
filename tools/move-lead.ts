import { z } from 'zod';
import { describeLeadChange } from './describe.js';
import { InvalidArguments } from '../src/errors.js';
import { LOST_STATUS_ID, WON_STATUS_ID, type Lead, type Pipeline } from '../src/kommo/types.js';
import { defineTool } from './define.js';
import { checkLossReason, checkStage } from './reference-checks.js';
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

export default defineTool({
  name: 'move_lead',
  title: 'Move lead',
  description: 'Moves a lead to a stage, finding its pipeline if omitted; says from/to. Lost (143) takes loss_reason_id.',
  kind: 'write',
  peopleText: true,
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
  describe: ({ lead_id, status_id, pipeline_id, loss_reason_id }, ctx) => describeLeadChange(lead_id, { status_id, pipeline_id, loss_reason_id }, ctx),
  async run({ lead_id, status_id, pipeline_id, loss_reason_id }, { kommo, reference, signal, log }) {
    const lead = await kommo.leads.get(lead_id, { signal });
    const pipelines = await checkStage(reference, { status_id, pipeline_id }, signal);
    await checkLossReason(reference, loss_reason_id, signal);
    const target = targetPipeline(pipelines, lead, status_id, pipeline_id);
    if (target === undefined)
      throw new InvalidArguments(`Stage ${status_id} cannot be reached from this lead's pipeline; pass pipeline_id.`, [
        { path: 'pipeline_id', message: 'Needed to place this stage.' },
      ]);
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
