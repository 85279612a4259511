/**
 * The Kommo client and the whole server: the token stays out of errors, logs and tool results.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger, REDACTED, redactSecrets } from '../src/log.js';
import { startSandbox } from '../src/sandbox/index.js';
import { startHarness, type Harness } from './harness.js';
import { assertClean, client, failure, html, json, logLines, MARKER, problem, server, TOKEN, useScriptedServer, type Reply } from './kommo-client-support.js';

useScriptedServer();

describe('KommoClient: the token stays out of errors and logs', () => {
  it('no error or log line of any failure kind carries the token or an Authorization header', async () => {
    logLines.length = 0;
    const faults: Reply[] = [
      problem(401, 'Unauthorized'),
      html(403, '403 Forbidden'),
      problem(500, 'Internal Server Error'),
      { destroy: true },
      { status: 200, body: '{}', delayMs: 300 },
    ];
    for (const fault of faults) {
      server.reply(fault);
      const { kommo } = client({ maxRetries: 1, timeoutMs: 100 });
      for (const call of [() => kommo.get('/api/v4/account'), () => kommo.post('/api/v4/leads', [{}])]) {
        const err = await failure(call());
        assertClean(err);
        assert.ok(!JSON.stringify(err).includes(TOKEN));
        assert.ok(!String((err as Error).stack).includes(TOKEN));
        assert.equal((err as Error & { cause?: unknown }).cause, undefined, 'no raw cause (an axios error) is attached');
      }
    }
    assert.ok(logLines.length > 0, 'failures are logged');
    const all = logLines.join('\n');
    assert.ok(!all.includes(TOKEN));
    assert.ok(!/authorization/i.test(all));
  });

  it('the logger scrubs secrets and Authorization values even when a caller logs them by mistake', () => {
    const lines: string[] = [];
    const log = createLogger('debug', (l) => lines.push(l), { secrets: [TOKEN] });
    const circular: Record<string, unknown> = { a: 1 };
    circular.self = circular;
    log.error('oops', {
      text: `the token is ${TOKEN}`,
      config: { headers: { Authorization: `Bearer ${TOKEN}`, Accept: 'application/json' } },
      headerLine: 'Authorization: Bearer some-other-credential-xyz',
      err: new Error(`failed with ${TOKEN}`),
      circular,
      big: 10n,
    });
    assert.equal(lines.length, 1);
    const line = lines[0]!;
    assert.ok(!line.includes(TOKEN));
    assert.ok(!line.includes('some-other-credential-xyz'));
    assert.ok(line.includes(REDACTED));
    const parsed = JSON.parse(line) as Record<string, unknown>;
    assert.equal(parsed.msg, 'oops');
    assert.equal(parsed.big, '10');
    assert.equal((parsed.config as { headers: { Accept: string } }).headers.Accept, 'application/json');
  });

  it('the logger never throws, even when its sink does', () => {
    const log = createLogger('info', () => {
      throw new Error('EPIPE');
    });
    assert.doesNotThrow(() => log.info('x'));
    assert.equal(redactSecrets('abc', ['ab']), 'abc', 'very short secrets are not scrubbed (would mangle lines)');
  });
});

describe('redaction through the whole server (official Client → tools → client → sandbox)', () => {
  const SANDBOX_TOKEN = 'sbx_SECRET_token_7d1c9e4f2a6b8c0d';
  const WRONG_TOKEN = 'wrong_SECRET_token_5e8a1f3c7b9d2e4a';
  const secrets = [SANDBOX_TOKEN, WRONG_TOKEN];

  /** Calls each tool and checks the whole result; returns the parsed error bodies. */
  async function callAll(h: Harness, lines: string[]): Promise<Array<Record<string, unknown>>> {
    const bodies: Array<Record<string, unknown>> = [];
    for (const [name, args] of [
      ['get_account', {}],
      ['get_lead', { id: 1 }],
      ['create_lead', { name: 'Redaction check' }],
    ] as const) {
      const { isError, body, result } = await h.callJson(name, args);
      const text = JSON.stringify(result);
      assert.ok(isError, `${name} should fail here: ${text}`);
      for (const secret of secrets) assert.ok(!text.includes(secret), `${name}: token in the tool result`);
      assert.ok(!text.includes(MARKER), `${name}: upstream text in the tool result`);
      assert.ok(!/<html|nginx/i.test(text), `${name}: upstream HTML in the tool result`);
      assert.equal(typeof body.message, 'string');
      bodies.push(body);
    }
    const all = lines.join('\n');
    for (const secret of secrets) assert.ok(!all.includes(secret), 'token in a log line');
    // Not even scrubbed: nothing tried to log it (the harness logger is given no secrets to scrub).
    assert.ok(!all.includes(REDACTED), 'something tried to log a credential');
    return bodies;
  }

  async function harness(options: Parameters<typeof startHarness>[0] = {}): Promise<{ h: Harness; lines: string[]; audits: unknown[] }> {
    const lines: string[] = [];
    const audits: unknown[] = [];
    const h = await startHarness({
      sandbox: { token: SANDBOX_TOKEN, leads: 20, rps: 0 },
      logger: createLogger('debug', (line) => lines.push(line)),
      audit: (record) => void audits.push(record),
      ...options,
      client: { maxRetries: 1, timeoutMs: 150, ...options.client },
    });
    return { h, lines, audits };
  }

  function assertAuditsClean(audits: unknown[]): void {
    assert.ok(audits.length > 0, 'calls were audited');
    const text = JSON.stringify(audits);
    for (const secret of secrets) assert.ok(!text.includes(secret), 'token in an audit record');
    assert.ok(!text.includes(MARKER), 'upstream text in an audit record');
  }

  it('401 from a wrong token: fixed message, the wrong token nowhere', async () => {
    const { h, lines, audits } = await harness({ client: { token: WRONG_TOKEN } });
    try {
      const bodies = await callAll(h, lines);
      for (const body of bodies) {
        assert.equal(body.error, 'kommo_error');
        assert.equal(body.status, 401);
        assert.match(String(body.message), /invalid or expired/);
      }
      assert.ok(
        lines.some((l) => l.includes('kommo request failed')),
        'the failures were logged',
      );
      assertAuditsClean(audits);
    } finally {
      await h.close();
    }
  });

  it('401 / 500 / 403 pages / dropped connections / timeouts injected by the sandbox: fixed messages, no token, no upstream text', async () => {
    const { h, lines, audits } = await harness();
    try {
      const faults = [
        { status: 401, body: json({ title: 'Unauthorized', status: 401, detail: MARKER }), contentType: 'application/problem+json' },
        { status: 500, body: `${MARKER} ${SANDBOX_TOKEN}` },
        { status: 500, body: `<html><body>${MARKER}</body></html>`, contentType: 'text/html' },
        { status: 0, destroy: true },
        { status: 200, delayMs: 400 },
      ];
      for (const fault of faults) {
        h.sandbox.clearFaults();
        h.sandbox.injectFault({ ...fault, times: Infinity });
        const bodies = await callAll(h, lines);
        for (const body of bodies) assert.equal(body.error, 'kommo_error', JSON.stringify(body));
      }
      h.sandbox.clearFaults();
      h.sandbox.setBlocked(true);
      const blocked = await callAll(h, lines);
      assert.ok(blocked.every((b) => b.status === 403 && b.reason === 'ip_blocked'));
      assertAuditsClean(audits);
    } finally {
      h.sandbox.setBlocked(false);
      await h.close();
    }
  });

  it('a dead port (connection refused): network error, no token, no address detail from the socket', async () => {
    const probe = await startSandbox({ leads: 1, rps: 0 });
    const deadUrl = probe.url;
    await probe.close();
    const { h, lines, audits } = await harness({ client: { baseUrl: deadUrl } });
    try {
      const bodies = await callAll(h, lines);
      for (const body of bodies) {
        assert.equal(body.status, 0);
        assert.equal(body.reason, 'network');
        assert.doesNotMatch(JSON.stringify(body), /ECONNREFUSED|127\.0\.0\.1/);
      }
      assertAuditsClean(audits);
    } finally {
      await h.close();
    }
  });
});
