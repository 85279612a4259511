/**
 * Limits a governed agent cannot escape, tried as a hostile agent would, through the official MCP
 * Client, the real server and the sandbox's request log: floods of distinct values cannot evict a
 * spent budget, a store that cannot be reached refuses limited calls, writes Kommo may have applied
 * keep their unit, and approvals are neither free nor endless.
 */
import type { Client, ElicitRequest, ElicitResult } from '@modelcontextprotocol/client';
import assert from 'node:assert/strict';
import { createServer as createNetServer } from 'node:net';
import { describe, test } from 'node:test';
import type { AuditRecord } from '../policy/audit.js';
import { fileURLToPath } from 'node:url';
import { compilePolicy, type CompiledPolicy } from '../policy/compile.js';
import { loadPolicyFile } from '../policy/store.js';
import { toolArguments } from '../tools/index.js';
import { LimiterUnavailable, type CounterStore } from '../policy/counter-store.js';
import { Limiter } from '../policy/limiter.js';
import { MemoryCounterStore } from '../policy/memory-counter-store.js';
import { PolicyMiddleware } from '../policy/middleware.js';
import { Pacer } from '../src/kommo/pacer.js';
import type { Sandbox, SandboxFault } from '../src/sandbox/index.js';
import { harnessPool, type Harness, type HarnessOptions } from './harness.js';
import { isNameLookup } from './tools-support.js';

let sandbox: Sandbox;
const start = harnessPool(
  (s) => {
    sandbox = s;
  },
  { leads: 60 },
);

const T0 = Date.UTC(2026, 2, 1, 10, 0, 5);
const leads = () => sandbox.store.leads.filter((l) => !l.is_deleted);
const leadPosts = (h: Harness) => h.requests().filter((r) => r.method === 'POST' && r.path === '/api/v4/leads').length;

/** Resolves once the sandbox has received `count` requests matching `what`. */
async function received(what: (r: { method: string; path: string }) => boolean, count = 1): Promise<void> {
  while (sandbox.requests.filter(what).length < count) await new Promise((resolve) => setTimeout(resolve, 5));
}

/** A loopback port nothing listens on (connection refused). */
async function closedPort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const CREATES_TWICE_A_DAY = {
  version: '1',
  default: 'allow',
  tools: { create_lead: { limits: [{ counter: 'creates', window: 'day', max: 2, scope: 'grant' }] } },
};

function middleware(policy: object, store: CounterStore, extra: Partial<ConstructorParameters<typeof PolicyMiddleware>[0]> = {}): PolicyMiddleware {
  return new PolicyMiddleware({ policy: compilePolicy(policy, toolArguments), limiter: new Limiter({ store, now: () => T0 }), ...extra });
}

