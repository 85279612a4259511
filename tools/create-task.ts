import { z } from 'zod';
import { recordLabel } from '../policy/approval-summary.js';
import { KommoError } from '../src/errors.js';
import type { Task } from '../src/kommo/types.js';
import { defineTool } from './define.js';
import { readBack } from './read-back.js';
import { entityType, longText, recordId, responsibleUserId, unixTime } from './schemas.js';

interface Created {
  _embedded?: { tasks?: Array<{ id: number }> };
}

export default defineTool({
  name: 'create_task',
  title: 'Create a task',
  description:
    'Creates a task (a to-do with a deadline) on a lead, contact or company and returns it as Kommo stored it. ' +
    'complete_till is the deadline: unix seconds, or an ISO 8601 date-time with a zone such as "2026-03-01T15:00:00-03:00". ' +
    'responsible_user_id (from get_users) defaults to the token\'s user; task_type_id 1 = Follow-up, 2 = Meeting ' +
    '(get_account lists the account\'s task types).',
  kind: 'write',
  verify: ({ entity_type, entity_id }) => `call get_tasks and look for the task on ${entity_type} ${entity_id} to see whether it was created`,
  input: z
    .object({
      text: longText('What has to be done, e.g. "Call back about the proposal".'),
      entity_id: recordId('Id of the lead, contact or company the task belongs to'),
      entity_type: entityType,
      complete_till: unixTime('Deadline'),
      responsible_user_id: responsibleUserId.optional(),
      task_type_id: recordId('Task type id: 1 = Follow-up, 2 = Meeting, or a custom type from get_account').optional(),
    })
    .strict(),
  describe: async ({ entity_type, entity_id }, ctx) => `Creates a task on ${await recordLabel(entity_type, entity_id, ctx)}.`,
  async run(args, { kommo, signal, log }) {
    const created = await kommo.post<Created>('/api/v4/tasks', [args], { signal });
    const id = created?._embedded?.tasks?.[0]?.id;
    if (id === undefined) throw new KommoError('Kommo accepted the task but returned no id; check the account before retrying.', 200);
    const task = await readBack<Task>(kommo, `/api/v4/tasks/${id}`, { signal, log });
    return { created: true, id, task };
  },
});
