import { z } from 'zod';
import { InvalidArguments } from '../src/errors.js';
import { loadCode } from '../src/on-first-use.js';
import type { LocalDate } from '../src/reports/period.js';
import { defineTool } from './define.js';
import { isoDate } from './schemas.js';

export default defineTool({
  name: 'get_sales_report',
  title: 'Sales report',
  description: 'Sales over whole days in the account timezone: new, won, lost, revenue, average, conversion, by user, pipeline.',
  kind: 'read',
  // Rows by user and by pipeline.
  showsDataOf: ['get_leads', 'get_users', 'get_pipelines'],
  peopleText: true,
  input: z
    .object({
      dateFrom: isoDate.optional().describe('Default: 1st of month'),
      dateTo: isoDate.optional().describe('Default: today'),
      days: z.number().int().min(1).max(366).optional().describe('Last N days'),
    })
    .strict()
    .superRefine((args, ctx) => {
      if (args.days !== undefined && (args.dateFrom !== undefined || args.dateTo !== undefined)) {
        ctx.addIssue({ code: 'custom', path: ['days'], message: 'days replaces dateFrom/dateTo: give either days or dates, not both.' });
      }
    }),
  // The report code (date parsing included) loads on the first call, not at start-up.
  async run({ dateFrom, dateTo, days }, ctx) {
    const [{ salesReport }, { compareDates, parseDate }] = await loadCode('report', ctx.log, () =>
      Promise.all([import('../src/reports/sales-report.js'), import('../src/reports/period.js')]),
    );
    const from = dateFrom === undefined ? undefined : parseDate(dateFrom);
    const to = dateTo === undefined ? undefined : parseDate(dateTo);
    if (from && to && compareDates(from, to) > 0) {
      throw new InvalidArguments('dateFrom is after dateTo; give the earlier day as dateFrom.', [
        { path: 'dateFrom', message: `${dateFrom} is after dateTo ${dateTo}` },
        { path: 'dateTo', message: `${dateTo} is before dateFrom ${dateFrom}` },
      ]);
    }
    return salesReport(await ctx.reports(), ctx, (calendar) => {
      if (days !== undefined) return calendar.lastDays(days);
      if (!from && !to) return calendar.thisMonth();
      const end: LocalDate = to ?? (compareDates(from!, calendar.today) > 0 ? from! : calendar.today);
      const start: LocalDate = from ?? { year: end.year, month: end.month, day: 1 };
      return calendar.range(start, end);
    });
  },
});
