/**
 * Streamable HTTP at `/mcp` for several agents at once, on both protocol eras.
 *
 * In front of everything: Host and Origin checks (DNS-rebinding protection, the SDK's guards), then
 * the bearer token, which names the grant the request acts under. Then each request goes to its era:
 *
 * - 2026-07-28 (per-request envelope): the SDK's per-request handler, one fresh server instance per
 *   request, nothing kept between requests.
 * - 2025 (`initialize` handshake): one session per client, because the nested approval request and
 *   the tool-list notifications need a channel that outlives one POST. Sessions are bounded in
 *   number and idle time, belong to the grant that opened them, and end on DELETE. A sessionless
 *   2025 request other than `initialize` is served statelessly, as the SDK does by default.
 *
 * Every instance shares the process's limiter, Kommo pace and report caches (they live in the
 * factory's closure); only the grant and the session differ.
 */
import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostHeaderValidation, localhostHostValidation, localhostOriginValidation, originValidation, toNodeHandler } from '@modelcontextprotocol/node';
import {
  createMcpHandler,
  isInitializeRequest,
  isLegacyRequest,
  legacyStatelessFallback,
  WebStandardStreamableHTTPServerTransport,
  type AuthInfo,
  type McpHandlerRequestOptions,
} from '@modelcontextprotocol/server';
import { isLoopbackHost } from './config.js';
import { MAX_MESSAGE_BYTES } from './defaults.js';
import type { Logger } from './log.js';
import { screenMessage, tooLargeReply } from './protocol-guard.js';
import type { CreatedServer } from './server.js';

export const MCP_PATH = '/mcp';

export interface HttpServeOptions {
  host: string;
  /** 0: the OS chooses. */
  port: number;
  /** Builds the instance for one 2025 session or one 2026-07-28 request, acting under `grant`. */
  build: (context: { era: 'legacy' | 'modern'; grant: string }) => CreatedServer;
  /**
   * The grant a request's `Authorization` header proves, or undefined (answered 401). Without
   * grants (loopback only) every request acts under one grant.
   */
  authenticate: (authorization: string | undefined) => string | undefined;
  /** Host names (without port) clients use to reach a non-loopback bind; Origin is checked against them too. */
  allowedHosts?: readonly string[];
  logger: Logger;
  /** Open 2025-era sessions at most; a further `initialize` is answered 503. Default 100. */
  maxSessions?: number;
  /** A 2025-era session with no request for this long is closed. Default 30 minutes. */
  sessionIdleMs?: number;
  now?: () => number;
}

export interface HttpMcpServer {
  /** `http://<host>:<port>/mcp`, with the port the OS chose. */
  url: string;
  /** Tells every client the tool list changed (2025 sessions directly, 2026-07-28 listen streams). */
  notifyToolsChanged(): void;
  /** Open 2025-era sessions (for tests and logs). */
  sessionCount(): number;
  /** Stops accepting connections, lets in-flight calls finish (up to `graceMs`), then closes everything. */
  close(graceMs?: number): Promise<void>;
}

interface Session {
  transport: WebStandardStreamableHTTPServerTransport;
  app: CreatedServer;
  grant: string;
  lastUsed: number;
}

