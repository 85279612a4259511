import { z } from 'zod';
import { defineTool } from './define.js';

export default defineTool({
  name: 'get_loss_reasons',
  title: 'Loss reasons',
  description: 'Reasons a lead can be lost for: the loss_reason_id to pass when closing a lead as lost.',
  kind: 'read',
  peopleText: true,
  input: z.object({}).strict(),
  async run(_args, { reference, signal }) {
    return { loss_reasons: await reference.lossReasons(signal) };
  },
});
