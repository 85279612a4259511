/**
 * End-to-end harness: the embedded sandbox on a loopback port chosen by the OS, the real server from
 * `createServer`, and the official MCP `Client` linked to it. Tests assert on tool results and on the
 * sandbox's request log (the exact Kommo requests made).
 */
import { Client, InMemoryTransport, type CallToolResult, type ClientCapabilities, type ClientOptions } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, beforeEach } from 'node:test';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { kommoApi, type KommoApi } from '../src/kommo/api.js';
import { KommoClient, type KommoClientOptions } from '../src/kommo/client.js';
import { Pacer } from '../src/kommo/pacer.js';
import { ReferenceData } from '../src/kommo/reference.js';
import type { AccountLanguage } from '../src/kommo/types.js';
import { silentLogger, type Logger } from '../src/log.js';
import type { ReportsOnFirstUse } from '../src/on-first-use.js';
import { startSandbox, type Sandbox, type SandboxOptions, type SandboxRequest } from '../src/sandbox/index.js';
import { createServer, type CreatedServer } from '../src/server.js';
import { ReportServices, type ReportServicesOptions } from '../src/reports/services.js';
import { kommoAttempts } from '../policy/attempts.js';
import { ApprovalStates } from '../policy/approval-state.js';
import type { AuditRecord } from '../policy/audit.js';
import { compilePolicy, type CompiledPolicy } from '../policy/compile.js';
import type { Limiter } from '../policy/limiter.js';
import { PolicyMiddleware, type PolicyHolder } from '../policy/middleware.js';
import type { AnyTool } from '../tools/define.js';
import { toolArguments } from '../tools/index.js';

/** The shipped entry point, package.json's `bin` (the bundle), so every spawned server is the real command. */
export const ENTRY = fileURLToPath(
  new URL(
    (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { bin: Record<string, string> }).bin['kommo-mcp']!,
    new URL('../../', import.meta.url),
  ),
);

export interface Harness {
  client: Client;
  sandbox: Sandbox;
  app: CreatedServer;
  /** The Kommo API the server uses, over a real client to the sandbox. */
  kommo: KommoApi;
  /** The report caches the server uses (period leads, incremental copies of leads and tasks). */
  reports: ReportServices;
  /** Calls a tool and returns the raw result. */
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  /** Calls a tool and returns its parsed JSON text (success or error). */
  callJson(name: string, args?: Record<string, unknown>): Promise<{ isError: boolean; body: Record<string, unknown>; result: CallToolResult }>;
  /** Requests the sandbox received since the last `resetLog()`. */
  requests(): SandboxRequest[];
  resetLog(): void;
  close(): Promise<void>;
}

export interface HarnessOptions {
  sandbox?: SandboxOptions;
  /** Reuse a running sandbox (e.g. one large seeded sandbox for a whole file). */
  sharedSandbox?: Sandbox;
  /** The whole pipeline; default: one built from `policy`, `now` and `audit`. */
  middleware?: PolicyMiddleware;
  /**
   * The policy when no middleware is given: a policy object as written in a file, a compiled one,
   * or a holder such as a `PolicyStore`. Default: allow every tool, no limits.
   */
  policy?: object | CompiledPolicy | PolicyHolder;
  /** Receives the audit line of every call (when no middleware is given). */
  audit?: (record: AuditRecord) => void;
  client?: Partial<KommoClientOptions>;
  capabilities?: ClientCapabilities;
  logger?: Logger;
  now?: () => number;
  timezone?: string;
  /** KOMMO_LANGUAGE: the language approval forms are written in (default: the account's). */
  language?: AccountLanguage;
  /** Settings of the report caches (TTLs, refresh interval); `now` is passed on by default. */
  reports?: ReportServicesOptions;
  /** Lets a test install request handlers (e.g. elicitation) on the client before it connects. */
  setupClient?: (client: Client) => void;
  /** The protocol era the client speaks: the 2025 `initialize` handshake (default) or 2026-07-28. */
  era?: Era;
  /** Seals 2026-07-28 approval states; default: a random key and the middleware's counter store. */
  approvalStates?: ApprovalStates;
  /** The tools served; default: the catalogue. */
  tools?: readonly AnyTool[];
}

export type Era = 'legacy' | 'modern';
export const ERAS: readonly Era[] = ['legacy', 'modern'];

/** Client options that make the official Client speak one era only (a pin never falls back). */
export function eraOptions(era: Era): ClientOptions {
  return era === 'modern' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {};
}

/** What every server instance of a test process shares: the Kommo client (one pace), reference data and report caches. */
export interface SharedServices {
  kommo: KommoApi;
  reference: ReferenceData;
  reports: ReportServices;
}

export function sharedServices(
  sandbox: Sandbox,
  options: Pick<HarnessOptions, 'client' | 'logger' | 'now' | 'timezone' | 'language' | 'reports'> = {},
): SharedServices {
  const logger = options.logger ?? silentLogger;
  const kommoClient = new KommoClient({
    baseUrl: sandbox.url,
    token: sandbox.token,
    pacer: new Pacer(1000),
    baseBackoffMs: 1,
    maxBackoffMs: 5,
    timeoutMs: 5000,
    logger,
    onAttempt: kommoAttempts.observe,
    ...options.client,
  });
  const kommo = kommoApi(kommoClient);
  const reference = new ReferenceData(kommo, {
    ...(options.timezone && { timezone: options.timezone }),
    ...(options.language && { language: options.language }),
    ...(options.now && { now: options.now }),
  });
  // A dashboard waits for its whole-account counts here, so answers do not depend on timing; tests of
  // the background path set accountFiguresWaitMs.
  const reports = new ReportServices(kommo, reference, { accountFiguresWaitMs: Infinity, ...(options.now && { now: options.now }), ...options.reports });
  return { kommo, reference, reports };
}

