import { ENTITY_TYPES, findById, findEntity, takeId, type Task } from '../store.js';
import { child, inRange, intSet, leafValues, rangeFilter, readOrder, sortByOrder, stringSet } from '../query.js';
import { hal, noContent, type Reply } from '../responses.js';
import { ValidationErrors, isObject, readBatch } from '../validation.js';
import { idParam, links, type RequestContext } from './context.js';
import { isReply, pagedReply, readPaging } from './paging.js';

function renderTask(ctx: RequestContext, task: Task): unknown {
  return { ...task, _links: links(ctx, `/api/v4/tasks/${task.id}`) };
}

/** `filter[is_completed]`: 1/0 (true/false accepted too); anything else matches nothing. */
function readCompleted(text: string | undefined): boolean | null | undefined {
  if (text === undefined) return undefined;
  if (text === '1' || text === 'true') return true;
  if (text === '0' || text === 'false') return false;
  return null;
}

/** GET /api/v4/tasks */
export function listTasks(ctx: RequestContext): Reply {
  const paging = readPaging(ctx);
  if (isReply(paging)) return paging;
  const filter = child(ctx.query, 'filter');
  const ids = intSet(child(filter, 'id'));
  const responsible = intSet(child(filter, 'responsible_user_id'));
  const entityTypes = stringSet(child(filter, 'entity_type'));
  const entityIds = intSet(child(filter, 'entity_id'));
  const taskTypes = intSet(child(filter, 'task_type'));
  const completed = readCompleted(leafValues(child(filter, 'is_completed'))[0]);
  const updated = rangeFilter(child(filter, 'updated_at'));
  const tasks = ctx.store.tasks.filter(
    (task) =>
      (!ids || ids.has(task.id)) &&
      (!responsible || responsible.has(task.responsible_user_id)) &&
      (!entityTypes || (task.entity_type !== null && entityTypes.has(task.entity_type))) &&
      (!entityIds || (task.entity_id !== null && entityIds.has(task.entity_id))) &&
      (!taskTypes || taskTypes.has(task.task_type_id)) &&
      (completed === undefined || task.is_completed === completed) &&
      (!updated || inRange(task.updated_at, updated)),
  );
  sortByOrder(tasks, readOrder(ctx.query, ['created_at', 'complete_till', 'id']));
  return pagedReply(ctx, paging, 'tasks', tasks, (task) => renderTask(ctx, task));
}

/** GET /api/v4/tasks/{id} — 204 when missing. */
export function getTask(ctx: RequestContext): Reply {
  const task = findById(ctx.store.tasks, idParam(ctx));
  return task ? hal(renderTask(ctx, task)) : noContent();
}

/**
 * POST /api/v4/tasks — array; `text` and `complete_till` are required; a linked entity must exist
 * (customers are disabled in the sandbox account).
 */
export function createTasks(ctx: RequestContext): Reply {
  const { store } = ctx;
  const errors = new ValidationErrors();
  const batch = readBatch(ctx.body, errors, true) ?? [];
  const drafts = batch.map(({ item, checks, requestId }) => {
    const text = checks.string(item, 'text', true);
    const completeTill = checks.int(item, 'complete_till', true);
    const taskTypeId = checks.int(item, 'task_type_id');
    if (taskTypeId !== undefined && !findById(store.account._embedded.task_types, taskTypeId)) checks.notSupported('task_type_id');
    const responsibleId = checks.int(item, 'responsible_user_id');
    if (responsibleId !== undefined && !findById(store.users, responsibleId)) checks.notSupported('responsible_user_id');
    const entityType = checks.choice(item, 'entity_type', ENTITY_TYPES);
    const entityId = checks.int(item, 'entity_id');
    if (item['entity_id'] != null && item['entity_type'] == null) checks.missing('entity_type');
    if (item['entity_type'] != null && item['entity_id'] == null) checks.missing('entity_id');
    const entity = entityType && entityId !== undefined ? findEntity(store, entityType, entityId) : undefined;
    if (entityType && entityId !== undefined && !entity) checks.notSupported('entity_id');
    const isCompleted = checks.bool(item, 'is_completed');
    const duration = checks.int(item, 'duration');
    if (duration !== undefined && duration < 0) checks.tooLow('duration');
    const result = item['result'];
    let resultText: string | undefined;
    if (isObject(result)) resultText = checks.at('result').string(result, 'text');
    else if (result !== undefined && result !== null) checks.invalidType('result', 'object');
    const createdAt = checks.int(item, 'created_at');
    const updatedAt = checks.int(item, 'updated_at');
    return { requestId, text, completeTill, taskTypeId, responsibleId, entityType, entity, isCompleted, duration, resultText, createdAt, updatedAt };
  });
  if (!errors.isEmpty) return errors.toReply();

  const created = drafts.map((d) => {
    const task: Task = {
      id: takeId(store, 'tasks'),
      created_by: ctx.user.id,
      updated_by: ctx.user.id,
      created_at: d.createdAt ?? ctx.now,
      updated_at: d.updatedAt ?? ctx.now,
      responsible_user_id: d.responsibleId ?? ctx.user.id,
      group_id: 0,
      entity_id: d.entity?.id ?? null,
      entity_type: d.entity ? d.entityType! : null,
      duration: d.duration ?? 0,
      is_completed: d.isCompleted ?? false,
      task_type_id: d.taskTypeId ?? 1,
      text: d.text!,
      result: d.resultText !== undefined ? { text: d.resultText } : [],
      complete_till: d.completeTill!,
      account_id: store.account.id,
    };
    store.tasks.push(task);
    if (d.entity && !task.is_completed && (d.entity.closest_task_at === null || task.complete_till < d.entity.closest_task_at)) {
      d.entity.closest_task_at = task.complete_till;
    }
    return { id: task.id, updated_at: task.updated_at, request_id: d.requestId, _links: links(ctx, `/api/v4/tasks/${task.id}`) };
  });
  return hal({ _links: links(ctx, '/api/v4/tasks'), _embedded: { tasks: created } });
}
