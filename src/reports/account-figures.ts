/**
 * The dashboard's whole-account figures (all and open leads; all, open, overdue and completed-today
 * tasks), counted from Kommo's paging instead of copied: a handful of requests per figure whatever
 * the size of the account. The lists are sorted by creation date so each count follows the dates
 * toward its end (count.ts), and each later count is bounded by an earlier one. The open tasks are
 * one list sorted by deadline: the overdue ones are a position on it and its end the open count. The
 * dashboard hands over the total of leads when it has just counted it (its new leads lie on that
 * list), with the shares of won and lost among the older leads it read, where the won and lost counts
 * start. 19 requests on the 100,000-lead sandbox, where doubling and halving took 57. The count runs
 * in the background: a dashboard waits for it at most a
 * short while, answers with what it has, and says how fresh each figure is; the next dashboard
 * within `refreshMs` re-uses the result without a request.
 */
import type { KommoApi } from '../kommo/api.js';
import type { Query } from '../kommo/query.js';
import { LOST_STATUS_ID, WON_STATUS_ID, type Pipeline } from '../kommo/types.js';
import { type PageProgress, isCancellation } from './context.js';
import { countList, type CountRequest, PagedList } from './count.js';
import type { Period } from './period.js';

export interface AccountCounts {
  leads: { total: number; open: number };
  tasks: { total: number; open: number; overdue: number; completed_today: number };
}

export interface AccountFiguresView {
  counts: AccountCounts | undefined;
  freshness: Record<string, unknown>;
}

/** `filter[statuses]` for one stage present in every pipeline (142 or 143): one stage per pipeline. */
export function inEveryPipeline(pipelines: readonly Pipeline[], statusId: number): Query {
  const query: Query = {};
  for (const [i, p] of pipelines.entries()) {
    query[`filter[statuses][${i}][pipeline_id]`] = p.id;
    query[`filter[statuses][${i}][status_id]`] = statusId;
  }
  return query;
}

/** What a dashboard just learnt of the leads on its list of all leads by creation date. */
export interface LeadsSeen {
  total: number;
  /** The shares of won and of lost leads among the older leads it read (most of them closed): guesses for the counts. */
  share?: { won: number; lost: number };
}

interface Inputs {
  pipelines: readonly Pipeline[];
  /** Now, unix seconds: tasks due before it are overdue. */
  nowSec: number;
  today: Period;
  /** When the call counted all leads just now (the dashboard's new leads lie on that list). */
  leads?: LeadsSeen;
}

/** Sorted oldest first, so the count follows the creation dates toward now (see count.ts). */
const BY_CREATION: Query = { 'order[created_at]': 'asc' };

async function countAccount(kommo: KommoApi, inputs: Inputs, signal: AbortSignal, onRequest: () => Promise<void>): Promise<AccountCounts> {
  const byCreation = { field: 'created_at', endsNear: inputs.nowSec };
  const request = (list: CountRequest['list'], query: Query, atMost?: number): CountRequest => ({
    list,
    query,
    signal,
    onRequest,
    ...(atMost !== undefined && { atMost }),
  });
  const leads = (query: Query, atMost?: number): CountRequest => ({
    ...request(kommo.leads.list, { ...query, ...BY_CREATION }, atMost),
    sortedBy: byCreation,
  });
  const tasks = (query: Query, atMost?: number): CountRequest => ({ ...leads(query, atMost), list: kommo.tasks.list });
  // Open leads are counted as total - won - lost: one stage per pipeline per filter is what Kommo
  // documents, and the open stages are many per pipeline.
  const leadCounts = async (): Promise<AccountCounts['leads']> => {
    const seen = inputs.leads;
    const total = seen?.total ?? (await countList(leads({})));
    const expect = (share: number | undefined) => (share !== undefined ? { expect: share * total } : {});
    const won = await countList({ ...leads(inEveryPipeline(inputs.pipelines, WON_STATUS_ID), total), ...expect(seen?.share?.won) });
    const lost = await countList({ ...leads(inEveryPipeline(inputs.pipelines, LOST_STATUS_ID), total - won), ...expect(seen?.share?.lost) });
    return { total, open: total - won - lost };
  };
  const taskCounts = async (): Promise<AccountCounts['tasks']> => {
    const total = await countList(tasks({}));
    // Open tasks by deadline: the overdue ones come first, and the list's end is found from its last
    // page read backwards (latest deadlines first): what lies after that page's earliest deadline is
    // on it, the rest is a position on the ascending list, a threshold that the probes can aim at.
    const openTasks = (order: 'asc' | 'desc'): PagedList =>
      new PagedList({ list: kommo.tasks.list, query: { 'filter[is_completed]': 0, 'order[complete_till]': order }, signal, onRequest });
    const latest = await openTasks('desc').page(1);
    const deadlines = latest.items.map((task) => Number((task as Record<string, unknown>)['complete_till']));
    let openCount = deadlines.length;
    let overdue = deadlines.filter((d) => d < inputs.nowSec).length;
    if (latest.hasNext) {
      const byDeadline = openTasks('asc');
      const edge = Math.min(...deadlines);
      overdue = await byDeadline.countBelow('complete_till', inputs.nowSec, { atMost: total });
      openCount = (await byDeadline.countBelow('complete_till', edge + 1, { atMost: total })) + deadlines.filter((d) => d > edge).length;
    }
    const completedToday = await countList(
      request(
        kommo.tasks.list,
        { 'filter[is_completed]': 1, 'filter[updated_at][from]': inputs.today.start, 'filter[updated_at][to]': inputs.today.end - 1 },
        total - openCount,
      ),
    );
    return { total, open: openCount, overdue, completed_today: completedToday };
  };
  const [leadFigures, taskFigures] = await Promise.all([leadCounts(), taskCounts()]);
  return { leads: leadFigures, tasks: taskFigures };
}

