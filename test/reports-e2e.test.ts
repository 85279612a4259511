/**
 * get_sales_report and get_dashboard end to end (official MCP client → server → sandbox): figures
 * equal those computed independently from the sandbox's data with São Paulo day boundaries, the
 * requests made are filtered (never an unfiltered crawl of /api/v4/leads for a report), repeats are
 * served from cache, the whole-account copies refresh incrementally, progress is reported and
 * cancellation stops the work.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Pacer } from '../src/kommo/pacer.js';
import { startSandbox, type Lead, type Sandbox, type SandboxRequest } from '../src/sandbox/index.js';
import { startHarness, type Harness } from './harness.js';
import {
  addBoundaryLeads,
  ANCHOR,
  dayStart,
  expectedDashboardCounts,
  expectedFigures,
  openLeads,
  range,
  type Range,
  splitIntoPipelines,
  TestClock,
  TZ,
  WON,
} from './reports-fixtures.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;

let sandbox: Sandbox;
const clock = new TestClock(ANCHOR);

before(async () => {
  sandbox = await startSandbox({ leads: 3000, seed: 7, anchor: ANCHOR, timezone: TZ, rps: 0, now: clock.now, nonAdminToken: 'seller-token' });
  addBoundaryLeads(sandbox.store);
});
after(async () => {
  await sandbox.close();
});

function leadRequests(requests: SandboxRequest[]): SandboxRequest[] {
  return requests.filter((r) => r.method === 'GET' && r.path === '/api/v4/leads');
}

/** Requests a stream of n leads costs at 250 a page (an empty stream still asks once, and gets 204). */
const pages = (n: number): number => Math.max(1, Math.ceil(n / 250));

/** Leads created in the range, and leads closed in it (Kommo sets closed_at only on closing). */
function matching(leads: readonly Lead[], r: Range): { created: number; closed: number } {
  const within = (t: number | null) => t !== null && t >= r.start && t < r.end;
  return { created: leads.filter((l) => within(l.created_at)).length, closed: leads.filter((l) => within(l.closed_at)).length };
}

function q(r: SandboxRequest, key: string): string | undefined {
  const v = r.query[key];
  return Array.isArray(v) ? v[0] : v;
}

/** The figures of a report or breakdown row, in the shape expectedFigures computes. */
function reportFigures(body: Record<string, unknown>): Record<string, number> {
  const leads = body['leads'] as Record<string, number>;
  const revenue = body['revenue'] as Record<string, number>;
  return {
    total: leads['total']!,
    new: leads['new']!,
    won: leads['won']!,
    lost: leads['lost']!,
    revenue: revenue['total']!,
    average: revenue['average']!,
    conversion_rate: revenue['conversion_rate']!,
  };
}

