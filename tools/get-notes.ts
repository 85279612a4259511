import { z } from 'zod';
import { defineTool } from './define.js';
import { listPage } from './listing.js';
import { entityType, paging, recordId } from './schemas.js';

export default defineTool({
  name: 'get_notes',
  title: 'List notes of a record',
  description:
    'Lists the notes (timeline entries) of one lead, contact or company, a page at a time, 50 per page by default (max 250). ' +
    'Each note has note_type ("common" for text notes, "call_in"/"call_out", "service_message", ...), params (the text or call details), ' +
    'is_pinned, and created_at (unix seconds). Use the note id with pin_note / unpin_note.',
  kind: 'read',
  input: z
    .object({
      entity_type: entityType,
      entity_id: recordId('Id of the lead, contact or company'),
      ...paging,
    })
    .strict(),
  run: ({ entity_type, entity_id, limit, page }, { kommo, signal }) =>
    listPage(kommo, { path: `/api/v4/${entity_type}/${entity_id}/notes`, key: 'notes', limit, page, query: { with: 'is_pinned' }, signal }),
});