interface Result {
  counts: AccountCounts;
  /** When the count started (ms). */
  startedAt: number;
  requests: number;
}

interface Running {
  promise: Promise<void>;
  controller: AbortController;
  startedAt: number;
  requests: number;
  /** Calls waiting for it; their progress channels see its requests. */
  waiters: Set<PageProgress>;
}

export class AccountFigures {
  private last: Result | undefined;
  private failure: string | undefined;
  private running: Running | undefined;

  constructor(
    private readonly kommo: KommoApi,
    private readonly options: { now: () => number; refreshMs: number },
  ) {}

  /**
   * The counts as of now: re-used while younger than `refreshMs`, else counted again in the
   * background, waited for at most `waitMs` (a cancelled call stops the count it was waiting for).
   */
  async read(inputs: Inputs, signal: AbortSignal, progress: PageProgress, waitMs: number): Promise<AccountFiguresView> {
    const now = this.options.now();
    if (!this.running && (!this.last || now - this.last.startedAt >= this.options.refreshMs)) this.start(inputs);
    const running = this.running;
    if (running && waitMs > 0) await this.waitFor(running, signal, progress, waitMs);
    return this.view();
  }

  /** Resolves when no count is running (for the benchmark and tests of the background path). */
  async idle(): Promise<void> {
    while (this.running) await this.running.promise;
  }

  clear(): void {
    this.running?.controller.abort();
    this.running = undefined;
    this.last = undefined;
    this.failure = undefined;
  }

  private start(inputs: Inputs): void {
    const controller = new AbortController();
    const running: Running = { promise: Promise.resolve(), controller, startedAt: this.options.now(), requests: 0, waiters: new Set() };
    const onRequest = async (): Promise<void> => {
      running.requests += 1;
      for (const waiter of running.waiters) await waiter.page(`whole-account counts: ${running.requests} request(s)`);
    };
    running.promise = countAccount(this.kommo, inputs, controller.signal, onRequest)
      .then(
        (counts) => {
          this.last = { counts, startedAt: running.startedAt, requests: running.requests };
          this.failure = undefined;
        },
        (err: unknown) => {
          this.failure = isCancellation(err) ? 'the count was cancelled with the call that waited for it' : err instanceof Error ? err.message : String(err);
        },
      )
      .finally(() => {
        if (this.running === running) this.running = undefined;
      });
    this.running = running;
  }

  private async waitFor(running: Running, signal: AbortSignal, progress: PageProgress, waitMs: number): Promise<void> {
    running.waiters.add(progress);
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    try {
      await Promise.race([
        running.promise,
        new Promise<void>((resolve) => {
          if (Number.isFinite(waitMs)) timer = setTimeout(resolve, waitMs);
        }),
        new Promise<void>((_, reject) => {
          onAbort = () => {
            if (running.waiters.size === 1) running.controller.abort();
            reject(new DOMException('The call was cancelled.', 'AbortError'));
          };
          if (signal.aborted) onAbort();
          else signal.addEventListener('abort', onAbort, { once: true });
        }),
      ]);
    } finally {
      running.waiters.delete(progress);
      if (timer) clearTimeout(timer);
      if (onAbort) signal.removeEventListener('abort', onAbort);
    }
  }

  private view(): AccountFiguresView {
    const now = this.options.now();
    const last = this.last;
    const freshness: Record<string, unknown> = {
      status: this.running ? (last ? 'refreshing' : 'computing') : last ? 'ready' : 'failed',
      ...(last && {
        computed_at: new Date(last.startedAt).toISOString(),
        age_seconds: Math.max(0, Math.round((now - last.startedAt) / 1000)),
        requests: last.requests,
      }),
      ...(this.running && { requests_so_far: this.running.requests }),
      ...(!this.running && !last && this.failure && { reason: this.failure }),
      note:
        `all/open leads and tasks: counted from Kommo's paging (a few requests each, no copy of the account), ` +
        `re-used for ${Math.round(this.options.refreshMs / 1000)} s; while a count runs, ask again in a few seconds`,
    };
    return { counts: last?.counts, freshness };
  }
}
