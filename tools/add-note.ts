import { z } from 'zod';
import { describeRecordAction } from './describe.js';
import { KommoError } from '../src/errors.js';
import { defineTool } from './define.js';
import { readBack } from './read-back.js';
import { entityId, entityType, longText, MAX_NAME } from './schemas.js';

export default defineTool({
  name: 'add_note',
  title: 'Add note',
  description: 'Adds a note to a lead, contact or company; service_message shows it as sent by "service".',
  kind: 'write',
  peopleText: true,
  verify: ({ entity_type, entity_id }) => `call get_notes for ${entity_type} ${entity_id} to see whether the note was added`,
  input: z
    .object({
      entity_type: entityType,
      entity_id: entityId,
      text: longText('Note text'),
      note_type: z.enum(['common', 'service_message']).default('common').describe('Note kind'),
      service: z.string().trim().min(1).max(MAX_NAME).optional().describe('Sender name'),
    })
    .strict()
    .superRefine((args, ctx) => {
      if (args.note_type === 'service_message' && args.service === undefined) {
        ctx.addIssue({ code: 'custom', path: ['service'], message: 'A service_message note needs "service", the name it is shown as coming from.' });
      }
      if (args.note_type === 'common' && args.service !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['service'], message: '"service" is only used with note_type "service_message".' });
      }
    }),
  describe: ({ entity_type, entity_id }, ctx) => describeRecordAction('note', entity_type, entity_id, ctx),
  async run({ entity_type, entity_id, text, note_type, service }, { kommo, signal, log }) {
    const params = note_type === 'service_message' ? { service, text } : { text };
    const id = await kommo.notes.create(entity_type, { entity_id, note_type, params }, { signal });
    if (id === undefined) throw new KommoError('Kommo accepted the note but returned no id; check the record before retrying.', 200);
    const note = await readBack(() => kommo.notes.get(entity_type, id, { signal }), log, `note ${id}`);
    return { created: true, id, note };
  },
});
