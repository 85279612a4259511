/**
 * Counting a list from its paging (src/reports/count.ts) against a list that pages like Kommo: 250 a
 * page, `next` while more follow, an empty page (204) past the end. Exact counts at the page edges,
 * the probes each count costs, and the search below a threshold on a sorted list.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from '../src/kommo/api.js';
import type { Query } from '../src/kommo/query.js';
import { countBelow, countList, MAX_GUIDED, PAGE, PagedList, SLACK, TOWARD_OVERSHOT_GUESS } from '../src/reports/count.js';

function pagedList(values: number[]): { list: (query: Query) => Promise<Page<unknown>>; pages: number[] } {
  const pages: number[] = [];
  return {
    pages,
    list: async (query) => {
      const page = Number(query['page']);
      assert.equal(query['limit'], PAGE);
      pages.push(page);
      const items = values.slice((page - 1) * PAGE, page * PAGE).map((v) => ({ value: v }));
      // Kommo answers an empty page with 204: no items.
      return { items, page, hasNext: page * PAGE < values.length };
    },
  };
}

const signal = new AbortController().signal;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

test('exact counts at and around every page edge, in at most 2 × log2(pages) + 1 requests', async () => {
  for (const n of [0, 1, 249, 250, 251, 499, 500, 501, 750, 1000, 3001, 12_345, 100_000, 100_001]) {
    const fake = pagedList(range(n));
    assert.equal(await countList({ list: fake.list, query: {}, signal }), n, `count of ${n}`);
    const pages = Math.max(1, Math.ceil(n / PAGE));
    assert.ok(fake.pages.length <= 2 * Math.ceil(Math.log2(pages + 1)) + 1, `${n}: ${fake.pages.length} requests`);
  }
});

test('100,000 items cost 14 requests; up to 250 cost one', async () => {
  const big = pagedList(range(100_000));
  await countList({ list: big.list, query: {}, signal });
  assert.deepEqual(big.pages, [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 384, 448, 416, 400]);
  const small = pagedList(range(250));
  await countList({ list: small.list, query: {}, signal });
  assert.deepEqual(small.pages, [1]);
});

test('a known upper bound replaces the doubling', async () => {
  const fake = pagedList(range(1_000));
  assert.equal(await countList({ list: fake.list, query: {}, signal, atMost: 3_000 }), 1_000);
  assert.deepEqual(fake.pages, [1, 7, 4]);
});

test('countBelow: how many sorted values lie below a threshold', async () => {
  const values = range(2_000).map((i) => i * 10);
  for (const threshold of [-1, 0, 5, 2_500, 2_501, 5_000, 19_990, 19_991, 50_000]) {
    const fake = pagedList(values);
    const expected = values.filter((v) => v < threshold).length;
    assert.equal(await countBelow({ list: fake.list, query: {}, signal }, 'value', threshold), expected, `below ${threshold}`);
  }
});

test('every probe is reported, and a cancelled call stops probing', async () => {
  let reported = 0;
  const fake = pagedList(range(10_000));
  const onRequest = (): void => {
    reported += 1;
  };
  await countList({ list: fake.list, query: {}, signal, onRequest });
  assert.equal(reported, fake.pages.length);
  const controller = new AbortController();
  const stopping = pagedList(range(10_000));
  await assert.rejects(countList({ list: stopping.list, query: {}, signal: controller.signal, onRequest: () => controller.abort() }), (err: Error) =>
    /cancel/i.test(err.message),
  );
  assert.equal(stopping.pages.length, 1);
});

/** Blind search's bound for a list of n items (doubling, then halving). */
const blindBound = (n: number): number => 2 * Math.ceil(Math.log2(Math.max(1, Math.ceil(n / PAGE)) + 1)) + 1;

