/**
 * Raw protocol input as a hostile or broken client sends it, to the built server over stdio and over
 * Streamable HTTP, in both eras: non-object tool arguments get our `invalid_arguments` result (and
 * an audit line), a malformed `_meta` or progress token gets a -32602 reply for its id, an oversized
 * message gets a JSON-RPC error, and the server goes on serving. None of it reaches Kommo.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MAX_MESSAGE_BYTES } from '../src/defaults.js';
import { argumentsAsSent, screenMessage } from '../src/protocol-guard.js';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { ENTRY, ERAS, type Era } from './harness.js';
import { INITIALIZE, rawRequest, spawnHttp } from './http-harness.js';

let sandbox: Sandbox;
const dir = mkdtempSync(join(tmpdir(), 'kommo-protocol-input-'));
before(async () => {
  sandbox = await startSandbox({ rps: 0, leads: 20 });
});
after(async () => {
  await sandbox.close();
  rmSync(dir, { recursive: true, force: true });
});

type Rpc = { jsonrpc: '2.0'; id: string | number | null; result?: Record<string, unknown>; error?: { code: number; message: string } };

/** The 2026-07-28 per-request envelope; a 2025 message carries none. */
const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': {},
};

/** A tools/call of `get_account` with the given params on top, in the era's shape. */
function call(era: Era, id: number, params: Record<string, unknown>): Record<string, unknown> {
  const meta = era === 'modern' ? { _meta: ENVELOPE } : {};
  return { jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'get_account', arguments: {}, ...meta, ...params } };
}

/** The odd shapes every transport and era is sent, with what each must answer. */
const NON_OBJECT_ARGUMENTS: unknown[] = [[1, 2], 'x', 5];

function malformedMeta(era: Era): Array<{ params: Record<string, unknown>; says: RegExp }> {
  const envelope = era === 'modern' ? ENVELOPE : {};
  return [
    { params: { _meta: 'x' }, says: /"_meta" must be a JSON object, not a string/ },
    { params: { _meta: [] }, says: /"_meta" must be a JSON object, not an array/ },
    { params: { _meta: { ...envelope, progressToken: { a: 1 } } }, says: /"_meta.progressToken" must be a string or an integer, not an object/ },
  ];
}

function assertInvalidArguments(reply: Rpc, sent: unknown): void {
  assert.equal(reply.error, undefined, JSON.stringify(reply));
  const result = reply.result as { isError?: boolean; content: Array<{ type: string; text: string }> };
  assert.equal(result.isError, true);
  const body = JSON.parse(result.content[0]!.text) as Record<string, unknown>;
  assert.equal(body.error, 'invalid_arguments');
  assert.deepEqual(body.fields, ['arguments']);
  assert.match(
    String(body.message),
    new RegExp(`"arguments" must be a JSON object of named arguments, not ${Array.isArray(sent) ? 'an array' : `a ${typeof sent}`}\\.$`),
  );
}

function assertRefused(reply: Rpc, says: RegExp): void {
  assert.equal(reply.result, undefined);
  assert.equal(reply.error?.code, -32602);
  assert.match(reply.error!.message, says);
  assert.doesNotMatch(reply.error!.message, /\n|invalid_type|"path"/, 'one sentence, no schema dump');
}

function assertNormalCallWorks(reply: Rpc): void {
  const result = reply.result as { isError?: boolean; content: Array<{ text: string }> };
  assert.notEqual(result.isError, true, JSON.stringify(reply));
  assert.equal((JSON.parse(result.content[0]!.text) as { account: { id: number } }).account.id, sandbox.store.account.id);
}

