import { findById, linkedIds, type Contact, type CrmRecord, type CustomField } from '../store.js';
import { child, inRange, intSet, rangeFilter, readOrder, searchText, sortByOrder, stringSet, withSet, type QueryObject, type Range } from '../query.js';
import { hal, noContent, type Reply } from '../responses.js';
import { idParam, links, type RequestContext } from './context.js';
import { isReply, pagedReply, readPaging } from './paging.js';

/**
 * Kommo's `query=` on contacts and companies: case-insensitive substring over the names and every custom
 * field value; a query with 4+ digits also matches phone numbers digit for digit ("11 98765" ~ "+55 11 98765-4321").
 */
export function matchesSearch(text: string, names: readonly string[], fields: CustomField[] | null): boolean {
  const values = [...names, ...(fields ?? []).flatMap((f) => f.values.map((v) => v.value))];
  if (values.some((v) => v.toLowerCase().includes(text))) return true;
  const digits = text.replace(/\D/g, '');
  return digits.length >= 4 && values.some((v) => v.replace(/\D/g, '').includes(digits));
}

/** Filters shared by contacts and companies. */
export interface CommonFilters {
  ids?: Set<number>;
  responsible?: Set<number>;
  createdBy?: Set<number>;
  names?: Set<string>;
  ranges: ['created_at' | 'updated_at' | 'closest_task_at', Range][];
  text?: string;
}

export function readCommonFilters(query: QueryObject): CommonFilters {
  const filter = child(query, 'filter');
  const ranges: CommonFilters['ranges'] = [];
  for (const field of ['created_at', 'updated_at', 'closest_task_at'] as const) {
    const range = rangeFilter(child(filter, field));
    if (range) ranges.push([field, range]);
  }
  return {
    ids: intSet(child(filter, 'id')),
    responsible: intSet(child(filter, 'responsible_user_id')),
    createdBy: intSet(child(filter, 'created_by')),
    names: stringSet(child(filter, 'name')),
    ranges,
    text: searchText(query),
  };
}

export function matchesCommon(entity: CrmRecord, f: CommonFilters, names: readonly string[]): boolean {
  return (
    (!f.ids || f.ids.has(entity.id)) &&
    (!f.responsible || f.responsible.has(entity.responsible_user_id)) &&
    (!f.createdBy || f.createdBy.has(entity.created_by)) &&
    (!f.names || f.names.has(entity.name)) &&
    f.ranges.every(([field, range]) => inRange(entity[field], range)) &&
    (!f.text || matchesSearch(f.text, names, entity.custom_fields_values))
  );
}

function renderContact(ctx: RequestContext, contact: Contact, leadIds: Map<number, number[]> | undefined): unknown {
  const { _embedded, ...fields } = contact;
  return {
    ...fields,
    _links: links(ctx, `/api/v4/contacts/${contact.id}`),
    _embedded: {
      tags: _embedded.tags,
      companies: _embedded.companies.map((c) => ({ id: c.id, _links: links(ctx, `/api/v4/companies/${c.id}`) })),
      ...(leadIds ? { leads: (leadIds.get(contact.id) ?? []).map((id) => ({ id, _links: links(ctx, `/api/v4/leads/${id}`) })) } : {}),
    },
  };
}

/** Lead ids per contact, only computed for `with=leads`. */
function leadsOfContacts(ctx: RequestContext): Map<number, number[]> | undefined {
  return withSet(ctx.query).has('leads') ? linkedIds(ctx.store.leads, (l) => l._embedded.contacts) : undefined;
}

/** GET /api/v4/contacts */
export function listContacts(ctx: RequestContext): Reply {
  const paging = readPaging(ctx);
  if (isReply(paging)) return paging;
  const filters = readCommonFilters(ctx.query);
  const contacts = ctx.store.contacts.filter((c) => matchesCommon(c, filters, [c.name, c.first_name, c.last_name]));
  sortByOrder(contacts, readOrder(ctx.query, ['updated_at', 'id', 'created_at']));
  const leadIds = leadsOfContacts(ctx);
  return pagedReply(ctx, paging, 'contacts', contacts, (c) => renderContact(ctx, c, leadIds));
}

/** GET /api/v4/contacts/{id} — 204 when missing. */
export function getContact(ctx: RequestContext): Reply {
  const contact = findById(ctx.store.contacts, idParam(ctx));
  if (!contact) return noContent();
  return hal(renderContact(ctx, contact, leadsOfContacts(ctx)));
}
