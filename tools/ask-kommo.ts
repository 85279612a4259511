import { z } from 'zod';
import { askKommo } from '../src/reports/ask/answer.js';
import { defineTool } from './define.js';

export default defineTool({
  name: 'ask_kommo',
  title: 'Ask a question about the Kommo account',
  description:
    'Answers a plain-language question in Portuguese, Spanish or English, in the same language: counts of new, won, lost or open ' +
    'leads (optionally in a pipeline, stage or for a responsible user), revenue, average deal size, conversion rate, rankings by ' +
    'responsible user or pipeline, overdue or open tasks, and finding a lead or contact by name; over today, yesterday, this/last ' +
    'week, month or year, the last N days, a named month ("em março", "in March 2026") or explicit dates. The answer states the ' +
    'figure, the exact period and timezone, and how the question was interpreted; structured data comes along. A question it cannot ' +
    'map returns understood=false and the list of what it can answer (never a guess). Deterministic: no AI model is called.',
  kind: 'read',
  input: z
    .object({
      question: z.string().trim().min(1).max(500).describe('The question, e.g. "Quantos leads ganhamos em março?" or "Who sold the most last month?"'),
    })
    .strict(),
  run: ({ question }, ctx) => askKommo(ctx.reports, ctx, question),
});
