import { z } from 'zod';
import { defineTool } from './define.js';
import { listPage } from './listing.js';
import { paging, searchQuery } from './schemas.js';

export default defineTool({
  name: 'get_contacts',
  title: 'List contacts',
  description:
    'Lists contacts (people) a page at a time, 50 per page by default (max 250), with names, responsible user and custom fields ' +
    '(phones and e-mails live in custom_fields_values). Optional "query" searches names, phones, e-mails and other filled fields, ' +
    'the way to find a contact by phone number. The answer says has_more and next_page; an empty page means no (more) matches.',
  kind: 'read',
  input: z.object({ ...paging, query: searchQuery('Free-text search, e.g. a name, phone number or e-mail.') }).strict(),
  run: ({ limit, page, query }, { kommo, signal }) =>
    listPage(kommo, { path: '/api/v4/contacts', key: 'contacts', limit, page, query: { query }, signal }),
});
