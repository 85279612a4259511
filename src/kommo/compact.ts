/**
 * The compact shape of leads, contacts and companies in tool results (README "Record shape"): Kommo's
 * own field names, but without what only costs the model tokens — HAL `_links`, the account id, and
 * fields that are null, false or empty — and with the nested parts flattened:
 *   - `custom_fields_values` → `custom_fields: {"<field name>": value | [values]}` and
 *     `custom_field_ids: {"<field name>": field_id}` (to write a field back, or tell same-named fields apart);
 *   - embedded records as `[id, name]` pairs: `tags`, `contacts` (the main contact first), `companies`,
 *     and a lead's `loss_reason`; `[id]` alone when the name is not known (e.g. a contact deleted since).
 *     Kommo embeds contacts and companies by id only: `lookUpEmbeddedNames` reads their names first;
 *   - `leads` embedded in a contact or company: ids;
 *   - `created_by` / `updated_by` only when they are not the owner (`responsible_user_id`): on most
 *     records the owner created and last changed it, and the three ids cost the bytes of a name.
 * A field Kommo adds later passes through under its own name when it has a value.
 */
import type { Call, KommoApi, Page } from './api.js';
import type { Query } from './query.js';

type Json = Record<string, unknown>;

/** Fields that say nothing about one record: constant per account, or HAL plumbing. */
const DROPPED = new Set(['_links', '_embedded', 'custom_fields_values', 'account_id']);

/** Fields left out when they repeat the owner. */
const OWNER_BY_DEFAULT = new Set(['created_by', 'updated_by']);

/** null, false, "", [] and {} carry nothing; 0 does (a price of 0, a count of 0). */
function isEmpty(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === 'object' && Object.keys(value).length === 0;
}

function pruned(entries: Iterable<[string, unknown]>): Json {
  const out: Json = {};
  for (const [key, value] of entries) if (!isEmpty(value)) out[key] = value;
  return out;
}

/** The record without its null, false and empty fields (the rule of the compact shape, for other views). */
export const withoutEmpty = (record: object): Json => pruned(Object.entries(record));

interface CustomFieldValue {
  field_id?: number;
  field_name?: string;
  field_code?: string | null;
  values?: Array<{ value?: unknown }> | null;
}

/** `{name: value}` (several values → an array) and `{name: field_id}`; same-named fields get `name #id`. */
export function customFields(values: unknown): { custom_fields?: Json; custom_field_ids?: Json } {
  if (!Array.isArray(values) || values.length === 0) return {};
  const fields: Json = {};
  const ids: Json = {};
  for (const raw of values as CustomFieldValue[]) {
    const list = (raw.values ?? []).map((v) => v.value).filter((v) => !isEmpty(v));
    if (list.length === 0) continue;
    let name = raw.field_name || raw.field_code || `field ${raw.field_id}`;
    if (name in fields) name = `${name} #${raw.field_id}`;
    fields[name] = list.length === 1 ? list[0] : list;
    if (raw.field_id !== undefined) ids[name] = raw.field_id;
  }
  return pruned([
    ['custom_fields', fields],
    ['custom_field_ids', ids],
  ]);
}

/** Names of the contacts and companies that records embed by id, by id. */
export interface EmbeddedNames {
  contacts: ReadonlyMap<number, string>;
  companies: ReadonlyMap<number, string>;
}

const NO_NAMES: EmbeddedNames = { contacts: new Map(), companies: new Map() };

/** `[id, name]`; `[id]` when the name is not known. */
const pair = (id: unknown, name: unknown): unknown[] => (isEmpty(name) ? [id] : [id, name]);

/** Embedded items in order, a main one (a lead's main contact) first. */
function mainFirst(list: unknown): Json[] | undefined {
  if (!Array.isArray(list)) return undefined;
  const items = list as Json[];
  return [...items.filter((i) => i['is_main'] === true), ...items.filter((i) => i['is_main'] !== true)];
}

const named = (list: unknown, names: ReadonlyMap<number, string>): unknown[] | undefined =>
  mainFirst(list)?.map((item) => pair(item['id'], names.get(item['id'] as number)));

/** A lead, contact or company: its own fields that have a value, then the flattened parts. */
export function compactRecord(raw: unknown, names: EmbeddedNames = NO_NAMES): Json {
  if (raw === null || typeof raw !== 'object') return {};
  const record = raw as Json;
  const embedded = (record['_embedded'] ?? {}) as Json;
  const lossReason = Array.isArray(embedded['loss_reason']) ? (embedded['loss_reason'][0] as Json | undefined) : undefined;
  const owner = record['responsible_user_id'];
  const own = Object.entries(record).filter(
    ([key, value]) => !DROPPED.has(key) && !(key === 'group_id' && value === 0) && !(OWNER_BY_DEFAULT.has(key) && value === owner),
  );
  return pruned([
    ...own,
    ...Object.entries(customFields(record['custom_fields_values'])),
    ['loss_reason', lossReason && pair(lossReason['id'], lossReason['name'])],
    ['tags', Array.isArray(embedded['tags']) ? (embedded['tags'] as Json[]).map((t) => pair(t['id'], t['name'])) : undefined],
    ['contacts', named(embedded['contacts'], names.contacts)],
    ['companies', named(embedded['companies'], names.companies)],
    ['leads', mainFirst(embedded['leads'])?.map((i) => i['id'])],
  ]);
}

/** Ids per lookup request: 100 ids keep the URL near 3 KB, well under common server limits. */
const IDS_PER_REQUEST = 100;

function embeddedIds(records: readonly unknown[], kind: 'contacts' | 'companies'): number[] {
  const ids = new Set<number>();
  for (const record of records) {
    for (const item of mainFirst((record as { _embedded?: Json } | null)?._embedded?.[kind]) ?? []) {
      if (typeof item['id'] === 'number') ids.add(item['id']);
    }
  }
  return [...ids];
}

async function namesOf(list: (query: Query, call: Call) => Promise<Page<unknown>>, ids: number[], call: Call): Promise<Map<number, string>> {
  const names = new Map<number, string>();
  for (let i = 0; i < ids.length; i += IDS_PER_REQUEST) {
    const chunk = ids.slice(i, i + IDS_PER_REQUEST);
    const page = await list({ 'filter[id][]': chunk, limit: IDS_PER_REQUEST }, call);
    for (const item of page.items as Json[]) {
      if (typeof item['id'] === 'number' && typeof item['name'] === 'string') names.set(item['id'], item['name']);
    }
  }
  return names;
}

/**
 * The names of the contacts and companies the records embed: one `filter[id][]` read per kind (per
 * 100 ids), contacts first, none for a kind nothing embeds. An id Kommo does not return (deleted, or not visible to
 * this token) stays without a name.
 */
export async function lookUpEmbeddedNames(kommo: KommoApi, records: readonly unknown[], call: Call): Promise<EmbeddedNames> {
  // One after the other: the pacer spaces them anyway, and Kommo sees them in a fixed order.
  const contacts = await namesOf(kommo.contacts.list, embeddedIds(records, 'contacts'), call);
  const companies = await namesOf(kommo.companies.list, embeddedIds(records, 'companies'), call);
  return { contacts, companies };
}

/** Records in the compact shape, with the names of what they embed (see `lookUpEmbeddedNames`). */
export async function compactRecords(kommo: KommoApi, records: readonly unknown[], call: Call): Promise<Json[]> {
  const names = await lookUpEmbeddedNames(kommo, records, call);
  return records.map((record) => compactRecord(record, names));
}
