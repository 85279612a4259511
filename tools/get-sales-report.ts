import { z } from 'zod';
import { InvalidArguments } from '../src/errors.js';
import { compareDates, parseDate, type LocalDate } from '../src/reports/period.js';
import { salesReport } from '../src/reports/sales-report.js';
import { defineTool } from './define.js';
import { isoDate } from './schemas.js';

export default defineTool({
  name: 'get_sales_report',
  title: 'Sales report',
  description:
    'Sales figures for a period of whole days in the account timezone: leads new (created), won (stage 142) and lost (stage 143, ' +
    'both by closed_at), revenue (sum of won prices), average deal, conversion rate won/(won+lost) in percent, and the same per ' +
    'responsible user and per pipeline. dateFrom/dateTo are YYYY-MM-DD, both included; without them, the current month; days=N instead gives the last N days. ' +
    'Only the matching leads are fetched (server-side filters), and the same period asked again within minutes is answered from cache. ' +
    'The answer states the timezone and exact boundaries used.',
  kind: 'read',
  input: z
    .object({
      dateFrom: isoDate.optional().describe('First day, YYYY-MM-DD (included). Default: the first day of dateTo\'s month, or of the current month.'),
      dateTo: isoDate.optional().describe('Last day, YYYY-MM-DD (included). Default: today in the account timezone.'),
      days: z
        .number()
        .int()
        .min(1)
        .max(366)
        .optional()
        .describe('Instead of dateFrom/dateTo: the last N days, today included (e.g. 30).'),
    })
    .strict()
    .superRefine((args, ctx) => {
      if (args.days !== undefined && (args.dateFrom !== undefined || args.dateTo !== undefined)) {
        ctx.addIssue({ code: 'custom', path: ['days'], message: 'days replaces dateFrom/dateTo: give either days or dates, not both.' });
      }
    }),
  async run({ dateFrom, dateTo, days }, ctx) {
    const from = dateFrom === undefined ? undefined : parseDate(dateFrom);
    const to = dateTo === undefined ? undefined : parseDate(dateTo);
    if (from && to && compareDates(from, to) > 0) {
      throw new InvalidArguments('dateFrom is after dateTo; give the earlier day as dateFrom.', [
        { path: 'dateFrom', message: `${dateFrom} is after dateTo ${dateTo}` },
        { path: 'dateTo', message: `${dateTo} is before dateFrom ${dateFrom}` },
      ]);
    }
    return salesReport(ctx.reports, ctx, (calendar) => {
      if (days !== undefined) return calendar.lastDays(days);
      if (!from && !to) return calendar.thisMonth();
      const end: LocalDate = to ?? (compareDates(from!, calendar.today) > 0 ? from! : calendar.today);
      const start: LocalDate = from ?? { year: end.year, month: end.month, day: 1 };
      return calendar.range(start, end);
    });
  },
});
