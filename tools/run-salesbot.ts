import { z } from 'zod';
import { describeSalesbot } from '../policy/approval-summary.js';
import { defineTool } from './define.js';
import { botId, recordId } from './schemas.js';

export default defineTool({
  name: 'run_salesbot',
  title: 'Run a Salesbot',
  description:
    'Starts a Salesbot (an automated chat/message flow) for one lead or contact. It acts on the real customer (it can send messages), ' +
    'so use it only when asked. Kommo queues the run and answers at once; the result says started, not finished. ' +
    'bot_id is the Salesbot id shown in Kommo (Settings > Salesbot).',
  kind: 'execute',
  verify: ({ entity_type, entity_id }) => `ask the user to look in Kommo whether the Salesbot started on ${entity_type} ${entity_id}`,
  input: z
    .object({
      bot_id: botId,
      entity_id: recordId('Id of the lead or contact the bot runs for'),
      entity_type: z.enum(['leads', 'contacts']).describe('"leads" or "contacts": what entity_id refers to.'),
    })
    .strict(),
  describe: (args, ctx) => describeSalesbot('run', args, ctx),
  async run({ bot_id, entity_id, entity_type }, { kommo, signal }) {
    await kommo.post('/api/v4/bots/run', [{ bot_id, entity_id, entity_type }], { signal, notFound: `Salesbot ${bot_id}` });
    return { started: true, bot_id, entity_id, entity_type };
  },
});
