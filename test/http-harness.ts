/**
 * The HTTP transport in process: `startHttpServer` on a loopback port chosen by the OS, the shared
 * services of one process (one Kommo pace, one limiter, one report cache), optional grants, and the
 * official Client over Streamable HTTP pinned to either era.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { Client, StreamableHTTPClientTransport, type ClientCapabilities } from '@modelcontextprotocol/client';
import { silentLogger } from '../src/log.js';
import { grantForAuthorization, LOCAL_GRANT, sha256Hex, type Grant } from '../src/grants.js';
import { startHttpServer, type HttpMcpServer, type HttpServeOptions } from '../src/http.js';
import type { Sandbox } from '../src/sandbox/index.js';
import { createServer } from '../src/server.js';
import { ApprovalStates } from '../policy/approval-state.js';
import type { AuditRecord } from '../policy/audit.js';
import { Limiter } from '../policy/limiter.js';
import type { PolicyMiddleware } from '../policy/middleware.js';
import { ENTRY, eraOptions, harnessMiddleware, reportsMade, sharedServices, type Era, type HarnessOptions } from './harness.js';

export interface HttpHarnessOptions extends Pick<HarnessOptions, 'policy' | 'now' | 'client'> {
  sandbox: Sandbox;
  /** Grant name → its bearer token and, optionally, its own policy (a holder or a policy object). */
  grants?: Record<string, { token: string; policy?: HarnessOptions['policy'] }>;
  audit?: (record: AuditRecord) => void;
  http?: Partial<Pick<HttpServeOptions, 'maxSessions' | 'sessionIdleMs' | 'allowedHosts' | 'host'>>;
}

export interface ConnectOptions {
  token?: string;
  capabilities?: ClientCapabilities;
  setupClient?: (client: Client) => void;
}

export interface HttpHarness {
  url: string;
  http: HttpMcpServer;
  connect(era: Era, options?: ConnectOptions): Promise<Client>;
  close(): Promise<void>;
}

export async function startHttpHarness(options: HttpHarnessOptions): Promise<HttpHarness> {
  const services = sharedServices(options.sandbox, options);
  // One limiter for the process, shared by every grant's pipeline, as in the real entry point.
  const limiter = new Limiter({ ...(options.now && { now: options.now }) });
  const pipeline = (policy: HarnessOptions['policy']): PolicyMiddleware =>
    harnessMiddleware({ ...(policy && { policy }), ...(options.audit && { audit: options.audit }), ...(options.now && { now: options.now }), limiter });
  const main = pipeline(options.policy);
  const approvalStates = new ApprovalStates({ key: randomBytes(32), store: limiter.store, ...(options.now && { now: options.now }) });
  const grants: Grant[] = Object.entries(options.grants ?? {}).map(([name, g]) => ({ name, tokenSha256: Buffer.from(sha256Hex(g.token), 'hex') }));
  const perGrant = new Map(
    Object.entries(options.grants ?? {})
      .filter(([, g]) => g.policy !== undefined)
      .map(([name, g]) => [name, pipeline(g.policy)]),
  );
  const http = await startHttpServer({
    host: options.http?.host ?? '127.0.0.1',
    port: 0,
    logger: silentLogger,
    ...(options.now && { now: options.now }),
    ...options.http,
    build: ({ era, grant }) =>
      createServer({
        ...services,
        reports: reportsMade(services.reports),
        middleware: perGrant.get(grant) ?? main,
        logger: silentLogger,
        era,
        grant,
        approvalStates,
        ...(options.now && { now: options.now }),
      }),
    authenticate: options.grants ? (authorization) => grantForAuthorization(grants, authorization) : () => LOCAL_GRANT,
  });
  const clients: Client[] = [];
  return {
    url: http.url,
    http,
    async connect(era, connectOptions = {}) {
      const client = new Client({ name: 'kommo-mcp-http-test', version: '1.0.0' }, { capabilities: connectOptions.capabilities ?? {}, ...eraOptions(era) });
      connectOptions.setupClient?.(client);
      const headers: Record<string, string> = connectOptions.token ? { authorization: `Bearer ${connectOptions.token}` } : {};
      await client.connect(new StreamableHTTPClientTransport(new URL(http.url), { requestInit: { headers } }));
      clients.push(client);
      return client;
    },
    async close() {
      for (const client of clients) await client.close().catch(() => {});
      await http.close(1000);
    },
  };
}

/** A raw HTTP exchange (node:http, so Host can be set like a browser under DNS rebinding would). */
export function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: unknown },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: options.method ?? 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...options.headers } },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body === undefined ? undefined : JSON.stringify(options.body));
  });
}

/**
 * One raw 2026-07-28 tools/call (a client declaring form elicitation), as any HTTP client could send
 * it; `extra` adds params such as `requestState` and `inputResponses`.
 */
export async function rawToolCall(
  url: string,
  token: string | undefined,
  tool: string,
  args: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Promise<{ result?: Record<string, unknown> & { requestState?: string }; error?: { code: number; message: string } }> {
  const meta = {
    'io.modelcontextprotocol/protocolVersion': '2026-07-28',
    'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
    'io.modelcontextprotocol/clientCapabilities': { elicitation: { form: {} } },
  };
  const response = await rawRequest(url, {
    headers: { ...(token && { authorization: `Bearer ${token}` }), 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': tool },
    body: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: tool, arguments: args, _meta: meta, ...extra } },
  });
  return JSON.parse(response.body) as { result?: Record<string, unknown> & { requestState?: string }; error?: { code: number; message: string } };
}

export const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

/** Spawns the built entry point with stdin closed, as systemd or a container runs it. */
export function spawnHttp(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [ENTRY, ...args], { cwd: tmpdir(), env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL line; stderr: ${stderr}`)), 30_000);
    child.stderr.on('data', () => {
      const match = /^kommo-mcp: serving MCP over Streamable HTTP at (http:\/\/\S+)$/m.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    void exited.then(() => reject(new Error(`exited before listening; stderr: ${stderr}`)));
  });
  url.catch(() => {}); // a test that expects an early exit never reads the URL
  return { child, url, exited, stderr: () => stderr, stdout: () => stdout };
}
