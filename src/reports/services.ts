/**
 * The process-wide state behind get_sales_report, get_dashboard and ask_kommo: the leads of recent
 * periods (kept a few minutes, so the same report asked again costs no request), and the incremental
 * copies of all leads and tasks for figures that need the whole account. One instance per process,
 * shared by every MCP session.
 */
import { LRUCache } from 'lru-cache';
import { KommoHttpError } from '../errors.js';
import type { KommoApi } from '../kommo/api.js';
import type { ReferenceData } from '../kommo/reference.js';
import type { Lead, Pipeline, Task, User } from '../kommo/types.js';
import { AccountFigures, type LeadsSeen } from './account-figures.js';
import type { PageProgress, ReportCall } from './context.js';
import { IncrementalCache } from './incremental-cache.js';
import { closedInStream, createdInStream, readStreams } from './leads-query.js';
import { Calendar, type Period } from './period.js';
import { SharedWork } from './shared-work.js';
import { toFacts, type LeadFacts } from './summary.js';

const USERS_FORBIDDEN_MS = 10 * 60_000;

export interface ReportServicesOptions {
  now?: () => number;
  /** How long the leads of a period are re-used (default 5 minutes). */
  periodTtlMs?: number;
  /** How long the copies of all leads / tasks are used before asking Kommo for changes (default 60 s). */
  cacheRefreshMs?: number;
  /** Age after which the copies are rebuilt by a full pass, to drop deleted records (default 6 h). */
  fullResyncMs?: number;
  /** Seconds subtracted from the last sync time in `filter[updated_at][from]` (default 300). */
  overlapSeconds?: number;
  /** Most leads (and, separately, tasks) kept in memory (default 300,000). */
  maxCachedRecords?: number;
  /**
   * How long a dashboard waits for the whole-account counts it started before answering without
   * them (default 2 s; Infinity: always wait).
   */
  accountFiguresWaitMs?: number;
}

export interface TaskFacts {
  id: number;
  is_completed: boolean;
  complete_till: number;
  responsible_user_id: number;
  updated_at: number;
}

/** What reports keep of a task. */
export function taskFacts(task: Task): TaskFacts {
  return {
    id: task.id,
    is_completed: task.is_completed === true,
    complete_till: task.complete_till,
    responsible_user_id: task.responsible_user_id,
    updated_at: task.updated_at,
  };
}

/** The leads a period concerns (created, won or lost in it), as fetched at `computedAt`. */
export interface PeriodLeads {
  period: Period;
  leads: readonly LeadFacts[];
  computedAt: number;
  cached: boolean;
}

/** The dashboard's figures of today, this month and last month, as read at `computedAt`. */
export interface DashboardPeriods {
  computedAt: number;
  requests: number;
  won: { today: Lead[]; month: Lead[]; last: Lead[] };
  /** All leads in the account at `computedAt` and what their list showed (counted on the way to the new leads). */
  leads: LeadsSeen;
  counts: { newToday: number; newMonth: number; lostToday: number; lostMonth: number };
}

export interface TimezoneInfo {
  timezone: string;
  /** Where it came from: the account's settings, the KOMMO_TIMEZONE override, or the UTC fallback. */
  source: 'account' | 'KOMMO_TIMEZONE' | 'default';
}

export class ReportServices {
  readonly now: () => number;
  readonly leads: IncrementalCache<LeadFacts>;
  readonly tasks: IncrementalCache<TaskFacts>;
  /** The dashboard's whole-account counts (all and open leads, tasks), refreshed in the background. */
  readonly accountFigures: AccountFigures;
  readonly accountFiguresWaitMs: number;
  /** The dashboard's period figures, by timezone and day, re-used for `periodTtlMs`. */
  readonly dashboardPeriods: LRUCache<string, DashboardPeriods>;
  private readonly periods: LRUCache<string, PeriodLeads>;
  private readonly periodWork = new SharedWork<PeriodLeads>();
  private usersForbiddenUntil = -Infinity;

  constructor(
    readonly kommo: KommoApi,
    readonly reference: ReferenceData,
    options: ReportServicesOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    const common = {
      now: this.now,
      refreshIntervalMs: options.cacheRefreshMs ?? 60_000,
      fullResyncMs: options.fullResyncMs ?? 6 * 3_600_000,
      overlapSeconds: options.overlapSeconds ?? 300,
      maxRecords: options.maxCachedRecords ?? 300_000,
    };
    this.leads = new IncrementalCache<LeadFacts>({
      ...common,
      name: 'leads',
      pages: (query, walk) => kommo.leads.pages(query, walk),
      compact: (raw) => {
        const lead = raw as Parameters<typeof toFacts>[0];
        return lead.is_deleted ? undefined : toFacts(lead);
      },
    });
    this.tasks = new IncrementalCache<TaskFacts>({
      ...common,
      name: 'tasks',
      pages: (query, walk) => kommo.tasks.pages(query, walk),
      compact: (raw) => taskFacts(raw as Task),
    });
    const now = this.now;
    const ttl = {
      ttl: options.periodTtlMs ?? 5 * 60_000,
      // Read the clock on every check (lru-cache otherwise re-uses one reading until a timer fires).
      ttlResolution: 0,
      perf: { now },
    };
    this.periods = new LRUCache<string, PeriodLeads>({ max: 24, ...ttl });
    this.dashboardPeriods = new LRUCache<string, DashboardPeriods>({ max: 4, ...ttl });
    this.accountFigures = new AccountFigures(kommo, { now, refreshMs: common.refreshIntervalMs });
    this.accountFiguresWaitMs = options.accountFiguresWaitMs ?? 2_000;
  }