/** Sorted values with the shapes accounts have: steady, growing, a burst (an import), a list that stopped long ago. */
const NOW = 1_800_000_000;
const shapes: Record<string, (n: number) => number[]> = {
  steady: (n) => range(n).map((i) => NOW - (n - i) * 600),
  growing: (n) => range(n).map((i) => Math.floor(NOW - 5 * 365 * 86_400 * (1 - Math.sqrt((i + 1) / n)))),
  import: (n) => range(n).map((i) => (i < n / 2 ? 1_700_000_000 : NOW - (n - i) * 60)),
  'stopped long ago': (n) => range(n).map((i) => 1_600_000_000 + i * 60),
  'running past the expected end': (n) => range(n).map((i) => NOW - 86_400 + i * 60),
  'one instant': (n) => range(n).map(() => NOW - 86_400),
  'mostly recent': (n) => range(n).map((i) => Math.floor(NOW - 3600 - 3e7 * (1 - (i + 1) / n) ** 4)),
};

test('sorted lists: exact counts whatever the shape of the values, never more than MAX_GUIDED probes over a blind search', async () => {
  for (const [shape, make] of Object.entries(shapes)) {
    for (const n of [0, 1, 250, 251, 4_999, 5_000, 37_777, 100_000]) {
      const fake = pagedList(make(n));
      const count = await countList({ list: fake.list, query: {}, signal, sortedBy: { field: 'value', endsNear: NOW } });
      assert.equal(count, n, `${shape}, ${n}`);
      assert.ok(fake.pages.length <= blindBound(n) + MAX_GUIDED, `${shape}, ${n}: ${fake.pages.length} requests`);
      const bounded = pagedList(make(n));
      assert.equal(await countList({ list: bounded.list, query: {}, signal, atMost: 2 * n + 3, sortedBy: { field: 'value', endsNear: NOW } }), n);
    }
  }
});

test('sorted lists: a growing account of 100,000 costs 5 requests instead of 14, a steady one 3', async () => {
  const growing = pagedList(shapes['growing']!(100_000));
  assert.equal(await countList({ list: growing.list, query: {}, signal, sortedBy: { field: 'value', endsNear: NOW } }), 100_000);
  assert.ok(growing.pages.length <= 5, growing.pages.join(','));
  const steady = pagedList(shapes['steady']!(100_000));
  assert.equal(await countList({ list: steady.list, query: {}, signal, sortedBy: { field: 'value', endsNear: NOW } }), 100_000);
  assert.ok(steady.pages.length <= 3, steady.pages.join(','));
});

test('when the guesses keep falling short, the search steps out 1, 2, 4 pages past the furthest page read', async () => {
  const fake = pagedList(shapes['mostly recent']!(12_000));
  assert.equal(await countList({ list: fake.list, query: {}, signal, atMost: 48_000, sortedBy: { field: 'value', endsNear: NOW } }), 12_000);
  const afterGuesses = fake.pages.slice(1 + MAX_GUIDED);
  const furthest = fake.pages[MAX_GUIDED]!;
  // 1, 2, 4 pages out until past the end, then halving back to the last page (48).
  assert.deepEqual(afterGuesses, [furthest + 1, furthest + 3, furthest + 7, 47, 48], fake.pages.join(','));
});

test('countBelow follows the values too: a threshold in 40,000 sorted values in a few requests', async () => {
  const values = shapes['growing']!(40_000);
  for (const threshold of [values[0]! - 1, values[12_345]!, values[39_999]!, NOW + 1]) {
    const fake = pagedList(values);
    assert.equal(await countBelow({ list: fake.list, query: {}, signal }, 'value', threshold), values.filter((v) => v < threshold).length);
    assert.ok(fake.pages.length <= 6, `below ${threshold}: ${fake.pages.join(',')}`);
  }
});

test('one list, several figures: each page is read once, and a threshold on a page already read costs no request', async () => {
  const values = shapes['growing']!(40_000);
  const fake = pagedList(values);
  const list = new PagedList({ list: fake.list, query: {}, signal });
  assert.equal(await list.count({ sortedBy: { field: 'value', endsNear: NOW } }), 40_000);
  const forTotal = fake.pages.length;
  // The last item's day starts on the last page, which the count read.
  const lastDay = values[39_999]! - 3600;
  assert.equal(await list.countBelow('value', lastDay), values.filter((v) => v < lastDay).length);
  assert.equal(await list.countBelow('value', NOW + 1), 40_000);
  assert.equal(fake.pages.length, forTotal, fake.pages.join(','));
  // A threshold further back: found from the pages on both sides of it, never re-reading one.
  const monthAgo = values[39_999]! - 30 * 86_400;
  assert.equal(await list.countBelow('value', monthAgo), values.filter((v) => v < monthAgo).length);
  assert.equal(new Set(fake.pages).size, fake.pages.length, `a page read twice: ${fake.pages.join(',')}`);
  assert.ok(fake.pages.length - forTotal <= 2, `threshold near the end after the count: ${fake.pages.join(',')}`);
});