/** The audit lines of the invalid calls: argument names and the hash of the arguments exactly as sent. */
function assertAudited(auditFile: string, sent: unknown[] = NON_OBJECT_ARGUMENTS): void {
  const lines = readFileSync(auditFile, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const invalid = lines.filter((l) => l.decision === 'invalid_arguments');
  assert.deepEqual(
    invalid.map((l) => [l.tool, l.argKeys, l.argsSha256]),
    sent.map((args) => ['get_account', [], createHash('sha256').update(JSON.stringify(args)).digest('hex')]),
  );
  assert.ok(invalid.every((l) => l.kommoRequests === 0));
}

/** The built server on stdio, spoken to line by line (the official client never sends these shapes). */
function rawStdio(env: Record<string, string>) {
  const child = spawn(process.execPath, [ENTRY], { cwd: dir, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  const replies: Rpc[] = [];
  const waiting: Array<() => void> = [];
  let buffer = '';
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  child.stdout.on('data', (c: Buffer) => {
    buffer += c.toString('utf8');
    for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
      replies.push(JSON.parse(buffer.slice(0, nl)) as Rpc);
      buffer = buffer.slice(nl + 1);
      for (const wake of waiting.splice(0)) wake();
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    send: (message: unknown): void => void child.stdin.write(`${typeof message === 'string' ? message : JSON.stringify(message)}\n`),
    /** The `nth` reply (from 1) with this id. */
    async reply(id: number | null, nth = 1): Promise<Rpc> {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const found = replies.filter((r) => r.id === id && ('result' in r || 'error' in r))[nth - 1];
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no reply for id ${id}; stderr: ${stderr}`);
        await new Promise<void>((resolve) => {
          waiting.push(resolve);
          setTimeout(resolve, 200);
        });
      }
    },
    alive: () => child.exitCode === null,
    async close(): Promise<number | null> {
      child.stdin.end();
      return exited;
    },
  };
}

/** A JSON-RPC reply from an HTTP answer, whether it came as JSON or as one SSE event. */
function rpcOf(body: string): Rpc {
  const data = body.split('\n').find((l) => l.startsWith('data: '));
  return JSON.parse(data ? data.slice('data: '.length) : body) as Rpc;
}

for (const era of ERAS) {
  describe(`${era} era`, () => {
    test('stdio: non-object arguments → invalid_arguments (audited), malformed _meta → -32602, a 20 MB line → an error; the server goes on and Kommo sees nothing of it', async () => {
      const auditFile = join(dir, `stdio-${era}.audit.jsonl`);
      const server = rawStdio({ KOMMO_BASE_URL: sandbox.url, KOMMO_ACCESS_TOKEN: sandbox.token, KOMMO_AUDIT_LOG: auditFile });
      try {
        if (era === 'legacy') {
          server.send(INITIALIZE);
          assert.ok((await server.reply(1)).result);
          server.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
        }
        sandbox.clearRequests();
        let id = 10;
        for (const sent of NON_OBJECT_ARGUMENTS) {
          server.send(call(era, ++id, { arguments: sent }));
          assertInvalidArguments(await server.reply(id), sent);
        }
        for (const { params, says } of malformedMeta(era)) {
          server.send(call(era, ++id, params));
          assertRefused(await server.reply(id), says);
        }
        // Past the cap by far: answered once the cap is passed, skipped to its newline.
        server.send(JSON.stringify(call(era, ++id, { arguments: { filler: 'a'.repeat(20 * 1024 * 1024) } })));
        const tooLarge = await server.reply(null);
        assert.equal(tooLarge.error?.code, -32600);
        assert.match(tooLarge.error!.message, new RegExp(`at most ${MAX_MESSAGE_BYTES} bytes`));
        // A line that is not JSON has no id either: a parse error, and the connection goes on.
        server.send('{"jsonrpc": "2.0", "id": 99, "method": ');
        assert.deepEqual((await server.reply(null, 2)).error, { code: -32700, message: 'Parse error: the line is not valid JSON.' });
        assert.equal(sandbox.requests.length, 0, 'nothing of it reached Kommo');
        server.send(call(era, ++id, {}));
        assertNormalCallWorks(await server.reply(id));
        assert.ok(server.alive());
        assert.deepEqual(
          sandbox.requests.map((r) => `${r.method} ${r.path}`),
          ['GET /api/v4/account'],
        );
      } finally {
        assert.equal(await server.close(), 0);
      }
      assertAudited(auditFile);
    });

    test('Streamable HTTP: the same shapes by raw POST get the same answers, a 20 MB body gets 413 with a JSON-RPC error, and the server goes on', async () => {
      const auditFile = join(dir, `http-${era}.audit.jsonl`);
      const server = spawnHttp(['--http', '--port', '0'], { KOMMO_BASE_URL: sandbox.url, KOMMO_ACCESS_TOKEN: sandbox.token, KOMMO_AUDIT_LOG: auditFile });
      try {
        const url = await server.url;
        const headers: Record<string, string> = {};
        if (era === 'legacy') {
          const opened = await rawRequest(url, { body: INITIALIZE });
          headers['mcp-session-id'] = String(opened.headers['mcp-session-id']);
          headers['mcp-protocol-version'] = '2025-11-25';
          await rawRequest(url, { headers, body: { jsonrpc: '2.0', method: 'notifications/initialized' } });
        } else {
          Object.assign(headers, { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'get_account' });
        }
        const post = async (message: unknown) => {
          const response = await rawRequest(url, { headers, body: message });
          return { status: response.status, reply: rpcOf(response.body) };
        };
        sandbox.clearRequests();
        let id = 10;
        for (const sent of NON_OBJECT_ARGUMENTS) assertInvalidArguments((await post(call(era, ++id, { arguments: sent }))).reply, sent);
        for (const { params, says } of malformedMeta(era)) {
          const { status, reply } = await post(call(era, ++id, params));
          assert.equal(status, 400);
          assert.equal(reply.id, id);
          assertRefused(reply, says);
        }
        // A notification has no id to answer: it is dropped (202) and never reaches the SDK.
        const notification = await rawRequest(url, {
          headers,
          body: { jsonrpc: '2.0', method: 'notifications/progress', params: { _meta: 'x', progressToken: 1, progress: 1 } },
        });
        assert.deepEqual([notification.status, notification.body], [202, '']);
        if (era === 'legacy') {
          // A 2025 batch is screened message by message: a refusal answers for the whole batch.
          const refused = await rawRequest(url, { headers, body: [call(era, ++id, {}), call(era, ++id, { _meta: 'x' })] });
          assert.equal(refused.status, 400);
          const replies = JSON.parse(refused.body) as Rpc[];
          assert.deepEqual(
            replies.map((r) => r.id),
            [id],
          );
          assertRefused(replies[0]!, /"_meta" must be a JSON object/);
          assertInvalidArguments((await post([call(era, ++id, { arguments: [[]] })])).reply, [[]]);
        }
        const huge = await post(call(era, ++id, { arguments: { filler: 'a'.repeat(20 * 1024 * 1024) } }));
        assert.equal(huge.status, 413);
        assert.equal(huge.reply.error?.code, -32600);
        assert.match(huge.reply.error!.message, new RegExp(`at most ${MAX_MESSAGE_BYTES} bytes`));
        assert.equal(sandbox.requests.length, 0, 'nothing of it reached Kommo');
        assertNormalCallWorks((await post(call(era, ++id, {}))).reply);
        assert.deepEqual(
          sandbox.requests.map((r) => `${r.method} ${r.path}`),
          ['GET /api/v4/account'],
        );
      } finally {
        server.child.kill('SIGTERM');
        await server.exited;
      }
      assertAudited(auditFile, era === 'legacy' ? [...NON_OBJECT_ARGUMENTS, [[]]] : NON_OBJECT_ARGUMENTS);
    });
  });
}

describe('screenMessage and argumentsAsSent', () => {
  const paramsOf = (screened: ReturnType<typeof screenMessage>) =>
    'pass' in screened ? (screened.pass as { params: { arguments: Record<string, unknown> } }).params : undefined;

  test('non-object arguments get past the SDK wrapped and come back to the handler exactly as sent', () => {
    for (const sent of [[1, 2], 'x', 5, null, false]) {
      const params = paramsOf(screenMessage({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'get_account', arguments: sent } }));
      assert.ok(params && typeof params.arguments === 'object' && !Array.isArray(params.arguments), 'an object the SDK accepts');
      assert.deepEqual(argumentsAsSent(params.arguments), sent);
    }
  });

  test('object arguments pass untouched, and a client cannot use the wrapping key to smuggle an object', () => {
    const message = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'get_lead', arguments: { id: 5 } } };
    assert.equal((screenMessage(message) as { pass: unknown }).pass, message);
    const wrapped = paramsOf(screenMessage({ ...message, params: { ...message.params, arguments: 'x' } }))!.arguments;
    const smuggled = Object.fromEntries(Object.keys(wrapped).map((key) => [key, { id: 5 }]));
    assert.deepEqual(argumentsAsSent(smuggled), smuggled, 'an object under the key stays an unknown argument');
  });
});
