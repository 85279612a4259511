/**
 * Fixtures for the approval unit tests: a Kommo stub that answers the few reads an approval summary
 * makes (and counts them), a ToolContext around it, a fake `elicit`, and an audit recorder.
 */
import type { ElicitRequestFormParams, ElicitResult } from '@modelcontextprotocol/client';
import { z } from 'zod';
import { KommoNotFound } from '../src/errors.js';
import type { KommoApi } from '../src/kommo/api.js';
import { fakeKommoApi } from './fake-kommo.js';
import { ReferenceData, type ReferenceDataOptions } from '../src/kommo/reference.js';
import { reportsOnFirstUse } from '../src/on-first-use.js';
import type { Account, Company, Contact, Lead, LossReason, Pipeline, User } from '../src/kommo/types.js';
import { silentLogger } from '../src/log.js';
import type { ApprovalEvent, ApprovalRequest } from '../policy/approval.js';
import { describeLeadChange } from '../tools/describe.js';
import type { Elicit } from '../policy/middleware.js';
import { defineTool, type ToolContext } from '../tools/define.js';

export const PIPELINES: Pipeline[] = [
  {
    id: 10,
    name: 'Sales',
    sort: 1,
    is_main: true,
    _embedded: {
      statuses: [
        { id: 11, name: 'Incoming', sort: 10, pipeline_id: 10, type: 1 },
        { id: 12, name: 'Negotiation', sort: 20, pipeline_id: 10, type: 0 },
        { id: 142, name: 'Closed - won', sort: 10000, pipeline_id: 10, type: 0 },
        { id: 143, name: 'Closed - lost', sort: 11000, pipeline_id: 10, type: 0 },
      ],
    },
  },
  {
    id: 20,
    name: 'Renewals',
    sort: 2,
    is_main: false,
    _embedded: {
      statuses: [
        { id: 21, name: 'Due', sort: 10, pipeline_id: 20, type: 1 },
        { id: 142, name: 'Renewed', sort: 10000, pipeline_id: 20, type: 0 },
        { id: 143, name: 'Churned', sort: 11000, pipeline_id: 20, type: 0 },
      ],
    },
  },
];

export const USERS: User[] = [{ id: 501, name: 'Ana Souza', lang: 'pt' }];
export const LOSS_REASONS: LossReason[] = [{ id: 901, name: 'Too expensive' }];

export const LEAD: Lead = {
  id: 42,
  name: 'Acme renewal',
  price: 1200,
  responsible_user_id: 501,
  status_id: 12,
  pipeline_id: 10,
  loss_reason_id: null,
  created_at: 1_700_000_000,
  updated_at: 1_700_000_000,
  closed_at: null,
};

export interface StubKommo {
  client: KommoApi;
  /** What was read, named like the Kommo path it stands for (e.g. "/api/v4/leads/42"). */
  reads: string[];
  writes: string[];
  /** Makes every read fail (Kommo down) from now on. */
  failReads(): void;
}

/**
 * The Kommo API of a small account (pipelines, users, loss reasons, lead 42, bot 7) that records each
 * read and write; `account`: fields added to its account (language, current_user_id, currency).
 */
