/**
 * Periods cut in the account timezone: local midnights (including zones with daylight saving time and
 * a day that started at 01:00), weeks from Monday, months, and how a period is described.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Calendar, describePeriod, isoLocal, offsetSeconds, parseDate, periodOf, startOfDay } from '../src/reports/period.js';

const unix = (iso: string): number => Date.parse(iso) / 1000;

test('a day in São Paulo starts at 03:00 UTC', () => {
  assert.equal(startOfDay('America/Sao_Paulo', { year: 2026, month: 3, day: 1 }), unix('2026-03-01T03:00:00Z'));
  assert.equal(offsetSeconds('America/Sao_Paulo', unix('2026-03-01T03:00:00Z')), -3 * 3600);
});

test('days follow daylight saving time (New York in March and November)', () => {
  // DST starts 2026-03-08 at 02:00 local: that day begins at -05:00, the next at -04:00.
  assert.equal(startOfDay('America/New_York', { year: 2026, month: 3, day: 8 }), unix('2026-03-08T05:00:00Z'));
  assert.equal(startOfDay('America/New_York', { year: 2026, month: 3, day: 9 }), unix('2026-03-09T04:00:00Z'));
  assert.equal(startOfDay('America/New_York', { year: 2026, month: 11, day: 2 }), unix('2026-11-02T05:00:00Z'));
  const march8 = periodOf('America/New_York', { year: 2026, month: 3, day: 8 }, { year: 2026, month: 3, day: 8 });
  assert.equal(march8.end - march8.start, 23 * 3600, 'the day DST starts has 23 hours');
});

test('a day whose midnight did not exist starts at its first instant (São Paulo, 2018-11-04 began at 01:00)', () => {
  assert.equal(startOfDay('America/Sao_Paulo', { year: 2018, month: 11, day: 4 }), unix('2018-11-04T03:00:00Z'));
  assert.equal(isoLocal('America/Sao_Paulo', unix('2018-11-04T03:00:00Z')), '2018-11-04T01:00:00-02:00');
});

test('zones east of UTC: Tokyo and Kolkata', () => {
  assert.equal(startOfDay('Asia/Tokyo', { year: 2026, month: 1, day: 1 }), unix('2025-12-31T15:00:00Z'));
  assert.equal(startOfDay('Asia/Kolkata', { year: 2026, month: 1, day: 1 }), unix('2025-12-31T18:30:00Z'));
});

test('the calendar of a moment that is already tomorrow in UTC', () => {
  // 02:30 UTC on the 16th is 23:30 on Sunday the 15th in São Paulo.
  const cal = new Calendar('America/Sao_Paulo', Date.parse('2026-03-16T02:30:00Z'));
  assert.deepEqual(cal.today, { year: 2026, month: 3, day: 15 });
  assert.equal(cal.todayPeriod().from, '2026-03-15');
  assert.equal(cal.yesterday().from, '2026-03-14');
  assert.deepEqual([cal.thisWeek().from, cal.thisWeek().to], ['2026-03-09', '2026-03-15'], 'weeks run Monday to Sunday');
  assert.deepEqual([cal.lastWeek().from, cal.lastWeek().to], ['2026-03-02', '2026-03-08']);
  assert.deepEqual([cal.thisMonth().from, cal.thisMonth().to], ['2026-03-01', '2026-03-31']);
  assert.deepEqual([cal.lastMonth().from, cal.lastMonth().to], ['2026-02-01', '2026-02-28']);
  assert.deepEqual([cal.lastYear().from, cal.lastYear().to], ['2025-01-01', '2025-12-31']);
  assert.deepEqual([cal.lastDays(30).from, cal.lastDays(30).to], ['2026-02-14', '2026-03-15']);
  assert.equal(cal.thisMonth().start, unix('2026-03-01T03:00:00Z'));
  assert.equal(cal.thisMonth().end, unix('2026-04-01T03:00:00Z'));
});

test('last month from January is December of the year before', () => {
  const cal = new Calendar('UTC', Date.parse('2026-01-10T12:00:00Z'));
  assert.deepEqual([cal.lastMonth().from, cal.lastMonth().to], ['2025-12-01', '2025-12-31']);
});

test('a described period states the zone and its exact first and last second', () => {
  const p = periodOf('America/Sao_Paulo', { year: 2026, month: 2, day: 1 }, { year: 2026, month: 2, day: 28 });
  assert.deepEqual(describePeriod(p), {
    from: '2026-02-01',
    to: '2026-02-28',
    timezone: 'America/Sao_Paulo',
    starts_at: '2026-02-01T00:00:00-03:00',
    ends_at: '2026-02-28T23:59:59-03:00',
    start_unix: unix('2026-02-01T03:00:00Z'),
    end_unix: unix('2026-03-01T03:00:00Z') - 1,
  });
});

test('parseDate accepts real days only', () => {
  assert.deepEqual(parseDate('2024-02-29'), { year: 2024, month: 2, day: 29 });
  assert.equal(parseDate('2026-02-29'), undefined);
  assert.equal(parseDate('2026-13-01'), undefined);
  assert.equal(parseDate('26-01-01'), undefined);
});
