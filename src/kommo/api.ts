/**
 * The Kommo API v4 as this server uses it: the one place that knows endpoint paths, `_embedded`
 * keys, `with=` expansions and the shape of write bodies and answers. Tools, reports, `ask_kommo`,
 * approval summaries and the reference cache depend on the `KommoApi` interface only (tests fake
 * it); `kommoApi` implements it over the HTTP client, which owns retries, pacing and errors.
 * docs/architecture.md says how to add an endpoint.
 */
import type { KommoClient, Page } from './client.js';
import type { Query } from './query.js';
import type { Account, Company, Contact, Lead, LossReason, Note, Pipeline, Status, Task, User } from './types.js';

export type { Page } from './client.js';

/** What every call may carry: the caller's cancellation. */
export interface Call {
  signal?: AbortSignal | undefined;
}

/** A walk over every page of a list, bounded so a mistaken filter cannot crawl a whole account. */
export interface Walk extends Call {
  maxPages?: number;
}

/** Records that own notes and tasks. */
export type EntityType = 'leads' | 'contacts' | 'companies';

export interface NewLead {
  name: string;
  price?: number | undefined;
  status_id?: number | undefined;
  pipeline_id?: number | undefined;
  responsible_user_id?: number | undefined;
}

export interface LeadChanges {
  name?: string | undefined;
  price?: number | undefined;
  status_id?: number | undefined;
  pipeline_id?: number | undefined;
  loss_reason_id?: number | undefined;
  responsible_user_id?: number | undefined;
}

export interface NewTask {
  text: string;
  entity_id: number;
  entity_type: EntityType;
  complete_till: number;
  responsible_user_id?: number | undefined;
  task_type_id?: number | undefined;
}

export interface NewNote {
  entity_id: number;
  note_type: 'common' | 'service_message';
  params: { text: string; service?: string | undefined };
}

export interface SalesbotTarget {
  entity_id: number;
  entity_type: 'leads' | 'contacts';
}

/** A read of records by id and by page, shared by leads, contacts, companies and tasks. */
interface Records<T> {
  /** One page of the list; 204 is an empty page. */
  list(query: Query, call?: Call): Promise<Page<T>>;
  /** One record; 204 and 404 both answer `KommoNotFound` (a `not_found` result) ("<Noun> <id> was not found in Kommo."). */
  get(id: number, call?: Call & { with?: string }): Promise<T>;
}

export interface KommoApi {
  /** The account with its timezone settings and task types. */
  account(call?: Call): Promise<Account>;
  leads: Records<Lead> & {
    /** Every page of a filtered list, 250 leads at a time. */
    pages(query: Query, call?: Walk): AsyncGenerator<Lead[], void, undefined>;
    /** Creates one lead; the new id, or undefined when Kommo answered without one. */
    create(lead: NewLead, call?: Call): Promise<number | undefined>;
    update(id: number, changes: LeadChanges, call?: Call): Promise<void>;
  };
  pipelines: {
    /** Every pipeline with its stages under `_embedded.statuses`. */
    list(call?: Call): Promise<Pipeline[]>;
    get(id: number, call?: Call): Promise<Pipeline>;
    statuses(pipelineId: number, call?: Call): Promise<Status[]>;
  };
  lossReasons: {
    list(call?: Call): Promise<LossReason[]>;
    get(id: number, call?: Call): Promise<LossReason>;
  };
  users: {
    list(query: Query, call?: Call): Promise<Page<User>>;
    /** Every user, page after page (the endpoint is admin-only: 403 otherwise). */
    all(call?: Walk): Promise<User[]>;
  };
  contacts: Records<Contact>;
  companies: Records<Company>;
  tasks: Records<Task> & {
    pages(query: Query, call?: Walk): AsyncGenerator<Task[], void, undefined>;
    create(task: NewTask, call?: Call): Promise<number | undefined>;
  };
  notes: {
    list(entityType: EntityType, entityId: number, query: Query, call?: Call): Promise<Page<Note>>;
    get(entityType: EntityType, id: number, call?: Call): Promise<Note>;
    create(entityType: EntityType, note: NewNote, call?: Call): Promise<number | undefined>;
    /** Pins or unpins; Kommo answers 204 either way, also when nothing changes. */
    setPinned(entityType: EntityType, noteId: number, pinned: boolean, call?: Call): Promise<void>;
  };
  bots: {
    /** The Salesbot's name when Kommo tells it (the endpoint is not in every account's API). */
    get(id: number, call?: Call): Promise<{ name?: string } | undefined>;
    /** Queues a run; Kommo answers 202 at once. */
    run(botId: number, target: SalesbotTarget, call?: Call): Promise<void>;
    stop(botId: number, target: { entity_id: number; entity_type: 'leads' }, call?: Call): Promise<void>;
  };
}

const V4 = '/api/v4';

type Created<K extends string> = { _embedded?: { [key in K]?: Array<{ id?: number }> } };
type Embedded<K extends string, T> = { _embedded?: { [key in K]?: T[] } };