describe('get_sales_report', () => {
  let h: Harness;
  before(async () => {
    clock.ms = ANCHOR;
    h = await startHarness({ sharedSandbox: sandbox, now: clock.now });
  });
  after(async () => {
    await h.close();
  });

  test('February 2026: totals, revenue and conversion equal the figures computed from the store in São Paulo time', async () => {
    h.resetLog();
    const { isError, body } = await h.callJson('get_sales_report', { dateFrom: '2026-02-01', dateTo: '2026-02-28' });
    assert.equal(isError, false, JSON.stringify(body));
    const expected = expectedFigures(sandbox.store, range('2026-02-01', '2026-02-28'));
    assert.deepEqual(reportFigures(body), expected);
    // The day boundary matters: cut in UTC, February would count other leads.
    const utc = expectedFigures(sandbox.store, range('2026-02-01', '2026-02-28', 'Z'));
    assert.notDeepEqual(utc, expected);
    assert.ok(expected.revenue >= 777_770, 'the lead won at 22:30 on Feb 28 local (Mar 1 UTC) is in February');
    assert.deepEqual(body['period'], {
      from: '2026-02-01',
      to: '2026-02-28',
      timezone: TZ,
      starts_at: '2026-02-01T00:00:00-03:00',
      ends_at: '2026-02-28T23:59:59-03:00',
      start_unix: dayStart('2026-02-01'),
      end_unix: dayStart('2026-03-01') - 1,
    });
    assert.equal(body['timezone'], TZ);
    assert.match(String(body['timezone_source']), /account/);
    assert.equal(body['currency'], 'BRL');
    assert.equal(body['cached'], false);
  });

  test('performance by user and by pipeline carries names and matches the store', async () => {
    const { body } = await h.callJson('get_sales_report', { dateFrom: '2026-02-01', dateTo: '2026-02-28' });
    const r = range('2026-02-01', '2026-02-28');
    const perf = body['performance'] as { by_user: Array<Record<string, unknown>>; by_pipeline: Array<Record<string, unknown>> };
    const store = sandbox.store;
    for (const row of perf.by_user) {
      const e = expectedFigures(store, r, { userId: row['user_id'] as number });
      assert.equal(row['user_name'], store.users.find((u) => u.id === row['user_id'])!.name);
      assert.deepEqual([row['leads_count'], row['new'], row['won'], row['lost'], row['revenue']], [e.total, e.new, e.won, e.lost, e.revenue]);
    }
    const activeUsers = store.users.filter((u) => expectedFigures(store, r, { userId: u.id }).total > 0);
    assert.equal(perf.by_user.length, activeUsers.length);
    for (const row of perf.by_pipeline) {
      const e = expectedFigures(store, r, { pipelineId: row['pipeline_id'] as number });
      assert.equal(row['pipeline_name'], store.pipelines.find((p) => p.id === row['pipeline_id'])!.name);
      assert.deepEqual([row['leads_count'], row['won'], row['revenue']], [e.total, e.won, e.revenue]);
    }
    assert.equal(perf.by_pipeline.length, store.pipelines.length);
    const revenues = perf.by_user.map((u) => u['revenue'] as number);
    assert.deepEqual(
      revenues,
      [...revenues].sort((a, b) => b - a),
      'biggest revenue first',
    );
  });

  test('a month costs exactly its created_at pages and one closed_at stream over every pipeline', async () => {
    h.resetLog();
    const { isError } = await h.callJson('get_sales_report', { dateFrom: '2026-01-01', dateTo: '2026-01-31' });
    assert.equal(isError, false);
    const r = range('2026-01-01', '2026-01-31');
    const leads = leadRequests(h.requests());
    for (const req of leads) {
      const field = q(req, 'filter[created_at][from]') !== undefined ? 'created_at' : 'closed_at';
      assert.equal(q(req, `filter[${field}][from]`), String(r.start), `unfiltered lead request: ${JSON.stringify(req.query)}`);
      assert.equal(q(req, `filter[${field}][to]`), String(r.end - 1));
      assert.equal(q(req, 'filter[statuses][0][status_id]'), undefined, 'no per-pipeline stage streams');
    }
    const { created, closed } = matching(sandbox.store.leads, r);
    assert.equal(leads.length, pages(created) + pages(closed));
    // Reference data came from the cache filled by the first report.
    assert.equal(h.requests().length, leads.length);
  });

  test('the same report again within five minutes makes no request; after that it is fetched again', async () => {
    await h.callJson('get_sales_report', { dateFrom: '2025-12-01', dateTo: '2025-12-31' });
    const first = Date.now();
    clock.advance(4 * MINUTE);
    h.resetLog();
    const again = await h.callJson('get_sales_report', { dateFrom: '2025-12-01', dateTo: '2025-12-31' });
    assert.equal(h.requests().length, 0);
    assert.equal(again.body['cached'], true);
    assert.equal(again.body['computed_at'], new Date(clock.ms - 4 * MINUTE).toISOString());
    clock.advance(2 * MINUTE);
    h.resetLog();
    const later = await h.callJson('get_sales_report', { dateFrom: '2025-12-01', dateTo: '2025-12-31' });
    assert.equal(later.body['cached'], false);
    assert.ok(leadRequests(h.requests()).length > 0);
    assert.ok(Date.now() - first < 10_000);
    clock.ms = ANCHOR;
  });

  test('without dates: the current month in the account timezone (already next month in UTC)', async () => {
    // 23:00 on March 31 in São Paulo is April 1 in UTC.
    clock.ms = Date.parse('2026-04-01T02:00:00Z');
    const { body } = await h.callJson('get_sales_report', {});
    const period = body['period'] as Record<string, unknown>;
    assert.deepEqual([period['from'], period['to']], ['2026-03-01', '2026-03-31']);
    assert.deepEqual(reportFigures(body), expectedFigures(sandbox.store, range('2026-03-01', '2026-03-31')));
    clock.ms = ANCHOR;
  });

  test('only dateFrom: up to today; only dateTo: from the first of its month', async () => {
    const a = await h.callJson('get_sales_report', { dateFrom: '2026-03-10' });
    assert.deepEqual(
      [(a.body['period'] as Record<string, unknown>)['from'], (a.body['period'] as Record<string, unknown>)['to']],
      ['2026-03-10', '2026-03-15'],
    );
    assert.deepEqual(reportFigures(a.body), expectedFigures(sandbox.store, range('2026-03-10', '2026-03-15')));
    const b = await h.callJson('get_sales_report', { dateTo: '2026-02-10' });
    assert.deepEqual(
      [(b.body['period'] as Record<string, unknown>)['from'], (b.body['period'] as Record<string, unknown>)['to']],
      ['2026-02-01', '2026-02-10'],
    );
  });

  test('a period inside periods already fetched costs no request (Feb 20 – Mar 5 inside February and March)', async () => {
    await h.callJson('get_sales_report', { dateFrom: '2026-02-01', dateTo: '2026-02-28' });
    await h.callJson('get_sales_report', { dateFrom: '2026-03-01', dateTo: '2026-03-31' });
    h.resetLog();
    const { body } = await h.callJson('get_sales_report', { dateFrom: '2026-02-20', dateTo: '2026-03-05' });
    assert.equal(h.requests().length, 0);
    assert.equal(body['cached'], true);
    assert.deepEqual(reportFigures(body), expectedFigures(sandbox.store, range('2026-02-20', '2026-03-05')));
  });

  test('dateFrom after dateTo is invalid_arguments naming both fields, and costs no request', async () => {
    h.resetLog();
    const { isError, body } = await h.callJson('get_sales_report', { dateFrom: '2026-03-10', dateTo: '2026-03-01' });
    assert.equal(isError, true);
    assert.equal(body['error'], 'invalid_arguments');
    assert.deepEqual(body['fields'], ['dateFrom', 'dateTo']);
    assert.equal(h.requests().length, 0);
    const bad = await h.callJson('get_sales_report', { dateFrom: '2026-02-30' });
    assert.equal(bad.body['error'], 'invalid_arguments');
  });

  test('two identical reports at the same time share one set of requests', async () => {
    h.resetLog();
    const [a, b] = await Promise.all([
      h.callJson('get_sales_report', { dateFrom: '2025-11-01', dateTo: '2025-11-30' }),
      h.callJson('get_sales_report', { dateFrom: '2025-11-01', dateTo: '2025-11-30' }),
    ]);
    assert.deepEqual(reportFigures(a.body), reportFigures(b.body));
    const created = leadRequests(h.requests()).filter((r) => q(r, 'filter[created_at][from]') !== undefined && q(r, 'page') === '1');
    assert.equal(created.length, 1);
  });
});

