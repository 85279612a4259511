import { z } from 'zod';
import { defineTool } from './define.js';
import { listPage } from './listing.js';
import { entityType, paging, recordId, responsibleUserId } from './schemas.js';

export default defineTool({
  name: 'get_tasks',
  title: 'List tasks',
  description:
    'Lists tasks (to-dos with a deadline) a page at a time, 50 per page by default (max 250): text, deadline complete_till ' +
    '(unix seconds), is_completed, task_type_id (1 = Follow-up, 2 = Meeting), responsible user and the linked record ' +
    '(entity_type + entity_id). Optional filters: is_completed (false = open tasks only), responsible_user_id (from get_users), ' +
    'and entity_type with entity_id for the tasks of one lead, contact or company.',
  kind: 'read',
  input: z
    .object({
      ...paging,
      is_completed: z.boolean().optional().describe('true = only completed tasks, false = only open tasks; omit for both.'),
      responsible_user_id: responsibleUserId.optional(),
      entity_type: entityType.optional().describe('Only tasks linked to this kind of record: "leads", "contacts" or "companies".'),
      entity_id: recordId('Only tasks linked to this record (needs entity_type)').optional(),
    })
    .strict()
    .refine((args) => args.entity_id === undefined || args.entity_type !== undefined, {
      path: ['entity_type'],
      message: 'entity_id needs entity_type ("leads", "contacts" or "companies") to say what kind of record it is.',
    }),
  run: ({ limit, page, is_completed, responsible_user_id, entity_type, entity_id }, { kommo, signal }) =>
    listPage(kommo, {
      path: '/api/v4/tasks',
      key: 'tasks',
      limit,
      page,
      query: {
        'filter[is_completed]': is_completed === undefined ? undefined : Number(is_completed),
        'filter[responsible_user_id]': responsible_user_id,
        'filter[entity_type]': entity_type,
        'filter[entity_id]': entity_id,
      },
      signal,
    }),
});
