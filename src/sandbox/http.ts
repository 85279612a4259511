/**
 * The sandbox's HTTP front: request log, IP-block mode, fault injection, body limit, auth, rate limit,
 * then routing. Never writes to stdout (the sandbox may run inside the stdio MCP server).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readRawQuery, nestQuery, type RawQuery } from './query.js';
import { TokenBuckets } from './rate-limit.js';
import { HAL_JSON, PROBLEM_JSON, faultReply, ipBlocked, problem, tooManyRequests, type Reply } from './responses.js';
import { matchRoute } from './routes.js';
import { findById, type SandboxStore, type User } from './store.js';

export interface SandboxRequest {
  method: string;
  /** Pathname only, e.g. '/api/v4/leads/123'. */
  path: string;
  /** Decoded keys as sent; repeated keys → array. */
  query: RawQuery;
  /** Parsed JSON body; undefined when none; the raw text when it was not valid JSON. */
  body: unknown;
  /** Status the sandbox answered; 0 when the socket was destroyed (fault) or the client went away. */
  status: number;
  /** now() at arrival (ms). */
  at: number;
}

export interface SandboxFault {
  method?: string;
  /** Compared to the pathname; a string must match exactly. */
  path?: string | RegExp;
  status: number;
  /** Default: a realistic body for the status (429 → HTML, 403 → nginx HTML, others problem JSON, 2xx none). */
  body?: string;
  contentType?: string;
  headers?: Record<string, string>;
  /** How many matching requests get the fault (default 1; Infinity allowed). */
  times?: number;
  /** Answer (or destroy) after this delay. */
  delayMs?: number;
  /** Destroy the socket instead of answering (a network error for the client). */
  destroy?: boolean;
}

export const MAX_BODY_BYTES = 1024 * 1024;

export interface SandboxHttpConfig {
  store: SandboxStore;
  /** Accepted bearer tokens → the user id each acts as. */
  tokens: ReadonlyMap<string, number>;
  rps: number;
  now: () => number;
  log?: (line: string) => void;
}

interface ActiveFault {
  fault: SandboxFault;
  remaining: number;
}

interface ReceivedBody {
  text: string;
  tooLarge: boolean;
}

function readBody(req: IncomingMessage): Promise<ReceivedBody | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Past the limit, keep draining so the client gets its 413, but stop buffering.
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
      else chunks.length = 0;
    });
    req.on('end', () => resolve({ text: Buffer.concat(chunks).toString('utf8'), tooLarge: size > MAX_BODY_BYTES }));
    req.on('error', () => resolve(undefined));
    req.on('close', () => resolve(undefined));
  });
}

type ParsedBody = { ok: true; value: unknown } | { ok: false };

