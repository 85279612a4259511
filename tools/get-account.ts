import { z } from 'zod';
import { defineTool } from './define.js';

export default defineTool({
  name: 'get_account',
  title: 'Account',
  description: 'Account name, currency, timezone, task types: call it first to learn the units of all figures.',
  kind: 'read',
  peopleText: true,
  input: z.object({}).strict(),
  async run(_args, { reference, signal }) {
    return { account: await reference.account(signal) };
  },
});
