/**
 * An embedded, faithful fake of the Kommo API v4 on loopback, with deterministic seeded data
 * (docs/architecture.md). Used by `kommo-mcp --sandbox`, by the tests and by the benchmarks.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SandboxHttp, type SandboxFault, type SandboxRequest } from './http.js';
import { seedStore } from './seed.js';
import type { SandboxStore } from './store.js';

export type { SandboxFault, SandboxRequest } from './http.js';
export { MAX_BODY_BYTES } from './http.js';
export type {
  Account,
  Bot,
  BotRun,
  BotStop,
  Company,
  Contact,
  CrmRecord,
  ContactRef,
  CustomField,
  CustomFieldValue,
  DatetimeSettings,
  EntityRef,
  EntityType,
  Lead,
  LossReason,
  Note,
  Pipeline,
  SandboxStore,
  Status,
  Tag,
  Task,
  TaskResult,
  TaskType,
  User,
  UserRights,
} from './store.js';
export { LOST_STATUS_ID, WON_STATUS_ID } from './store.js';

export interface SandboxOptions {
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default 0 (the OS chooses). */
  port?: number;
  /** Accepted bearer token (acts as the admin), default 'sandbox-token'. */
  token?: string;
  /** Optional second valid token acting as a non-admin user: GET /api/v4/users → 403 problem JSON. */
  nonAdminToken?: string;
  /** PRNG seed, default 42. */
  seed?: number;
  /** Number of leads to seed, default 3000. */
  leads?: number;
  /** ms epoch: "now" for the seeded data (spans the two years before it). Default now(), i.e. Date.now(). */
  anchor?: number;
  /** Account timezone, default 'America/Sao_Paulo'. */
  timezone?: string;
  /** Per-token rate limit in requests/second, default 7; 0 disables. */
  rps?: number;
  /** Clock (ms) for rate limiting and for created_at/updated_at/closed_at of writes. Default Date.now. */
  now?: () => number;
  /** One line per request, and handler crashes. The sandbox itself never writes to stdout or stderr. */
  log?: (line: string) => void;
}

export interface Sandbox {
  /** 'http://127.0.0.1:<port>' (no trailing slash): the KOMMO_BASE_URL. */
  url: string;
  token: string;
  /** The live in-memory data. */
  store: SandboxStore;
  /** Every request in arrival order, including rejected ones. */
  requests: SandboxRequest[];
  clearRequests(): void;
  injectFault(fault: SandboxFault): void;
  clearFaults(): void;
  /** true → every request gets the nginx HTML 403 page (IP block). */
  setBlocked(blocked: boolean): void;
  close(): Promise<void>;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? 'sandbox-token';
  const now = options.now ?? Date.now;
  const store = seedStore({
    seed: options.seed ?? 42,
    leads: options.leads ?? 3000,
    anchor: options.anchor ?? now(),
    timezone: options.timezone ?? 'America/Sao_Paulo',
  });

  const tokens = new Map<string, number>([[token, store.account.current_user_id]]);
  if (options.nonAdminToken !== undefined) {
    if (options.nonAdminToken === token) throw new Error('sandbox: nonAdminToken must differ from token');
    const seller = store.users.find((u) => !u.rights.is_admin);
    if (!seller) throw new Error('sandbox: no non-admin user to back nonAdminToken');
    tokens.set(options.nonAdminToken, seller.id);
  }

  const front = new SandboxHttp({ store, tokens, rps: options.rps ?? 7, now, log: options.log });
  const server = createServer(front.listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  front.baseUrl = url;

  let closing: Promise<void> | undefined;
  return {
    url,
    token,
    store,
    requests: front.requests,
    clearRequests: () => front.clearRequests(),
    injectFault: (fault) => front.injectFault(fault),
    clearFaults: () => front.clearFaults(),
    setBlocked: (blocked) => front.setBlocked(blocked),
    close: () => {
      closing ??= new Promise<void>((resolve, reject) => {
        front.cancelTimers();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
