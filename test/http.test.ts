/**
 * Streamable HTTP (`--http`): both eras through the official Client, Host/Origin checks, 2025-era
 * sessions (DELETE, cap, idle time), and the built entry point as a service: one URL line on stderr,
 * no stdin, refusal of a public bind without grants, SIGTERM finishing the call in flight.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { ERAS, eraOptions, parseText } from './harness.js';
import { INITIALIZE, rawRequest, spawnHttp, startHttpHarness, type HttpHarness } from './http-harness.js';
import { toolKinds } from '../tools/index.js';
import { isNameLookup } from './tools-support.js';

/** The catalogue's tool names, in order. */
const TOOL_NAMES = [...toolKinds.keys()];

let sandbox: Sandbox;
before(async () => {
  sandbox = await startSandbox({ rps: 0, leads: 50 });
});
after(() => sandbox.close());

async function withHttp(fn: (h: HttpHarness) => Promise<void>, options: Partial<Parameters<typeof startHttpHarness>[0]> = {}): Promise<void> {
  const h = await startHttpHarness({ sandbox, ...options });
  try {
    await fn(h);
  } finally {
    await h.close();
  }
}

describe('Streamable HTTP at /mcp', () => {
  for (const era of ERAS) {
    test(`${era} era: the client lands on its era, lists the 23 tools and calls get_lead`, async () => {
      await withHttp(async (h) => {
        assert.match(h.url, /^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
        const client = await h.connect(era);
        assert.equal(client.getProtocolEra(), era);
        assert.deepEqual((await client.listTools()).tools.map((t) => t.name).sort(), [...TOOL_NAMES].sort());
        const lead = sandbox.store.leads[3]!;
        sandbox.clearRequests();
        const result = await client.callTool({ name: 'get_lead', arguments: { id: lead.id } });
        assert.notEqual(result.isError, true);
        assert.equal((parseText(result).lead as { id: number }).id, lead.id);
        assert.deepEqual(
          sandbox.requests.filter((r) => !isNameLookup(r)).map((r) => `${r.method} ${r.path}`),
          [`GET /api/v4/leads/${lead.id}`],
        );
      });
    });
  }

  test('a Host or Origin that is not loopback is refused with 403 before anything runs', async () => {
    await withHttp(async (h) => {
      const port = new URL(h.url).port;
      const badHost = await rawRequest(h.url, { headers: { host: `attacker.example:${port}` }, body: INITIALIZE });
      assert.equal(badHost.status, 403);
      const badOrigin = await rawRequest(h.url, { headers: { origin: 'https://attacker.example' }, body: INITIALIZE });
      assert.equal(badOrigin.status, 403);
      assert.equal(h.http.sessionCount(), 0, 'no session was opened');
      const good = await rawRequest(h.url, { headers: { origin: `http://localhost:${port}` }, body: INITIALIZE });
      assert.equal(good.status, 200, good.body);
    });
  });

  test('only /mcp is served', async () => {
    await withHttp(async (h) => {
      const other = await rawRequest(h.url.replace('/mcp', '/other'), { body: INITIALIZE });
      assert.equal(other.status, 404);
    });
  });

  test('a 2025 session ends on DELETE: its id then answers 404', async () => {
    await withHttp(async (h) => {
      const opened = await rawRequest(h.url, { body: INITIALIZE });
      const id = opened.headers['mcp-session-id'] as string;
      assert.ok(id, 'initialize opened a session');
      assert.equal(h.http.sessionCount(), 1);
      const headers = { 'mcp-session-id': id, 'mcp-protocol-version': '2025-11-25' };
      assert.equal((await rawRequest(h.url, { headers, body: { jsonrpc: '2.0', method: 'notifications/initialized' } })).status, 202);
      const deleted = await rawRequest(h.url, { method: 'DELETE', headers });
      assert.equal(deleted.status, 200);
      assert.equal(h.http.sessionCount(), 0);
      const after = await rawRequest(h.url, { headers, body: { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} } });
      assert.equal(after.status, 404);
    });
  });

  test('2025 sessions are capped in number, and an idle one is closed to make room', async () => {
    let clock = Date.parse('2026-06-01T12:00:00Z');
    await withHttp(
      async (h) => {
        const first = await rawRequest(h.url, { body: INITIALIZE });
        assert.equal(first.status, 200);
        assert.equal((await rawRequest(h.url, { body: INITIALIZE })).status, 200);
        const refused = await rawRequest(h.url, { body: INITIALIZE });
        assert.equal(refused.status, 503);
        assert.match(JSON.parse(refused.body).error.message, /Too many open sessions \(2\)/);
        clock += 61_000;
        assert.equal((await rawRequest(h.url, { body: INITIALIZE })).status, 200, 'the idle sessions made room');
        assert.equal(h.http.sessionCount(), 1);
        const stale = await rawRequest(h.url, {
          headers: { 'mcp-session-id': first.headers['mcp-session-id'] as string, 'mcp-protocol-version': '2025-11-25' },
          body: { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} },
        });
        assert.equal(stale.status, 404, 'the idle session is gone');
      },
      { now: () => clock, http: { maxSessions: 2, sessionIdleMs: 60_000 } },
    );
  });
});

