/**
 * Code and state made on first use (src/on-first-use.ts): the report services are made once however
 * many calls ask at once, and code that fails to load is a tool error through the one error path,
 * logged with its cause. That start-up does not load the report code is pinned in bundle.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, InMemoryTransport } from '@modelcontextprotocol/client';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { CodeUnavailable, toErrorResult } from '../src/errors.js';
import { createLogger, silentLogger } from '../src/log.js';
import { loadCode, onFirstUse, reportsOnFirstUse } from '../src/on-first-use.js';
import { ReportServices } from '../src/reports/services.js';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { createServer } from '../src/server.js';
import { fakeKommoApi } from './fake-kommo.js';
import { harnessMiddleware, parseText, sharedServices } from './harness.js';
import { ReferenceData } from '../src/kommo/reference.js';

/** A promise and the functions that settle it, so a test decides when a first use finishes. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (err: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}

describe('onFirstUse', () => {
  test('uses that arrive while the value is being made wait for the same one: it is made once', async () => {
    const pending = deferred<object>();
    let makes = 0;
    const value = onFirstUse(() => {
      makes += 1;
      return pending.promise;
    });
    const waiting = Array.from({ length: 20 }, () => value());
    const made = {};
    pending.resolve(made);
    for (const got of await Promise.all(waiting)) assert.equal(got, made);
    assert.equal(await value(), made);
    assert.equal(makes, 1);
  });

  test('a make that fails fails every use waiting on it, and the next use makes it again', async () => {
    const attempts = [deferred<string>(), deferred<string>()];
    let makes = 0;
    const value = onFirstUse(() => attempts[makes++]!.promise);
    const first = [value(), value()];
    attempts[0]!.reject(new Error('chunk missing'));
    for (const use of first) await assert.rejects(use, /chunk missing/);
    const second = value();
    attempts[1]!.resolve('made');
    assert.equal(await second, 'made');
    assert.equal(await value(), 'made');
    assert.equal(makes, 2);
  });
});

describe('loadCode', () => {
  test('a dynamic import that fails is CodeUnavailable: internal_error, code_unavailable, the cause logged once and kept from the agent', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const log = createLogger('info', (line) => lines.push(JSON.parse(line) as Record<string, unknown>));
    const failure = await loadCode('report', log, () => import('./no-such-module-' + 'at-all.js')).then(
      () => assert.fail('the import should fail'),
      (err: unknown) => err,
    );
    assert.ok(failure instanceof CodeUnavailable);
    const result = toErrorResult(failure);
    assert.equal(result.isError, true);
    const body = parseText(result);
    assert.deepEqual(Object.keys(body).sort(), ['error', 'message', 'part', 'reason']);
    assert.equal(body['error'], 'internal_error');
    assert.equal(body['reason'], 'code_unavailable');
    assert.equal(body['part'], 'report');
    assert.match(String(body['message']), /^The call was not made because the server's report code failed to load/);
    assert.doesNotMatch(String(body['message']), /no-such-module/);
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!['msg'], 'code failed to load');
    assert.equal(lines[0]!['code'], 'ERR_MODULE_NOT_FOUND');
    assert.match(String(lines[0]!['error']), /no-such-module-at-all\.js/);
  });

  test('code that loads is returned as it is, with nothing logged', async () => {
    const lines: string[] = [];
    const module = await loadCode(
      'report',
      createLogger('debug', (line) => lines.push(line)),
      () => import('../src/reports/period.js'),
    );
    assert.equal(typeof module.parseDate, 'function');
    assert.deepEqual(lines, []);
  });
});

describe('reportsOnFirstUse', () => {
  test('concurrent first uses get one ReportServices, and later uses the same one', async () => {
    const kommo = fakeKommoApi({});
    const reports = reportsOnFirstUse(kommo, new ReferenceData(kommo), silentLogger);
    const [a, b, c] = await Promise.all([reports(), reports(), reports()]);
    assert.ok(a instanceof ReportServices);
    assert.equal(a, b);
    assert.equal(a, c);
    assert.equal(await reports(), a);
    assert.equal(a.kommo, kommo);
  });

  describe('a server given no report services makes its own on first use, one for all its calls', () => {
    let sandbox: Sandbox;
    before(async () => {
      sandbox = await startSandbox({ rps: 0 });
    });
    after(() => sandbox.close());

    test('two identical reports sent at once, as the first calls, share one set of Kommo requests', async () => {
      const { kommo, reference } = sharedServices(sandbox);
      const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
      const served = serveStdio(({ era }) => createServer({ kommo, reference, middleware: harnessMiddleware({}), logger: silentLogger, era }).server, {
        transport: serverSide,
      });
      const client = new Client({ name: 'first-use-test', version: '1.0.0' });
      await client.connect(clientSide);
      try {
        sandbox.clearRequests();
        const args = { dateFrom: '2026-01-01', dateTo: '2026-01-31' };
        const [a, b] = await Promise.all([
          client.callTool({ name: 'get_sales_report', arguments: args }),
          client.callTool({ name: 'get_sales_report', arguments: args }),
        ]);
        assert.notEqual(a.isError, true, JSON.stringify(a.content));
        assert.deepEqual(a.structuredContent ?? a.content, b.structuredContent ?? b.content);
        const leadPages = sandbox.requests.filter((r) => r.path === '/api/v4/leads').map((r) => JSON.stringify(r.query));
        assert.ok(leadPages.length > 0);
        // Two sets of report services would each have read the period's leads.
        assert.deepEqual(leadPages, [...new Set(leadPages)]);
      } finally {
        await client.close();
        await served.close();
      }
    });
  });
});
