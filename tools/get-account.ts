import { z } from 'zod';
import { defineTool } from './define.js';

export default defineTool({
  name: 'get_account',
  title: 'Get account',
  description:
    'Returns the Kommo account itself: id, name, subdomain, country, currency, timezone and task types. ' +
    'Use it first to learn the currency and timezone that other figures are expressed in. Answered from a short-lived cache (10 minutes by default).',
  kind: 'read',
  input: z.object({}).strict(),
  async run(_args, { reference, signal }) {
    return { account: await reference.account(signal) };
  },
});
