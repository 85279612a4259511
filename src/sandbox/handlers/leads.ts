import {
  LOST_STATUS_ID,
  defaultStatus,
  findById,
  isClosedStatus,
  mainPipeline,
  takeId,
  type ContactRef,
  type EntityRef,
  type Lead,
  type Pipeline,
} from '../store.js';
import {
  child,
  inRange,
  intSet,
  leafValues,
  parseIntStrict,
  rangeFilter,
  readOrder,
  searchText,
  sortByOrder,
  stringSet,
  withSet,
  type QueryNode,
  type Range,
} from '../query.js';
import { hal, noContent, problem, type Reply } from '../responses.js';
import { ValidationErrors, isObject, readBatch, readObject, type FieldChecks, type JsonObject } from '../validation.js';
import { idParam, links, type RequestContext } from './context.js';
import { renderLossReason } from './loss-reasons.js';
import { isReply, pagedReply, readPaging } from './paging.js';

export function renderLead(ctx: RequestContext, lead: Lead, extras: Set<string>): unknown {
  const { _embedded, ...fields } = lead;
  const embedded: Record<string, unknown> = {
    tags: _embedded.tags,
    companies: _embedded.companies.map((c) => ({ id: c.id, _links: links(ctx, `/api/v4/companies/${c.id}`) })),
  };
  if (extras.has('contacts')) {
    embedded['contacts'] = _embedded.contacts.map((c) => ({
      id: c.id,
      is_main: c.is_main,
      _links: links(ctx, `/api/v4/contacts/${c.id}`),
    }));
  }
  if (extras.has('loss_reason')) {
    const reason = lead.loss_reason_id === null ? undefined : findById(ctx.store.lossReasons, lead.loss_reason_id);
    embedded['loss_reason'] = reason ? [renderLossReason(ctx, reason)] : [];
  }
  return { ...fields, _links: links(ctx, `/api/v4/leads/${lead.id}`), _embedded: embedded };
}

interface StagePair {
  pipeline_id: number;
  status_id: number;
}

/** `filter[statuses][i][pipeline_id]` + `[status_id]`: several items are OR-ed; both keys are mandatory. */
function readStages(node: QueryNode | undefined): StagePair[] | Reply | undefined {
  if (node === undefined) return undefined;
  const items = typeof node === 'object' && !Array.isArray(node) ? Object.values(node) : [];
  const pairs: StagePair[] = [];
  for (const item of items) {
    const pipelineId = parseIntStrict(leafValues(child(item, 'pipeline_id'))[0] ?? '');
    const statusId = parseIntStrict(leafValues(child(item, 'status_id'))[0] ?? '');
    if (pipelineId === undefined || statusId === undefined) {
      return problem(400, 'filter[statuses] items need both pipeline_id and status_id');
    }
    pairs.push({ pipeline_id: pipelineId, status_id: statusId });
  }
  if (pairs.length === 0) return problem(400, 'filter[statuses] items need both pipeline_id and status_id');
  return pairs;
}

const RANGE_FIELDS = ['created_at', 'updated_at', 'closed_at', 'closest_task_at'] as const;

/** GET /api/v4/leads */
export function listLeads(ctx: RequestContext): Reply {
  const paging = readPaging(ctx);
  if (isReply(paging)) return paging;
  const extras = withSet(ctx.query);
  // The sandbox never deletes leads, so the trash is always empty.
  if (extras.has('only_deleted')) return noContent();
  const filter = child(ctx.query, 'filter');
  const stages = readStages(child(filter, 'statuses'));
  if (stages && !Array.isArray(stages)) return stages;
  const ids = intSet(child(filter, 'id'));
  const pipelineIds = intSet(child(filter, 'pipeline_id'));
  const responsible = intSet(child(filter, 'responsible_user_id'));
  const createdBy = intSet(child(filter, 'created_by'));
  const updatedBy = intSet(child(filter, 'updated_by'));
  const prices = intSet(child(filter, 'price'));
  const names = stringSet(child(filter, 'name'));
  const ranges: [(typeof RANGE_FIELDS)[number], Range][] = [];
  for (const field of RANGE_FIELDS) {
    const range = rangeFilter(child(filter, field));
    if (range) ranges.push([field, range]);
  }
  const text = searchText(ctx.query);

  const leads = ctx.store.leads.filter(
    (lead) =>
      (!ids || ids.has(lead.id)) &&
      (!pipelineIds || pipelineIds.has(lead.pipeline_id)) &&
      (!responsible || responsible.has(lead.responsible_user_id)) &&
      (!createdBy || createdBy.has(lead.created_by)) &&
      (!updatedBy || updatedBy.has(lead.updated_by)) &&
      (!prices || prices.has(lead.price)) &&
      (!names || names.has(lead.name)) &&
      ranges.every(([field, range]) => inRange(lead[field], range)) &&
      (!stages || stages.some((s) => s.pipeline_id === lead.pipeline_id && s.status_id === lead.status_id)) &&
      (!text || lead.name.toLowerCase().includes(text)),
  );
  sortByOrder(leads, readOrder(ctx.query, ['created_at', 'updated_at', 'id']));
  return pagedReply(ctx, paging, 'leads', leads, (lead) => renderLead(ctx, lead, extras));
}

