import { z } from 'zod';
import { describeRecordAction } from './describe.js';
import { KommoError } from '../src/errors.js';
import { defineTool } from './define.js';
import { readBack } from './read-back.js';
import { entityId, entityType, longText, recordId, responsibleUserId, unixTime } from './schemas.js';

export default defineTool({
  name: 'create_task',
  title: 'New task',
  description: 'Creates a task (a to-do with a deadline) on a lead, contact or company; returned as stored.',
  kind: 'write',
  peopleText: true,
  verify: ({ entity_type, entity_id }) => `call get_tasks and look for the task on ${entity_type} ${entity_id} to see whether it was created`,
  input: z
    .object({
      text: longText('What to do'),
      entity_id: entityId,
      entity_type: entityType,
      complete_till: unixTime('Deadline'),
      responsible_user_id: responsibleUserId.optional(),
      task_type_id: recordId('Default 1').optional(),
    })
    .strict(),
  describe: ({ entity_type, entity_id }, ctx) => describeRecordAction('task', entity_type, entity_id, ctx),
  async run(args, { kommo, signal, log }) {
    const id = await kommo.tasks.create(args, { signal });
    if (id === undefined) throw new KommoError('Kommo accepted the task but returned no id; check the account before retrying.', 200);
    const task = await readBack(() => kommo.tasks.get(id, { signal }), log, `task ${id}`);
    return { created: true, id, task };
  },
});