describe('kommo-mcp --http (the built entry point)', { concurrency: true }, () => {
  test('--port 0: one stderr line with the real URL; serves with stdin closed; SIGTERM lets the call in flight finish, then exits 0', async () => {
    const slow = await startSandbox({ rps: 0, leads: 5 });
    const server = spawnHttp(['--http', '--port', '0'], { KOMMO_BASE_URL: slow.url, KOMMO_ACCESS_TOKEN: slow.token });
    try {
      const url = await server.url;
      assert.match(url, /^http:\/\/127\.0\.0\.1:(\d+)\/mcp$/);
      assert.notEqual(new URL(url).port, '8765');
      assert.equal(
        server
          .stderr()
          .split('\n')
          .filter((l) => l.includes(url)).length,
        1,
        'exactly one line names the URL',
      );
      assert.match(server.stderr(), /KOMMO_STATE_KEY is not set: .*several replicas .* need one shared KOMMO_STATE_KEY/);
      const client = new Client({ name: 'sigterm-test', version: '1' }, eraOptions('modern'));
      await client.connect(new StreamableHTTPClientTransport(new URL(url)));
      slow.injectFault({ path: '/api/v4/account', status: 200, body: '{"id":77,"name":"Slow Account"}', contentType: 'application/json', delayMs: 700 });
      const call = client.callTool({ name: 'get_account', arguments: {} });
      const deadline = Date.now() + 3000;
      while (!slow.requests.some((r) => r.path === '/api/v4/account') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      // The Kommo request is under way: the process is told to stop.
      server.child.kill('SIGTERM');
      const result = await call;
      assert.notEqual(result.isError, true, JSON.stringify(result));
      assert.match(JSON.stringify(result.content), /Slow Account/);
      assert.equal(await server.exited, 0);
      assert.equal(server.stdout(), '', 'nothing on stdout in --http mode');
    } finally {
      server.child.kill('SIGKILL');
      await slow.close();
    }
  });

  test('a non-loopback --host without grants is refused at start with one line', async () => {
    const server = spawnHttp(['--http', '--host', '0.0.0.0', '--port', '0', '--sandbox'], {});
    const code = await server.exited;
    assert.notEqual(code, 0);
    const lines = server
      .stderr()
      .split('\n')
      .filter((l) => l !== '');
    assert.equal(lines.length, 1, server.stderr());
    assert.match(lines[0]!, /^kommo-mcp: refusing to serve HTTP on 0\.0\.0\.0 without grants: .*KOMMO_GRANTS/);
  });
});
