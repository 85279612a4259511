import { z } from 'zod';
import { describeSalesbot } from './describe.js';
import { defineTool } from './define.js';
import { checkBot } from './reference-checks.js';
import { botId, entityId } from './schemas.js';

export default defineTool({
  name: 'run_salesbot',
  title: 'Run Salesbot',
  description: 'Starts a Salesbot (message flow) for a lead or contact. It may message the customer: only when asked.',
  kind: 'execute',
  verify: ({ entity_type, entity_id }) => `ask the user to look in Kommo whether the Salesbot started on ${entity_type} ${entity_id}`,
  input: z
    .object({
      bot_id: botId,
      entity_id: entityId,
      entity_type: z.enum(['leads', 'contacts']).describe('Record type'),
    })
    .strict(),
  describe: (args, ctx) => describeSalesbot('run', args, ctx),
  async run({ bot_id, entity_id, entity_type }, { kommo, signal }) {
    await checkBot(kommo, bot_id, signal);
    await kommo.bots.run(bot_id, { entity_id, entity_type }, { signal });
    return { started: true, bot_id, entity_id, entity_type };
  },
});
