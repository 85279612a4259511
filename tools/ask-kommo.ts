import { z } from 'zod';
import { loadCode } from '../src/on-first-use.js';
import { defineTool } from './define.js';

export default defineTool({
  name: 'ask_kommo',
  title: 'Ask Kommo',
  description:
    'Answers a pt/es/en question in its language: new/won/lost/open leads, revenue, average, conversion, ' +
    "rankings, tasks, a lead's stage/value/owner/dates, a contact, any period. No AI model.",
  kind: 'read',
  peopleText: true,
  input: z
    .object({
      question: z.string().trim().min(1).max(500).describe('E.g. "Quantos leads ganhamos em março?"'),
    })
    .strict(),
  // The question parser and the report code load on the first call, not at start-up.
  async run({ question }, ctx) {
    const { askKommo } = await loadCode('report', ctx.log, () => import('../src/reports/ask/answer.js'));
    return askKommo(await ctx.reports(), ctx, question);
  },
});