/** The `KommoApi` over the HTTP client. */
export function kommoApi(client: KommoClient): KommoApi {
  const records = <T>(path: string, key: string, noun: string): Records<T> => ({
    list: (query, call = {}) => client.listPage<T>(path, key, { query, signal: call.signal }),
    get: (id, call = {}) =>
      client.getOne<T>(`${path}/${id}`, { signal: call.signal, notFound: `${noun} ${id}`, ...(call.with && { query: { with: call.with } }) }),
  });
  const pages =
    <T>(path: string, key: string) =>
    (query: Query, call: Walk = {}) =>
      client.paginate<T>(path, key, { query, signal: call.signal, maxPages: call.maxPages });
  const createOne = async <K extends string>(path: string, key: K, item: unknown, call: Call): Promise<number | undefined> => {
    const created = await client.post<Created<K>>(path, [item], { signal: call.signal });
    return created?._embedded?.[key]?.[0]?.id;
  };
  const embedded = async <K extends string, T>(path: string, key: K, call: Call): Promise<T[]> => {
    const body = await client.get<Embedded<K, T>>(path, { signal: call.signal });
    return body?._embedded?.[key] ?? [];
  };

  return {
    account: (call = {}) =>
      client.getOne<Account>(`${V4}/account`, { query: { with: 'datetime_settings,task_types' }, signal: call.signal, notFound: 'The account' }),
    leads: {
      ...records<Lead>(`${V4}/leads`, 'leads', 'Lead'),
      pages: pages<Lead>(`${V4}/leads`, 'leads'),
      create: (lead, call = {}) => createOne(`${V4}/leads`, 'leads', lead, call),
      update: async (id, changes, call = {}) => {
        await client.patch(`${V4}/leads/${id}`, changes, { signal: call.signal, notFound: `Lead ${id}` });
      },
    },
    pipelines: {
      list: (call = {}) => embedded<'pipelines', Pipeline>(`${V4}/leads/pipelines`, 'pipelines', call),
      get: (id, call = {}) => client.getOne<Pipeline>(`${V4}/leads/pipelines/${id}`, { signal: call.signal, notFound: `Pipeline ${id}` }),
      statuses: async (pipelineId, call = {}) => {
        const body = await client.get<Embedded<'statuses', Status>>(`${V4}/leads/pipelines/${pipelineId}/statuses`, {
          signal: call.signal,
          notFound: `Pipeline ${pipelineId}`,
        });
        return body?._embedded?.statuses ?? [];
      },
    },
    lossReasons: {
      list: (call = {}) => embedded<'loss_reasons', LossReason>(`${V4}/leads/loss_reasons`, 'loss_reasons', call),
      get: (id, call = {}) => client.getOne<LossReason>(`${V4}/leads/loss_reasons/${id}`, { signal: call.signal, notFound: `Loss reason ${id}` }),
    },
    users: {
      list: (query, call = {}) => client.listPage<User>(`${V4}/users`, 'users', { query, signal: call.signal }),
      all: (call = {}) => client.listAll<User>(`${V4}/users`, 'users', { signal: call.signal, maxPages: call.maxPages }),
    },
    contacts: records<Contact>(`${V4}/contacts`, 'contacts', 'Contact'),
    companies: records<Company>(`${V4}/companies`, 'companies', 'Company'),
    tasks: {
      ...records<Task>(`${V4}/tasks`, 'tasks', 'Task'),
      pages: pages<Task>(`${V4}/tasks`, 'tasks'),
      create: (task, call = {}) => createOne(`${V4}/tasks`, 'tasks', task, call),
    },
    notes: {
      list: (entityType, entityId, query, call = {}) => client.listPage<Note>(`${V4}/${entityType}/${entityId}/notes`, 'notes', { query, signal: call.signal }),
      get: (entityType, id, call = {}) =>
        client.getOne<Note>(`${V4}/${entityType}/notes/${id}`, { signal: call.signal, notFound: `Note ${id} of ${entityType}` }),
      create: (entityType, note, call = {}) => createOne(`${V4}/${entityType}/notes`, 'notes', note, call),
      setPinned: async (entityType, noteId, pinned, call = {}) => {
        await client.post(`${V4}/${entityType}/notes/${noteId}/${pinned ? 'pin' : 'unpin'}`, undefined, {
          signal: call.signal,
          notFound: `Note ${noteId} of ${entityType}`,
        });
      },
    },
    bots: {
      get: (id, call = {}) => client.get<{ name?: string }>(`${V4}/bots/${id}`, { signal: call.signal }),
      run: async (botId, target, call = {}) => {
        await client.post(`${V4}/bots/run`, [{ bot_id: botId, ...target }], { signal: call.signal, notFound: `Salesbot ${botId}` });
      },
      stop: async (botId, target, call = {}) => {
        await client.post(`${V4}/bots/${botId}/stop`, target, { signal: call.signal, notFound: `Salesbot ${botId}` });
      },
    },
  };
}