describe('an account with 10 pipelines', () => {
  let ten: Sandbox;
  let h: Harness;
  before(async () => {
    ten = await startSandbox({ leads: 3000, seed: 7, anchor: ANCHOR, timezone: TZ, rps: 0, now: clock.now });
    splitIntoPipelines(ten.store, 10);
    h = await startHarness({ sharedSandbox: ten, now: () => ANCHOR });
  });
  after(async () => {
    await h.close();
    await ten.close();
  });

  test('a month report costs ceil(matching leads / 250) + at most 10 requests, and its figures are right', async () => {
    assert.equal(ten.store.pipelines.length, 10);
    const r = range('2026-02-01', '2026-02-28');
    const expected = expectedFigures(ten.store, r);
    assert.ok(new Set(ten.store.leads.filter((l) => l.status_id === WON).map((l) => l.pipeline_id)).size === 10, 'won leads in every pipeline');
    h.resetLog();
    const { isError, body } = await h.callJson('get_sales_report', { dateFrom: '2026-02-01', dateTo: '2026-02-28' });
    assert.equal(isError, false, JSON.stringify(body));
    assert.deepEqual(reportFigures(body), expected);
    const { created, closed } = matching(ten.store.leads, r);
    const requests = h.requests();
    assert.deepEqual(
      requests
        .filter((x) => x.path !== '/api/v4/leads')
        .map((x) => x.path)
        .sort(),
      ['/api/v4/account', '/api/v4/leads/pipelines', '/api/v4/users'],
      'reference data, once each',
    );
    assert.equal(leadRequests(requests).length, pages(created) + pages(closed));
    assert.ok(requests.length <= Math.ceil(expected.total / 250) + 10, `${requests.length} requests for ${expected.total} matching leads`);
  });
});

