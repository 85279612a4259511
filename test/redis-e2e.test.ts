/**
 * Several replicas, one budget, end to end: two built server processes (stdio, grant `stdio`) share
 * one real redis-server and one sandbox, under PolicyLayer's example policy (run_salesbot: 10 per
 * minute per grant). What reaches Kommo is read from the sandbox's request log.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { CallToolResult } from '@modelcontextprotocol/client';
import { OUTAGE_MESSAGE, RECOVERED_MESSAGE } from '../policy/shared-counters.js';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { parseText, spawnServer } from './harness.js';
import { rawToolCall, spawnHttp } from './http-harness.js';
import { startRedisServer, type RedisServer } from './redis-server.js';

const EXAMPLE_POLICY = fileURLToPath(new URL('../../policy/policylayer-example.json', import.meta.url));
const MAX = 10;

let redis: RedisServer;
let sandbox: Sandbox;
let prefixes = 0;
const running: Array<() => Promise<void>> = [];

before(async () => {
  [redis, sandbox] = await Promise.all([startRedisServer(), startSandbox({ rps: 0 })]);
});
after(async () => {
  await Promise.all(running.map((close) => close().catch(() => {})));
  await Promise.all([redis.close(), sandbox.close()]);
});

type Replica = Awaited<ReturnType<typeof spawnServer>>;

async function replica(prefix: string, fail: 'closed' | 'open' = 'closed'): Promise<Replica> {
  const server = await spawnServer(['--policy', EXAMPLE_POLICY], {
    KOMMO_BASE_URL: sandbox.url,
    KOMMO_ACCESS_TOKEN: sandbox.token,
    KOMMO_REDIS_URL: redis.url,
    KOMMO_REDIS_PREFIX: prefix,
    KOMMO_REDIS_FAIL: fail,
  });
  running.push(server.close);
  return server;
}

const botRuns = (): number => sandbox.requests.filter((r) => r.method === 'POST' && r.path === '/api/v4/bots/run').length;

async function runSalesbot(server: Replica): Promise<CallToolResult> {
  const bot = sandbox.store.bots[0]!;
  const lead = sandbox.store.leads[0]!;
  return (await server.client.callTool({ name: 'run_salesbot', arguments: { bot_id: bot.id, entity_id: lead.id, entity_type: 'leads' } })) as CallToolResult;
}

/** Error codes (or "ok") of the results. */
const codes = (results: CallToolResult[]): string[] => results.map((r) => (r.isError ? String(parseText(r).error) : 'ok'));
const count = (list: string[], code: string): number => list.filter((c) => c === code).length;

/** The budget is per UTC minute of Redis' clock: start a scenario with enough of the minute left. */
async function roomInMinute(ms: number): Promise<void> {
  const into = Date.now() % 60_000;
  if (into > 60_000 - ms) await sleep(60_000 - into + 50);
}

/** Calls split between the replicas, all at once. */
const burst = (replicas: Replica[], calls: number): Promise<CallToolResult[]> =>
  Promise.all(Array.from({ length: calls }, (_, i) => runSalesbot(replicas[i % replicas.length]!)));

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400 && !condition(); i++) await sleep(25);
  assert.ok(condition(), what);
}

/** Two fresh replicas on one budget spend 4 units, then Redis stops (keeping its data for the restart). */
async function fourCallsThenRedisStops(fail: 'closed' | 'open'): Promise<{ replicas: Replica[]; before: number }> {
  await roomInMinute(15_000);
  const prefix = `e2e${++prefixes}:`;
  const replicas = [await replica(prefix, fail), await replica(prefix, fail)];
  const before = botRuns();
  assert.deepEqual(codes(await burst(replicas, 4)), ['ok', 'ok', 'ok', 'ok']);
  await redis.stop({ save: true });
  return { replicas, before };
}

