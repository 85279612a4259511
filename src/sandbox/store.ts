/**
 * The sandbox's live in-memory data. Entities keep Kommo's own field names (snake_case, unix seconds)
 * and, where Kommo nests links to other entities under `_embedded`, the same nesting — so a test can
 * compare an API answer with the store directly (the API adds `_links`).
 */

export const WON_STATUS_ID = 142;
export const LOST_STATUS_ID = 143;

export type EntityType = 'leads' | 'contacts' | 'companies';
export const ENTITY_TYPES: readonly EntityType[] = ['leads', 'contacts', 'companies'];

export interface EntityRef {
  id: number;
}
export interface ContactRef {
  id: number;
  is_main: boolean;
}
export interface Tag {
  id: number;
  name: string;
  color: string | null;
}
export interface CustomFieldValue {
  value: string;
  enum_id?: number;
  enum_code?: string;
}
export interface CustomField {
  field_id: number;
  field_name: string;
  field_code: string | null;
  field_type: string;
  values: CustomFieldValue[];
}

export interface DatetimeSettings {
  date_pattern: string;
  short_date_pattern: string;
  short_time_pattern: string;
  date_formant: string;
  time_format: string;
  timezone: string;
  timezone_offset: string;
}
export interface TaskType {
  id: number;
  name: string;
  color: string | null;
  icon_id: number | null;
  code: string | null;
}
export interface UsersGroup {
  id: number;
  name: string;
  uuid: string | null;
}
export interface Account {
  id: number;
  name: string;
  subdomain: string;
  /** The admin who owns the sandbox token; the non-admin token answers with its own user. */
  current_user_id: number;
  country: string;
  currency: string;
  currency_symbol: string;
  customers_mode: string;
  is_unsorted_on: boolean;
  mobile_feature_version: number;
  is_loss_reason_enabled: boolean;
  is_helpbot_enabled: boolean;
  is_technical_account: boolean;
  contact_name_display_order: number;
  /** Only returned with `with=amojo_id|version|drive_url`. */
  amojo_id: string;
  version: number;
  drive_url: string;
  /** Only returned with the matching `with=` value. */
  _embedded: {
    datetime_settings: DatetimeSettings;
    task_types: TaskType[];
    users_groups: UsersGroup[];
    amojo_rights: { can_direct: boolean; can_create_groups: boolean };
  };
}

export type Right = 'A' | 'G' | 'M' | 'D';
export interface EntityRights {
  view: Right;
  edit: Right;
  add: Right;
  delete: Right;
  export: Right;
}
export interface UserRights {
  leads: EntityRights;
  contacts: EntityRights;
  companies: EntityRights;
  tasks: { edit: Right; delete: Right };
  mail_access: boolean;
  catalog_access: boolean;
  status_rights: unknown[];
  is_admin: boolean;
  is_free: boolean;
  is_active: boolean;
  group_id: number | null;
  role_id: number | null;
}
export interface User {
  id: number;
  name: string;
  email: string;
  lang: string;
  rights: UserRights;
}

export interface Status {
  id: number;
  name: string;
  sort: number;
  is_editable: boolean;
  pipeline_id: number;
  color: string;
  /** 0 = regular stage, 1 = "Incoming leads" column. */
  type: 0 | 1;
  account_id: number;
}
export interface Pipeline {
  id: number;
  name: string;
  sort: number;
  is_main: boolean;
  is_unsorted_on: boolean;
  is_archive: boolean;
  account_id: number;
  _embedded: { statuses: Status[] };
}

export interface LossReason {
  id: number;
  name: string;
  sort: number;
  created_at: number;
  updated_at: number;
}

export interface Bot {
  id: number;
  name: string;
  account_id: number;
  created_at: number;
  updated_at: number;
}
export interface BotRun {
  bot_id: number;
  entity_id: number;
  entity_type: 'leads' | 'contacts';
  created_at: number;
}
export interface BotStop {
  bot_id: number;
  entity_id: number;
  entity_type: 'leads';
  created_at: number;
}