describe('a token that may not list users (GET /api/v4/users is admin-only)', () => {
  test('still gets the report; users are named by id', async () => {
    const h = await startHarness({ sharedSandbox: sandbox, now: () => ANCHOR, client: { token: 'seller-token' } });
    try {
      const { isError, body } = await h.callJson('get_sales_report', { dateFrom: '2026-02-01', dateTo: '2026-02-28' });
      assert.equal(isError, false, JSON.stringify(body));
      assert.deepEqual(reportFigures(body), expectedFigures(sandbox.store, range('2026-02-01', '2026-02-28')));
      const byUser = (body['performance'] as { by_user: Array<Record<string, unknown>> }).by_user;
      assert.equal(byUser[0]!['user_name'], `User ${String(byUser[0]!['user_id'])}`);
      h.resetLog();
      await h.callJson('get_sales_report', { dateFrom: '2026-01-01', dateTo: '2026-01-31' });
      assert.equal(h.requests().filter((r) => r.path === '/api/v4/users').length, 0, 'the refusal is remembered');
    } finally {
      await h.close();
    }
  });
});

describe('KOMMO_TIMEZONE overrides the account timezone', () => {
  test('days are cut in UTC when KOMMO_TIMEZONE=UTC, and the report says so', async () => {
    const h = await startHarness({ sharedSandbox: sandbox, now: () => ANCHOR, timezone: 'UTC' });
    try {
      const { body } = await h.callJson('get_sales_report', { dateFrom: '2026-02-01', dateTo: '2026-02-28' });
      assert.equal(body['timezone'], 'UTC');
      assert.match(String(body['timezone_source']), /KOMMO_TIMEZONE/);
      assert.deepEqual(reportFigures(body), expectedFigures(sandbox.store, range('2026-02-01', '2026-02-28', 'Z')));
      assert.equal((body['period'] as Record<string, unknown>)['starts_at'], '2026-02-01T00:00:00+00:00');
    } finally {
      await h.close();
    }
  });
});

