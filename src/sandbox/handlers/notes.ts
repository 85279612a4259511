import { findById, findEntity, takeId, type EntityType, type Note } from '../store.js';
import { child, inRange, intSet, rangeFilter, readOrder, sortByOrder, stringSet, withSet } from '../query.js';
import { hal, noContent, problem, type Reply } from '../responses.js';
import { ValidationErrors, isObject, readBatch } from '../validation.js';
import { idParam, links, type RequestContext } from './context.js';
import { isReply, pagedReply, readPaging } from './paging.js';

const NOTE_TYPES = ['common', 'call_in', 'call_out', 'service_message', 'extended_service_message', 'geolocation', 'sms_in', 'sms_out', 'attachment'] as const;
/** Note types whose `params.text` is mandatory. */
const TEXT_NOTE_TYPES: readonly string[] = ['common', 'service_message', 'extended_service_message', 'geolocation', 'sms_in', 'sms_out'];

function entityType(ctx: RequestContext): EntityType {
  return ctx.params['type'] as EntityType;
}

/** `is_pinned` is only part of the payload with `with=is_pinned`; `entity_type` is implied by the URL. */
function renderNote(ctx: RequestContext, note: Note, withPinned: boolean): unknown {
  const { entity_type, is_pinned, ...fields } = note;
  return {
    ...fields,
    ...(withPinned ? { is_pinned } : {}),
    _links: links(ctx, `/api/v4/${entity_type}/notes/${note.id}`),
  };
}

function listNotes(ctx: RequestContext, entityId: number | undefined): Reply {
  const paging = readPaging(ctx);
  if (isReply(paging)) return paging;
  const type = entityType(ctx);
  const filter = child(ctx.query, 'filter');
  const ids = intSet(child(filter, 'id'));
  const entityIds = entityId !== undefined ? new Set([entityId]) : intSet(child(filter, 'entity_id'));
  const noteTypes = stringSet(child(filter, 'note_type'));
  const updated = rangeFilter(child(filter, 'updated_at'));
  const notes = ctx.store.notes.filter(
    (note) =>
      note.entity_type === type &&
      (!entityIds || entityIds.has(note.entity_id)) &&
      (!ids || ids.has(note.id)) &&
      (!noteTypes || noteTypes.has(note.note_type)) &&
      (!updated || inRange(note.updated_at, updated)),
  );
  sortByOrder(notes, readOrder(ctx.query, ['updated_at', 'id']));
  const withPinned = withSet(ctx.query).has('is_pinned');
  return pagedReply(ctx, paging, 'notes', notes, (note) => renderNote(ctx, note, withPinned));
}

/** GET /api/v4/{type}/{entity_id}/notes */
export function listEntityNotes(ctx: RequestContext): Reply {
  return listNotes(ctx, idParam(ctx, 'entityId'));
}

/** GET /api/v4/{type}/notes */
export function listNotesOfType(ctx: RequestContext): Reply {
  return listNotes(ctx, undefined);
}

function findNote(ctx: RequestContext): Note | undefined {
  const note = findById(ctx.store.notes, idParam(ctx));
  return note && note.entity_type === entityType(ctx) ? note : undefined;
}

/** GET /api/v4/{type}/notes/{id} — 204 when missing. */
export function getNote(ctx: RequestContext): Reply {
  const note = findNote(ctx);
  return note ? hal(renderNote(ctx, note, withSet(ctx.query).has('is_pinned'))) : noContent();
}

/**
 * POST /api/v4/{type}/notes (items carry `entity_id`) and POST /api/v4/{type}/{entity_id}/notes
 * (entity from the path). `note_type` defaults to "common". An unknown entity is a 400.
 */
export function createNotes(ctx: RequestContext): Reply {
  const { store } = ctx;
  const type = entityType(ctx);
  const pathEntityId = ctx.params['entityId'] === undefined ? undefined : idParam(ctx, 'entityId');
  const errors = new ValidationErrors();
  const batch = readBatch(ctx.body, errors, true) ?? [];
  const drafts = batch.map(({ item, checks, requestId }) => {
    const entityId = pathEntityId ?? checks.int(item, 'entity_id', true);
    if (entityId !== undefined && !findEntity(store, type, entityId)) checks.notSupported('entity_id');
    const noteType = item['note_type'] === undefined ? 'common' : checks.choice(item, 'note_type', NOTE_TYPES, true);
    const params = item['params'];
    if (!isObject(params)) {
      if (params === undefined || params === null) checks.missing('params');
      else checks.invalidType('params', 'object');
    } else if (noteType && TEXT_NOTE_TYPES.includes(noteType)) {
      checks.at('params').string(params, 'text', true);
    }
    const responsibleId = checks.int(item, 'responsible_user_id');
    if (responsibleId !== undefined && !findById(store.users, responsibleId)) checks.notSupported('responsible_user_id');
    const createdAt = checks.int(item, 'created_at');
    return { requestId, entityId, noteType, params: isObject(params) ? params : {}, responsibleId, createdAt };
  });
  if (!errors.isEmpty) return errors.toReply();

  const created = drafts.map((d) => {
    const at = d.createdAt ?? ctx.now;
    const note: Note = {
      id: takeId(store, 'notes'),
      entity_id: d.entityId!,
      entity_type: type,
      created_by: ctx.user.id,
      updated_by: ctx.user.id,
      created_at: at,
      updated_at: at,
      responsible_user_id: d.responsibleId ?? ctx.user.id,
      group_id: 0,
      note_type: d.noteType!,
      params: d.params,
      account_id: store.account.id,
      is_pinned: false,
    };
    store.notes.push(note);
    return { id: note.id, entity_id: note.entity_id, request_id: d.requestId, _links: links(ctx, `/api/v4/${type}/notes/${note.id}`) };
  });
  return hal({ _links: links(ctx, `/api/v4/${type}/notes`), _embedded: { notes: created } });
}

function setPinned(ctx: RequestContext, pinned: boolean): Reply {
  const note = findNote(ctx);
  if (!note) return problem(404, 'Note not found');
  note.is_pinned = pinned;
  return noContent();
}

/** POST /api/v4/{type}/notes/{id}/pin → 204; 404 problem JSON for an unknown note or one of another entity type. */
export const pinNote = (ctx: RequestContext): Reply => setPinned(ctx, true);
export const unpinNote = (ctx: RequestContext): Reply => setPinned(ctx, false);
