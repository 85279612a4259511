/**
 * The Kommo API v4 client: bearer auth, a timeout on every request, one shared pace, retries for
 * reads only, 204 as "no content", and every failure mapped to a typed error with a fixed message.
 * Upstream bodies never travel further than this file, except the validation paths of a 400, which
 * are filtered to plain field paths.
 */
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { KommoError, NotFound } from '../errors.js';
import type { Logger } from '../log.js';
import { silentLogger } from '../log.js';
import { Pacer, realSleep, type Sleep } from './pacer.js';
import { serializeQuery, type Query } from './query.js';

export interface KommoClientOptions {
  baseUrl: string;
  token: string;
  /** Shared process-wide pace; one per process, passed to every client. */
  pacer: Pacer;
  timeoutMs?: number;
  /** Retries of a read after the first attempt. */
  maxRetries?: number;
  /** First backoff delay; doubles each retry, with full jitter, capped by maxBackoffMs. */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  logger?: Logger;
  sleep?: Sleep;
  random?: () => number;
  /** Observes every HTTP attempt (status 0 = no answer); used by audit and benchmarks. */
  onAttempt?: (attempt: { method: string; path: string; status: number; durationMs: number }) => void;
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

const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);
const SAFE_PATH = /^[\w.[\]-]{1,120}$/;
const SAFE_CODE = /^\w{1,60}$/;

export class KommoClient {
  private readonly http: AxiosInstance;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly baseBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly logger: Logger;
  private readonly sleep: Sleep;
  private readonly random: () => number;

  constructor(private readonly options: KommoClientOptions) {
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.maxRetries = options.maxRetries ?? 3;
    this.baseBackoffMs = options.baseBackoffMs ?? 1_000;
    this.maxBackoffMs = options.maxBackoffMs ?? 8_000;
    this.logger = options.logger ?? silentLogger;
    this.sleep = options.sleep ?? realSleep;
    this.random = options.random ?? Math.random;
    this.http = axios.create({
      baseURL: options.baseUrl.replace(/\/+$/, ''),
      timeout: this.timeoutMs,
      headers: { Authorization: `Bearer ${options.token}`, Accept: 'application/json' },
      // Statuses, bodies and JSON parsing are ours to judge: 204, HTML 429/403 pages, problem+json.
      validateStatus: () => true,
      transformResponse: [(data: unknown) => data],
      responseType: 'text',
      maxRedirects: 0,
    });
  }

  /** GET returning the parsed body, or `undefined` on 204 (empty list). */
  async get<T>(path: string, opts: RequestOptions = {}): Promise<T | undefined> {
    return this.request<T>('GET', path, opts);
  }

  /** GET of one record: 204 and 404 both mean it does not exist. */
  async getOne<T>(path: string, opts: RequestOptions = {}): Promise<T> {
    const data = await this.request<T>('GET', path, opts);
    if (data === undefined) throw notFound(opts.notFound);
    return data;
  }

  async post<T>(path: string, body: unknown, opts: RequestOptions = {}): Promise<T | undefined> {
    return this.request<T>('POST', path, { ...opts, body });
  }

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
  async *paginate<T>(
    path: string,
    key: string,
    opts: RequestOptions & { maxPages?: number } = {},
  ): AsyncGenerator<T[], void, undefined> {
    const maxPages = opts.maxPages ?? 400;
    for (let page = 1; page <= maxPages; page++) {
      const result = await this.listPage<T>(path, key, { ...opts, query: { ...opts.query, limit: 250, page } });
      if (result.items.length > 0) yield result.items;
      if (!result.hasNext) return;
    }
    throw new KommoError(
      `Stopped after ${maxPages} pages of ${path}: the result is too large to walk; narrow the question.`,
      0,
    );
  }

  async listAll<T>(path: string, key: string, opts: RequestOptions & { maxPages?: number } = {}): Promise<T[]> {
    const all: T[] = [];
    for await (const items of this.paginate<T>(path, key, opts)) all.push(...items);
    return all;
  }

