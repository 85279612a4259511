/**
 * The Kommo client: every failure becomes a typed error with a fixed message (never upstream text), and cancellation.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { asToolError, KommoFailure, KommoHttpError, KommoTimeout, KommoUnreachable, toErrorResult } from '../src/errors.js';
import { Pacer } from '../src/kommo/pacer.js';
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
  shown,
  useScriptedServer,
  type Reply,
} from './kommo-client-support.js';

useScriptedServer();

describe('KommoClient: errors carry fixed messages, never upstream text', () => {
  it('400 validation envelope → the field paths and codes only', async () => {
    server.reply({
      status: 400,
      headers: { 'content-type': 'application/problem+json' },
      body: json({
        'validation-errors': [
          {
            request_id: '0',
            errors: [
              { code: 'NotSupportedChoice', path: 'custom_fields_values.0.field_id', detail: MARKER },
              { code: 'InvalidType', path: 'price', detail: MARKER },
              { code: MARKER, path: `name ${MARKER}`, detail: MARKER },
            ],
          },
        ],
        title: 'Bad Request',
        type: 'https://httpstatus.es/400',
        status: 400,
        detail: MARKER,
      }),
    });
    const { kommo } = client();
    const err = await failure(kommo.post('/api/v4/leads', [{ name: 'x' }]));
    assert.ok(err instanceof KommoFailure);
    assert.equal(err.status, 400);
    assert.equal(err.message, 'Kommo rejected the request as invalid (fields: custom_fields_values.0.field_id, price).');
    assert.deepEqual(err.details.fields, [
      { path: 'custom_fields_values.0.field_id', code: 'NotSupportedChoice' },
      { path: 'price', code: 'InvalidType' },
    ]);
    assertClean(err);
  });

  it('400 without an envelope (or not JSON) → a plain fixed message', async () => {
    server.reply(problem(400, 'Bad Request'), { status: 400, body: `<b>${MARKER}</b>`, headers: { 'content-type': 'text/html' } });
    const { kommo } = client();
    for (let i = 0; i < 2; i++) {
      const err = await failure(kommo.patch('/api/v4/leads/1', { price: 1 }));
      assert.ok(err instanceof KommoFailure);
      assert.equal(err.message, 'Kommo rejected the request as invalid.');
      assert.deepEqual(asToolError(err)!.details, { status: 400 });
      assertClean(err);
    }
  });

  const cases: Array<[string, Reply, number, RegExp, string?]> = [
    ['401 JSON', problem(401, 'Unauthorized'), 401, /access token: it is invalid or expired/],
    ['401 HTML', html(401, '401 Authorization Required'), 401, /access token: it is invalid or expired/],
    ['402 JSON', problem(402, 'Payment Required'), 402, /paid period has ended/],
    ['402 text', { status: 402, body: MARKER, headers: { 'content-type': 'text/plain' } }, 402, /paid period has ended/],
    ['403 JSON', problem(403, 'Forbidden'), 403, /no rights for this record or method/],
    ['403 HTML (IP block)', html(403, '403 Forbidden'), 403, /blocked requests from this IP address/, 'ip_blocked'],
    ['429 HTML', html(429, '429 Too Many Requests'), 429, /rate limit \(7 requests per second\) was exceeded/],
    ['500 JSON', problem(500, 'Internal Server Error'), 500, /server error \(HTTP 500\)/],
    ['500 HTML', html(500, '500 Internal Server Error'), 500, /server error \(HTTP 500\)/],
    ['418', { status: 418, body: MARKER }, 418, /unexpected HTTP 418/],
  ];
  for (const [name, reply, status, message, reason] of cases) {
    it(`${name} → KommoFailure ${status} with a fixed message`, async () => {
      server.reply(reply);
      const { kommo } = client({ maxRetries: 0 });
      const err = await failure(kommo.get('/api/v4/account'));
      assert.ok(err instanceof KommoFailure, String(err));
      assert.equal(err.status, status);
      assert.match(err.message, message);
      assert.equal(err.details.reason, reason);
      const body = JSON.parse((toErrorResult(err).content[0] as { text: string }).text) as Record<string, unknown>;
      assert.equal(body.error, 'kommo_error');
      assert.equal(body.status, status);
      assertClean(err);
    });
  }

  it('a request that outlives timeoutMs → KommoFailure status 0, reason timeout', async () => {
    server.reply({ status: 200, body: '{}', delayMs: 600 });
    const { kommo } = client({ timeoutMs: 150, maxRetries: 0 });
    const started = performance.now();
    const err = await failure(kommo.get('/api/v4/account'));
    assert.ok(err instanceof KommoFailure);
    assert.equal(err.status, 0);
    assert.equal(err.details.reason, 'timeout');
    assert.match(err.message, /did not answer within/);
    assert.ok(performance.now() - started < 550, 'gave up at the deadline');
  });

  it('the deadline covers the whole exchange: a body that trickles in forever still times out', async () => {
    server.reply({ status: 200, dripMs: 20 });
    const { kommo } = client({ timeoutMs: 200, maxRetries: 0 });
    const started = performance.now();
    const err = await failure(kommo.get('/api/v4/account'));
    assert.ok(err instanceof KommoFailure);
    assert.equal(err.details.reason, 'timeout');
    assert.ok(performance.now() - started < 1500);
  });

  it('a GET timeout is retried like any network failure', async () => {
    server.reply({ status: 200, body: '{}', delayMs: 500 }, ok);
    const { kommo } = client({ timeoutMs: 100 });
    assert.deepEqual(await kommo.get('/api/v4/account'), { id: 1, name: 'Account' });
    assert.equal(server.seen.length, 2);
  });

  it('a network failure → KommoFailure status 0, reason network, no socket detail', async () => {
    server.reply({ destroy: true });
    const { kommo } = client({ maxRetries: 0 });
    const err = await failure(kommo.get('/api/v4/account'));
    assert.ok(err instanceof KommoFailure);
    assert.equal(err.status, 0);
    assert.equal(err.details.reason, 'network');
    assert.doesNotMatch(shown(err), /ECONNRESET|socket hang up|127\.0\.0\.1/);
  });

  it('an oversized response is refused', async () => {
    server.reply({ status: 200, body: json({ blob: 'x'.repeat(5000) }) });
    const { kommo } = client({ maxResponseBytes: 1000, maxRetries: 0 });
    const err = await failure(kommo.get('/api/v4/leads'));
    assert.ok(err instanceof KommoFailure);
    assert.equal(err.details.reason, 'too_large');
  });
});

describe('KommoClient: cancellation', () => {
  it('a caller that cancels during the backoff gets a typed "cancelled" error and no further attempt', async () => {
    server.reply(html(503, '503'));
    const controller = new AbortController();
    const { kommo } = client({
      sleep: async (_ms, signal) => {
        controller.abort();
        if (signal?.aborted) throw signal.reason;
      },
    });
    const err = await failure(kommo.get('/api/v4/account', { signal: controller.signal }));
    assert.ok(err instanceof KommoFailure);
    assert.equal(err.details.reason, 'cancelled');
    assert.equal(server.seen.length, 1);
  });

  it('a caller that cancels while the request is in flight gets "cancelled" at once', async () => {
    server.reply({ status: 200, body: '{}', delayMs: 600 });
    const { kommo } = client();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const started = performance.now();
    const err = await failure(kommo.get('/api/v4/account', { signal: controller.signal }));
    assert.ok(err instanceof KommoFailure);
    assert.equal(err.details.reason, 'cancelled');
    assert.ok(performance.now() - started < 550);
    assert.equal(server.seen.length, 1);
  });

  it('a caller that cancels while queued for the pace never sends', async () => {
    server.reply(ok);
    const pacer = new Pacer(2);
    const { kommo } = client({ pacer });
    await kommo.get('/api/v4/account');
    const controller = new AbortController();
    const pending = kommo.get('/api/v4/account', { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    const err = await failure(pending);
    assert.ok(err instanceof KommoFailure);
    assert.equal(err.details.reason, 'cancelled');
    assert.equal(server.seen.length, 1);
    assert.equal(pacer.waiting, 0);
  });
});

describe('KommoClient: failures are typed by what happened', () => {
  it('an HTTP error status is a KommoHttpError with that status', async () => {
    server.reply({ status: 402, body: '' });
    const err = await failure(client({ maxRetries: 0 }).kommo.get('/api/v4/account'));
    assert.ok(err instanceof KommoHttpError);
    assert.equal(err.status, 402);
  });

  it('no answer within the deadline is a KommoTimeout', async () => {
    server.reply({ status: 200, body: '{}', delayMs: 400 });
    const err = await failure(client({ maxRetries: 0, timeoutMs: 50 }).kommo.get('/api/v4/account'));
    assert.ok(err instanceof KommoTimeout);
    assert.equal(err.details.reason, 'timeout');
  });

  it('a refused connection is a KommoUnreachable', async () => {
    const closed = new ScriptedServer();
    await closed.start();
    const url = closed.url;
    await closed.close();
    const err = await failure(client({ maxRetries: 0, baseUrl: url }).kommo.get('/api/v4/account'));
    assert.ok(err instanceof KommoUnreachable);
    assert.equal(err.details.reason, 'network');
  });
});
