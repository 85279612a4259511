import { z } from 'zod';
import { dashboard } from '../src/reports/dashboard.js';
import { defineTool } from './define.js';

export default defineTool({
  name: 'get_dashboard',
  title: 'Dashboard',
  description:
    "Today's and this month's figures in the account timezone: new, won and lost leads, revenue (today, this month, last month, " +
    'growth), all and open leads, tasks (total, open, overdue, completed today) and the top pipelines by revenue this month. ' +
    'Whole-account figures come from an in-memory copy kept current with changes-only requests; "freshness" says how old each part is.',
  kind: 'read',
  input: z.object({}).strict(),
  run: (_args, ctx) => dashboard(ctx.reports, ctx),
});
