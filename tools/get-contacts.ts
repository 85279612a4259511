import { z } from 'zod';
import { compactRecords } from '../src/kommo/compact.js';
import { defineTool } from './define.js';
import { listPage } from './listing.js';
import { paging, searchQuery } from './schemas.js';

export default defineTool({
  name: 'get_contacts',
  title: 'Contacts',
  description: 'Lists contacts (people) with phones and e-mails; query finds one by name, phone or e-mail.',
  kind: 'read',
  peopleText: true,
  input: z.object({ ...paging, query: searchQuery('Name, phone or e-mail') }).strict(),
  run: ({ limit, page, query }, { kommo, signal }) =>
    listPage({
      key: 'contacts',
      limit,
      page,
      query: { query },
      read: (q) => kommo.contacts.list(q, { signal }),
      shape: (items) => compactRecords(kommo, items, { signal }),
    }),
});
