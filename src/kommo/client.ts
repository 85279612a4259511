/**
 * The Kommo API v4 client: bearer auth, a hard deadline on every attempt, one shared pace, retries
 * for reads only (backoff with jitter, `Retry-After` honoured up to a cap), writes sent exactly once,
 * 204 as "no content", and every failure mapped to a typed error with a fixed message.
 * Upstream bodies never travel further than this file, except the validation paths of a 400, which
 * are filtered to plain field paths. Raw axios errors (they hold the request headers, token included)
 * are never thrown, logged or attached as a cause; redirects are not followed and paths cannot name
 * another host, so the token only ever goes to KOMMO_BASE_URL.
 */
import type { AxiosInstance, AxiosResponse } from 'axios';
import {
  Cancelled,
  type KommoFailure,
  KommoHttpError,
  KommoNotFound,
  KommoResponseTooLarge,
  KommoTimeout,
  KommoUnreachable,
  PageLimitReached,
} from '../errors.js';
import { MAX_RETRIES, REQUEST_TIMEOUT_MS } from '../defaults.js';
import type { Logger } from '../log.js';
import { silentLogger } from '../log.js';
import { realSleep, type Pacer, type Sleep } from './pacer.js';
import { serializeQuery, type Query } from './query.js';

export interface KommoClientOptions {
  /** A promise when the address is known only later (the embedded sandbox starts beside the transport). */
  baseUrl: string | Promise<string>;
  token: string;
  /** Shared process-wide pace; one per process, passed to every client. */
  pacer: Pacer;
  /** Hard deadline of one HTTP attempt (connect, headers and body), in ms. */
  timeoutMs?: number;
  /** Retries of a read after the first attempt. */
  maxRetries?: number;
  /** First backoff delay; doubles each retry, with jitter, capped by maxBackoffMs. */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /**
   * The longest `Retry-After` a read waits out; a longer one fails the call at once with
   * `retryAfterSeconds`, since a tool call cannot hang for minutes.
   */
  maxRetryAfterMs?: number;
  /** Largest response body accepted, in bytes. */
  maxResponseBytes?: number;
  logger?: Logger;
  sleep?: Sleep;
  random?: () => number;
  /** Observes every HTTP attempt; used by the limiter's refund rule, audit and benchmarks. */
  onAttempt?: (attempt: AttemptReport) => void;
}

/** One HTTP attempt as observed by the client. */
export interface AttemptReport {
  method: string;
  path: string;
  /** The HTTP status, or 0 when no answer came. */
  status: number;
  durationMs: number;
  /**
   * False only when the request provably never left: the connection was refused, the host unknown
   * or unreachable, or the call was cancelled before sending. A write that was sent and got no
   * answer (timeout, reset, cancel) may have been applied.
   */
  sent: boolean;
}

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  signal?: AbortSignal;
  /** What the path names, for the `not_found` message, e.g. "Lead 42". */
  notFound?: string;
}

/** A list page: the items of `_embedded[key]`, and whether Kommo announced a next page. */
export interface Page<T> {
  items: T[];
  page: number;
  hasNext: boolean;
}

type Method = 'GET' | 'POST' | 'PATCH';

type Attempt<T> = { ok: true; value: T | undefined } | { ok: false; error: KommoFailure; retryAfterMs?: number };