  private async request<T>(method: Method, path: string, opts: RequestOptions): Promise<T | undefined> {
    const retries = method === 'GET' ? this.maxRetries : 0;
    const qs = serializeQuery(opts.query);
    const url = qs ? `${path}?${qs}` : path;
    for (let attempt = 0; ; attempt++) {
      await this.options.pacer.acquire(opts.signal);
      const started = Date.now();
      let response: AxiosResponse<string> | undefined;
      let failure: KommoError | NotFound | undefined;
      try {
        response = await this.http.request<string>({ method, url, data: opts.body, signal: opts.signal });
      } catch (err) {
        if (opts.signal?.aborted) throw new KommoError('The call was cancelled before Kommo answered.', 0);
        failure = networkError(err, this.timeoutMs);
      }
      const status = response?.status ?? 0;
      this.options.onAttempt?.({ method, path, status, durationMs: Date.now() - started });
      if (response && status < 300) return parseBody<T>(response);
      failure ??= httpError(response!, opts.notFound);
      if (!(failure instanceof KommoError && failure.retryable) || attempt >= retries) {
        this.logger.warn('kommo request failed', { method, path, status, attempts: attempt + 1 });
        throw failure;
      }
      const delay = this.backoff(attempt, response?.headers['retry-after']);
      this.logger.info('kommo request retried', { method, path, status, attempt: attempt + 1, delayMs: delay });
      await this.sleep(delay, opts.signal);
    }
  }

  private backoff(attempt: number, retryAfter: unknown): number {
    const hinted = parseRetryAfter(retryAfter);
    if (hinted !== undefined) return Math.min(hinted, 60_000);
    const ceiling = Math.min(this.maxBackoffMs, this.baseBackoffMs * 2 ** attempt);
    // Full jitter, but never below half the step, so retries stay spaced.
    return Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
  }
}

interface ListBody<T> {
  _page?: number;
  _links?: { next?: unknown };
  _embedded?: Record<string, T[] | undefined>;
}

function parseBody<T>(response: AxiosResponse<string>): T | undefined {
  if (response.status === 204 || !response.data) return undefined;
  try {
    return JSON.parse(response.data) as T;
  } catch {
    // 202 from Salesbot endpoints may carry "Accepted" or HTML: success with nothing to read.
    return undefined;
  }
}

function notFound(what = 'The requested record'): NotFound {
  return new NotFound(`${what} was not found in Kommo.`);
}

export function parseRetryAfter(value: unknown): number | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function networkError(err: unknown, timeoutMs: number): KommoError {
  const code = axios.isAxiosError(err) ? err.code : undefined;
  if (code === 'ECONNABORTED' || code === 'ETIMEDOUT') {
    return new KommoError(`Kommo did not answer within ${Math.round(timeoutMs / 1000)} seconds.`, 0, { reason: 'timeout' }, true);
  }
  return new KommoError('Kommo could not be reached (network error); check KOMMO_BASE_URL and the connection.', 0, { reason: 'network' }, true);
}

function httpError(response: AxiosResponse<string>, what?: string): KommoError | NotFound {
  const status = response.status;
  const isHtml = String(response.headers['content-type'] ?? '').includes('html') || /^\s*</.test(response.data ?? '');
  switch (true) {
    case status === 400:
      return validationError(response.data);
    case status === 401:
      return new KommoError('Kommo rejected the access token: it is invalid or expired. Generate a new long-lived token and set KOMMO_ACCESS_TOKEN.', 401);
    case status === 402:
      return new KommoError("The Kommo account's paid period has ended, or this feature is not in its plan.", 402);
    case status === 403 && isHtml:
      return new KommoError('Kommo blocked requests from this IP address (usually after too many requests); only Kommo support can lift it.', 403, { reason: 'ip_blocked' });
    case status === 403:
      return new KommoError("The token's user has no rights for this record or method in Kommo.", 403);
    case status === 404:
      return notFound(what);
    case status === 429:
      return new KommoError("Kommo's rate limit (7 requests per second) was exceeded; wait a few seconds and try again.", 429, {}, true);
    case status >= 500:
      return new KommoError(`Kommo answered with a server error (HTTP ${status}); try again later.`, status, {}, RETRYABLE_STATUSES.has(status));
    default:
      return new KommoError(`Kommo answered with an unexpected HTTP ${status}.`, status);
  }
}

/** Keeps only field paths and error codes from Kommo's `validation-errors` envelope. */
function validationError(body: string | undefined): KommoError {
  const fields: Array<{ path: string; code: string }> = [];
  try {
    const parsed = JSON.parse(body ?? '') as { 'validation-errors'?: Array<{ errors?: Array<{ path?: unknown; code?: unknown }> }> };
    for (const group of parsed['validation-errors'] ?? []) {
      for (const e of group.errors ?? []) {
        const path = typeof e.path === 'string' && SAFE_PATH.test(e.path) ? e.path : undefined;
        const code = typeof e.code === 'string' && SAFE_CODE.test(e.code) ? e.code : 'Invalid';
        if (path) fields.push({ path, code });
      }
    }
  } catch {
    // Not JSON: nothing to report beyond the status.
  }
  const named = fields.length ? ` (fields: ${fields.map((f) => f.path).join(', ')})` : '';
  return new KommoError(`Kommo rejected the request as invalid${named}.`, 400, fields.length ? { fields } : {});
}