describe('get_dashboard', () => {
  let h: Harness;
  before(async () => {
    clock.ms = ANCHOR;
    h = await startHarness({ sharedSandbox: sandbox, now: clock.now });
  });
  after(async () => {
    await h.close();
  });

  /** The query of a request without its paging: what a count or a stream asks for. */
  const filterOf = (r: SandboxRequest) =>
    JSON.stringify(
      Object.fromEntries(
        Object.entries(r.query)
          .filter(([k]) => k !== 'page' && k !== 'limit')
          .sort(),
      ),
    );
  const statusItems = (statusId: number) =>
    Object.fromEntries(
      sandbox.store.pipelines.flatMap((p, i) => [
        [`filter[statuses][${i}][pipeline_id]`, String(p.id)],
        [`filter[statuses][${i}][status_id]`, String(statusId)],
      ]),
    );
  const sorted = (q: Record<string, string>) => JSON.stringify(Object.fromEntries(Object.entries(q).sort()));

  test("today's and this month's figures equal the store's, cut in São Paulo time, for exactly the requests planned", async () => {
    h.resetLog();
    const { isError, body } = await h.callJson('get_dashboard');
    assert.equal(isError, false, JSON.stringify(body));
    const store = sandbox.store;
    const today = expectedFigures(store, range('2026-03-15', '2026-03-15'));
    const month = expectedFigures(store, range('2026-03-01', '2026-03-31'));
    const last = expectedFigures(store, range('2026-02-01', '2026-02-28'));
    const nowSec = Math.floor(ANCHOR / 1000);
    const expected = expectedDashboardCounts(store, '2026-03-15', nowSec);
    assert.deepEqual(body['leads'], expected.leads);
    assert.ok(today.won > 0 && today.lost > 0);
    assert.notDeepEqual(expectedFigures(store, range('2026-03-16', '2026-03-16', 'Z')), today, 'UTC "today" is another day');
    assert.deepEqual(body['tasks'], expected.tasks);
    const revenue = body['revenue'] as Record<string, number | null>;
    assert.equal(revenue['today'], today.revenue);
    assert.equal(revenue['this_month'], month.revenue);
    assert.equal(revenue['last_month'], last.revenue);
    assert.equal(revenue['growth_percentage'], Math.round(((month.revenue - last.revenue) / last.revenue) * 10_000) / 100);
    assert.equal(revenue['conversion_rate_this_month'], month.conversion_rate);
    const top = body['top_pipelines'] as Array<Record<string, number | string>>;
    assert.equal(top.length, store.pipelines.length);
    for (const p of top) {
      const e = expectedFigures(store, range('2026-03-01', '2026-03-31'), { pipelineId: p['id'] as number });
      assert.deepEqual([p['won_this_month'], p['revenue']], [e.won, e.revenue]);
    }
    assert.equal((body['today'] as Record<string, unknown>)['starts_at'], '2026-03-15T00:00:00-03:00');

    // The period figures: reference data, one page of leads won since Feb 1 (142 in every pipeline),
    // probes of the list of all leads oldest first (its end is the total; the month's and today's new
    // leads lie between positions near it), and one probe for the month's lost leads (under 250 on
    // this account, so today's are read off the month's page).
    const requests = h.requests();
    const freshness = body['freshness'] as Record<string, Record<string, unknown>>;
    const feb = range('2026-02-01', '2026-03-31');
    const mar = range('2026-03-01', '2026-03-31');
    const won = store.leads.filter((l) => l.status_id === WON && l.closed_at !== null && l.closed_at >= feb.start && l.closed_at < feb.end);
    assert.ok(won.length <= 250 && month.lost <= 250, 'one page per period stream on this account');
    const wonQuery = sorted({ 'filter[closed_at][from]': String(feb.start), 'filter[closed_at][to]': String(feb.end - 1), ...statusItems(WON) });
    const byCreation = sorted({ 'order[created_at]': 'asc' });
    const lostQuery = sorted({
      'filter[closed_at][from]': String(mar.start),
      'filter[closed_at][to]': String(mar.end - 1),
      ...statusItems(143),
      'order[updated_at]': 'asc',
    });
    const leadReqs = leadRequests(requests);
    const periodRequests = Number(freshness['period_figures']!['requests']);
    const period = leadReqs.slice(0, periodRequests).map(filterOf);
    const leadPages = Math.ceil(store.leads.length / 250);
    assert.deepEqual(period, [wonQuery, ...period.slice(1, -1).map(() => byCreation), lostQuery]);
    assert.ok(periodRequests - 2 <= 2 * Math.ceil(Math.log2(leadPages + 1)) + 1, `all leads: ${periodRequests - 2} probes`);
    assert.deepEqual(
      requests
        .filter((r) => r.path !== '/api/v4/leads' && r.path !== '/api/v4/tasks')
        .map((r) => r.path)
        .sort(),
      ['/api/v4/account', '/api/v4/leads/pipelines'],
    );
    // The whole-account counts: searches over pages of 250, never a walk through every page.
    const counts = [...leadReqs.slice(periodRequests), ...requests.filter((r) => r.path === '/api/v4/tasks')];
    const groups = new Map<string, number>();
    for (const r of counts) {
      assert.equal(q(r, 'limit'), '250');
      groups.set(`${r.path} ${filterOf(r)}`, (groups.get(`${r.path} ${filterOf(r)}`) ?? 0) + 1);
    }
    assert.equal(groups.size, 6, 'won, lost; all tasks, open by latest deadline, open by deadline, completed today');
    for (const [group, probes] of groups) assert.ok(probes <= 2 * Math.ceil(Math.log2(leadPages + 1)) + 1, `${group}: ${probes} probes`);
    assert.equal(freshness['account_figures']!['status'], 'ready');
    assert.equal(freshness['account_figures']!['requests'], counts.length);
    assert.equal(freshness['account_figures']!['age_seconds'], 0);
  });

  test('within a minute it makes no request; later the counts are taken again and say their age', async () => {
    clock.advance(30 * SECOND);
    h.resetLog();
    const cached = await h.callJson('get_dashboard');
    assert.equal(h.requests().length, 0);
    const fresh = cached.body['freshness'] as Record<string, Record<string, unknown>>;
    assert.equal(fresh['account_figures']!['age_seconds'], 30);
    assert.equal(fresh['period_figures']!['cached'], true);

    // A lead is won "now" (23:31 local), then the clock moves past the cache and period TTLs.
    const lead = openLeads(sandbox.store).find((l) => l.pipeline_id === sandbox.store.pipelines[0]!.id)!;
    await h.kommo.leads.update(lead.id, { status_id: WON, pipeline_id: lead.pipeline_id });
    clock.advance(6 * MINUTE);
    h.resetLog();
    const { body } = await h.callJson('get_dashboard');
    assert.ok(h.requests().length > 0);
    const store = sandbox.store;
    const leads = body['leads'] as Record<string, number>;
    assert.equal(leads['open'], openLeads(store).length);
    assert.equal(leads['won_today'], expectedFigures(store, range('2026-03-15', '2026-03-15')).won);
    const freshness = body['freshness'] as Record<string, Record<string, unknown>>;
    assert.equal(freshness['account_figures']!['age_seconds'], 0);
    assert.equal(freshness['period_figures']!['cached'], false);
    clock.ms = ANCHOR;
  });

  test('with no time to wait, the period figures come at once and the account counts follow in the background', async () => {
    const b = await startHarness({ sharedSandbox: sandbox, now: () => ANCHOR, reports: { accountFiguresWaitMs: 0 } });
    try {
      const first = await b.callJson('get_dashboard');
      const atAnswer = b.requests().length;
      const leads = first.body['leads'] as Record<string, number | null>;
      assert.equal(leads['total'], null);
      assert.equal(leads['new_this_month'], expectedFigures(sandbox.store, range('2026-03-01', '2026-03-31')).new);
      assert.deepEqual(first.body['tasks'], { total: null, open: null, overdue: null, completed_today: null });
      const freshness = first.body['freshness'] as Record<string, Record<string, unknown>>;
      assert.equal(freshness['account_figures']!['status'], 'computing');
      assert.match(String(freshness['account_figures']!['note']), /ask again/);
      await b.reports.accountFigures.idle();
      const background = b.requests().length - atAnswer;
      assert.ok(background > 0);
      b.resetLog();
      const second = await b.callJson('get_dashboard');
      assert.equal(b.requests().length, 0, 'both parts are re-used');
      assert.equal((second.body['leads'] as Record<string, number>)['total'], sandbox.store.leads.length);
      const ready = (second.body['freshness'] as Record<string, Record<string, unknown>>)['account_figures']!;
      assert.equal(ready['status'], 'ready');
      assert.equal(ready['requests'], background);
    } finally {
      await b.close();
    }
  });
});

