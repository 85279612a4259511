import { z } from 'zod';
import type { Lead } from '../src/kommo/types.js';
import { defineTool } from './define.js';
import { recordId } from './schemas.js';

export default defineTool({
  name: 'get_lead',
  title: 'Get a lead',
  description:
    'Returns one lead (deal) by id with its stage, pipeline, price, responsible user, dates (unix seconds) and linked contacts. ' +
    'Use get_leads to find an id by name.',
  kind: 'read',
  input: z.object({ id: recordId('Lead id') }).strict(),
  async run({ id }, { kommo, signal }) {
    const lead = await kommo.getOne<Lead>(`/api/v4/leads/${id}`, {
      query: { with: 'contacts,loss_reason' },
      signal,
      notFound: `Lead ${id}`,
    });
    return { lead };
  },
});
