import { z } from 'zod';
import { KommoError } from '../src/errors.js';
import type { Lead } from '../src/kommo/types.js';
import { defineTool } from './define.js';
import { readBack } from './read-back.js';
import { leadName, pipelineId, price, responsibleUserId, statusId } from './schemas.js';

interface Created {
  _embedded?: { leads?: Array<{ id: number }> };
}

export default defineTool({
  name: 'create_lead',
  title: 'Create a lead',
  description:
    'Creates one lead (deal) and returns the full record as Kommo stored it. Without pipeline_id/status_id Kommo puts it in the ' +
    "main pipeline's first stage; get_pipelines lists the ids. price is a whole number in the account currency; " +
    'responsible_user_id (from get_users) assigns the lead to someone.',
  kind: 'write',
  verify: ({ name }) => `call get_leads with query ${JSON.stringify(name)} to see whether the lead was created`,
  input: z
    .object({
      name: leadName.describe('Lead name, e.g. "Renovação Acme 2026".'),
      price: price.optional(),
      status_id: statusId.optional(),
      pipeline_id: pipelineId.optional(),
      responsible_user_id: responsibleUserId.optional().describe('Id of the user the lead is assigned to (from get_users); default: the token\'s user.'),
    })
    .strict(),
  async run(args, { kommo, signal, log }) {
    const created = await kommo.post<Created>('/api/v4/leads', [args], { signal });
    const id = created?._embedded?.leads?.[0]?.id;
    if (id === undefined) throw new KommoError('Kommo accepted the lead but returned no id; check the account before retrying.', 200);
    const lead = await readBack<Lead>(kommo, `/api/v4/leads/${id}`, { signal, log });
    return { created: true, id, lead };
  },
});
