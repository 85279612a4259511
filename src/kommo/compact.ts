/**
 * The compact shape of leads, contacts and companies in tool results (README "Record shape"): Kommo's
 * own field names, but without what only costs the model tokens — HAL `_links`, the account id, and
 * fields that are null, false or empty — and with the nested parts flattened:
 *   - `custom_fields_values` → `custom_fields: {"<field name>": value | [values]}` and
 *     `custom_field_ids: {"<field name>": field_id}` (to write a field back, or tell same-named fields apart);
 *   - embedded records as ids, and names where Kommo gives them: `tags: [{id, name}]`,
 *     `loss_reason: {id, name}`, `contacts: [id, ...]` (the main contact first), `companies: [id]`,
 *     `leads: [id, ...]`.
 * Kommo embeds contacts and companies by id only; their names are one get_contacts / get_companies away.
 * A field Kommo adds later passes through under its own name when it has a value.
 */

type Json = Record<string, unknown>;

/** Fields that say nothing about one record: constant per account, or HAL plumbing. */
const DROPPED = new Set(['_links', '_embedded', 'custom_fields_values', 'account_id']);

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

const idAndName = (item: Json): Json =>
  pruned([
    ['id', item['id']],
    ['name', item['name']],
  ]);

/** Ids of embedded records; a main one (a lead's main contact) comes first. */
function ids(list: unknown): unknown[] | undefined {
  if (!Array.isArray(list)) return undefined;
  const items = list as Json[];
  return [...items.filter((i) => i['is_main'] === true), ...items.filter((i) => i['is_main'] !== true)].map((i) => i['id']);
}

/** A lead, contact or company: its own fields that have a value, then the flattened parts. */
export function compactRecord(raw: unknown): Json {
  if (raw === null || typeof raw !== 'object') return {};
  const record = raw as Json;
  const embedded = (record['_embedded'] ?? {}) as Json;
  const lossReason = Array.isArray(embedded['loss_reason']) ? (embedded['loss_reason'][0] as Json | undefined) : undefined;
  const own = Object.entries(record).filter(([key, value]) => !DROPPED.has(key) && !(key === 'group_id' && value === 0));
  return pruned([
    ...own,
    ...Object.entries(customFields(record['custom_fields_values'])),
    ['loss_reason', lossReason && idAndName(lossReason)],
    ['tags', Array.isArray(embedded['tags']) ? (embedded['tags'] as Json[]).map(idAndName) : undefined],
    ['contacts', ids(embedded['contacts'])],
    ['companies', ids(embedded['companies'])],
    ['leads', ids(embedded['leads'])],
  ]);
}