test('thresholds on a list read from the pages either side of them, whatever the order they are asked in', async () => {
  for (const [shape, make] of Object.entries(shapes)) {
    const values = make(12_345);
    const fake = pagedList(values);
    const list = new PagedList({ list: fake.list, query: {}, signal });
    for (const threshold of [values[12_000]!, values[7]!, NOW + 1, values[6_000]!, values[0]!, values[12_344]!]) {
      assert.equal(await list.countBelow('value', threshold), values.filter((v) => v < threshold).length, `${shape}: below ${threshold}`);
    }
    assert.equal(await list.count({ sortedBy: { field: 'value', endsNear: NOW } }), 12_345, shape);
    assert.equal(new Set(fake.pages).size, fake.pages.length, `${shape}: a page read twice: ${fake.pages.join(',')}`);
  }
});

test('a list that fits one page is counted and handed back in one request; a longer one only counted', async () => {
  const small = pagedList(range(250));
  const one = new PagedList({ list: small.list, query: {}, signal });
  assert.equal(await one.count(), 250);
  assert.deepEqual(
    one.wholeList(),
    range(250).map((v) => ({ value: v })),
  );
  assert.deepEqual(small.pages, [1]);
  const big = pagedList(range(251));
  const two = new PagedList({ list: big.list, query: {}, signal });
  assert.deepEqual([await two.count(), two.wholeList()], [251, undefined]);
});

test('an expected count: the first probe lands a little short of it, and any guess, however wrong, still gives the exact count', async () => {
  const n = 24_703;
  const steady = pagedList(shapes['steady']!(n));
  assert.equal(await countList({ list: steady.list, query: {}, signal, sortedBy: { field: 'value', endsNear: NOW }, expect: n }), n);
  // 90 % of the guess: page 89, a full page whose values lead to the last page (99).
  assert.deepEqual(steady.pages, [89, 99]);
  for (const [shape, make] of Object.entries(shapes)) {
    for (const guess of [0, 1, n / 5, n * 0.8, n * 1.05, n * 3, 1e9]) {
      const fake = pagedList(make(n));
      const sortedBy = { field: 'value', endsNear: NOW };
      assert.equal(await countList({ list: fake.list, query: {}, signal, atMost: 4 * n, sortedBy, expect: guess }), n, `${shape}, guess ${guess}`);
      assert.ok(fake.pages.length <= blindBound(n) + MAX_GUIDED + 1, `${shape}, guess ${guess}: ${fake.pages.join(',')}`);
    }
  }
});

test('a guess from a page near the end that lands just past it is followed by the page before', async () => {
  // Slightly fewer items per second toward the end (e.g. won leads by creation date: the newest are still open).
  const values = range(20_000).map((i) => Math.floor(NOW - 3600 - 6e7 * (1 - (i + 1) / 20_000) ** 0.95));
  const fake = pagedList(values);
  assert.equal(await countList({ list: fake.list, query: {}, signal, sortedBy: { field: 'value', endsNear: NOW }, expect: 20_000 }), 20_000);
  // 72 is before the end, the guess from it (81) just past: 80 is the last page.
  assert.deepEqual(fake.pages, [72, 81, 80]);
});

/**
 * Probes a search spent after its first page past the position (a page after `lo`, the furthest
 * page read before it): the safeguard's bound is halving's count over that bracket plus SLACK.
 */
