import { z } from 'zod';
import { describeSalesbot } from '../policy/approval-summary.js';
import { defineTool } from './define.js';
import { botId, recordId } from './schemas.js';

export default defineTool({
  name: 'stop_salesbot',
  title: 'Stop a Salesbot',
  description:
    'Stops a Salesbot that is running for one lead. Kommo only supports stopping bots on leads, so entity_type must be "leads". ' +
    'Kommo queues the stop and answers at once. bot_id is the Salesbot id shown in Kommo (Settings > Salesbot).',
  kind: 'execute',
  verify: ({ entity_id }) => `ask the user to look in Kommo whether the Salesbot still runs on lead ${entity_id}`,
  input: z
    .object({
      bot_id: botId,
      entity_id: recordId('Id of the lead the bot runs for'),
      entity_type: z.enum(['leads']).describe('Always "leads": Kommo stops Salesbots on leads only.'),
    })
    .strict(),
  describe: (args, ctx) => describeSalesbot('stop', args, ctx),
  async run({ bot_id, entity_id, entity_type }, { kommo, signal }) {
    await kommo.post(`/api/v4/bots/${bot_id}/stop`, { entity_id, entity_type }, { signal, notFound: `Salesbot ${bot_id}` });
    return { stopped: true, bot_id, entity_id, entity_type };
  },
});