describe('counters cannot be evicted or flooded', () => {
  test('a flood of distinct argument values at a small KOMMO_LIMITER_MAX_KEYS leaves the spent create_lead budget spent', async () => {
    const store = new MemoryCounterStore({ maxKeys: 5, now: () => T0 });
    const policy = {
      version: '1',
      default: 'allow',
      tools: {
        create_lead: { limits: [{ counter: 'creates', window: 'day', max: 2, scope: 'grant' }] },
        run_salesbot: { action: 'approval', limits: [{ counter: 'bot_per_lead', window: 'day', max: 1, scope: 'args.entity_id' }] },
        get_lead: { limits: [{ counter: 'reads_per_lead', window: 'hour', max: 3, scope: 'args.id' }] },
      },
    };
    const h = await start({ middleware: middleware(policy, store) });
    for (const name of ['flood one', 'flood two']) assert.equal((await h.callJson('create_lead', { name })).isError, false);

    // A client without elicitation: every run_salesbot is refused before Kommo, and leaves no key.
    for (let i = 0; i < 300; i++) {
      const refused = await h.callJson('run_salesbot', { bot_id: sandbox.store.bots[0]!.id, entity_id: 1_000_000 + i, entity_type: 'leads' });
      assert.equal(refused.body.error, 'approval_unavailable');
    }
    assert.equal(store.size.args, 0, 'refused calls leave no counter behind');

    // Distinct lead ids: the first five take the five per-argument keys; the rest are refused, not evicting.
    h.resetLog();
    const results = [];
    for (const l of leads().slice(0, 40)) results.push(await h.callJson('get_lead', { id: l.id }));
    assert.equal(results.filter((r) => !r.isError).length, 5);
    const full = results.filter((r) => r.body.error === 'rate_limited');
    assert.equal(full.length, 35);
    assert.equal(full[0]!.body.reason, 'limiter_full');
    assert.match(full[0]!.body.message as string, /^get_lead was not made because the rate limiter is full: .* the first frees in \d+ seconds; retry then\.$/);
    assert.equal(full[0]!.body.retryAfterSeconds, 3_600 - 5, 'the per-lead hour windows end at 11:00:00');
    assert.equal(h.requests().filter((r) => !isNameLookup(r)).length, 5, 'only the admitted reads reached Kommo');
    assert.deepEqual(store.size, { fixed: 1, args: 5, markers: 0 });

    const third = await h.callJson('create_lead', { name: 'flood three' });
    assert.equal(third.body.error, 'rate_limited');
    assert.equal(third.body.counter, 'creates');
    assert.equal(h.requests().filter((r) => r.method === 'POST').length, 0);
  });
});

describe('a counter store that cannot be reached', () => {
  const failing = (how: 'throws' | 'rejects'): CounterStore => {
    const down = () => new LimiterUnavailable('connect ECONNREFUSED 127.0.0.1:6379');
    const fail =
      how === 'throws'
        ? () => {
            throw down();
          }
        : () => Promise.reject(down());
    return { kind: 'redis', reserve: fail, commit: fail, rollback: fail, used: fail, claimOnce: fail, close: () => {} };
  };
  for (const how of ['throws', 'rejects'] as const) {
    test(`(${how}) refuses calls that need a counter with limiter_unavailable and no request; calls without limits go on`, async () => {
      const policy = { version: '1', default: 'allow', tools: { get_lead: { limits: [{ counter: 'reads', window: 'minute', max: 10 }] } } };
      const h = await start({ middleware: middleware(policy, failing(how)) });
      const refused = await h.callJson('get_lead', { id: leads()[0]!.id });
      assert.equal(refused.body.error, 'limiter_unavailable');
      assert.equal(refused.body.tool, 'get_lead');
      assert.match(refused.body.message as string, /^get_lead was not made because its rate-limit counters/);
      assert.doesNotMatch(JSON.stringify(refused.body), /ECONNREFUSED|6379/, "the store's own error stays in the server log");
      assert.deepEqual(h.requests(), []);
      assert.equal((await h.callJson('get_account', {})).isError, false);
      assert.equal(h.requests().length, 1);
    });
  }
});