/** The server's handle on report services a test made itself (to inspect or clear their caches). */
export function reportsMade(reports: ReportServices): ReportsOnFirstUse {
  return () => Promise.resolve(reports);
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const sandbox = options.sharedSandbox ?? (await startSandbox({ rps: 0, ...options.sandbox }));
  const logger = options.logger ?? silentLogger;
  const { kommo, reference, reports } = sharedServices(sandbox, options);
  const middleware = options.middleware ?? harnessMiddleware(options);
  const approvalStates =
    options.approvalStates ?? new ApprovalStates({ key: randomBytes(32), store: middleware.limiter.store, ...(options.now && { now: options.now }) });
  // The same serving entry as the stdio mode: it decides the era from the client's opening message.
  const created: CreatedServer[] = [];
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  const served = serveStdio(
    ({ era }) => {
      const instance = createServer({
        kommo,
        reference,
        reports: reportsMade(reports),
        middleware,
        logger,
        era,
        approvalStates,
        ...(options.now && { now: options.now }),
        ...(options.tools && { tools: options.tools }),
      });
      created.push(instance);
      return instance.server;
    },
    { transport: serverTransport },
  );
  const client = new Client({ name: 'kommo-mcp-test', version: '1.0.0' }, { capabilities: options.capabilities ?? {}, ...eraOptions(options.era ?? 'legacy') });
  options.setupClient?.(client);
  await client.connect(clientTransport);
  // The instance serving the connection (a 2026-07-28 client keeps the one built for its probe).
  const app = created.at(-1);
  if (!app) throw new Error('the server was not created on connect');
  sandbox.clearRequests();

  const call = async (name: string, args: Record<string, unknown> = {}): Promise<CallToolResult> =>
    (await client.callTool({ name, arguments: args })) as CallToolResult;

  return {
    client,
    sandbox,
    app,
    kommo,
    reports,
    call,
    async callJson(name, args) {
      const result = await call(name, args);
      return { isError: result.isError === true, body: parseText(result), result };
    },
    requests: () => [...sandbox.requests],
    resetLog: () => sandbox.clearRequests(),
    async close() {
      await client.close();
      await served.close();
      if (!options.sharedSandbox) await sandbox.close();
    },
  };
}

export function harnessMiddleware(options: Pick<HarnessOptions, 'policy' | 'audit' | 'now' | 'logger'> & { limiter?: Limiter }): PolicyMiddleware {
  const policy = options.policy;
  const audit = options.audit;
  return new PolicyMiddleware({
    ...(options.limiter && { limiter: options.limiter }),
    ...(policy && { policy: 'current' in policy || 'document' in policy ? (policy as CompiledPolicy | PolicyHolder) : compilePolicy(policy, toolArguments) }),
    ...(options.now && { now: options.now }),
    ...(audit && { audit: { write: audit, close: () => {} } }),
    ...(options.logger && { logger: options.logger }),
  });
}

export function parseText(result: CallToolResult): Record<string, unknown> {
  const first = result.content[0];
  if (first?.type !== 'text') throw new Error('tool result has no text content');
  return JSON.parse(first.text) as Record<string, unknown>;
}

/**
 * Starts the built server (`ENTRY`, the bundle) as a child process over stdio, as an MCP client
 * would, and connects the official Client to it. stderr is collected for assertions.
 */
export async function spawnServer(
  args: string[],
  env: Record<string, string>,
  capabilities: ClientCapabilities = {},
  era: Era = 'legacy',
): Promise<{ client: Client; stderr: () => string; close: () => Promise<void> }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [ENTRY, ...args],
    env: { PATH: process.env.PATH ?? '', ...env },
    // A neutral directory: a developer's own .env in the repo must not change what a test sees.
    cwd: tmpdir(),
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const client = new Client({ name: 'kommo-mcp-e2e', version: '1.0.0' }, { capabilities, ...eraOptions(era) });
  await client.connect(transport);
  return { client, stderr: () => stderr, close: () => client.close() };
}

/**
 * One sandbox for a whole test file and one server on it, both closed after the file; the sandbox's
 * request log is reset before each test, so a test sees only its own Kommo requests. `onStart`
 * receives them once they run.
 */
export function oneHarnessPerFile(
  onStart: (started: { sandbox: Sandbox; h: Harness }) => void,
  sandboxOptions: SandboxOptions = {},
  harnessOptions: HarnessOptions = {},
): void {
  let running: { sandbox: Sandbox; h: Harness } | undefined;
  before(async () => {
    const sandbox = await startSandbox({ rps: 0, ...sandboxOptions });
    running = { sandbox, h: await startHarness({ ...harnessOptions, sharedSandbox: sandbox }) };
    onStart(running);
  });
  after(async () => {
    await running?.h.close();
    await running?.sandbox.close();
  });
  beforeEach(() => running?.h.resetLog());
}

/**
 * One sandbox for a whole test file, and a `start` that opens a fresh server on it (a fresh limiter)
 * for each test, with an empty request log; every server is closed after the file.
 */
export function harnessPool(onSandbox: (sandbox: Sandbox) => void, sandboxOptions: SandboxOptions = {}): (options?: HarnessOptions) => Promise<Harness> {
  let sandbox: Sandbox | undefined;
  const open: Harness[] = [];
  before(async () => {
    sandbox = await startSandbox({ rps: 0, ...sandboxOptions });
    onSandbox(sandbox);
  });
  after(async () => {
    for (const h of open.splice(0)) await h.close();
    await sandbox?.close();
  });
  return async (options = {}) => {
    const h = await startHarness({ ...options, sharedSandbox: sandbox });
    open.push(h);
    h.resetLog();
    return h;
  };
}