/** Fields leads, contacts and companies share. */
export interface CrmRecord {
  id: number;
  name: string;
  responsible_user_id: number;
  group_id: number;
  created_by: number;
  updated_by: number;
  created_at: number;
  updated_at: number;
  closest_task_at: number | null;
  is_deleted: boolean;
  custom_fields_values: CustomField[] | null;
  account_id: number;
}

export interface Lead extends CrmRecord {
  price: number;
  status_id: number;
  pipeline_id: number;
  loss_reason_id: number | null;
  /** null while the lead is open. */
  closed_at: number | null;
  score: number | null;
  labor_cost: number | null;
  /** `contacts` is only sent with `with=contacts`. */
  _embedded: { tags: Tag[]; companies: EntityRef[]; contacts: ContactRef[] };
}

export interface Contact extends CrmRecord {
  first_name: string;
  last_name: string;
  is_unsorted: boolean;
  _embedded: { tags: Tag[]; companies: EntityRef[] };
}

export interface Company extends CrmRecord {
  _embedded: { tags: Tag[] };
}

export type TaskResult = { text: string } | [];
export interface Task {
  id: number;
  created_by: number;
  updated_by: number;
  created_at: number;
  updated_at: number;
  responsible_user_id: number;
  group_id: number;
  entity_id: number | null;
  entity_type: EntityType | null;
  /** Seconds. */
  duration: number;
  is_completed: boolean;
  /** 1 = Follow-up, 2 = Meeting, or a custom type from the account's `task_types`. */
  task_type_id: number;
  text: string;
  result: TaskResult;
  complete_till: number;
  account_id: number;
}

export interface Note {
  id: number;
  entity_id: number;
  /** Not sent by the API (the URL says it); kept so the store can tell notes of different types apart. */
  entity_type: EntityType;
  created_by: number;
  updated_by: number;
  created_at: number;
  updated_at: number;
  responsible_user_id: number;
  group_id: number;
  note_type: string;
  params: Record<string, unknown>;
  account_id: number;
  /** Only sent with `with=is_pinned`. */
  is_pinned: boolean;
}

export interface SandboxStore {
  account: Account;
  users: User[];
  pipelines: Pipeline[];
  lossReasons: LossReason[];
  bots: Bot[];
  leads: Lead[];
  contacts: Contact[];
  companies: Company[];
  tasks: Task[];
  notes: Note[];
  botRuns: BotRun[];
  botStops: BotStop[];
  /** Next id handed out by a create call, per entity kind. */
  nextId: { leads: number; contacts: number; companies: number; tasks: number; notes: number };
}

export function findById<T extends { id: number }>(items: readonly T[], id: number): T | undefined {
  return items.find((item) => item.id === id);
}

export function findEntity(store: SandboxStore, type: EntityType, id: number): CrmRecord | undefined {
  return findById<CrmRecord>(store[type], id);
}

/** Reverse index of `_embedded` links: linked entity id → ids of the items that link to it. */
export function linkedIds<T extends { id: number }>(items: readonly T[], refsOf: (item: T) => readonly EntityRef[]): Map<number, number[]> {
  const index = new Map<number, number[]>();
  for (const item of items) {
    for (const ref of refsOf(item)) {
      const ids = index.get(ref.id);
      if (ids) ids.push(item.id);
      else index.set(ref.id, [item.id]);
    }
  }
  return index;
}

export function isClosedStatus(statusId: number): boolean {
  return statusId === WON_STATUS_ID || statusId === LOST_STATUS_ID;
}

export function mainPipeline(store: SandboxStore): Pipeline {
  const pipeline = store.pipelines.find((p) => p.is_main) ?? store.pipelines[0];
  if (!pipeline) throw new Error('sandbox store has no pipeline');
  return pipeline;
}

/** Where a lead lands when no stage is given: the first regular (non-incoming, open) stage. */
export function defaultStatus(pipeline: Pipeline): Status {
  const statuses = pipeline._embedded.statuses;
  const status = statuses.find((s) => s.type === 0 && !isClosedStatus(s.id)) ?? statuses[0];
  if (!status) throw new Error(`pipeline ${pipeline.id} has no stage`);
  return status;
}

export function takeId(store: SandboxStore, kind: keyof SandboxStore['nextId']): number {
  const id = store.nextId[kind];
  store.nextId[kind] = id + 1;
  return id;
}