describe('two replicas sharing one Redis', () => {
  it('30 concurrent run_salesbot split between two processes: exactly 10 reach Kommo; a restarted process still sees the spent budget', async () => {
    await roomInMinute(15_000);
    const prefix = `e2e${++prefixes}:`;
    const replicas = [await replica(prefix), await replica(prefix)];
    const before = botRuns();
    const results = codes(await burst(replicas, 30));
    assert.equal(count(results, 'ok'), MAX);
    assert.equal(count(results, 'rate_limited'), 30 - MAX);
    assert.equal(botRuns() - before, MAX, 'exactly 10 requests reached the sandbox');

    await replicas[0]!.close();
    const restarted = await replica(prefix);
    const again = parseText(await runSalesbot(restarted));
    assert.equal(again.error, 'rate_limited');
    assert.equal(again.remaining, 0);
    assert.equal(botRuns() - before, MAX);
  });

  it('KOMMO_REDIS_FAIL=closed: while Redis is stopped calls get limiter_unavailable and make no request; when it is back the budget goes on where it was', async () => {
    const { replicas, before } = await fourCallsThenRedisStops('closed');
    const during = await burst(replicas, 6);
    assert.deepEqual(codes(during), Array(6).fill('limiter_unavailable'));
    assert.match(String(parseText(during[0]!).message), /^run_salesbot was not made because/);
    assert.equal(botRuns() - before, 4, 'no request while the counters are out of reach');

    await redis.start();
    // Each replica reconnects by itself; the first call that is let through counts like any other.
    let admitted = 0;
    for (const server of replicas) {
      for (let i = 0; i < 200; i++) {
        const code = codes([await runSalesbot(server)])[0];
        if (code === 'ok') {
          admitted++;
          break;
        }
        assert.equal(code, 'limiter_unavailable');
        await sleep(25);
      }
    }
    assert.equal(admitted, 2);
    const rest = codes(await burst(replicas, 30));
    assert.equal(count(rest, 'ok'), MAX - 4 - 2, 'the 4 calls made before the outage are still counted, none twice');
    assert.equal(botRuns() - before, MAX);
  });

  it('KOMMO_REDIS_FAIL=open: while Redis is stopped calls are counted in memory and the log says so; on return those calls join the shared budget', async () => {
    const { replicas, before } = await fourCallsThenRedisStops('open');
    assert.deepEqual(codes(await burst(replicas, 3)), ['ok', 'ok', 'ok']);
    assert.equal(botRuns() - before, 7);
    for (const server of replicas) {
      const line = server
        .stderr()
        .split('\n')
        .find((l) => l.includes(OUTAGE_MESSAGE));
      assert.ok(line, 'each replica that counted in memory says so on stderr');
      assert.equal(JSON.parse(line).level, 'error');
    }

    await redis.start();
    await until(() => replicas.every((s) => s.stderr().includes(RECOVERED_MESSAGE)), 'both replicas back on Redis');
    const rest = codes(await burst(replicas, 30));
    assert.equal(count(rest, 'ok'), MAX - 7, 'the 3 calls made during the outage were added to the shared budget');
    assert.equal(botRuns() - before, MAX);
  });
});

describe('approval states shared through Redis', () => {
  it('a 2026-07-28 approval state used on one replica cannot be replayed on another', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kommo-mcp-redis-e2e-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const policyFile = join(dir, 'policy.json');
    writeFileSync(policyFile, JSON.stringify({ version: '1', default: 'deny', tools: { update_lead: { action: 'approval' } } }));
    const env = {
      KOMMO_BASE_URL: sandbox.url,
      KOMMO_ACCESS_TOKEN: sandbox.token,
      KOMMO_POLICY: policyFile,
      KOMMO_REDIS_URL: redis.url,
      KOMMO_REDIS_PREFIX: `e2e${++prefixes}:`,
      // Both replicas seal and open the same states, as behind one load balancer.
      KOMMO_STATE_KEY: 'replica-shared-state-key-0123456789abcdef-XYZ',
    };
    const replicas = [spawnHttp(['--http', '--port', '0'], env), spawnHttp(['--http', '--port', '0'], env)];
    after(() => {
      for (const r of replicas) r.child.kill('SIGTERM');
    });
    const [urlA, urlB] = await Promise.all(replicas.map((r) => r.url));
    const lead = sandbox.store.leads.find((l) => l.status_id !== 142 && l.status_id !== 143)!;
    const args = { id: lead.id, price: 4242 };
    const writes = (): number => sandbox.requests.filter((r) => r.method === 'PATCH' && r.path === `/api/v4/leads/${lead.id}`).length;
    const before = writes();

    const asked = await rawToolCall(urlA!, undefined, 'update_lead', args);
    assert.equal(asked.result?.resultType, 'input_required');
    const approved = { requestState: asked.result!.requestState!, inputResponses: { approval: { action: 'accept', content: { decision: 'approve' } } } };
    const done = await rawToolCall(urlA!, undefined, 'update_lead', args, approved);
    assert.ok(done.result && done.result.isError !== true, JSON.stringify(done));
    assert.equal(writes() - before, 1);
    const replayed = await rawToolCall(urlB!, undefined, 'update_lead', args, approved);
    assert.ok(replayed.result, JSON.stringify(replayed));
    const refusal = parseText(replayed.result as unknown as CallToolResult);
    assert.equal(refusal.error, 'approval_required');
    assert.equal(refusal.reason, 'replayed');
    assert.equal(writes() - before, 1, 'one approval, one write, whichever replica the replay reaches');
  });
});

/** A loopback port nothing listens on (the OS chose it, then it was freed): connections are refused. */
async function refusedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((listening) => probe.listen(0, '127.0.0.1', listening));
  const { port } = probe.address() as AddressInfo;
  await new Promise((closed) => probe.close(closed));
  return port;
}

describe('start-up with Redis unreachable', () => {
  it('the transport connects without waiting for Redis: tools/list is answered before the "not reachable yet" line; a limited call still fails closed with no request', async () => {
    const server = await spawnServer(['--policy', EXAMPLE_POLICY], {
      KOMMO_BASE_URL: sandbox.url,
      KOMMO_ACCESS_TOKEN: sandbox.token,
      KOMMO_REDIS_URL: `redis://127.0.0.1:${await refusedPort()}`,
    });
    running.push(server.close);
    const { tools } = await server.client.listTools();
    assert.ok(tools.some((t) => t.name === 'run_salesbot'));
    assert.doesNotMatch(server.stderr(), /Redis is not reachable yet/);
    const before = botRuns();
    assert.equal(codes([await runSalesbot(server)])[0], 'limiter_unavailable');
    assert.equal(botRuns(), before);
    await until(() => /Redis is not reachable yet/.test(server.stderr()), 'the log says Redis is not reachable yet');
  });
});
