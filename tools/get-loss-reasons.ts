import { z } from 'zod';
import { defineTool } from './define.js';

export default defineTool({
  name: 'get_loss_reasons',
  title: 'List loss reasons',
  description:
    'Lists the reasons a lead can be marked lost for (id, name, sort). A lost lead (stage 143) carries one as loss_reason_id; ' +
    'pass an id from here to move_lead or update_lead when closing a deal as lost. Answered from a short-lived cache (10 minutes by default).',
  kind: 'read',
  input: z.object({}).strict(),
  async run(_args, { reference, signal }) {
    return { loss_reasons: await reference.lossReasons(signal) };
  },
});
