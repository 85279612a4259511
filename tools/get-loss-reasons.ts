import { z } from 'zod';
import type { LossReason } from '../src/kommo/types.js';
import { defineTool } from './define.js';

export default defineTool({
  name: 'get_loss_reasons',
  title: 'List loss reasons',
  description:
    'Lists the reasons a lead can be marked lost for (id, name, sort). A lost lead (stage 143) carries one as loss_reason_id; ' +
    'pass an id from here to move_lead or update_lead when closing a deal as lost.',
  kind: 'read',
  input: z.object({}).strict(),
  async run(_args, { kommo, signal }) {
    const body = await kommo.get<{ _embedded?: { loss_reasons?: LossReason[] } }>('/api/v4/leads/loss_reasons', { signal });
    return { loss_reasons: body?._embedded?.loss_reasons ?? [] };
  },
});