  async timezone(signal: AbortSignal): Promise<TimezoneInfo> {
    const [timezone, account] = await Promise.all([this.reference.timezone(signal), this.reference.account(signal)]);
    const accountZone = account._embedded?.datetime_settings?.timezone;
    const source: TimezoneInfo['source'] =
      accountZone === timezone ? 'account' : accountZone === undefined && timezone === 'UTC' ? 'default' : 'KOMMO_TIMEZONE';
    return { timezone, source };
  }

  async calendar(call: ReportCall): Promise<{ calendar: Calendar; tz: TimezoneInfo }> {
    const tz = await this.timezone(call.signal);
    return { calendar: new Calendar(tz.timezone, call.now()), tz };
  }

  async currency(signal: AbortSignal): Promise<string | undefined> {
    const account = await this.reference.account(signal);
    return account.currency;
  }

  pipelines(signal: AbortSignal): Promise<Pipeline[]> {
    return this.reference.pipelines(signal);
  }

  /**
   * Users for names; `[]` when the token may not list users (GET /users is admin-only). The refusal
   * is remembered for a while so that every report does not ask again.
   */
  async users(signal: AbortSignal): Promise<User[]> {
    if (this.now() < this.usersForbiddenUntil) return [];
    try {
      return await this.reference.users(signal);
    } catch (err) {
      if (err instanceof KommoHttpError && err.status === 403) {
        this.usersForbiddenUntil = this.now() + USERS_FORBIDDEN_MS;
        return [];
      }
      throw err;
    }
  }

  /**
   * The leads created, won or lost in the period: one stream of `filter[created_at]` and one of
   * `filter[closed_at]` over every pipeline. Re-used for `periodTtlMs`.
   */
  async periodLeads(period: Period, call: ReportCall, progress: PageProgress): Promise<PeriodLeads> {
    const key = `${period.timezone}|${period.from}|${period.to}`;
    const hit = this.periods.get(key);
    if (hit) return { ...hit, cached: true };
    const covered = this.fromCoveringPeriods(period);
    if (covered) return covered;
    return this.periodWork.run(key, call.signal, async () => {
      const streams = [createdInStream(period), closedInStream(period)];
      const computedAt = this.now();
      const results = await readStreams({ kommo: this.kommo, call, progress }, streams);
      const byId = new Map<number, LeadFacts>();
      for (const list of results) for (const lead of list) byId.set(lead.id, toFacts(lead));
      const entry: PeriodLeads = { period, leads: [...byId.values()], computedAt, cached: false };
      this.periods.set(key, entry);
      return entry;
    });
  }

  /**
   * A period inside periods already fetched (today inside this month; the last 30 days inside this
   * month and the last) needs no request: every lead created or closed in it was created or closed in
   * one of them. Answered only when those cover it entirely, from the oldest of their fetch times.
   */
  private fromCoveringPeriods(period: Period): PeriodLeads | undefined {
    const parts: PeriodLeads[] = [];
    for (const key of [...this.periods.keys()]) {
      const entry = this.periods.get(key);
      if (entry && entry.period.timezone === period.timezone && entry.period.start < period.end && entry.period.end > period.start) parts.push(entry);
    }
    parts.sort((a, b) => a.period.start - b.period.start);
    let reached = period.start;
    for (const part of parts) {
      if (part.period.start > reached) break;
      reached = Math.max(reached, part.period.end);
    }
    if (parts.length === 0 || reached < period.end) return undefined;
    const byId = new Map<number, LeadFacts>();
    for (const part of parts) for (const lead of part.leads) byId.set(lead.id, lead);
    return { period, leads: [...byId.values()], computedAt: Math.min(...parts.map((p) => p.computedAt)), cached: true };
  }

  /** Forgets cached periods and copies (e.g. between benchmark runs). */
  clear(): void {
    this.periods.clear();
    this.dashboardPeriods.clear();
    this.accountFigures.clear();
    this.leads.clear();
    this.tasks.clear();
  }
}
