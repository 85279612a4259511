/**
 * What the first get_dashboard costs on a large account, counted by the sandbox: the requests made
 * before it answers plus the whole-account counts it starts, with every figure equal to the store's.
 * 30,000 leads keep this file fast while each whole-account count still spans 20 to 120 pages; the
 * 100,000-lead figure is printed by `npm run bench`. The day is the first of a month, as on the day
 * that figure was measured (the leads won since the start of last month grow through the month).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { startHarness } from './harness.js';
import { expectedDashboardCounts, LOST, range, TZ, WON } from './reports-fixtures.js';

const LEADS = 30_000;
/** 15:00 on Tuesday 2026-12-01 in São Paulo. */
const ANCHOR = Date.parse('2026-12-01T18:00:00Z');
/** Measured 43 on this seed; before the counts followed the values and read today off the month, 56. */
const BUDGET = 45;

let sandbox: Sandbox;
before(async () => {
  sandbox = await startSandbox({ leads: LEADS, seed: 2026, anchor: ANCHOR, timezone: TZ, rps: 0, now: () => ANCHOR });
});
after(async () => {
  await sandbox.close();
});

test(`first dashboard on ${LEADS.toLocaleString('en-US')} leads: at most ${BUDGET} requests with its background counts, every figure exact`, async () => {
  const h = await startHarness({ sharedSandbox: sandbox, now: () => ANCHOR, reports: { accountFiguresWaitMs: 0 } });
  try {
    const { isError, body } = await h.callJson('get_dashboard');
    assert.equal(isError, false, JSON.stringify(body));
    const answered = h.requests().length;
    await h.reports.accountFigures.idle();
    const all = h.requests();
    const store = sandbox.store;

    // Before answering: reference data, the pages of leads won since Nov 1, and the month/day counts.
    const wonSinceFeb = store.leads.filter((l) => l.status_id === WON && l.closed_at !== null && l.closed_at >= range('2026-11-01', '2026-12-31').start);
    const period = (body['freshness'] as Record<string, Record<string, unknown>>)['period_figures']!;
    assert.equal(answered, 2 + Number(period['requests']));
    assert.ok(Number(period['requests']) <= Math.ceil(wonSinceFeb.length / 250) + 4, `period figures: ${period['requests']} requests`);
    assert.ok(all.length <= BUDGET, `${answered} requests before the answer + ${all.length - answered} in the background = ${all.length}`);

    const second = await h.callJson('get_dashboard');
    const expected = expectedDashboardCounts(store, '2026-12-01', Math.floor(ANCHOR / 1000));
    assert.deepEqual(second.body['leads'], expected.leads);
    assert.deepEqual(second.body['tasks'], expected.tasks);
    assert.ok(store.leads.filter((l) => l.status_id === LOST).length > 250 * 20, 'each whole-account count spans many pages');
  } finally {
    await h.close();
  }
});
