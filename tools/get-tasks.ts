import { z } from 'zod';
import { defineTool } from './define.js';
import { listPage } from './listing.js';
import { entityId, entityType, paging, responsibleUserId } from './schemas.js';

export default defineTool({
  name: 'get_tasks',
  title: 'Tasks',
  description: 'Lists tasks (to-dos with deadline complete_till); filters: open or done, user, linked record.',
  kind: 'read',
  peopleText: true,
  input: z
    .object({
      ...paging,
      is_completed: z.boolean().optional().describe('false: open only'),
      responsible_user_id: responsibleUserId.optional(),
      entity_type: entityType.optional(),
      entity_id: entityId.optional(),
    })
    .strict()
    .refine((args) => args.entity_id === undefined || args.entity_type !== undefined, {
      path: ['entity_type'],
      message: 'entity_id needs entity_type ("leads", "contacts" or "companies") to say what kind of record it is.',
    }),
  run: ({ limit, page, is_completed, responsible_user_id, entity_type, entity_id }, { kommo, signal }) =>
    listPage({
      key: 'tasks',
      limit,
      page,
      query: {
        'filter[is_completed]': is_completed === undefined ? undefined : Number(is_completed),
        'filter[responsible_user_id]': responsible_user_id,
        'filter[entity_type]': entity_type,
        'filter[entity_id]': entity_id,
      },
      read: (query) => kommo.tasks.list(query, { signal }),
    }),
});
