import { z } from 'zod';
import { KommoError } from '../src/errors.js';
import { defineTool } from './define.js';
import { readBackLead } from './read-back.js';
import { checkStage } from './reference-checks.js';
import { leadName, pipelineId, price, responsibleUserId, statusId } from './schemas.js';

export default defineTool({
  name: 'create_lead',
  title: 'New lead',
  description: 'Creates a lead (deal), returned as stored; default place: first stage of the main pipeline.',
  kind: 'write',
  peopleText: true,
  verify: ({ name }) => `call get_leads with query ${JSON.stringify(name)} to see whether the lead was created`,
  input: z
    .object({
      name: leadName.describe('Lead name'),
      price: price.optional(),
      status_id: statusId.optional(),
      pipeline_id: pipelineId.optional(),
      responsible_user_id: responsibleUserId.optional(),
    })
    .strict(),
  async run(args, { kommo, reference, signal, log }) {
    if (args.status_id !== undefined || args.pipeline_id !== undefined) await checkStage(reference, args, signal);
    const id = await kommo.leads.create(args, { signal });
    if (id === undefined) throw new KommoError('Kommo accepted the lead but returned no id; check the account before retrying.', 200);
    const lead = await readBackLead(kommo, id, { signal, log });
    return { created: true, id, lead };
  },
});
