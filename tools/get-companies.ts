import { z } from 'zod';
import { defineTool } from './define.js';
import { listPage } from './listing.js';
import { paging, searchQuery } from './schemas.js';

export default defineTool({
  name: 'get_companies',
  title: 'List companies',
  description:
    'Lists companies (organisations) a page at a time, 50 per page by default (max 250), with names, responsible user and custom fields. ' +
    'Optional "query" searches names and other filled fields (phone, e-mail, website). ' +
    'The answer says has_more and next_page; an empty page means no (more) matches.',
  kind: 'read',
  input: z.object({ ...paging, query: searchQuery('Free-text search, e.g. a company name, phone or website.') }).strict(),
  run: ({ limit, page, query }, { kommo, signal }) =>
    listPage(kommo, { path: '/api/v4/companies', key: 'companies', limit, page, query: { query }, signal }),
});
