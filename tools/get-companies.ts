import { z } from 'zod';
import { compactRecord } from '../src/kommo/compact.js';
import { defineTool } from './define.js';
import { listPage } from './listing.js';
import { paging, searchQuery } from './schemas.js';

export default defineTool({
  name: 'get_companies',
  title: 'Companies',
  description:
    'Lists companies (organisations) with custom fields; query finds one by name, phone or website.',
  kind: 'read',
  input: z.object({ ...paging, query: searchQuery('Name, phone or website') }).strict(),
  run: ({ limit, page, query }, { kommo, signal }) =>
    listPage(kommo, { path: '/api/v4/companies', key: 'companies', limit, page, query: { query }, signal, shape: compactRecord }),
});
