/**
 * The Kommo client: the requests it sends (auth, paths, queries, bodies), 204 as "empty" or "not found".
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KommoFailure, KommoNotFound, toErrorResult } from '../src/errors.js';
import { serializeQuery } from '../src/kommo/query.js';
import {
  assertClean,
  client,
  failure,
  html,
  json,
  MARKER,
  ok,
  problem,
  ScriptedServer,
  server,
  TOKEN,
  useScriptedServer,
  type Reply,
} from './kommo-client-support.js';

useScriptedServer();

describe('KommoClient: requests', () => {
  it('sends the bearer token, JSON and PHP-style bracket queries', async () => {
    server.reply({ status: 200, body: json({ _embedded: { leads: [] } }) }, { status: 200, body: '{"_embedded":{"leads":[{"id":9}]}}' });
    const { kommo } = client();
    await kommo.get('/api/v4/leads', { query: { 'filter[id][]': [1, 2], 'filter[created_at][from]': 100, with: 'contacts', skip: undefined, none: null } });
    const created = await kommo.post('/api/v4/leads', [{ name: 'Ação' }]);
    assert.deepEqual(created, { _embedded: { leads: [{ id: 9 }] } });
    const [get, post] = server.seen;
    assert.equal(get!.authorization, `Bearer ${TOKEN}`);
    assert.equal(decodeURIComponent(get!.url), '/api/v4/leads?filter[id][]=1&filter[id][]=2&filter[created_at][from]=100&with=contacts');
    assert.equal(post!.method, 'POST');
    assert.deepEqual(JSON.parse(post!.body), [{ name: 'Ação' }]);
  });

  it('serializeQuery drops undefined/null, repeats array keys and encodes values', () => {
    assert.equal(serializeQuery(undefined), '');
    assert.equal(serializeQuery({}), '');
    assert.equal(
      serializeQuery({ 'filter[statuses][0][status_id]': 142, query: 'Ana & Bia', flag: true, gone: undefined, nil: null, 'id[]': [3, '4'] }),
      'filter%5Bstatuses%5D%5B0%5D%5Bstatus_id%5D=142&query=Ana+%26+Bia&flag=true&id%5B%5D=3&id%5B%5D=4',
    );
  });

  it('refuses a path that is not a path on the account (the token must not go elsewhere)', async () => {
    server.reply(ok);
    const { kommo } = client();
    for (const path of ['http://127.0.0.1:1/api/v4/account', '//evil.example/api', 'api/v4/leads']) {
      await assert.rejects(kommo.get(path), TypeError, path);
    }
    assert.equal(server.seen.length, 0);
  });

  it('does not follow a redirect (it would carry the Authorization header away)', async () => {
    const elsewhere = new ScriptedServer();
    await elsewhere.start();
    try {
      elsewhere.reply(ok);
      server.reply({ status: 302, headers: { location: `${elsewhere.url}/api/v4/account` } });
      const { kommo } = client();
      const err = await failure(kommo.get('/api/v4/account'));
      assert.ok(err instanceof KommoFailure);
      assert.equal(err.status, 302);
      assert.equal(err.details.reason, 'redirect');
      assert.equal(elsewhere.seen.length, 0);
    } finally {
      await elsewhere.close();
    }
  });
});

describe('KommoClient: 204 and not found', () => {
  it('204 on a list is an empty page, not a JSON error', async () => {
    server.reply({ status: 204 });
    const { kommo } = client();
    assert.equal(await kommo.get('/api/v4/leads', { query: { query: 'nobody' } }), undefined);
    assert.deepEqual(await kommo.listPage('/api/v4/leads', 'leads', { query: { page: 3 } }), { items: [], page: 3, hasNext: false });
    assert.deepEqual(await kommo.listAll('/api/v4/leads', 'leads'), []);
  });

  it('listAll walks pages until Kommo stops announcing a next one', async () => {
    const page = (n: number, next: boolean): Reply => ({
      status: 200,
      body: json({ _page: n, _links: { self: {}, ...(next && { next: { href: 'x' } }) }, _embedded: { leads: [{ id: n }] } }),
    });
    server.reply(page(1, true), page(2, true), page(3, false));
    const { kommo } = client();
    assert.deepEqual(await kommo.listAll('/api/v4/leads', 'leads'), [{ id: 1 }, { id: 2 }, { id: 3 }]);
    assert.deepEqual(
      server.seen.map((s) => new URL(s.url, 'http://x').searchParams.get('page')),
      ['1', '2', '3'],
    );
    assert.ok(server.seen.every((s) => new URL(s.url, 'http://x').searchParams.get('limit') === '250'));
  });

  it('paginate stops at maxPages with a typed error instead of crawling the account', async () => {
    server.reply({ status: 200, body: json({ _links: { next: { href: 'x' } }, _embedded: { leads: [{ id: 1 }] } }) });
    const { kommo } = client();
    const err = await failure(kommo.listAll('/api/v4/leads', 'leads', { maxPages: 3 }));
    assert.ok(err instanceof KommoFailure);
    assert.equal(server.seen.length, 3);
  });

  for (const [name, reply] of [
    ['204', { status: 204 }],
    ['404 problem JSON', problem(404, 'Not Found')],
    ['404 HTML', html(404, '404 Not Found')],
  ] as Array<[string, Reply]>) {
    it(`getOne turns ${name} into not_found with the fixed message`, async () => {
      server.reply(reply);
      const { kommo } = client();
      const err = await failure(kommo.getOne('/api/v4/leads/42', { notFound: 'Lead 42' }));
      assert.ok(err instanceof KommoNotFound);
      assert.equal(err.message, 'Lead 42 was not found in Kommo.');
      assert.deepEqual(JSON.parse((toErrorResult(err).content[0] as { text: string }).text), {
        error: 'not_found',
        message: 'Lead 42 was not found in Kommo.',
      });
      assert.equal(server.seen.length, 1, 'not found is an answer, not a reason to retry');
      assertClean(err);
    });
  }

  it('getOne without a name still says not found', async () => {
    server.reply({ status: 204 });
    const { kommo } = client();
    const err = await failure(kommo.getOne('/api/v4/leads/42'));
    assert.ok(err instanceof KommoNotFound);
    assert.equal(err.message, 'The requested record was not found in Kommo.');
  });

  it('a 202 with "Accepted" or an empty body on a write is success with nothing to read', async () => {
    server.reply({ status: 202, body: 'Accepted', headers: { 'content-type': 'text/plain' } }, { status: 202 });
    const { kommo } = client();
    assert.equal(await kommo.post('/api/v4/bots/run', [{ bot_id: 1 }]), undefined);
    assert.equal(await kommo.post('/api/v4/bots/1/stop', {}), undefined);
  });

  it('a 200 read whose body is not JSON (a captive portal, a wrong host) is an error, not "empty"', async () => {
    server.reply({ status: 200, body: `<html>${MARKER}</html>`, headers: { 'content-type': 'text/html' } });
    const { kommo } = client();
    const err = await failure(kommo.getOne('/api/v4/account'));
    assert.ok(err instanceof KommoFailure);
    assert.equal(err.details.reason, 'bad_response');
    assertClean(err);
  });
});
