/**
 * An in-memory copy of one Kommo list (leads or tasks) for the figures that need the whole account
 * (total leads, open leads, tasks). It is filled once by a full pass, then kept current by asking
 * Kommo only for what changed: `filter[updated_at][from] = <start of the last sync> - overlap` (the
 * overlap absorbs clock skew between us and Kommo and writes made while a sync was paging).
 *
 * Records deleted in Kommo never show up in an "updated since" answer, so a full pass is repeated
 * every `fullResyncMs`. Memory is bounded: records keep only the fields reports read, and an account
 * larger than `maxRecords` is not cached at all (the answer then says so instead of crawling).
 */
import { KommoError, PageLimitReached } from '../errors.js';
import type { Walk } from '../kommo/api.js';
import type { Query } from '../kommo/query.js';
import { type PageProgress, throwIfCancelled, type ReportCall } from './context.js';
import { SharedWork } from './shared-work.js';

export interface IncrementalCacheOptions<R> {
  /** Shown in results and progress messages: "leads", "tasks". */
  name: string;
  /** Every page of the list with the query given (the Kommo API's `pages`). */
  pages: (query: Query, walk: Walk) => AsyncIterable<unknown[]>;
  /** Keeps only what reports need; returns undefined for records to drop (e.g. deleted). */
  compact: (raw: unknown) => R | undefined;
  now: () => number;
  /** A snapshot younger than this is used as is (no request). */
  refreshIntervalMs: number;
  /** Age after which the next use starts over with a full pass (picks up deletions). */
  fullResyncMs: number;
  overlapSeconds: number;
  maxRecords: number;
}

export interface Freshness {
  /** When the data was last brought up to date (start of the last sync), ISO 8601 UTC. */
  synced_at: string;
  age_seconds: number;
  last_full_sync_at: string;
  records: number;
  /** What this call did to the cache: nothing, an incremental refresh, or a full pass. */
  refresh: 'none' | 'incremental' | 'full';
  /** Pages of records this call read from Kommo for the cache. */
  pages_read: number;
  policy: string;
}

export interface Snapshot<R> {
  records: ReadonlyMap<number, R>;
  freshness: Freshness;
}

export class AccountTooLarge extends KommoError {
  constructor(name: string, max: number) {
    super(`The account has more than ${max} ${name}, more than this server keeps in memory; this figure is not available.`, 0, {
      reason: 'too_large',
    });
  }
}

export class IncrementalCache<R extends { id: number }> {
  private records = new Map<number, R>();
  private syncedAt: number | undefined;
  private fullSyncAt: number | undefined;
  private readonly work = new SharedWork<{ kind: 'incremental' | 'full'; pages: number }>();
  private tooLargeAt: number | undefined;

  constructor(private readonly options: IncrementalCacheOptions<R>) {}

  /** True when a full pass has completed (so a figure can be had for the price of a small refresh). */
  get isWarm(): boolean {
    return this.fullSyncAt !== undefined && this.options.now() - this.fullSyncAt < this.options.fullResyncMs;
  }

  /** Brings the copy up to date if it is older than the refresh interval, then returns it. */
  async snapshot(call: ReportCall, progress: PageProgress): Promise<Snapshot<R>> {
    const now = this.options.now();
    if (this.tooLargeAt !== undefined && now - this.tooLargeAt < this.options.fullResyncMs) {
      throw new AccountTooLarge(this.options.name, this.options.maxRecords);
    }
    let refresh: Freshness['refresh'] = 'none';
    let pages = 0;
    if (this.needsRefresh()) {
      const done = await this.work.run('sync', call.signal, () => this.sync(call, progress));
      refresh = done.kind;
      pages = done.pages;
    }
    return { records: this.records, freshness: this.freshness(refresh, pages) };
  }

  /** Forgets everything (tests, or after a configuration change). */
  clear(): void {
    this.records = new Map();
    this.syncedAt = undefined;
    this.fullSyncAt = undefined;
    this.tooLargeAt = undefined;
  }

  private needsRefresh(): boolean {
    const now = this.options.now();
    if (this.syncedAt === undefined || this.fullSyncAt === undefined) return true;
    if (now - this.fullSyncAt >= this.options.fullResyncMs) return true;
    return now - this.syncedAt >= this.options.refreshIntervalMs;
  }

  private async sync(call: ReportCall, progress: PageProgress): Promise<{ kind: 'incremental' | 'full'; pages: number }> {
    const startedAt = this.options.now();
    const full = this.syncedAt === undefined || this.fullSyncAt === undefined || startedAt - this.fullSyncAt >= this.options.fullResyncMs;
    const target = full ? new Map<number, R>() : this.records;
    const query: Record<string, number | string> = { 'order[id]': 'asc' };
    if (!full) query['filter[updated_at][from]'] = Math.floor(this.syncedAt! / 1000) - this.options.overlapSeconds;
    let requests = 0;
    const maxPages = Math.ceil(this.options.maxRecords / 250) + 1;
    try {
      for await (const items of this.options.pages(query, { signal: call.signal, maxPages })) {
        requests += 1;
        throwIfCancelled(call.signal);
        for (const raw of items) {
          const id = (raw as { id?: unknown }).id;
          if (typeof id !== 'number') continue;
          const record = this.options.compact(raw);
          if (record === undefined) target.delete(id);
          else target.set(id, record);
        }
        if (target.size > this.options.maxRecords) {
          this.clear();
          this.tooLargeAt = startedAt;
          throw new AccountTooLarge(this.options.name, this.options.maxRecords);
        }
        await progress.page(`${full ? 'full pass' : 'changes'} of ${this.options.name}: ${requests} page(s)`);
      }
    } catch (err) {
      if (err instanceof PageLimitReached) {
        this.clear();
        this.tooLargeAt = startedAt;
        throw new AccountTooLarge(this.options.name, this.options.maxRecords);
      }
      throw err;
    }
    this.records = target;
    this.syncedAt = startedAt;
    if (full) this.fullSyncAt = startedAt;
    this.tooLargeAt = undefined;
    return { kind: full ? 'full' : 'incremental', pages: requests };
  }

  private freshness(refresh: Freshness['refresh'], pages: number): Freshness {
    const now = this.options.now();
    const o = this.options;
    return {
      synced_at: new Date(this.syncedAt ?? now).toISOString(),
      age_seconds: Math.max(0, Math.round((now - (this.syncedAt ?? now)) / 1000)),
      last_full_sync_at: new Date(this.fullSyncAt ?? now).toISOString(),
      records: this.records.size,
      refresh,
      pages_read: pages,
      policy:
        `Copy of all ${o.name} kept in memory: re-used for ${Math.round(o.refreshIntervalMs / 1000)} s, then brought up to date ` +
        `with filter[updated_at][from] (changes only); a full pass every ${Math.round(o.fullResyncMs / 3_600_000)} h picks up deletions.`,
    };
  }
}