describe('get_dashboard: open and overdue tasks from one list by deadline', () => {
  const nowSec = Math.floor(ANCHOR / 1000);
  const openByDeadline = (r: SandboxRequest): string | undefined =>
    r.path === '/api/v4/tasks' && r.query['filter[is_completed]'] === '0' ? String(r.query['order[complete_till]']) : undefined;

  test('up to 250 open tasks: the page of the latest deadlines holds them all, no other request for them', async () => {
    const small = await startSandbox({ leads: 300, seed: 7, anchor: ANCHOR, timezone: TZ, rps: 0, now: () => ANCHOR });
    const h = await startHarness({ sharedSandbox: small, now: () => ANCHOR, reports: { accountFiguresWaitMs: Infinity } });
    try {
      assert.ok(small.store.tasks.filter((t) => !t.is_completed).length <= 250);
      const { body } = await h.callJson('get_dashboard');
      assert.deepEqual(body['tasks'], expectedDashboardCounts(small.store, '2026-03-15', nowSec).tasks);
      assert.deepEqual(h.requests().map(openByDeadline).filter(Boolean), ['desc']);
    } finally {
      await h.close();
      await small.close();
    }
  });

  test('a deadline shared by more tasks than a page, across the latest page and beyond: the open count stays exact', async () => {
    const tied = await startSandbox({ leads: 3000, seed: 7, anchor: ANCHOR, timezone: TZ, rps: 0, now: () => ANCHOR });
    const h = await startHarness({ sharedSandbox: tied, now: () => ANCHOR, reports: { accountFiguresWaitMs: Infinity } });
    try {
      // The 300 latest open deadlines become one instant: the latest page holds 250 of them, the rest lie before it.
      const open = tied.store.tasks.filter((t) => !t.is_completed).sort((a, b) => b.complete_till - a.complete_till);
      assert.ok(open.length > 300 + 10, `${open.length} open tasks`);
      for (const task of open.slice(0, 300)) task.complete_till = nowSec + 86_400;
      const { body } = await h.callJson('get_dashboard');
      assert.deepEqual(body['tasks'], expectedDashboardCounts(tied.store, '2026-03-15', nowSec).tasks);
      assert.ok(h.requests().some((r) => openByDeadline(r) === 'asc'));
    } finally {
      await h.close();
      await tied.close();
    }
  });
});