/** GET /api/v4/leads/{id} — 204 when the lead does not exist. */
export function getLead(ctx: RequestContext): Reply {
  const lead = findById(ctx.store.leads, idParam(ctx));
  return lead ? hal(renderLead(ctx, lead, withSet(ctx.query))) : noContent();
}

/** The validated fields of one create/update item (absent = not given). */
interface LeadInput {
  name?: string;
  price?: number;
  responsible_user_id?: number;
  pipeline?: Pipeline;
  status_id?: number;
  loss_reason_id?: number | null;
  created_at?: number;
  closed_at?: number;
  contacts?: ContactRef[];
  companies?: EntityRef[];
}

function readLinks(ctx: RequestContext, checks: FieldChecks, embedded: JsonObject, key: 'contacts' | 'companies'): EntityRef[] | undefined {
  const list = embedded[key];
  if (list === undefined || list === null) return undefined;
  if (!Array.isArray(list)) {
    checks.invalidType(`_embedded.${key}`, 'array');
    return undefined;
  }
  const refs: EntityRef[] = [];
  for (const [k, ref] of (list as unknown[]).entries()) {
    const refChecks = checks.at(`_embedded.${key}.${k}`);
    if (!isObject(ref)) {
      refChecks.invalidType('', 'object');
      continue;
    }
    const id = refChecks.int(ref, 'id', true);
    if (id === undefined) continue;
    if (findById<{ id: number }>(ctx.store[key], id)) refs.push({ id });
    else refChecks.notSupported('id');
  }
  return refs;
}

/**
 * Validates one lead item. The stage must belong to the target pipeline: the given `pipeline_id`, else the
 * lead's current pipeline (update) or the main pipeline (create). 142/143 exist in every pipeline.
 */
function readLeadInput(ctx: RequestContext, checks: FieldChecks, item: JsonObject, current?: Lead): LeadInput {
  const { store } = ctx;
  const input: LeadInput = {};
  const name = checks.string(item, 'name');
  if (name !== undefined) input.name = name;
  if (item['price'] === null) input.price = 0;
  const price = checks.int(item, 'price');
  if (price !== undefined) input.price = price;

  const userId = checks.int(item, 'responsible_user_id');
  if (userId !== undefined) {
    if (findById(store.users, userId)) input.responsible_user_id = userId;
    else checks.notSupported('responsible_user_id');
  }

  let pipeline = current ? findById(store.pipelines, current.pipeline_id) : mainPipeline(store);
  const pipelineId = checks.int(item, 'pipeline_id');
  if (pipelineId !== undefined) {
    pipeline = findById(store.pipelines, pipelineId);
    if (pipeline) input.pipeline = pipeline;
    else checks.notSupported('pipeline_id');
  }
  const statusId = checks.int(item, 'status_id');
  if (statusId !== undefined && pipeline) {
    if (findById(pipeline._embedded.statuses, statusId)) input.status_id = statusId;
    else checks.notSupported('status_id');
  }

  if (item['loss_reason_id'] === null) input.loss_reason_id = null;
  const reasonId = checks.int(item, 'loss_reason_id');
  if (reasonId !== undefined) {
    if (findById(store.lossReasons, reasonId)) input.loss_reason_id = reasonId;
    else checks.notSupported('loss_reason_id');
  }

  const createdAt = checks.int(item, 'created_at');
  if (createdAt !== undefined) input.created_at = createdAt;
  const closedAt = checks.int(item, 'closed_at');
  if (closedAt !== undefined) input.closed_at = closedAt;

  const embedded = item['_embedded'];
  if (isObject(embedded)) {
    const contacts = readLinks(ctx, checks, embedded, 'contacts');
    if (contacts) input.contacts = contacts.map((c, k) => ({ id: c.id, is_main: k === 0 }));
    const companies = readLinks(ctx, checks, embedded, 'companies');
    if (companies) input.companies = companies;
  } else if (embedded !== undefined && embedded !== null) {
    checks.invalidType('_embedded', 'object');
  }

  // The sandbox account defines no lead custom fields, so any field id is unknown.
  const custom = item['custom_fields_values'];
  if (Array.isArray(custom)) for (let k = 0; k < custom.length; k++) checks.notSupported(`custom_fields_values.${k}.field_id`);
  else if (custom !== undefined && custom !== null) checks.invalidType('custom_fields_values', 'array');
  return input;
}