function probesAfterBracket(pages: readonly number[], isAfter: (page: number) => boolean): { spent: number; bound: number } | undefined {
  const k = pages.findIndex(isAfter);
  if (k < 0) return undefined;
  const lo = Math.max(0, ...pages.slice(0, k).filter((p) => !isAfter(p)));
  return { spent: pages.length - k - 1, bound: Math.ceil(Math.log2(pages[k]! - lo)) + SLACK };
}

test('once a page past the position is read, guesses that hop between the ends give way to halving: never more than its count + SLACK', async () => {
  // Imports in bursts: 2,000 leads a second apart, a day between bursts. Each page's slope says
  // "one a second", so a threshold in a later burst is guessed far off, the guesses from below and
  // from above land near the ends of the bracket in turn, and the stepping out creeps one page at a time.
  const n = 48_000;
  const bursts = range(n).map((i) => 1_700_000_000 + Math.floor(i / 2_000) * 86_400 + (i % 2_000));
  const pagesInAll = Math.ceil(n / PAGE);
  for (const at of [4_100, 4_800, 5_500, 9_000]) {
    const threshold = bursts[at]!;
    const fake = pagedList(bursts);
    assert.equal(await countBelow({ list: fake.list, query: {}, signal }, 'value', threshold), at);
    // Without the safeguard: 13 to 16 requests (e.g. 1,64,32,2,3,4,5,6,7,9,13,21,17,19,20).
    assert.ok(fake.pages.length <= Math.ceil(Math.log2(pagesInAll)) + 3, `below item ${at}: ${fake.pages.join(',')}`);
  }
  // The same bound on every shape, for counts and thresholds alike.
  const shapesAndBursts = { ...shapes, bursts: (size: number) => bursts.slice(0, size) };
  for (const [shape, make] of Object.entries(shapesAndBursts)) {
    for (const size of [4_999, 37_777, 48_000]) {
      const values = make(size);
      const counted = pagedList(values);
      assert.equal(await countList({ list: counted.list, query: {}, signal, sortedBy: { field: 'value', endsNear: NOW } }), size);
      const forCount = probesAfterBracket(counted.pages, (p) => (p - 1) * PAGE >= size);
      if (forCount) assert.ok(forCount.spent <= forCount.bound, `${shape}, ${size}: ${counted.pages.join(',')}`);
      for (const at of [Math.floor(size / 10), Math.floor(size / 2), size - 300]) {
        const threshold = values[at]!;
        const below = pagedList(values);
        assert.equal(await countBelow({ list: below.list, query: {}, signal }, 'value', threshold), values.filter((v) => v < threshold).length);
        const forThreshold = probesAfterBracket(below.pages, (p) => (values[(p - 1) * PAGE] ?? Infinity) >= threshold);
        if (forThreshold) assert.ok(forThreshold.spent <= forThreshold.bound, `${shape}, ${size}, below item ${at}: ${below.pages.join(',')}`);
      }
    }
  }
});

test('a guess past the end is followed by a probe 70 % of the way toward it: lists whose pace slows toward the end cost a few requests less', async () => {
  // Fewer items per second toward the end (won leads by creation date: the newest are still open),
  // so the guesses aimed at the end overshoot it by a little.
  const slowing = (n: number) => range(n).map((i) => Math.floor(NOW - 3 * 86_400 - 6e7 * (1 - (i + 1) / n) ** 0.8));
  for (const n of [10_000, 20_000, 37_777, 50_000, 100_000]) {
    const fake = pagedList(slowing(n));
    assert.equal(await countList({ list: fake.list, query: {}, signal, sortedBy: { field: 'value', endsNear: NOW } }), n);
    // Halving there instead: 10, 9, 12, 10 and 13 requests.
    assert.ok(fake.pages.length <= 9, `${n}: ${fake.pages.join(',')}`);
  }
  // 20,000: 1, then 64 (the reach from page 1) and 85 past the end; 78 = 64 + 0.7 × (85 - 64) is before it.
  const fake = pagedList(slowing(20_000));
  await countList({ list: fake.list, query: {}, signal, sortedBy: { field: 'value', endsNear: NOW } });
  assert.deepEqual(fake.pages.slice(0, 4), [1, 64, 85, Math.floor(64 + (85 - 64) * TOWARD_OVERSHOT_GUESS)]);
});
