/**
 * The Kommo client: reads retry (backoff with jitter, Retry-After honoured and capped), writes never do.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { asToolError, KommoFailure } from '../src/errors.js';
import { parseRetryAfter } from '../src/kommo/client.js';
import { assertClean, client, failure, html, ok, problem, ScriptedServer, server, sleeps, useScriptedServer, type Reply } from './kommo-client-support.js';

useScriptedServer();

describe('KommoClient: reads retry, writes never do', () => {
  const transient: Array<[string, Reply]> = [
    ['429 HTML', html(429, '429 Too Many Requests')],
    ['502', html(502, '502 Bad Gateway')],
    ['503', problem(503, 'Service Unavailable')],
    ['504', html(504, '504 Gateway Time-out')],
    ['network error', { destroy: true }],
  ];

  for (const [name, fault] of transient) {
    it(`GET is retried on ${name} and then succeeds`, async () => {
      server.reply(fault, fault, ok);
      const { kommo } = client();
      const account = await kommo.get('/api/v4/account');
      assert.deepEqual(account, { id: 1, name: 'Account' });
      assert.equal(server.seen.length, 3, 'two failed attempts, then the good one');
      assert.deepEqual(sleeps, [75, 150], 'exponential backoff with jitter between attempts');
    });
  }

  it('GET is not retried on a 500 (Kommo answers 500 to inputs it cannot take: repeating does not help)', async () => {
    server.reply(problem(500, 'Internal Server Error'), ok);
    const { kommo } = client();
    const err = await failure(kommo.get('/api/v4/account'));
    assert.ok(err instanceof KommoFailure);
    assert.equal(err.status, 500);
    assert.equal(server.seen.length, 1);
  });

  it('GET gives up after maxRetries with a typed KommoFailure', async () => {
    server.reply(problem(503, 'Service Unavailable'));
    const { kommo } = client({ maxRetries: 3 });
    const err = await failure(kommo.get('/api/v4/leads'));
    assert.ok(err instanceof KommoFailure);
    assert.equal(err.status, 503);
    assert.equal(asToolError(err)?.code, 'kommo_error');
    assert.equal(server.seen.length, 4, 'first attempt + 3 retries');
    assert.deepEqual(sleeps, [75, 150, 300]);
    assertClean(err);
  });

  it('backoff doubles up to maxBackoffMs, jittered between half and all of each step', async () => {
    server.reply({ destroy: true });
    const { kommo } = client({ maxRetries: 6, baseBackoffMs: 100, maxBackoffMs: 500, random: () => 1 });
    await failure(kommo.get('/api/v4/leads'));
    assert.deepEqual(sleeps, [100, 200, 400, 500, 500, 500]);
    sleeps.length = 0;
    const low = client({ maxRetries: 2, baseBackoffMs: 100, random: () => 0 });
    await failure(low.kommo.get('/api/v4/leads'));
    assert.deepEqual(sleeps, [50, 100]);
  });

  it('maxRetries 0 means one attempt', async () => {
    server.reply({ destroy: true });
    const { kommo } = client({ maxRetries: 0 });
    await failure(kommo.get('/api/v4/leads'));
    assert.equal(server.seen.length, 1);
    assert.deepEqual(sleeps, []);
  });

  it('honours Retry-After (seconds) instead of its own backoff', async () => {
    server.reply({ ...html(429, '429 Too Many Requests'), headers: { 'content-type': 'text/html', 'retry-after': '2' } }, ok);
    const { kommo } = client();
    await kommo.get('/api/v4/account');
    assert.deepEqual(sleeps, [2000]);
    assert.equal(server.seen.length, 2);
  });

  it('honours Retry-After on a 503 too', async () => {
    server.reply({ ...problem(503, 'Service Unavailable'), headers: { 'retry-after': '1' } }, ok);
    const { kommo } = client();
    await kommo.get('/api/v4/account');
    assert.deepEqual(sleeps, [1000]);
  });

  it('a Retry-After longer than maxRetryAfterMs fails at once and says how long to wait', async () => {
    server.reply({ ...html(429, '429 Too Many Requests'), headers: { 'content-type': 'text/html', 'retry-after': '300' } }, ok);
    const { kommo } = client({ maxRetryAfterMs: 10_000 });
    const err = await failure(kommo.get('/api/v4/account'));
    assert.ok(err instanceof KommoFailure);
    assert.equal(err.status, 429);
    assert.equal(err.details.retryAfterSeconds, 300);
    assert.equal(server.seen.length, 1, 'no retry: a tool call cannot hang for five minutes');
    assert.deepEqual(sleeps, []);
    assertClean(err);
  });

  it('a 429 holds back the whole process pace, not only the caller that got it', async () => {
    server.reply({ ...html(429, '429 Too Many Requests'), headers: { 'content-type': 'text/html', 'retry-after': '3' } });
    const { kommo, pacerWaits } = client();
    await failure(kommo.post('/api/v4/leads', [{ name: 'x' }]));
    server.reply(ok);
    await kommo.get('/api/v4/account');
    assert.ok(
      pacerWaits.some((ms) => ms > 2900 && ms <= 3000),
      `the next request waited out the pause: ${pacerWaits.join(', ')}`,
    );
  });

  it('parseRetryAfter reads seconds and HTTP dates, and ignores anything else', () => {
    const now = () => Date.parse('2026-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('5', now), 5000);
    assert.equal(parseRetryAfter(' 0 ', now), 0);
    assert.equal(parseRetryAfter('1.5', now), 1500);
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:07 GMT', now), 7000);
    assert.equal(parseRetryAfter('Wed, 31 Dec 2025 23:59:00 GMT', now), 0, 'a date in the past means now');
    for (const junk of ['', '-3', 'soon', '1e9', '12abc', undefined, 7, null]) assert.equal(parseRetryAfter(junk, now), undefined, String(junk));
    assert.equal(parseRetryAfter(['4'], now), 4000);
  });

  const writeFaults: Array<[string, Reply]> = [
    ['429', html(429, '429 Too Many Requests')],
    ['500', problem(500, 'Internal Server Error')],
    ['502', html(502, '502 Bad Gateway')],
    ['503', problem(503, 'Service Unavailable')],
    ['504', html(504, '504 Gateway Time-out')],
    ['network error', { destroy: true }],
  ];
  for (const [name, fault] of writeFaults) {
    for (const method of ['POST', 'PATCH'] as const) {
      it(`${method} is sent exactly once on ${name}`, async () => {
        server.reply(fault, ok);
        const { kommo } = client({ maxRetries: 5 });
        const call = method === 'POST' ? kommo.post('/api/v4/leads', [{ name: 'x' }]) : kommo.patch('/api/v4/leads/1', { price: 5 });
        const err = await failure(call);
        assert.ok(err instanceof KommoFailure);
        assert.equal(server.seen.length, 1, 'a write is never repeated automatically');
        assert.deepEqual(sleeps, []);
        assertClean(err);
      });
    }
  }

  it('a write that never left (connection refused) is marked retryable; one that timed out is not', async () => {
    const dead = new ScriptedServer();
    await dead.start();
    const deadUrl = dead.url;
    await dead.close();
    const refused = client({ baseUrl: deadUrl });
    const err = await failure(refused.kommo.post('/api/v4/leads', [{ name: 'x' }]));
    assert.ok(err instanceof KommoFailure);
    assert.equal(err.details.reason, 'network');
    assert.equal(err.retryable, true, 'nothing reached Kommo: the limiter may give the reservation back');

    server.reply({ status: 200, body: '{}', delayMs: 400 });
    const slow = client({ timeoutMs: 100 });
    const timedOut = await failure(slow.kommo.post('/api/v4/leads', [{ name: 'x' }]));
    assert.ok(timedOut instanceof KommoFailure);
    assert.equal(timedOut.details.reason, 'timeout');
    assert.equal(timedOut.retryable, false, 'Kommo may have applied it');
  });

  it('reports whether each attempt was sent, and a write whose answer was lost says it may have been applied', async () => {
    const dead = new ScriptedServer();
    await dead.start();
    const deadUrl = dead.url;
    await dead.close();
    const seen: Array<{ method: string; status: number; sent: boolean }> = [];
    const onAttempt = ({ method, status, sent }: { method: string; status: number; sent: boolean }) => seen.push({ method, status, sent });

    await failure(client({ baseUrl: deadUrl, onAttempt }).kommo.post('/api/v4/leads', [{ name: 'x' }]));
    const aborted = new AbortController();
    aborted.abort();
    const before = server.seen.length;
    await failure(client({ onAttempt }).kommo.post('/api/v4/leads', [{ name: 'x' }], { signal: aborted.signal }));
    assert.equal(server.seen.length, before, 'a call cancelled before sending sends nothing');

    const lost: Array<[Reply, RegExp]> = [
      [{ destroy: true }, /^The connection to Kommo broke after the request was sent, so the change may have been applied/],
      [html(502, '502 Bad Gateway'), /^Kommo answered with a server error \(HTTP 502\) after the request was sent, so the change may have been applied/],
      [{ status: 200, body: '{}', delayMs: 400 }, /^Kommo did not answer within 0 seconds after the request was sent, so the change may have been applied/],
    ];
    for (const [reply, message] of lost) {
      server.reply(reply);
      const err = await failure(client({ onAttempt, timeoutMs: 100 }).kommo.post('/api/v4/leads', [{ name: 'x' }]));
      assert.ok(err instanceof KommoFailure);
      assert.equal(err.outcomeUnknown, true);
      const told = asToolError(err)!;
      assert.match(told.message, message);
      assert.doesNotMatch(told.message, /try again later/);
      assert.equal(told.details.outcome, 'unknown');
    }
    // The call cancelled before sending left the pace queue: no attempt at all.
    assert.deepEqual(seen, [
      { method: 'POST', status: 0, sent: false },
      { method: 'POST', status: 0, sent: true },
      { method: 'POST', status: 502, sent: true },
      { method: 'POST', status: 0, sent: true },
    ]);
  });
});
