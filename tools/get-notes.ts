import { z } from 'zod';
import { defineTool } from './define.js';
import { listPage } from './listing.js';
import { entityId, entityType, paging } from './schemas.js';

export default defineTool({
  name: 'get_notes',
  title: 'Notes',
  description: 'The notes (timeline) of a lead, contact or company: type, text or call details, pinned, date.',
  kind: 'read',
  peopleText: true,
  input: z
    .object({
      entity_type: entityType,
      entity_id: entityId,
      ...paging,
    })
    .strict(),
  run: ({ entity_type, entity_id, limit, page }, { kommo, signal }) =>
    listPage({ key: 'notes', limit, page, query: { with: 'is_pinned' }, read: (q) => kommo.notes.list(entity_type, entity_id, q, { signal }) }),
});
