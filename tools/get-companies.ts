import { z } from 'zod';
import { compactRecords } from '../src/kommo/compact.js';
import { defineTool } from './define.js';
import { listPage } from './listing.js';
import { paging, searchQuery } from './schemas.js';

export default defineTool({
  name: 'get_companies',
  title: 'Companies',
  description: 'Lists companies (organisations) with custom fields; query finds one by name, phone or website.',
  kind: 'read',
  peopleText: true,
  input: z.object({ ...paging, query: searchQuery('Name, phone or website') }).strict(),
  run: ({ limit, page, query }, { kommo, signal }) =>
    listPage({
      key: 'companies',
      limit,
      page,
      query: { query },
      read: (q) => kommo.companies.list(q, { signal }),
      shape: (items) => compactRecords(kommo, items, { signal }),
    }),
});