const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);
const SAFE_PATH = /^[\w.[\]-]{1,120}$/;
const SAFE_CODE = /^\w{1,60}$/;
/** Failures before any byte reached Kommo: safe to count as "not done" even for writes. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

export class KommoClient {
  /** Loaded on the first request: axios is most of what a start would otherwise read from disk. */
  private http: Promise<AxiosInstance> | undefined;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly baseBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly logger: Logger;
  private readonly sleep: Sleep;
  private readonly random: () => number;

  constructor(private readonly options: KommoClientOptions) {
    this.timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;
    this.maxRetries = options.maxRetries ?? MAX_RETRIES;
    this.baseBackoffMs = options.baseBackoffMs ?? 1_000;
    this.maxBackoffMs = options.maxBackoffMs ?? 8_000;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 10_000;
    this.logger = options.logger ?? silentLogger;
    this.sleep = options.sleep ?? realSleep;
    this.random = options.random ?? Math.random;
  }

  private httpClient(): Promise<AxiosInstance> {
    const options = this.options;
    this.http ??= Promise.all([import('axios'), options.baseUrl]).then(([{ default: axios }, baseUrl]) =>
      axios.create({
        baseURL: baseUrl.replace(/\/+$/, ''),
        // A path must never replace the base URL: the token would go wherever it pointed.
        allowAbsoluteUrls: false,
        timeout: this.timeoutMs,
        headers: { Authorization: `Bearer ${options.token}`, Accept: 'application/json' },
        // Statuses, bodies and JSON parsing are ours to judge: 204, HTML 429/403 pages, problem+json.
        validateStatus: () => true,
        transformResponse: [(data: unknown) => data],
        responseType: 'text',
        // Never follow a redirect: it would carry the Authorization header to another address.
        maxRedirects: 0,
        maxContentLength: options.maxResponseBytes ?? 64 * 1024 * 1024,
        proxy: false,
      }),
    );
    return this.http;
  }

  /** GET returning the parsed body, or `undefined` on 204 (empty list). */
  async get<T>(path: string, opts: RequestOptions = {}): Promise<T | undefined> {
    return this.request<T>('GET', path, opts);
  }

  /** GET of one record: 204 and 404 both mean it does not exist. */
  async getOne<T>(path: string, opts: RequestOptions = {}): Promise<T> {
    const data = await this.request<T>('GET', path, opts);
    if (data === undefined) throw new KommoNotFound(opts.notFound);
    return data;
  }

  /** POST, sent exactly once (never retried); `undefined` when Kommo answers without a body. */
  async post<T>(path: string, body: unknown, opts: RequestOptions = {}): Promise<T | undefined> {
    return this.request<T>('POST', path, { ...opts, body });
  }

  /** PATCH, sent exactly once (never retried); `undefined` when Kommo answers without a body. */
  async patch<T>(path: string, body: unknown, opts: RequestOptions = {}): Promise<T | undefined> {
    return this.request<T>('PATCH', path, { ...opts, body });
  }

  /** One page of a list endpoint; 204 is an empty page. */
  async listPage<T>(path: string, key: string, opts: RequestOptions = {}): Promise<Page<T>> {
    const page = Number(opts.query?.page ?? 1);
    const data = await this.get<ListBody<T>>(path, opts);
    if (data === undefined) return { items: [], page, hasNext: false };
    const items = data._embedded?.[key] ?? [];
    return { items, page: data._page ?? page, hasNext: Boolean(data._links?.next) };
  }

  /**
   * Every page of a list, 250 at a time, until Kommo stops announcing a next page or answers 204.
   * `maxPages` bounds the walk so a mistaken filter cannot crawl a whole account.
   */
  async *paginate<T>(path: string, key: string, opts: RequestOptions & { maxPages?: number } = {}): AsyncGenerator<T[], void, undefined> {
    const maxPages = opts.maxPages ?? 400;
    for (let page = 1; page <= maxPages; page++) {
      const result = await this.listPage<T>(path, key, { ...opts, query: { ...opts.query, limit: 250, page } });
      if (result.items.length > 0) yield result.items;
      if (!result.hasNext) return;
    }
    throw new PageLimitReached(maxPages, path);
  }

  async listAll<T>(path: string, key: string, opts: RequestOptions & { maxPages?: number } = {}): Promise<T[]> {
    const all: T[] = [];
    for await (const items of this.paginate<T>(path, key, opts)) all.push(...items);
    return all;
  }

  private async request<T>(method: Method, path: string, opts: RequestOptions): Promise<T | undefined> {
    assertApiPath(path);
    const retries = method === 'GET' ? this.maxRetries : 0;
    const qs = serializeQuery(opts.query);
    const url = qs ? `${path}${path.includes('?') ? '&' : '?'}${qs}` : path;
    for (let attempt = 0; ; attempt++) {
      await cancellable(this.options.pacer.acquire(opts.signal), opts.signal);
      const outcome = await this.attempt<T>(method, url, path, opts);
      if (outcome.ok) return outcome.value;
      const { error, retryAfterMs } = outcome;
      const hintTooLong = retryAfterMs !== undefined && retryAfterMs > this.maxRetryAfterMs;
      const delay = retryAfterMs !== undefined ? Math.min(retryAfterMs, this.maxRetryAfterMs) : this.backoff(attempt);
      // Kommo counts requests per account: when one caller is told to slow down, everyone is.
      if (error.status === 429) this.options.pacer.pauseFor(delay);
      const retryable = error.retryable;
      if (!retryable || attempt >= retries || hintTooLong) {
        const fields = { method, path, status: error.status, attempts: attempt + 1, ...reasonOf(error) };
        if (error instanceof KommoNotFound) this.logger.debug('kommo record not found', fields);
        else this.logger.warn('kommo request failed', fields);
        throw error;
      }
      this.logger.info('kommo request retried', { method, path, status: error.status, attempt: attempt + 1, delayMs: delay });
      await cancellable(this.sleep(delay, opts.signal), opts.signal);
    }
  }

  /** One HTTP exchange under a hard deadline; every outcome is a value, never a raw axios error. */
  private async attempt<T>(method: Method, url: string, path: string, opts: RequestOptions): Promise<Attempt<T>> {
    const http = await this.httpClient();
    const started = Date.now();
    const controller = new AbortController();
    const onCallerAbort = (): void => controller.abort();
    opts.signal?.addEventListener('abort', onCallerAbort, { once: true });
    if (opts.signal?.aborted) controller.abort();
    if (opts.signal?.aborted) {
      this.options.onAttempt?.({ method, path, status: 0, durationMs: 0, sent: false });
      return { ok: false, error: cancelled(method, false) };
    }
    let timedOut = false;
    const deadline = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.timeoutMs);
    let response: AxiosResponse<string> | undefined;
    let outcome: Attempt<T>;
    let sent = true;
    try {
      response = await http.request<string>({ method, url, data: opts.body, signal: controller.signal });
      outcome = interpret<T>(method, response, opts.notFound);
    } catch (err) {
      // The axios error (which carries the request headers, token included) stops here: only its code is read.
      sent = !neverSent(err);
      outcome = {
        ok: false,
        error: opts.signal?.aborted ? cancelled(method, sent) : transportError(err, method, this.timeoutMs, timedOut, sent),
      };
    } finally {
      clearTimeout(deadline);
      opts.signal?.removeEventListener('abort', onCallerAbort);
    }
    this.options.onAttempt?.({ method, path, status: response?.status ?? 0, durationMs: Date.now() - started, sent });
    return outcome;
  }

  private backoff(attempt: number): number {
    const ceiling = Math.min(this.maxBackoffMs, this.baseBackoffMs * 2 ** attempt);
    // Jitter over the upper half of the step: spreads concurrent retries, keeps them spaced.
    return Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
  }
}

