import { z } from 'zod';
import { describeSalesbot } from './describe.js';
import { defineTool } from './define.js';
import { checkBot } from './reference-checks.js';
import { botId, entityId } from './schemas.js';

export default defineTool({
  name: 'stop_salesbot',
  title: 'Stop Salesbot',
  description: 'Stops a Salesbot running for a lead (Kommo stops bots on leads only); Kommo queues the stop.',
  kind: 'execute',
  verify: ({ entity_id }) => `ask the user to look in Kommo whether the Salesbot still runs on lead ${entity_id}`,
  input: z
    .object({
      bot_id: botId,
      entity_id: entityId,
      entity_type: z.enum(['leads']).describe('Record type'),
    })
    .strict(),
  describe: (args, ctx) => describeSalesbot('stop', args, ctx),
  async run({ bot_id, entity_id, entity_type }, { kommo, signal }) {
    await checkBot(kommo, bot_id, signal);
    await kommo.bots.stop(bot_id, { entity_id, entity_type }, { signal });
    return { stopped: true, bot_id, entity_id, entity_type };
  },
});