function parseBody(text: string): ParsedBody {
  if (text.trim() === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

function guessContentType(status: number, body: string): string {
  const start = body.trimStart()[0];
  if (start === '{' || start === '[') return status >= 400 ? PROBLEM_JSON : HAL_JSON;
  if (start === '<') return 'text/html; charset=UTF-8';
  return 'text/plain; charset=UTF-8';
}

function writeReply(res: ServerResponse, reply: Reply): void {
  if (res.destroyed || res.writableEnded) return;
  const headers: Record<string, string | number> = {};
  if (reply.body !== undefined) {
    headers['Content-Type'] = reply.contentType ?? guessContentType(reply.status, reply.body);
    headers['Content-Length'] = Buffer.byteLength(reply.body);
  }
  Object.assign(headers, reply.headers);
  res.writeHead(reply.status, headers);
  res.end(reply.body);
}

export class SandboxHttp {
  readonly requests: SandboxRequest[] = [];
  /** Origin the sandbox listens on; set once listening, used for `_links`. */
  baseUrl = '';
  private faults: ActiveFault[] = [];
  private blocked = false;
  private readonly buckets: TokenBuckets;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly config: SandboxHttpConfig) {
    this.buckets = new TokenBuckets(config.rps);
  }

  injectFault(fault: SandboxFault): void {
    this.faults.push({ fault, remaining: fault.times ?? 1 });
  }

  clearFaults(): void {
    this.faults = [];
  }

  setBlocked(blocked: boolean): void {
    this.blocked = blocked;
  }

  /** Empties the log in place, so a reference to `requests` stays valid. */
  clearRequests(): void {
    this.requests.length = 0;
  }

  /** Drops pending fault delays (on close). */
  cancelTimers(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  readonly listener = (req: IncomingMessage, res: ServerResponse): void => {
    void this.handle(req, res);
  };

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = this.config.now();
    const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
    const entry: SandboxRequest = {
      method: (req.method ?? 'GET').toUpperCase(),
      path: url.pathname,
      query: readRawQuery(url.searchParams),
      body: undefined,
      status: 0,
      at,
    };
    this.requests.push(entry);
    const received = await readBody(req);
    if (!received) return;
    const parsed = parseBody(received.text);
    entry.body = parsed.ok ? parsed.value : received.text;

    const reply = await this.decide(entry, req, received, parsed);
    if (!reply) {
      req.socket.destroy();
    } else {
      entry.status = reply.status;
      writeReply(res, reply);
    }
    this.config.log?.(`${entry.method} ${req.url ?? entry.path} → ${entry.status || 'destroyed'}`);
  }

  /** The answer, in Kommo's order of checks; undefined = destroy the socket. */
  private async decide(entry: SandboxRequest, req: IncomingMessage, received: ReceivedBody, parsed: ParsedBody): Promise<Reply | undefined> {
    if (this.blocked) return ipBlocked();

    const fault = this.takeFault(entry);
    if (fault) {
      if (fault.delayMs) await this.sleep(fault.delayMs);
      if (fault.destroy) return undefined;
      const base = fault.body === undefined ? faultReply(fault.status) : { status: fault.status, body: fault.body };
      return { ...base, ...(fault.contentType ? { contentType: fault.contentType } : {}), headers: fault.headers };
    }

    if (received.tooLarge) return problem(413, `Request body exceeds ${MAX_BODY_BYTES} bytes`);

    const auth = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    const token = auth?.[1];
    const userId = token === undefined ? undefined : this.config.tokens.get(token);
    const user: User | undefined = userId === undefined ? undefined : findById(this.config.store.users, userId);
    if (token === undefined || !user) {
      return problem(401, token === undefined ? 'Authorization header with a Bearer token is required' : 'Invalid user name or password');
    }
    if (!this.buckets.take(token, entry.at)) return tooManyRequests();

    if (!parsed.ok) return problem(400, 'Request body is not valid JSON');

    const match = matchRoute(entry.method, entry.path);
    if (match.kind === 'not-found') return problem(404, 'Not found');
    if (match.kind === 'method-not-allowed') return problem(405, `Method ${entry.method} is not allowed here`);
    try {
      return match.handler({
        store: this.config.store,
        params: match.params,
        path: entry.path,
        rawQuery: entry.query,
        query: nestQuery(entry.query),
        body: entry.body,
        baseUrl: this.baseUrl,
        now: Math.floor(entry.at / 1000),
        user,
      });
    } catch (error) {
      this.config.log?.(`sandbox handler error on ${entry.method} ${entry.path}: ${String(error)}`);
      return problem(500, 'Internal sandbox error');
    }
  }

  private takeFault(entry: SandboxRequest): SandboxFault | undefined {
    const active = this.faults.find(({ fault, remaining }) => {
      if (remaining <= 0) return false;
      if (fault.method !== undefined && fault.method.toUpperCase() !== entry.method) return false;
      if (fault.path === undefined) return true;
      if (typeof fault.path === 'string') return fault.path === entry.path;
      fault.path.lastIndex = 0;
      return fault.path.test(entry.path);
    });
    if (!active) return undefined;
    active.remaining -= 1;
    if (active.remaining <= 0) this.faults = this.faults.filter((f) => f !== active);
    return active.fault;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }
}
