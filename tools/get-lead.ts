import { z } from 'zod';
import type { Lead } from '../src/kommo/types.js';
import { compactRecord } from '../src/kommo/compact.js';
import { defineTool } from './define.js';
import { recordId } from './schemas.js';

export default defineTool({
  name: 'get_lead',
  title: 'Lead',
  description:
    'One lead by id: stage, pipeline, price, owner, dates, contacts, companies, tags, custom fields.',
  kind: 'read',
  input: z.object({ id: recordId('Lead id') }).strict(),
  async run({ id }, { kommo, signal }) {
    const lead = await kommo.getOne<Lead>(`/api/v4/leads/${id}`, {
      query: { with: 'contacts,loss_reason' },
      signal,
      notFound: `Lead ${id}`,
    });
    return { lead: compactRecord(lead) };
  },
});
