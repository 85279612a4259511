import { z } from 'zod';
import { defineTool } from './define.js';
import { recordId } from './schemas.js';

export default defineTool({
  name: 'get_loss_reason',
  title: 'Loss reason',
  description: "One loss reason by id, e.g. a lost lead's loss_reason_id: its name, sort and dates.",
  kind: 'read',
  peopleText: true,
  input: z.object({ id: recordId('Loss reason id') }).strict(),
  async run({ id }, { kommo, signal }) {
    const loss_reason = await kommo.lossReasons.get(id, { signal });
    return { loss_reason };
  },
});