interface ListBody<T> {
  _page?: number;
  _links?: { next?: unknown };
  _embedded?: Record<string, T[] | undefined>;
}

/** Turns an HTTP answer into a value or a typed error; the body is read only where it is safe to. */
function interpret<T>(method: Method, response: AxiosResponse<string>, what: string | undefined): Attempt<T> {
  const status = response.status;
  if (status >= 200 && status < 300) {
    const body = typeof response.data === 'string' ? response.data : '';
    if (status === 204 || body.trim() === '') return { ok: true, value: undefined };
    try {
      return { ok: true, value: JSON.parse(body) as T };
    } catch {
      // 202 from Salesbot endpoints may carry "Accepted" or HTML: a write that succeeded with nothing to read.
      if (method !== 'GET') return { ok: true, value: undefined };
      return {
        ok: false,
        error: new KommoHttpError(`Kommo answered HTTP ${status} with something that is not JSON; check KOMMO_BASE_URL points at your Kommo account.`, status, {
          reason: 'bad_response',
        }),
      };
    }
  }
  const retryAfterMs = status === 429 || status === 503 ? parseRetryAfter(response.headers['retry-after']) : undefined;
  const error = httpError(method, response, what, retryAfterMs);
  return retryAfterMs === undefined ? { ok: false, error } : { ok: false, error, retryAfterMs };
}

function cancelled(method: Method = 'GET', sent = false): Cancelled {
  return new Cancelled(method !== 'GET' && sent ? 'after_write_sent' : 'before_answer');
}

/** Waits for `promise`; if the caller's signal ended the wait, says so with a typed error. */
async function cancellable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  try {
    return await promise;
  } catch (err) {
    if (signal?.aborted) throw cancelled();
    throw err;
  }
}

/** Tools build paths from validated ids; anything else is a programming error, refused before sending. */
function assertApiPath(path: string): void {
  if (!/^\/(?!\/)[^\s\\]*$/.test(path)) throw new TypeError('Kommo paths must be absolute paths on the account: one leading slash, no host, no spaces');
}

function reasonOf(error: KommoFailure): { reason?: unknown } {
  return error.details.reason === undefined ? {} : { reason: error.details.reason };
}

/** Milliseconds to wait from a `Retry-After` header (seconds or an HTTP date), if it holds one. */
export function parseRetryAfter(value: unknown, now: () => number = Date.now): number | undefined {
  if (Array.isArray(value)) value = value[0];
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  if (!/[a-z]/i.test(text)) return undefined;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now());
}

/** Read without importing axios (it is loaded with the first request). */
function isAxiosError(err: unknown): err is { code?: string; message: string; cause?: unknown } {
  return typeof err === 'object' && err !== null && (err as { isAxiosError?: unknown }).isAxiosError === true;
}

/** The request provably never left: no connection was made (refused, unknown or unreachable host). */
function neverSent(err: unknown): boolean {
  if (!isAxiosError(err)) return false;
  const causeCode = (err.cause as { code?: unknown } | undefined)?.code;
  return [err.code, causeCode].some((c) => typeof c === 'string' && NOT_SENT_CODES.has(c));
}