describe('progress and cancellation', () => {
  test('a dashboard on a cold cache reports progress per page when the client sent a progress token', async () => {
    const h = await startHarness({ sharedSandbox: sandbox, now: () => ANCHOR });
    try {
      const seen: number[] = [];
      const result = await h.client.callTool(
        { name: 'get_dashboard', arguments: {} },
        {
          onprogress: (p) => {
            seen.push(p.progress);
          },
        },
      );
      assert.notEqual(result.isError, true);
      const pages = h.requests().filter((r) => r.path === '/api/v4/leads' || r.path === '/api/v4/tasks').length;
      // One notification per page that carried records (empty answers are 204s with nothing to report).
      assert.ok(seen.length >= pages / 2 && seen.length <= pages, `progress notifications (${seen.length}) for ${pages} list requests`);
      assert.deepEqual(
        seen,
        [...seen].sort((a, b) => a - b),
        'progress only grows',
      );
    } finally {
      await h.close();
    }
  });

  test('cancelling stops the requests early, and a later call still works', async () => {
    const h = await startHarness({ sharedSandbox: sandbox, now: () => ANCHOR, client: { pacer: new Pacer(40) } });
    try {
      const controller = new AbortController();
      const call = h.client.callTool(
        { name: 'get_dashboard', arguments: {} },
        {
          signal: controller.signal,
          onprogress: () => controller.abort(),
        },
      );
      await assert.rejects(call);
      const atCancel = h.requests().length;
      await new Promise((resolve) => setTimeout(resolve, 300));
      const afterWait = h.requests().length;
      assert.ok(afterWait - atCancel <= 3, `requests kept coming after cancel: ${atCancel} → ${afterWait}`);
      assert.ok(afterWait < 20, `a cold dashboard needs ~25 requests; cancelled after ${afterWait}`);
      const { isError, body } = await h.callJson('get_dashboard');
      assert.equal(isError, false, JSON.stringify(body));
      assert.equal((body['leads'] as Record<string, number>)['total'], sandbox.store.leads.length);
    } finally {
      await h.close();
    }
  });
});
