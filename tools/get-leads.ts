import { z } from 'zod';
import { defineTool } from './define.js';
import { listPage } from './listing.js';
import { paging } from './schemas.js';

export default defineTool({
  name: 'get_leads',
  title: 'List leads',
  description:
    'Lists leads (deals) a page at a time, 50 per page by default (max 250). Optional "query" searches names, phones, e-mails ' +
    'and other filled fields. The answer says has_more and next_page; an empty page means no (more) matches.',
  kind: 'read',
  input: z
    .object({
      ...paging,
      query: z.string().trim().min(1).max(255).optional().describe('Free-text search over the lead and its filled fields.'),
    })
    .strict(),
  run: ({ limit, page, query }, { kommo, signal }) =>
    listPage(kommo, { path: '/api/v4/leads', key: 'leads', limit, page, query: { query, with: 'contacts' }, signal }),
});