function transportError(err: unknown, method: Method, timeoutMs: number, timedOut: boolean, sent: boolean): KommoFailure {
  const code = isAxiosError(err) ? err.code : undefined;
  const write = method !== 'GET';
  if (timedOut || code === 'ECONNABORTED' || code === 'ETIMEDOUT') {
    // A read is safe to repeat; a write that timed out may have been applied.
    const seconds = Math.round(timeoutMs / 1000);
    return write && sent
      ? new KommoTimeout(`Kommo did not answer within ${seconds} seconds after the request was sent`, 0, { reason: 'timeout' }, false, true)
      : new KommoTimeout(`Kommo did not answer within ${seconds} seconds.`, 0, { reason: 'timeout' }, !write);
  }
  if (code === 'ERR_BAD_RESPONSE' && isAxiosError(err) && /maxContentLength/.test(err.message)) {
    return new KommoResponseTooLarge();
  }
  if (write && sent) {
    return new KommoUnreachable('The connection to Kommo broke after the request was sent', 0, { reason: 'network' }, false, true);
  }
  return new KommoUnreachable(
    'Kommo could not be reached (network error); check KOMMO_BASE_URL and the connection.',
    0,
    { reason: 'network' },
    !write || !sent,
  );
}

function httpError(method: Method, response: AxiosResponse<string>, what: string | undefined, retryAfterMs: number | undefined): KommoFailure {
  const status = response.status;
  const body = typeof response.data === 'string' ? response.data : '';
  const isHtml = String(response.headers['content-type'] ?? '').includes('html') || /^\s*</.test(body);
  switch (true) {
    case status >= 300 && status < 400:
      return new KommoHttpError(
        `Kommo answered with a redirect (HTTP ${status}); KOMMO_BASE_URL must be your own account address, like https://yourcompany.kommo.com.`,
        status,
        { reason: 'redirect' },
      );
    case status === 400:
      return validationError(body);
    case status === 401:
      return new KommoHttpError('Kommo rejected the access token: it is invalid or expired. Generate a new long-lived token and set KOMMO_ACCESS_TOKEN.', 401);
    case status === 402:
      return new KommoHttpError("The Kommo account's paid period has ended, or this feature is not in its plan.", 402);
    case status === 403 && isHtml:
      return new KommoHttpError('Kommo blocked requests from this IP address (usually after too many requests); only Kommo support can lift it.', 403, {
        reason: 'ip_blocked',
      });
    case status === 403:
      return new KommoHttpError("The token's user has no rights for this record or method in Kommo (or API access from this IP is not allowed).", 403);
    case status === 404:
      return new KommoNotFound(what);
    case status === 429:
      return new KommoHttpError(
        "Kommo's rate limit (7 requests per second) was exceeded; wait a few seconds and try again.",
        429,
        retryAfterMs === undefined ? {} : { retryAfterSeconds: Math.ceil(retryAfterMs / 1000) },
        true,
      );
    case status >= 500 && method !== 'GET':
      // Writes are never retried: the server failed at some point after receiving the change.
      return new KommoHttpError(`Kommo answered with a server error (HTTP ${status}) after the request was sent`, status, {}, false, true);
    case status >= 500:
      return new KommoHttpError(
        `Kommo answered with a server error (HTTP ${status}); try again later.`,
        status,
        retryAfterMs === undefined ? {} : { retryAfterSeconds: Math.ceil(retryAfterMs / 1000) },
        RETRYABLE_STATUSES.has(status),
      );
    default:
      return new KommoHttpError(`Kommo answered with an unexpected HTTP ${status}.`, status);
  }
}

/** Keeps only field paths and error codes from Kommo's `validation-errors` envelope. */
function validationError(body: string): KommoHttpError {
  const fields: Array<{ path: string; code: string }> = [];
  try {
    const parsed = JSON.parse(body) as { 'validation-errors'?: unknown };
    const groups = Array.isArray(parsed['validation-errors']) ? (parsed['validation-errors'] as unknown[]) : [];
    for (const group of groups) {
      const errors = (group as { errors?: unknown } | null)?.errors;
      for (const e of Array.isArray(errors) ? (errors as Array<{ path?: unknown; code?: unknown } | null>) : []) {
        const path = typeof e?.path === 'string' && SAFE_PATH.test(e.path) ? e.path : undefined;
        const code = typeof e?.code === 'string' && SAFE_CODE.test(e.code) ? e.code : 'Invalid';
        if (path && fields.length < 20 && !fields.some((f) => f.path === path && f.code === code)) fields.push({ path, code });
      }
    }
  } catch {
    // Not JSON: nothing to report beyond the status.
  }
  const named = fields.length ? ` (fields: ${fields.map((f) => f.path).join(', ')})` : '';
  return new KommoHttpError(`Kommo rejected the request as invalid${named}.`, 400, fields.length ? { fields } : {});
}
