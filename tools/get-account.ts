import { z } from 'zod';
import type { Account } from '../src/kommo/types.js';
import { defineTool } from './define.js';

export default defineTool({
  name: 'get_account',
  title: 'Get account',
  description:
    'Returns the Kommo account itself: id, name, subdomain, country, currency, timezone and task types. ' +
    'Use it first to learn the currency and timezone that other figures are expressed in.',
  kind: 'read',
  input: z.object({}).strict(),
  async run(_args, { kommo, signal }) {
    const account = await kommo.getOne<Account>('/api/v4/account', {
      query: { with: 'datetime_settings,task_types' },
      signal,
      notFound: 'The account',
    });
    return { account };
  },
});
