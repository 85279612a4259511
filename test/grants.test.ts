/**
 * Grants: the file format, the constant-time bearer check, `kommo-mcp grant add`, and over HTTP in
 * both eras: 401 without or with a wrong token, a per-grant `run_salesbot` budget under PolicyLayer's
 * example policy, a grant's own policy (hot-reloaded by the built entry point), audit lines naming
 * the grant and never the token.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { ConfigError } from '../src/config.js';
import { addGrant, grantForAuthorization, loadGrants, sha256Hex } from '../src/grants.js';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import type { AuditRecord } from '../policy/audit.js';
import { ENTRY, ERAS, eraOptions, parseText } from './harness.js';
import { INITIALIZE, rawRequest, spawnHttp, startHttpHarness } from './http-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'kommo-grants-'));
let sandbox: Sandbox;
before(async () => {
  sandbox = await startSandbox({ rps: 0, leads: 40 });
});
after(async () => {
  await sandbox.close();
  rmSync(dir, { recursive: true, force: true });
});

const ALICE = 'alice-token-0123456789abcdefghijklmnop';
const BOB = 'bob-token-0123456789abcdefghijklmnopqrs';
const POLICYLAYER_EXAMPLE = JSON.parse(readFileSync(new URL('../../policy/policylayer-example.json', import.meta.url), 'utf8')) as object;

describe('grants file and bearer check', () => {
  test('a valid file: names, lower-cased hashes, a relative policy path read from the file directory', () => {
    const file = join(dir, 'valid.json');
    writeFileSync(
      file,
      JSON.stringify({ grants: { alice: { token_sha256: sha256Hex(ALICE).toUpperCase() }, 'ci-bot': { token_sha256: sha256Hex(BOB), policy: 'ro.json' } } }),
    );
    const grants = loadGrants(file);
    assert.deepEqual(
      grants.map((g) => g.name),
      ['alice', 'ci-bot'],
    );
    assert.equal(grants[1]!.policyPath, join(dir, 'ro.json'));
    assert.equal(grantForAuthorization(grants, `Bearer ${ALICE}`), 'alice');
    assert.equal(grantForAuthorization(grants, `bearer ${BOB}`), 'ci-bot');
    for (const wrong of [undefined, '', ALICE, `Bearer ${ALICE}x`, `Basic ${ALICE}`, 'Bearer ', `Bearer ${sha256Hex(ALICE)}`]) {
      assert.equal(grantForAuthorization(grants, wrong), undefined, String(wrong));
    }
  });

  test('a bad file is one ConfigError line naming the file and the field', () => {
    const cases: Array<[string, RegExp]> = [
      ['{"grants": {"a": {"token_sha256": "abc"}}}', /grants\.a\.token_sha256: token_sha256 must be the 64-hex-digit SHA-256/],
      [`{"grants": {"a": {"token_sha256": "${sha256Hex('x')}", "polcy": "p.json"}}}`, /grants\.a: .*polcy/],
      [`{"grants": {"bad name": {"token_sha256": "${sha256Hex('x')}"}}}`, /a grant name is 1-64 letters/],
      ['{"grant": {}}', /\(top level\)|grant/],
      ['not json', /is not valid JSON/],
    ];
    for (const [text, pattern] of cases) {
      const file = join(dir, 'bad.json');
      writeFileSync(file, text);
      assert.throws(
        () => loadGrants(file),
        (err: unknown) => err instanceof ConfigError && err.message.includes(file) && pattern.test(err.message) && !err.message.includes('\n'),
        text,
      );
    }
    assert.throws(() => loadGrants(join(dir, 'missing.json')), /does not exist; create it with: kommo-mcp grant add/);
  });

  test('kommo-mcp grant add: the token is printed once on stdout and only its hash is written; a taken name is refused', () => {
    const file = join(dir, 'cli.json');
    const run = (name: string) =>
      spawnSync(process.execPath, [ENTRY, 'grant', 'add', name, '--grants', file], { cwd: tmpdir(), env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8' });
    const first = run('alice');
    assert.equal(first.status, 0, first.stderr);
    const token = first.stdout.trim();
    assert.match(token, /^[A-Za-z0-9_-]{43}$/, 'a 256-bit random token');
    assert.match(first.stderr, /grant "alice" added to .*shown once/);
    const second = run('bob');
    assert.equal(second.status, 0, second.stderr);
    assert.notEqual(second.stdout.trim(), token);
    const stored = readFileSync(file, 'utf8');
    assert.ok(!stored.includes(token), 'the token itself is not stored');
    assert.equal(grantForAuthorization(loadGrants(file), `Bearer ${token}`), 'alice');
    assert.equal(grantForAuthorization(loadGrants(file), `Bearer ${second.stdout.trim()}`), 'bob');
    const again = run('alice');
    assert.notEqual(again.status, 0);
    assert.equal(again.stdout, '');
    assert.match(again.stderr, /grant "alice" already exists/);
    assert.throws(() => addGrant(file, 'no spaces'), /cannot be a grant name/);
  });
});

describe('grants over HTTP', () => {
  for (const era of ERAS) {
    test(`${era} era: no token or a wrong one → 401 with WWW-Authenticate: Bearer; each grant has its own run_salesbot budget (10 of 30 pass)`, async () => {
      const audit: AuditRecord[] = [];
      const h = await startHttpHarness({
        sandbox,
        policy: POLICYLAYER_EXAMPLE,
        grants: { alice: { token: ALICE }, bob: { token: BOB } },
        audit: (record) => audit.push(record),
        // A fixed clock: 60 calls on a busy machine may otherwise straddle a UTC minute and see two windows.
        now: () => Date.UTC(2026, 2, 1, 10, 0, 5),
      });
      try {
        for (const authorization of [undefined, `Bearer ${ALICE.slice(0, -1)}`, 'Bearer ']) {
          const raw = await rawRequest(h.url, { headers: authorization ? { authorization } : {}, body: INITIALIZE });
          assert.equal(raw.status, 401, String(authorization));
          assert.match(String(raw.headers['www-authenticate']), /^Bearer\b/);
        }
        await assert.rejects(h.connect(era), 'a client without a token cannot connect');
        await assert.rejects(h.connect(era, { token: 'not-a-grant-token-at-all' }));

        const bot = sandbox.store.bots[0]!;
        const lead = sandbox.store.leads[0]!;
        sandbox.clearRequests();
        for (const [grant, token] of [
          ['alice', ALICE],
          ['bob', BOB],
        ] as const) {
          const client = await h.connect(era, { token });
          const codes: string[] = [];
          for (let i = 0; i < 30; i++) {
            const result = await client.callTool({ name: 'run_salesbot', arguments: { bot_id: bot.id, entity_id: lead.id, entity_type: 'leads' } });
            codes.push(result.isError ? String(parseText(result).error) : 'ok');
          }
          assert.equal(codes.filter((c) => c === 'ok').length, 10, `${grant}: ${codes.join(',')}`);
          assert.equal(codes.filter((c) => c === 'rate_limited').length, 20, grant);
          assert.equal((await client.callTool({ name: 'get_users', arguments: {} })).isError, true, 'default deny still applies');
        }
        assert.equal(
          sandbox.requests.filter((r) => r.method === 'POST' && r.path === '/api/v4/bots/run').length,
          20,
          'exactly 10 runs per grant reached Kommo',
        );
        assert.deepEqual(new Set(audit.map((r) => r.grant)), new Set(['alice', 'bob']));
        const lines = JSON.stringify(audit);
        assert.ok(!lines.includes(ALICE) && !lines.includes(BOB), 'audit lines never carry a token');
      } finally {
        await h.close();
      }
    });
  }

  test('a grant with its own policy gets it; the others keep the main policy', async () => {
    const h = await startHttpHarness({
      sandbox,
      policy: { version: '1', default: 'allow' },
      grants: { alice: { token: ALICE }, reader: { token: BOB, policy: { version: '1', default: 'deny', tools: { get_account: {} } } } },
    });
    try {
      const alice = await h.connect('modern', { token: ALICE });
      const reader = await h.connect('legacy', { token: BOB });
      assert.equal((await reader.listTools()).tools.length, 1);
      assert.equal((await alice.listTools()).tools.length, 23);
      assert.equal(parseText(await reader.callTool({ name: 'get_users', arguments: {} })).error, 'policy_denied');
      assert.notEqual((await alice.callTool({ name: 'get_users', arguments: {} })).isError, true);
      assert.notEqual((await reader.callTool({ name: 'get_account', arguments: {} })).isError, true);
    } finally {
      await h.close();
    }
  });

  test('the built entry point: one Kommo pace, one limiter and one report cache for every grant, session and era', async () => {
    const paced = await startSandbox({ rps: 7, leads: 60 });
    const grants = join(dir, 'shared.json');
    const policy = join(dir, 'shared-policy.json');
    writeFileSync(
      policy,
      JSON.stringify({
        version: '1',
        default: 'allow',
        tools: { get_account: { limits: [{ counter: 'accounts', window: 'hour', max: 3, scope: 'global' }] } },
      }),
    );
    writeFileSync(grants, JSON.stringify({ grants: { alice: { token_sha256: sha256Hex(ALICE) }, bob: { token_sha256: sha256Hex(BOB) } } }));
    const server = spawnHttp(['--http', '--port', '0', '--policy', policy], {
      KOMMO_BASE_URL: paced.url,
      KOMMO_ACCESS_TOKEN: paced.token,
      KOMMO_GRANTS: grants,
    });
    const clients: Client[] = [];
    try {
      const url = await server.url;
      const connect = async (era: 'legacy' | 'modern', token: string) => {
        const client = new Client({ name: `shared-${era}`, version: '1' }, eraOptions(era));
        await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
        clients.push(client);
        return client;
      };
      const alice = await connect('modern', ALICE);
      const bob = await connect('legacy', BOB);
      // A global budget of 3 spans both grants and both eras.
      const codes: string[] = [];
      for (const client of [alice, bob, alice, bob]) {
        const result = await client.callTool({ name: 'get_account', arguments: {} });
        codes.push(result.isError ? String(parseText(result).error) : 'ok');
      }
      assert.deepEqual(codes, ['ok', 'ok', 'ok', 'rate_limited']);
      // One pace: 28 reads at once from two grants against a 7 rps account → no 429.
      paced.clearRequests();
      const ids = paced.store.leads.slice(0, 14).map((l) => l.id);
      const reads = await Promise.all([alice, bob].flatMap((client) => ids.map((id) => client.callTool({ name: 'get_lead', arguments: { id } }))));
      assert.ok(reads.every((r) => r.isError !== true));
      assert.equal(paced.requests.filter((r) => r.path.startsWith('/api/v4/leads/')).length, 28);
      assert.deepEqual(
        paced.requests.filter((r) => r.status === 429),
        [],
        'the two grants share one outgoing pace',
      );
      // One report cache: the second grant's dashboard is served from what the first one fetched.
      paced.clearRequests();
      assert.notEqual((await alice.callTool({ name: 'get_dashboard', arguments: {} })).isError, true);
      const first = paced.requests.length;
      paced.clearRequests();
      assert.notEqual((await bob.callTool({ name: 'get_dashboard', arguments: {} })).isError, true);
      assert.ok(first > 0 && paced.requests.length < first, `the second dashboard made ${paced.requests.length} requests after the first made ${first}`);
    } finally {
      for (const client of clients) await client.close().catch(() => {});
      server.child.kill('SIGTERM');
      await server.exited;
      await paced.close();
    }
  });

  test('the built entry point: KOMMO_GRANTS with a per-grant policy file that is hot-reloaded; stderr never shows a token', async () => {
    const grants = join(dir, 'served.json');
    const policy = join(dir, 'reader.json');
    writeFileSync(policy, JSON.stringify({ version: '1', default: 'deny', tools: { get_account: {} } }));
    writeFileSync(
      grants,
      JSON.stringify({ grants: { reader: { token_sha256: sha256Hex(BOB), policy: 'reader.json' }, alice: { token_sha256: sha256Hex(ALICE) } } }),
    );
    const server = spawnHttp(['--http', '--port', '0'], { KOMMO_BASE_URL: sandbox.url, KOMMO_ACCESS_TOKEN: sandbox.token, KOMMO_GRANTS: grants });
    try {
      const url = await server.url;
      const client = new Client({ name: 'grant-e2e', version: '1' }, eraOptions('modern'));
      await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${BOB}` } } }));
      assert.equal(parseText(await client.callTool({ name: 'get_users', arguments: {} })).error, 'policy_denied');
      writeFileSync(policy, JSON.stringify({ version: '1', default: 'allow' }));
      const deadline = Date.now() + 5000;
      let result = await client.callTool({ name: 'get_users', arguments: {} });
      while (result.isError && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        result = await client.callTool({ name: 'get_users', arguments: {} });
      }
      assert.notEqual(result.isError, true, 'the edited grant policy applies');
      await client.close();
      assert.match(server.stderr(), /"grant":"reader"/, 'audit lines name the grant');
      assert.ok(!server.stderr().includes(BOB) && !server.stderr().includes(ALICE));
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });
});
