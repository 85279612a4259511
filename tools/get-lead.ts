import { z } from 'zod';
import { compactRecords } from '../src/kommo/compact.js';
import { defineTool } from './define.js';
import { recordId } from './schemas.js';

export default defineTool({
  name: 'get_lead',
  title: 'Lead',
  description: 'One lead by id: stage, pipeline, price, owner, dates, contacts, companies, tags, custom fields.',
  kind: 'read',
  peopleText: true,
  input: z.object({ id: recordId('Lead id') }).strict(),
  async run({ id }, { kommo, signal }) {
    const lead = await kommo.leads.get(id, { signal, with: 'contacts,loss_reason' });
    const [compact] = await compactRecords(kommo, [lead], { signal });
    return { lead: compact };
  },
});
