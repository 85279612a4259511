import { z } from 'zod';
import { describeLeadChange } from './describe.js';
import { defineTool } from './define.js';
import { checkLossReason, checkStage } from './reference-checks.js';
import { readBackLead } from './read-back.js';
import { leadName, lossReasonId, pipelineId, price, recordId, responsibleUserId, statusId } from './schemas.js';

const CHANGEABLE = ['name', 'price', 'status_id', 'pipeline_id', 'loss_reason_id', 'responsible_user_id'] as const;

export default defineTool({
  name: 'update_lead',
  title: 'Edit lead',
  description: 'Overwrites the given fields of a lead and returns it. For a new stage prefer move_lead.',
  kind: 'write',
  peopleText: true,
  // Overwrites existing values: an agent should treat it as a change that loses the previous value.
  annotations: { destructiveHint: true },
  input: z
    .object({
      id: recordId('Lead id'),
      name: leadName.describe('Lead name').optional(),
      price: price.optional(),
      status_id: statusId.optional(),
      pipeline_id: pipelineId.optional(),
      loss_reason_id: lossReasonId.optional(),
      responsible_user_id: responsibleUserId.optional(),
    })
    .strict()
    .refine((args) => CHANGEABLE.some((field) => args[field] !== undefined), {
      message: `Nothing to change: pass at least one of ${CHANGEABLE.join(', ')} besides id.`,
    }),
  verify: ({ id }) => `call get_lead with id ${id} to see whether the change is there`,
  describe: ({ id, ...changes }, ctx) => describeLeadChange(id, changes, ctx),
  async run({ id, ...changes }, { kommo, reference, signal, log }) {
    if (changes.status_id !== undefined || changes.pipeline_id !== undefined) await checkStage(reference, changes, signal);
    await checkLossReason(reference, changes.loss_reason_id, signal);
    await kommo.leads.update(id, changes, { signal });
    const lead = await readBackLead(kommo, id, { signal, log });
    return { updated: true, id, lead };
  },
});
