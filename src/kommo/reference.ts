/**
 * Reference data that changes rarely (account and its timezone, pipelines with stages, users, loss
 * reasons), cached with a TTL so reports, questions and approval summaries do not fetch it each call.
 * Concurrent callers share one in-flight request.
 */
import { LRUCache } from 'lru-cache';
import { REFERENCE_TTL_S } from '../defaults.js';
import type { KommoApi } from './api.js';
import { toAccountLanguage, type Account, type AccountLanguage, type LossReason, type Pipeline, type User } from './types.js';

export interface ReferenceDataOptions {
  ttlMs?: number;
  /** IANA timezone that overrides the account's (KOMMO_TIMEZONE). */
  timezone?: string;
  /** Language that overrides the account's (KOMMO_LANGUAGE). */
  language?: AccountLanguage;
  now?: () => number;
}

type Entry = Account | Pipeline[] | User[] | LossReason[];

/** The lists a tool checks ids against before writing (see `refresh`). */
export type ReferenceKind = 'pipelines' | 'users' | 'loss_reasons';

export class ReferenceData {
  private readonly cache: LRUCache<string, Entry>;
  private readonly inflight = new Map<string, Promise<Entry>>();
  /** When each kind was last refetched on demand (an id missing from the cached copy). */
  private readonly refreshedAt = new Map<ReferenceKind, number>();
  private readonly now: () => number;
  private readonly ttlMs: number;

  constructor(
    private readonly kommo: KommoApi,
    private readonly options: ReferenceDataOptions = {},
  ) {
    const now = options.now ?? Date.now;
    this.now = now;
    this.ttlMs = options.ttlMs ?? REFERENCE_TTL_S * 1000;
    this.cache = new LRUCache<string, Entry>({
      max: 16,
      ttl: this.ttlMs,
      // lru-cache reads performance.now() unless told otherwise; tests move this clock. With the
      // default resolution it would reuse one clock reading for a while and see expired entries as fresh.
      perf: { now },
      ttlResolution: 0,
    });
  }

  account(signal?: AbortSignal): Promise<Account> {
    return this.load('account', () => this.kommo.account({ signal })) as Promise<Account>;
  }

  /** The timezone days are cut in: the override, else the account's, else UTC. */
  async timezone(signal?: AbortSignal): Promise<string> {
    if (this.options.timezone) return this.options.timezone;
    const account = await this.account(signal);
    return account._embedded?.datetime_settings?.timezone ?? 'UTC';
  }

  /**
   * The language people read in: the override, else the account's `language`, else the language of
   * the user the token acts as, else English.
   */
  async language(signal?: AbortSignal): Promise<AccountLanguage> {
    if (this.options.language) return this.options.language;
    const account = await this.account(signal);
    const stated = toAccountLanguage(account.language);
    if (stated) return stated;
    if (account.current_user_id === undefined) return 'en';
    const user = (await this.users(signal)).find((u) => u.id === account.current_user_id);
    return toAccountLanguage(user?.lang) ?? 'en';
  }

  pipelines(signal?: AbortSignal): Promise<Pipeline[]> {
    return this.load('pipelines', this.fetcher('pipelines', signal)) as Promise<Pipeline[]>;
  }

  users(signal?: AbortSignal): Promise<User[]> {
    return this.load('users', this.fetcher('users', signal)) as Promise<User[]>;
  }

  lossReasons(signal?: AbortSignal): Promise<LossReason[]> {
    return this.load('loss_reasons', this.fetcher('loss_reasons', signal)) as Promise<LossReason[]>;
  }

  /**
   * An id was not found in the cached `kind`: it may be newer than the cache, so the list is
   * fetched again, but at most once per TTL window per kind. A flood of calls with unknown ids then
   * costs one read per kind and window, not one per call, and the cache of other kinds stays.
   */
  async refresh(kind: ReferenceKind, signal?: AbortSignal): Promise<void> {
    const now = this.now();
    const last = this.refreshedAt.get(kind);
    if (last !== undefined && now - last < this.ttlMs) return;
    this.refreshedAt.set(kind, now);
    this.cache.delete(kind);
    await this.load(kind, this.fetcher(kind, signal));
  }

  private fetcher(kind: ReferenceKind, signal?: AbortSignal): () => Promise<Entry> {
    switch (kind) {
      case 'pipelines':
        return () => this.kommo.pipelines.list({ signal });
      case 'users':
        return () => this.kommo.users.all({ signal, maxPages: 20 });
      case 'loss_reasons':
        return () => this.kommo.lossReasons.list({ signal });
    }
  }

  /** Forgets everything, e.g. after a write that changes pipelines. */
  clear(): void {
    this.cache.clear();
  }

  private async load(key: string, fetch: () => Promise<Entry>): Promise<Entry> {
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = fetch().finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    const value = await pending;
    this.cache.set(key, value);
    return value;
  }
}