export function stubKommo(account: Partial<Account> = {}): StubKommo {
  const reads: string[] = [];
  const writes: string[] = [];
  let failing = false;
  const readMaybe = async <T>(path: string, body: T | undefined): Promise<T | undefined> => {
    reads.push(path);
    if (failing) throw new Error('Kommo is down');
    return body;
  };
  const read = async <T>(path: string, body: T | undefined, notFound?: string): Promise<T> => {
    const found = await readMaybe(path, body);
    if (found === undefined) throw new KommoNotFound(notFound);
    return found;
  };
  const client = fakeKommoApi({
    account: () => read('/api/v4/account', { ...ACCOUNT, ...account }),
    pipelines: { list: () => read('/api/v4/leads/pipelines', PIPELINES) },
    lossReasons: { list: () => read('/api/v4/leads/loss_reasons', LOSS_REASONS) },
    users: { all: () => read('/api/v4/users', USERS) },
    leads: {
      get: (id) => read(`/api/v4/leads/${id}`, id === LEAD.id ? LEAD : undefined, `Lead ${id}`),
      update: async (id) => {
        writes.push(`PATCH /api/v4/leads/${id}`);
      },
    },
    contacts: { get: (id) => read<Contact>(`/api/v4/contacts/${id}`, undefined, `Contact ${id}`) },
    companies: { get: (id) => read<Company>(`/api/v4/companies/${id}`, undefined, `Company ${id}`) },
    bots: { get: (id) => readMaybe(`/api/v4/bots/${id}`, id === 7 ? { name: 'Welcome flow' } : undefined) },
  });
  return { client, reads, writes, failReads: () => (failing = true) };
}

const ACCOUNT = { id: 1, name: 'Acme', subdomain: 'acme', _embedded: { datetime_settings: { timezone: 'America/Sao_Paulo' } } };

export function toolContext(kommo: KommoApi, signal: AbortSignal = new AbortController().signal, options: ReferenceDataOptions = {}): ToolContext {
  const reference = new ReferenceData(kommo, options);
  return {
    kommo,
    reference,
    reports: reportsOnFirstUse(kommo, reference, silentLogger),
    signal,
    log: silentLogger,
    now: Date.now,
    progress: async () => {},
    // Unit tests of the approval step: no policy keeps data here.
    mayShowDataOf: () => {},
  };
}

export const updateLeadTool = defineTool({
  name: 'update_lead',
  title: 'Update a lead',
  description: 'test double of update_lead',
  kind: 'write',
  input: z
    .object({
      id: z.number().int().positive(),
      name: z.string().optional(),
      price: z.number().int().optional(),
      status_id: z.number().int().optional(),
      pipeline_id: z.number().int().optional(),
      loss_reason_id: z.number().int().optional(),
    })
    .strict(),
  async run(args, { kommo, signal }) {
    await kommo.leads.update(args.id, args, { signal });
    return { updated: true };
  },
  describe: ({ id, ...change }, ctx) => describeLeadChange(id, change, ctx),
});

export interface ElicitCall {
  params: ElicitRequestFormParams;
  signal: AbortSignal;
  timeoutMs: number;
}

/** A fake client: records each elicitation and answers with `respond` (which may never settle). */
export function fakeElicit(respond: (call: ElicitCall) => Promise<ElicitResult> | ElicitResult): { elicit: Elicit; calls: ElicitCall[] } {
  const calls: ElicitCall[] = [];
  const elicit: Elicit = async (params, options) => {
    const call = { params, signal: options.signal, timeoutMs: options.timeoutMs };
    calls.push(call);
    return respond(call);
  };
  return { elicit, calls };
}

export const never = (): Promise<ElicitResult> => new Promise<ElicitResult>(() => {});

export interface AuditRecord {
  event: ApprovalEvent;
  fields: Record<string, unknown>;
}

export const HASH = 'a3f1c9e07b2d4c5e8f9a0b1c2d3e4f5061728394a5b6c7d8e9f00112233445566';

export function approvalRequest(overrides: Partial<ApprovalRequest> & { kommo?: KommoApi } = {}): { req: ApprovalRequest; audit: AuditRecord[] } {
  const audit: AuditRecord[] = [];
  const { kommo, ...rest } = overrides;
  const req: ApprovalRequest = {
    tool: updateLeadTool,
    args: { id: 42, price: 1500, status_id: 142 },
    argsHash: HASH,
    timeoutMs: 5_000,
    toolContext: toolContext(kommo ?? stubKommo().client),
    audit: (event, fields = {}) => audit.push({ event, fields }),
    ...rest,
  };
  return { req, audit };
}

export const accept = (decision: unknown = 'approve'): ElicitResult => ({ action: 'accept', content: { decision } as ElicitResult['content'] });
