/**
 * Counting a list from its paging (src/reports/count.ts) against a list that pages like Kommo: 250 a
 * page, `next` while more follow, an empty page (204) past the end. Exact counts at the page edges,
 * the probes each count costs, and the search below a threshold on a sorted list.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from '../src/kommo/api.js';
import type { Query } from '../src/kommo/query.js';
import { countBelow, countList, PAGE } from '../src/reports/count.js';

function pagedList(values: number[]): { list: (query: Query) => Promise<Page<unknown>>; pages: number[] } {
  const pages: number[] = [];
  return {
    pages,
    list: async (query) => {
      const page = Number(query['page']);
      assert.equal(query['limit'], PAGE);
      pages.push(page);
      const items = values.slice((page - 1) * PAGE, page * PAGE).map((v) => ({ value: v }));
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
