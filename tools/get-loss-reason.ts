import { z } from 'zod';
import type { LossReason } from '../src/kommo/types.js';
import { defineTool } from './define.js';
import { recordId } from './schemas.js';

export default defineTool({
  name: 'get_loss_reason',
  title: 'Loss reason',
  description:
    "One loss reason by id, e.g. a lost lead's loss_reason_id: its name, sort and dates.",
  kind: 'read',
  input: z.object({ id: recordId('Loss reason id') }).strict(),
  async run({ id }, { kommo, signal }) {
    const loss_reason = await kommo.getOne<LossReason>(`/api/v4/leads/loss_reasons/${id}`, { signal, notFound: `Loss reason ${id}` });
    return { loss_reason };
  },
});