/** Applies a validated update: entering 142/143 sets closed_at = now, leaving them clears it. */
function applyLeadInput(ctx: RequestContext, lead: Lead, input: LeadInput): void {
  if (input.name !== undefined) lead.name = input.name;
  if (input.price !== undefined) lead.price = input.price;
  if (input.responsible_user_id !== undefined) lead.responsible_user_id = input.responsible_user_id;
  if (input.created_at !== undefined) lead.created_at = input.created_at;
  if (input.pipeline) lead.pipeline_id = input.pipeline.id;

  const previousStatus = lead.status_id;
  const pipeline = findById(ctx.store.pipelines, lead.pipeline_id);
  if (input.status_id !== undefined) lead.status_id = input.status_id;
  else if (pipeline && !findById(pipeline._embedded.statuses, lead.status_id)) lead.status_id = defaultStatus(pipeline).id;

  if (lead.status_id !== previousStatus) {
    lead.closed_at = isClosedStatus(lead.status_id) ? (input.closed_at ?? ctx.now) : null;
    if (lead.status_id !== LOST_STATUS_ID) lead.loss_reason_id = null;
  } else if (input.closed_at !== undefined && isClosedStatus(lead.status_id)) {
    lead.closed_at = input.closed_at;
  }
  if (input.loss_reason_id !== undefined) lead.loss_reason_id = input.loss_reason_id;
  if (input.contacts) lead._embedded.contacts = input.contacts;
  if (input.companies) lead._embedded.companies = input.companies;
  lead.updated_at = ctx.now;
  lead.updated_by = ctx.user.id;
}

/**
 * POST /api/v4/leads — array only; all items are validated before any is created.
 * Defaults: main pipeline, its first regular stage (not "Incoming leads"), the token's user as responsible.
 */
export function createLeads(ctx: RequestContext): Reply {
  const errors = new ValidationErrors();
  const batch = readBatch(ctx.body, errors, true) ?? [];
  const inputs = batch.map((entry) => ({ requestId: entry.requestId, input: readLeadInput(ctx, entry.checks, entry.item) }));
  if (!errors.isEmpty) return errors.toReply();

  const created = inputs.map(({ requestId, input }) => {
    const pipeline = input.pipeline ?? mainPipeline(ctx.store);
    const statusId = input.status_id ?? defaultStatus(pipeline).id;
    const createdAt = input.created_at ?? ctx.now;
    const id = takeId(ctx.store, 'leads');
    const lead: Lead = {
      id,
      name: input.name ?? `Lead #${id}`,
      price: input.price ?? 0,
      responsible_user_id: input.responsible_user_id ?? ctx.user.id,
      group_id: 0,
      status_id: statusId,
      pipeline_id: pipeline.id,
      loss_reason_id: input.loss_reason_id ?? null,
      created_by: ctx.user.id,
      updated_by: ctx.user.id,
      created_at: createdAt,
      updated_at: Math.max(createdAt, ctx.now),
      closed_at: isClosedStatus(statusId) ? (input.closed_at ?? ctx.now) : null,
      closest_task_at: null,
      is_deleted: false,
      custom_fields_values: null,
      score: null,
      account_id: ctx.store.account.id,
      labor_cost: null,
      _embedded: { tags: [], companies: input.companies ?? [], contacts: input.contacts ?? [] },
    };
    ctx.store.leads.push(lead);
    return { id, request_id: requestId, _links: links(ctx, `/api/v4/leads/${id}`) };
  });
  return hal({ _links: links(ctx, '/api/v4/leads'), _embedded: { leads: created } });
}

/** PATCH /api/v4/leads/{id} — object body; answers `{id, updated_at, _links}`; 404 problem JSON when missing. */
export function updateLead(ctx: RequestContext): Reply {
  const lead = findById(ctx.store.leads, idParam(ctx));
  if (!lead) return problem(404, 'Lead not found');
  const errors = new ValidationErrors();
  const item = readObject(ctx.body, errors);
  const input = item && readLeadInput(ctx, errors.item('0', ''), item, lead);
  if (!input || !errors.isEmpty) return errors.toReply();
  applyLeadInput(ctx, lead, input);
  return hal({ id: lead.id, updated_at: lead.updated_at, _links: links(ctx, `/api/v4/leads/${lead.id}`) });
}

/** PATCH /api/v4/leads — array of objects each carrying `id`. */
export function updateLeads(ctx: RequestContext): Reply {
  const errors = new ValidationErrors();
  const batch = readBatch(ctx.body, errors, true) ?? [];
  const updates: { lead: Lead; input: LeadInput; requestId: string }[] = [];
  for (const { item, checks, requestId } of batch) {
    const id = checks.int(item, 'id', true);
    const lead = id === undefined ? undefined : findById(ctx.store.leads, id);
    if (id !== undefined && !lead) checks.notSupported('id');
    const input = readLeadInput(ctx, checks, item, lead);
    if (lead) updates.push({ lead, input, requestId });
  }
  if (!errors.isEmpty) return errors.toReply();
  const updated = updates.map(({ lead, input, requestId }) => {
    applyLeadInput(ctx, lead, input);
    return { id: lead.id, updated_at: lead.updated_at, request_id: requestId, _links: links(ctx, `/api/v4/leads/${lead.id}`) };
  });
  return hal({ _links: links(ctx, '/api/v4/leads'), _embedded: { leads: updated } });
}
