import { z } from 'zod';
import { dashboard } from '../src/reports/dashboard.js';
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
  run: (_args, ctx) => dashboard(ctx.reports, ctx),
});
