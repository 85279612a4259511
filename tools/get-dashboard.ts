import { z } from 'zod';
import { loadCode } from '../src/on-first-use.js';
import { defineTool } from './define.js';

export default defineTool({
  name: 'get_dashboard',
  title: 'Dashboard',
  description: 'Today, this and last month: new/won/lost leads, revenue, open leads, tasks, top pipelines, with freshness.',
  kind: 'read',
  // Rows by user and by pipeline.
  showsDataOf: ['get_leads', 'get_users', 'get_pipelines'],
  peopleText: true,
  input: z.object({}).strict(),
  // The report code loads on the first call, not at start-up.
  async run(_args, ctx) {
    const { dashboard } = await loadCode('report', ctx.log, () => import('../src/reports/dashboard.js'));
    return dashboard(await ctx.reports(), ctx);
  },
});