export async function startHttpServer(options: HttpServeOptions): Promise<HttpMcpServer> {
  const log = options.logger;
  const now = options.now ?? Date.now;
  const maxSessions = options.maxSessions ?? 100;
  const idleMs = options.sessionIdleMs ?? 30 * 60_000;
  const sessions = new Map<string, Session>();
  const onerror = (error: Error): void => log.debug('mcp http error', { error: error.message });

  const grantOf = (authInfo: AuthInfo | undefined): string => {
    const grant = authInfo?.clientId;
    // The bearer check runs before any handler; a request without a grant never gets this far.
    if (!grant) throw new Error('request reached the MCP handler without a grant');
    return grant;
  };

  const modern = createMcpHandler(({ authInfo }) => options.build({ era: 'modern', grant: grantOf(authInfo) }).server, {
    legacy: 'reject',
    onerror,
  });
  const legacyStateless = legacyStatelessFallback(({ authInfo }) => options.build({ era: 'legacy', grant: grantOf(authInfo) }).server, onerror);

  const closeSession = async (id: string, reason: string): Promise<void> => {
    const session = sessions.get(id);
    if (!session) return;
    sessions.delete(id);
    log.info('mcp session closed', { grant: session.grant, reason });
    await session.transport.close().catch(() => {});
    await session.app.close().catch(() => {});
  };

  const closeIdleSessions = (): void => {
    const cutoff = now() - idleMs;
    for (const [id, session] of sessions) if (session.lastUsed < cutoff) void closeSession(id, 'idle');
  };

  const openSession = async (request: Request, grant: string, authInfo: AuthInfo): Promise<Response> => {
    // Idle sessions make room before a new one is counted against the cap.
    closeIdleSessions();
    if (sessions.size >= maxSessions) {
      log.warn('mcp session refused: too many open sessions', { grant, max: maxSessions });
      return jsonRpcError(503, -32000, `Too many open sessions (${maxSessions}); close one (HTTP DELETE) or try again later.`);
    }
    const app = options.build({ era: 'legacy', grant });
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        sessions.set(id, { transport, app, grant, lastUsed: now() });
        log.info('mcp session opened', { grant, sessions: sessions.size });
      },
      onsessionclosed: (id) => void closeSession(id, 'deleted'),
    });
    await app.server.connect(transport);
    const response = await transport.handleRequest(request, { authInfo });
    // An initialize that failed never created a session: nothing to keep.
    if (transport.sessionId === undefined || !sessions.has(transport.sessionId)) await app.close().catch(() => {});
    return response;
  };

  const serveLegacy = async (request: Request, authInfo: AuthInfo): Promise<Response> => {
    const grant = grantOf(authInfo);
    const id = request.headers.get('mcp-session-id');
    if (id !== null) {
      const session = sessions.get(id);
      // Another grant's session id is answered exactly like an unknown one.
      if (!session || session.grant !== grant) return jsonRpcError(404, -32001, 'Session not found; start a new session with initialize.');
      session.lastUsed = now();
      return session.transport.handleRequest(request, { authInfo });
    }
    if (request.method === 'POST' && isInitializeRequest(await readJson(request))) return openSession(request, grant, authInfo);
    return legacyStateless(request, { authInfo });
  };

  const route = async (received: Request, extra?: McpHandlerRequestOptions): Promise<Response> => {
    const authInfo = extra?.authInfo;
    if (!authInfo) return jsonRpcError(401, -32001, 'Unauthorized');
    const request = await screenBody(received);
    if (request instanceof Response) return request;
    if (await isLegacyRequest(request)) return serveLegacy(request, authInfo);
    return modern.fetch(request, { authInfo });
  };
  const handle = toNodeHandler({ fetch: route }, { onerror, maxRequestBodySize: MAX_MESSAGE_BYTES });

  const loopback = isLoopbackHost(options.host);
  const allowed = options.allowedHosts ?? [];
  const checkHost = loopback ? localhostHostValidation() : allowed.length > 0 ? hostHeaderValidation([...allowed]) : undefined;
  const checkOrigin = loopback ? localhostOriginValidation() : allowed.length > 0 ? originValidation([...allowed]) : undefined;

  let inFlight = 0;
  let drained: (() => void) | undefined;
  const server = createHttpServer((req: IncomingMessage & { auth?: AuthInfo }, res: ServerResponse) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== MCP_PATH) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`Not found; the MCP endpoint is ${MCP_PATH}\n`);
      return;
    }
    if (checkHost && !checkHost(req, res)) return;
    if (checkOrigin && !checkOrigin(req, res)) return;
    const grant = options.authenticate(req.headers.authorization);
    if (grant === undefined) {
      const error = req.headers.authorization ? ', error="invalid_token"' : '';
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': `Bearer realm="kommo-mcp"${error}` });
      res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32001, message: 'Unauthorized: send Authorization: Bearer <token of your grant>' }, id: null }));
      return;
    }
    // A body declared over the cap is answered before it is read, and read to its end (discarded),
    // so the client gets the answer rather than a reset connection; the SDK caps undeclared lengths.
    if (Number(req.headers['content-length']) > MAX_MESSAGE_BYTES) {
      req.resume();
      res.writeHead(413, { 'content-type': 'application/json' }).end(JSON.stringify(tooLargeReply()));
      return;
    }
    // The grant travels as the SDK's pass-through auth info; the token itself goes no further.
    req.auth = { token: '', clientId: grant, scopes: [] };
    // A GET is a 2025 notification stream that stays open; only calls are waited for at shutdown.
    const counted = req.method !== 'GET';
    if (counted) inFlight++;
    res.on('close', () => {
      if (!counted) return;
      inFlight--;
      if (inFlight === 0) drained?.();
    });
    void handle(req, res);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const hostInUrl = options.host.includes(':') && !options.host.startsWith('[') ? `[${options.host}]` : options.host;

  const sweep = setInterval(closeIdleSessions, Math.max(1000, Math.min(60_000, Math.floor(idleMs / 4))));
  sweep.unref();

  return {
    url: `http://${hostInUrl}:${port}${MCP_PATH}`,
    notifyToolsChanged() {
      modern.notify.toolsChanged();
      for (const session of sessions.values()) void session.app.notifyToolsChanged().catch(() => {});
    },
    sessionCount: () => sessions.size,
    async close(graceMs = 30_000) {
      clearInterval(sweep);
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (inFlight > 0) {
        await new Promise<void>((resolve) => {
          drained = resolve;
          setTimeout(resolve, graceMs).unref();
        });
      }
      for (const id of [...sessions.keys()]) await closeSession(id, 'shutdown');
      await modern.close().catch(() => {});
      server.closeAllConnections();
      await stopped;
    },
  };
}

function jsonRpcError(status: number, code: number, message: string): Response {
  return new Response(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }), {
    status,
    headers: { 'content-type': 'application/json' },
  });
}

/**
 * A POST's messages through `screenMessage` (the same checks as stdio) before the SDK parses them:
 * the request as it came, the request with its rewritten body, or the answer that refuses it.
 * A body that is not JSON goes on as it came; the SDK answers it.
 */
async function screenBody(request: Request): Promise<Request | Response> {
  if (request.method !== 'POST') return request;
  const body = await readJson(request);
  if (body === undefined) return request;
  const messages = Array.isArray(body) ? body : [body];
  const screened = messages.map(screenMessage);
  if (screened.some((s) => 'refuse' in s)) {
    const replies = screened.flatMap((s) => ('refuse' in s && s.refuse ? [s.refuse] : []));
    if (replies.length === 0) return new Response(null, { status: 202 });
    return Response.json(Array.isArray(body) ? replies : replies[0], { status: 400 });
  }
  const passed = screened.map((s) => ('pass' in s ? s.pass : undefined));
  if (passed.every((message, i) => message === messages[i])) return request;
  const headers = new Headers(request.headers);
  headers.delete('content-length');
  return new Request(request, { headers, body: JSON.stringify(Array.isArray(body) ? passed : passed[0]) });
}

/** The parsed body of a POST (read from a clone, so the transport can still read it), or undefined. */
async function readJson(request: Request): Promise<unknown> {
  try {
    return await request.clone().json();
  } catch {
    return undefined;
  }
}