describe('a write Kommo may have applied keeps its unit', () => {
  const faults: Array<{ name: string; fault: Omit<SandboxFault, 'times'>; status: number; why: RegExp }> = [
    { name: 'a timeout', fault: { method: 'POST', path: '/api/v4/leads', status: 201, delayMs: 4_000 }, status: 0, why: /but no answer came in time/ },
    { name: 'a 502', fault: { method: 'POST', path: '/api/v4/leads', status: 502 }, status: 502, why: /server error \(HTTP 502\)/ },
    { name: 'a 500', fault: { method: 'POST', path: '/api/v4/leads', status: 500 }, status: 500, why: /server error \(HTTP 500\)/ },
    { name: 'a reset after sending', fault: { method: 'POST', path: '/api/v4/leads', status: 0, destroy: true }, status: 0, why: /the connection broke/ },
  ];
  for (const { name, fault, status, why } of faults) {
    test(`${name}: five create_lead calls under 2 per day put exactly 2 writes on the wire, and say the lead may exist`, async () => {
      const audit: AuditRecord[] = [];
      const h = await start({
        middleware: middleware(CREATES_TWICE_A_DAY, new MemoryCounterStore({ now: () => T0 }), { audit: { write: (r) => audit.push(r), close: () => {} } }),
        // Only the timeout case needs a short deadline; a loaded machine must not turn a 502 into a timeout.
        client: { timeoutMs: fault.delayMs ? 500 : 5_000 },
      });
      sandbox.injectFault({ ...fault, times: Infinity });
      try {
        const results = [];
        for (let i = 0; i < 5; i++) results.push(await h.callJson('create_lead', { name: `Ambiguous ${name} ${i}` }));
        await received((r) => r.method === 'POST' && r.path === '/api/v4/leads', 2);
        assert.equal(leadPosts(h), 2, 'exactly as many writes as the budget allows');
        assert.deepEqual(
          results.map((r) => r.body.error),
          ['kommo_error', 'kommo_error', 'rate_limited', 'rate_limited', 'rate_limited'],
        );
        const first = results[0]!.body;
        assert.equal(first.status, status);
        assert.equal(first.outcome, 'unknown');
        assert.match(first.message as string, why);
        assert.match(
          first.message as string,
          /^create_lead sent the change to Kommo but .*, so the change may have been applied: call get_leads with query "Ambiguous .* 0" to see whether the lead was created before trying again\.$/,
        );
        assert.doesNotMatch(JSON.stringify(results.map((r) => r.body)), /try again later/i);
        const lines = audit.filter((r) => r.tool === 'create_lead' && r.event !== 'sending');
        assert.deepEqual(
          lines.slice(0, 2).map((r) => [r.budget, r.kommoOutcome]),
          [
            ['kept', 'unknown'],
            ['kept', 'unknown'],
          ],
        );
      } finally {
        sandbox.clearFaults();
      }
    });
  }

  test('a cancel after the request was sent keeps the unit; a cancel while queued in the pace gives it back', async () => {
    const audit: AuditRecord[] = [];
    const shared = middleware(CREATES_TWICE_A_DAY, new MemoryCounterStore({ now: () => T0 }), { audit: { write: (r) => audit.push(r), close: () => {} } });
    const h = await start({ middleware: shared });
    sandbox.injectFault({ method: 'POST', path: '/api/v4/leads', status: 201, delayMs: 60_000, times: Infinity });
    try {
      for (let i = 0; i < 2; i++) {
        const controller = new AbortController();
        const pending = h.client.callTool({ name: 'create_lead', arguments: { name: `Cancelled ${i}` } }, { signal: controller.signal });
        await received((r) => r.method === 'POST' && r.path === '/api/v4/leads', i + 1);
        controller.abort();
        await assert.rejects(pending);
      }
      const results = () => audit.filter((r) => r.tool === 'create_lead' && r.event !== 'sending');
      while (results().length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
      assert.deepEqual(
        results().map((r) => [r.budget, r.kommoOutcome]),
        [
          ['kept', 'unknown'],
          ['kept', 'unknown'],
        ],
      );
      const third = await h.callJson('create_lead', { name: 'Cancelled 2' });
      assert.equal(third.body.error, 'rate_limited', 'both cancelled writes count');
      assert.equal(leadPosts(h), 2);
    } finally {
      sandbox.clearFaults();
    }

    // One request every 2 s: a call waiting behind another in the pace never sends its write.
    const audit2: AuditRecord[] = [];
    const slow = await start({
      middleware: middleware(CREATES_TWICE_A_DAY, new MemoryCounterStore({ now: () => T0 }), { audit: { write: (r) => audit2.push(r), close: () => {} } }),
      client: { pacer: new Pacer(0.5) },
    });
    assert.equal((await slow.callJson('get_account', {})).isError, false);
    const controller = new AbortController();
    const queued = slow.client.callTool({ name: 'create_lead', arguments: { name: 'Queued' } }, { signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort();
    await assert.rejects(queued);
    const result2 = () => audit2.find((r) => r.tool === 'create_lead' && r.event !== 'sending');
    while (!result2()) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(result2()!.budget, 'given_back');
    assert.equal(leadPosts(slow), 0);
  });

  test('a write that never left (connection refused) gives its unit back: the budget is whole afterwards', async () => {
    const shared = middleware(CREATES_TWICE_A_DAY, new MemoryCounterStore({ now: () => T0 }));
    const down = await start({ middleware: shared, client: { baseUrl: `http://127.0.0.1:${await closedPort()}` } });
    for (let i = 0; i < 4; i++) {
      const failed = await down.callJson('create_lead', { name: `Never sent ${i}` });
      assert.equal(failed.body.error, 'kommo_error');
      assert.doesNotMatch(failed.body.message as string, /may have been applied/);
    }
    const up = await start({ middleware: shared });
    for (let i = 0; i < 2; i++) assert.equal((await up.callJson('create_lead', { name: `Sent ${i}` })).isError, false);
    assert.equal((await up.callJson('create_lead', { name: 'Sent 2' })).body.error, 'rate_limited');
    assert.equal(leadPosts(up), 2);
  });

  test('a write Kommo answered 429 gives its unit back', async () => {
    const h = await start({ middleware: middleware(CREATES_TWICE_A_DAY, new MemoryCounterStore({ now: () => T0 })) });
    sandbox.injectFault({ method: 'POST', path: '/api/v4/leads', status: 429, times: 3 });
    for (let i = 0; i < 3; i++) assert.equal((await h.callJson('create_lead', { name: `Busy ${i}` })).body.status, 429);
    for (let i = 0; i < 2; i++) assert.equal((await h.callJson('create_lead', { name: `Taken ${i}` })).isError, false);
    assert.equal((await h.callJson('create_lead', { name: 'Taken 2' })).body.error, 'rate_limited');
    assert.equal(leadPosts(h), 5);
  });
});

/** A client that shows approval forms: `answer` decides each; every form is recorded. */
function asking(answer: (request: ElicitRequest) => Promise<ElicitResult> | ElicitResult) {
  const asked: ElicitRequest['params'][] = [];
  return {
    asked,
    options: {
      capabilities: { elicitation: { form: {} } },
      setupClient: (client: Client) => {
        client.setRequestHandler('elicitation/create', async (request) => {
          asked.push(request.params);
          return answer(request);
        });
      },
    } satisfies HarnessOptions,
  };
}

const approve = (): ElicitResult => ({ action: 'accept', content: { decision: 'approve' } });
const botArgs = (i = 0) => ({ bot_id: sandbox.store.bots[0]!.id, entity_id: leads()[i]!.id, entity_type: 'leads' });

describe('approvals are neither free nor endless', () => {
  const SALESBOT_3_PER_MINUTE = {
    version: '1',
    default: 'allow',
    tools: { run_salesbot: { action: 'approval', limits: [{ counter: 'bots', window: 'minute', max: 3, scope: 'grant' }] } },
  };

  for (const era of ['legacy', 'modern'] as const) {
    test(`a decline loop (${era} era): 20 run_salesbot calls a person keeps declining → 3 prompts in the window, no run, the rest rate_limited`, async () => {
      const { asked, options } = asking(() => ({ action: 'decline' }));
      const audit: AuditRecord[] = [];
      const h = await start({ ...options, policy: SALESBOT_3_PER_MINUTE, now: () => T0, audit: (r) => audit.push(r), era });
      const codes = [];
      for (let i = 0; i < 20; i++) codes.push((await h.callJson('run_salesbot', botArgs(i))).body.error);
      assert.deepEqual(codes.slice(0, 3), ['approval_declined', 'approval_declined', 'approval_declined']);
      assert.deepEqual(new Set(codes.slice(3)), new Set(['rate_limited']));
      assert.equal(asked.length, 3, 'no more prompts than the limit per window');
      assert.equal(h.requests().filter((r) => r.method === 'POST').length, 0);
      assert.deepEqual(
        audit.filter((r) => r.code === 'approval_declined').map((r) => r.budget),
        ['kept', 'kept', 'kept'],
      );
    });
  }

  test('max_pending 1 (the default): while a person is asked, more calls get rate_limited at once with retryAfterSeconds and no summary reads', async () => {
    const waiting: { answer?: (result: ElicitResult) => void } = {};
    const { asked, options } = asking(() => new Promise<ElicitResult>((resolve) => (waiting.answer = resolve)));
    const h = await start({ ...options, policy: SALESBOT_3_PER_MINUTE, now: () => T0 });
    /** The answer function of the next form the client is shown, once it is shown. */
    const nextPrompt = async (): Promise<(result: ElicitResult) => void> => {
      while (!waiting.answer) await new Promise((resolve) => setTimeout(resolve, 5));
      const answer = waiting.answer;
      waiting.answer = undefined;
      return answer;
    };
    const first = h.callJson('run_salesbot', botArgs(0));
    const answerFirst = await nextPrompt();
    const readsBefore = h.requests().length;
    const flood = await Promise.all(Array.from({ length: 10 }, (_, i) => h.callJson('run_salesbot', botArgs(i + 1))));
    for (const { body } of flood) {
      assert.equal(body.error, 'rate_limited');
      assert.equal(body.reason, 'approval_pending');
      assert.equal(body.retryAfterSeconds, 120, 'at the latest when the pending request times out');
      assert.equal(body.limit, 1);
      assert.equal(body.rule, 'tools.run_salesbot.approval.max_pending');
      assert.match(
        body.message as string,
        /^run_salesbot was not made because a person is already being asked to approve another call for this client \(at most 1 at once\)/,
      );
    }
    assert.equal(h.requests().length, readsBefore, 'refused calls read nothing for a summary');
    assert.equal(asked.length, 1);
    answerFirst(approve());
    assert.equal((await first).isError, false);
    // The slot is free again, and the refused calls took nothing from the 3 per minute.
    const second = h.callJson('run_salesbot', botArgs(1));
    (await nextPrompt())(approve());
    assert.equal((await second).isError, false);
    assert.equal(h.requests().filter((r) => r.method === 'POST').length, 2);
  });

  const reloads: Array<{ name: string; after: object; rule: string }> = [
    { name: 'hidden', after: { version: '1', default: 'allow', hide: ['run_salesbot'] }, rule: 'hide' },
    {
      name: 'denied',
      after: { version: '1', default: 'allow', tools: { run_salesbot: { action: 'deny', reason: 'No bots today.' } } },
      rule: 'tools.run_salesbot.action',
    },
    {
      name: 'its conditions failing',
      after: {
        version: '1',
        default: 'allow',
        tools: {
          run_salesbot: { action: 'approval', deny_if: [{ conditions: [{ path: 'args.entity_type', op: 'eq', value: 'leads' }], on_deny: 'Not on leads.' }] },
        },
      },
      rule: 'tools.run_salesbot.deny_if[0]',
    },
  ];
  for (const reload of reloads) {
    test(`a policy reloaded while the approval is pending (tool now ${reload.name}) → policy_denied after approval, no write`, async () => {
      const holder: { current: CompiledPolicy } = { current: compilePolicy(SALESBOT_3_PER_MINUTE, toolArguments) };
      const { options } = asking(() => {
        holder.current = compilePolicy(reload.after, toolArguments);
        return approve();
      });
      const h = await start({ ...options, policy: holder });
      const result = await h.callJson('run_salesbot', botArgs(0));
      assert.equal(result.body.error, 'policy_denied');
      assert.equal(result.body.rule, reload.rule);
      assert.equal(result.body.reason, 'policy_changed');
      assert.match(
        result.body.message as string,
        /^The policy changed while this run_salesbot call waited for approval, and the policy now in force refuses it: /,
      );
      assert.equal(h.requests().filter((r) => r.method !== 'GET').length, 0);
    });

    test(`2026-07-28 (input_required round trip): a policy reloaded before the approved call comes back (tool now ${reload.name}) → policy_denied, no write`, async () => {
      const holder: { current: CompiledPolicy } = { current: compilePolicy(SALESBOT_3_PER_MINUTE, toolArguments) };
      const { asked, options } = asking(() => {
        holder.current = compilePolicy(reload.after, toolArguments);
        return approve();
      });
      const h = await start({ ...options, policy: holder, era: 'modern' });
      const result = await h.callJson('run_salesbot', botArgs(0));
      assert.equal(asked.length, 1, 'the person was asked');
      assert.equal(result.body.error, 'policy_denied');
      assert.equal(result.body.rule, reload.rule);
      assert.equal(h.requests().filter((r) => r.method !== 'GET').length, 0);
    });
  }

  test('the shipped default.json sets max_pending 1 on both Salesbot tools and says a declined approval counts', () => {
    const file = fileURLToPath(new URL('../../policy/default.json', import.meta.url));
    const policy = loadPolicyFile(file, toolArguments);
    for (const tool of ['run_salesbot', 'stop_salesbot']) {
      assert.equal(policy.tools.get(tool)!.approval.maxPending, 1);
      assert.match(policy.tools.get(tool)!.approval.message!, /Declining counts toward its limit/);
    }
    assert.match(policy.document.description!, /a declined approval counts as one of the 10/);
    assert.match(policy.document.description!, /approval\.max_pending 1/);
  });

  test('a reload that still allows the call lets the approved call run', async () => {
    const holder: { current: CompiledPolicy } = { current: compilePolicy(SALESBOT_3_PER_MINUTE, toolArguments) };
    const { options } = asking(() => {
      holder.current = compilePolicy({ version: '1', default: 'allow' }, toolArguments);
      return approve();
    });
    const h = await start({ ...options, policy: holder });
    assert.equal((await h.callJson('run_salesbot', botArgs(0))).isError, false);
    assert.equal(h.requests().filter((r) => r.method === 'POST').length, 1);
  });
});

describe('arguments found invalid once Kommo data is read cost nothing and read little', () => {
  const MOVES_TWICE_A_DAY = {
    version: '1',
    default: 'allow',
    tools: {
      move_lead: { limits: [{ counter: 'moves', window: 'day', max: 2, scope: 'grant' }] },
      run_salesbot: { limits: [{ counter: 'bots', window: 'day', max: 1, scope: 'grant' }] },
    },
  };
  const reads = (h: Harness, path: string) => h.requests().filter((r) => r.method === 'GET' && r.path === path).length;

  test('an invalid move (unknown stage, pipeline or loss reason): invalid_arguments with the choices, no write, the unit given back, one refresh per kind and TTL', async () => {
    let now = T0;
    const h = await start({ policy: MOVES_TWICE_A_DAY, now: () => now });
    const [lead] = leads().filter((l) => l.status_id !== 142 && l.status_id !== 143);
    const pipeline = sandbox.store.pipelines.find((p) => p.id === lead!.pipeline_id)!;

    for (let i = 0; i < 10; i++) {
      const bad = await h.callJson('move_lead', { lead_id: lead!.id, status_id: 999_000 + i });
      assert.equal(bad.body.error, 'invalid_arguments');
      assert.deepEqual(bad.body.fields, ['status_id']);
      assert.match(bad.body.message as string, new RegExp(`^There is no stage ${999_000 + i} in any pipeline of this account; valid status_id values: \\d+ "`));
    }
    const stageIssue = (await h.callJson('move_lead', { lead_id: lead!.id, status_id: 999_999, pipeline_id: pipeline.id })).body;
    assert.match(
      stageIssue.message as string,
      new RegExp(`^There is no stage 999999 in pipeline ${pipeline.id} ${JSON.stringify(pipeline.name).replace(/[()]/g, '\\$&')}; valid status_id values: `),
    );
    const choices = (stageIssue.issues as Array<{ choices: Array<{ id: number; name: string }> }>)[0]!.choices;
    assert.deepEqual(
      choices.map((c) => c.id),
      pipeline._embedded.statuses.map((s) => s.id),
    );

    const noPipeline = await h.callJson('move_lead', { lead_id: lead!.id, status_id: 142, pipeline_id: 999_999 });
    assert.deepEqual(noPipeline.body.fields, ['pipeline_id']);
    assert.match(noPipeline.body.message as string, /^There is no pipeline 999999 in this account; valid pipeline_id values: /);

    for (let i = 0; i < 5; i++) {
      const noReason = await h.callJson('move_lead', { lead_id: lead!.id, status_id: 143, loss_reason_id: 888_000 + i });
      assert.deepEqual(noReason.body.fields, ['loss_reason_id']);
      assert.match(noReason.body.message as string, new RegExp(`^There is no loss reason ${888_000 + i} in this account; valid loss_reason_id values: \\d+ "`));
    }

    assert.equal(h.requests().filter((r) => r.method !== 'GET').length, 0, 'nothing was written');
    assert.equal(reads(h, '/api/v4/leads/pipelines'), 2, 'the first load and one refresh, not one per call');
    assert.equal(reads(h, '/api/v4/leads/loss_reasons'), 2);

    now = T0 + 300_000; // within the same KOMMO_REFERENCE_TTL_S window (600 s): no further refresh
    assert.equal((await h.callJson('move_lead', { lead_id: lead!.id, status_id: 999_998 })).body.error, 'invalid_arguments');
    assert.equal(reads(h, '/api/v4/leads/pipelines'), 2);
    now = T0 + 600_001; // the next window: the expired copy is loaded and may be refreshed once more
    assert.equal((await h.callJson('move_lead', { lead_id: lead!.id, status_id: 999_997 })).body.error, 'invalid_arguments');
    assert.equal((await h.callJson('move_lead', { lead_id: lead!.id, status_id: 999_996 })).body.error, 'invalid_arguments');
    assert.equal(reads(h, '/api/v4/leads/pipelines'), 4);

    // Every invalid call gave its unit back: the two moves of the day are still there.
    const target = pipeline._embedded.statuses.find((s) => s.id !== lead!.status_id && s.id !== 142 && s.id !== 143)!;
    assert.equal((await h.callJson('move_lead', { lead_id: lead!.id, status_id: target.id })).isError, false);
    assert.equal((await h.callJson('move_lead', { lead_id: lead!.id, status_id: lead!.status_id })).isError, false);
    assert.equal((await h.callJson('move_lead', { lead_id: lead!.id, status_id: target.id })).body.error, 'rate_limited');
    assert.equal(h.requests().filter((r) => r.method === 'PATCH').length, 2);
  });

  test('an unknown Salesbot: invalid_arguments naming bot_id, nothing run, the unit given back', async () => {
    const h = await start({ policy: MOVES_TWICE_A_DAY, now: () => T0 });
    for (let i = 0; i < 3; i++) {
      const bad = await h.callJson('run_salesbot', { ...botArgs(0), bot_id: 777_000 + i });
      assert.equal(bad.body.error, 'invalid_arguments');
      assert.deepEqual(bad.body.fields, ['bot_id']);
    }
    assert.equal(h.requests().filter((r) => r.method === 'POST').length, 0);
    assert.equal((await h.callJson('run_salesbot', botArgs(0))).isError, false);
    assert.equal((await h.callJson('run_salesbot', botArgs(0))).body.error, 'rate_limited');
  });
});
