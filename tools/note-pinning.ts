/**
 * pin_note and unpin_note are one operation with two directions: same arguments, same endpoint
 * shape (POST …/notes/{id}/pin|unpin, no body, 204), and an explicit result, since Kommo says nothing.
 */
import { z } from 'zod';
import { describePinning } from './describe.js';
import { defineTool, type AnyTool } from './define.js';
import { entityType, recordId } from './schemas.js';

const NOUN = { leads: 'lead', contacts: 'contact', companies: 'company' } as const;

export function notePinningTool(action: 'pin' | 'unpin'): AnyTool {
  const pinned = action === 'pin';
  return defineTool({
    name: `${action}_note`,
    title: pinned ? 'Pin note' : 'Unpin note',
    description: pinned
      ? "Pins a note to the top of its record's timeline (ids from get_notes); pinning twice is harmless."
      : 'Unpins a note, back to its place in the timeline (ids from get_notes); unpinning twice is harmless.',
    kind: 'write',
    annotations: { idempotentHint: true },
    verify: ({ entity_type }) => `call get_notes for the ${NOUN[entity_type]} the note belongs to and look at whether it is pinned`,
    input: z
      .object({
        entity_type: entityType,
        note_id: recordId('From get_notes'),
      })
      .strict(),
    describe: ({ entity_type, note_id }, ctx) => describePinning(pinned, entity_type, note_id, ctx),
    async run({ entity_type, note_id }, { kommo, signal }) {
      await kommo.notes.setPinned(entity_type, note_id, pinned, { signal });
      return { pinned, note_id, entity_type };
    },
  });
}
