import { z } from 'zod';
import type { Query } from '../src/kommo/query.js';
import { compactRecords } from '../src/kommo/compact.js';
import { defineTool } from './define.js';
import { listPage } from './listing.js';
import { isoDate, paging, pipelineId, responsibleUserId, searchQuery, statusId, utcDayBounds } from './schemas.js';

const dayFilter = (what: string) => isoDate.optional().describe(what);

/** `filter[<field>][from|to]` in unix seconds from two optional inclusive UTC days. */
function dayRange(field: string, from: string | undefined, to: string | undefined): Query {
  return {
    [`filter[${field}][from]`]: from === undefined ? undefined : utcDayBounds(from).from,
    [`filter[${field}][to]`]: to === undefined ? undefined : utcDayBounds(to).to,
  };
}

export default defineTool({
  name: 'get_leads',
  title: 'Leads',
  description: 'Lists leads (deals), newest first; query searches names, phones, e-mails. Filters: UTC day, pipeline, stage, user.',
  kind: 'read',
  peopleText: true,
  input: z
    .object({
      ...paging,
      query: searchQuery('Search text'),
      order_by: z.enum(['created_at', 'updated_at', 'id']).optional().describe('Default created_at'),
      order_dir: z.enum(['asc', 'desc']).optional().describe('Default desc'),
      created_from: dayFilter('Created on or after'),
      created_to: dayFilter('Created on or before'),
      updated_from: dayFilter('Changed on or after'),
      updated_to: dayFilter('Changed on or before'),
      pipeline_id: pipelineId.optional(),
      status_id: statusId.optional().describe('Needs pipeline_id'),
      responsible_user_id: responsibleUserId.optional(),
    })
    .strict()
    .superRefine((args, ctx) => {
      if (args.status_id !== undefined && args.pipeline_id === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['pipeline_id'],
          message: 'status_id needs pipeline_id: stage ids such as 142/143 exist in every pipeline (get_pipelines lists them).',
        });
      }
      for (const [from, to] of [
        ['created_from', 'created_to'],
        ['updated_from', 'updated_to'],
      ] as const) {
        const a = args[from];
        const b = args[to];
        if (a !== undefined && b !== undefined && a > b) {
          ctx.addIssue({ code: 'custom', path: [to], message: `${to} is before ${from}.` });
        }
      }
    }),
  run: (args, { kommo, signal }) => {
    const { limit, page, query, pipeline_id, status_id } = args;
    const byStage = status_id !== undefined && pipeline_id !== undefined;
    return listPage({
      key: 'leads',
      limit,
      page,
      query: {
        query,
        with: 'contacts',
        [`order[${args.order_by ?? 'created_at'}]`]: args.order_dir ?? 'desc',
        ...dayRange('created_at', args.created_from, args.created_to),
        ...dayRange('updated_at', args.updated_from, args.updated_to),
        'filter[pipeline_id]': byStage ? undefined : pipeline_id,
        'filter[statuses][0][pipeline_id]': byStage ? pipeline_id : undefined,
        'filter[statuses][0][status_id]': byStage ? status_id : undefined,
        'filter[responsible_user_id]': args.responsible_user_id,
      },
      read: (q) => kommo.leads.list(q, { signal }),
      shape: (items) => compactRecords(kommo, items, { signal }),
    });
  },
});
