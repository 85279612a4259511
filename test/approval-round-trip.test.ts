/**
 * Approval on protocol revision 2026-07-28: an `input_required` round trip whose `requestState` is
 * HMAC-sealed and bound to grant, tool, argument hash, policy hash and expiry, and single-use.
 * Driven by the official Client pinned to 2026-07-28 (which fulfils the form itself) and, for what
 * an attacker would send, by raw JSON-RPC over HTTP. Every case checks the writes Kommo received.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Client, ElicitRequest, ElicitResult } from '@modelcontextprotocol/client';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import type { AuditRecord } from '../policy/audit.js';
import { compilePolicy, type CompiledPolicy } from '../policy/compile.js';
import { toolArguments } from '../tools/index.js';
import { parseText, startHarness } from './harness.js';
import { rawToolCall, startHttpHarness, type HttpHarness } from './http-harness.js';

const ALICE = 'alice-round-trip-token-0123456789abcdef';
const BOB = 'bob-round-trip-token-0123456789abcdefgh';
const POLICY = {
  version: '1',
  default: 'allow',
  tools: {
    update_lead: {
      action: 'approval',
      approval: { message: 'Lead changes need a person.', timeout_s: 60, max_pending: 2 },
      limits: [{ counter: 'lead_updates', window: 'hour', max: 1, scope: 'grant' }],
    },
  },
};

let sandbox: Sandbox;
before(async () => {
  sandbox = await startSandbox({ rps: 0, leads: 40 });
});
after(() => sandbox.close());

const writes = () => sandbox.requests.filter((r) => r.method !== 'GET');
const approve = (): ElicitResult => ({ action: 'accept', content: { decision: 'approve' } });

function openLeadId(offset = 0): number {
  const leads = sandbox.store.leads.filter((l) => l.status_id !== 142 && l.status_id !== 143 && !l.is_deleted);
  return leads[offset]!.id;
}

/** A client pinned to 2026-07-28 that answers every approval form with `answer`. */
async function modernClient(
  h: HttpHarness,
  token: string,
  answer: (request: ElicitRequest) => ElicitResult,
  asked: ElicitRequest['params'][] = [],
): Promise<Client> {
  return h.connect('modern', {
    token,
    capabilities: { elicitation: { form: {} } },
    setupClient: (client) =>
      client.setRequestHandler('elicitation/create', (request) => {
        asked.push(request.params);
        return answer(request);
      }),
  });
}

/** One raw 2026-07-28 update_lead call, as any HTTP client could send it. */
const rawCall = (h: HttpHarness, token: string, args: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  rawToolCall(h.url, token, 'update_lead', args, extra);

const accepted = { approval: { action: 'accept', content: { decision: 'approve' } } };
const errorOf = (reply: Awaited<ReturnType<typeof rawCall>>) => parseText(reply.result as never);

describe('approval on 2026-07-28 (input_required)', () => {
  let clock = Date.parse('2026-06-01T12:00:00Z');
  let audit: AuditRecord[] = [];
  let policy: CompiledPolicy = compilePolicy(POLICY, toolArguments);
  let h: HttpHarness;
  before(async () => {
    h = await startHttpHarness({
      sandbox,
      // A holder, so one test can swap the policy in force between the two rounds.
      policy: {
        get current() {
          return policy;
        },
      },
      grants: { alice: { token: ALICE }, bob: { token: BOB } },
      audit: (record) => audit.push(record),
      now: () => clock,
    });
  });
  after(() => h.close());

  test('accepted through the official Client: the person sees the form, exactly one write, audited proposed → approved', async () => {
    audit = [];
    clock += 3_600_000; // a fresh hour: a fresh budget
    const asked: ElicitRequest['params'][] = [];
    const client = await modernClient(h, ALICE, approve, asked);
    sandbox.clearRequests();
    const result = await client.callTool({ name: 'update_lead', arguments: { id: openLeadId(), price: 4321 } });
    assert.notEqual(result.isError, true, JSON.stringify(result));
    assert.equal(asked.length, 1);
    assert.match(String(asked[0]!.message), /Lead changes need a person\./);
    assert.deepEqual(
      writes().map((r) => `${r.method} ${r.path}`),
      [`PATCH /api/v4/leads/${openLeadId()}`],
    );
    assert.deepEqual(
      audit.map((r) => r.event ?? `result:${r.code}`),
      ['proposed', 'result:input_required', 'approved', 'sending', 'result:ok'],
    );
    assert.ok(audit.every((r) => r.grant === 'alice'));
  });

  test('declined: approval_declined and no write', async () => {
    clock += 3_600_000;
    const client = await modernClient(h, ALICE, () => ({ action: 'decline' }));
    sandbox.clearRequests();
    const result = await client.callTool({ name: 'update_lead', arguments: { id: openLeadId(1), price: 11 } });
    assert.equal(parseText(result).error, 'approval_declined');
    assert.deepEqual(writes(), []);
  });

  test('a replayed state is refused (single use); an altered one never reaches the server; it binds arguments and grant', async () => {
    clock += 3_600_000;
    sandbox.clearRequests();
    const args = { id: openLeadId(2), price: 77 };
    const first = await rawCall(h, ALICE, args);
    assert.equal(first.result?.resultType, 'input_required');
    const state = first.result!.requestState!;
    assert.ok(state.length > 40);

    const otherArgs = await rawCall(h, ALICE, { ...args, price: 78 }, { requestState: state, inputResponses: accepted });
    assert.equal(errorOf(otherArgs).reason, 'state_mismatch');
    const otherGrant = await rawCall(h, BOB, args, { requestState: state, inputResponses: accepted });
    assert.equal(errorOf(otherGrant).reason, 'state_mismatch');
    const altered = await rawCall(h, ALICE, args, { requestState: `${state.slice(0, -3)}xyz`, inputResponses: accepted });
    assert.equal(altered.error?.code, -32602);
    assert.deepEqual(writes(), [], 'nothing written so far');

    const approved = await rawCall(h, ALICE, args, { requestState: state, inputResponses: accepted });
    assert.notEqual(approved.result?.isError, true, JSON.stringify(approved));
    const replayed = await rawCall(h, ALICE, args, { requestState: state, inputResponses: accepted });
    assert.equal(errorOf(replayed).error, 'approval_required');
    assert.equal(errorOf(replayed).reason, 'replayed');
    assert.equal(writes().length, 1, 'exactly one write for one approval');
  });

  test('expired after the approval timeout; refused after a policy change', async () => {
    clock += 3_600_000;
    sandbox.clearRequests();
    const args = { id: openLeadId(3), price: 90 };
    const late = await rawCall(h, ALICE, args);
    clock += 61_000;
    assert.equal(errorOf(await rawCall(h, ALICE, args, { requestState: late.result!.requestState, inputResponses: accepted })).reason, 'timeout');

    const asked = await rawCall(h, ALICE, args);
    policy = compilePolicy({ ...POLICY, hide: ['get_users'] }, toolArguments);
    try {
      assert.equal(errorOf(await rawCall(h, ALICE, args, { requestState: asked.result!.requestState, inputResponses: accepted })).reason, 'policy_changed');
    } finally {
      policy = compilePolicy(POLICY, toolArguments);
    }
    assert.deepEqual(writes(), []);
  });

  test('limits: checked when approval is asked (nothing spent), reserved when the approved call runs; a cap reached in between refuses', async () => {
    clock += 3_600_000;
    sandbox.clearRequests();
    const a = { id: openLeadId(4), price: 101 };
    const b = { id: openLeadId(5), price: 102 };
    const askA = await rawCall(h, ALICE, a);
    const askB = await rawCall(h, ALICE, b);
    assert.equal(askA.result?.resultType, 'input_required');
    assert.equal(askB.result?.resultType, 'input_required', 'asking spent nothing: the budget of 1 still allows the second question');
    assert.notEqual((await rawCall(h, ALICE, a, { requestState: askA.result!.requestState, inputResponses: accepted })).result?.isError, true);
    const refused = await rawCall(h, ALICE, b, { requestState: askB.result!.requestState, inputResponses: accepted });
    assert.equal(errorOf(refused).error, 'rate_limited');
    assert.equal(writes().length, 1);
    const third = await rawCall(h, ALICE, { id: openLeadId(6), price: 103 });
    assert.equal(errorOf(third).error, 'rate_limited', 'with the budget spent, the person is not even asked');
  });
});

describe('approval on 2026-07-28: pending approvals per grant', () => {
  test('max_pending (default 1): a second question while one is out is rate_limited (approval_pending); once it comes back, the next is asked', async () => {
    const h = await startHttpHarness({
      sandbox,
      policy: { version: '1', default: 'allow', tools: { update_lead: { action: 'approval' } } },
      grants: { alice: { token: ALICE }, bob: { token: BOB } },
    });
    try {
      sandbox.clearRequests();
      const first = await rawCall(h, ALICE, { id: openLeadId(9), price: 1 });
      assert.equal(first.result?.resultType, 'input_required');
      const second = await rawCall(h, ALICE, { id: openLeadId(10), price: 2 });
      assert.equal(errorOf(second).error, 'rate_limited');
      assert.equal(errorOf(second).reason, 'approval_pending');
      assert.equal((await rawCall(h, BOB, { id: openLeadId(10), price: 2 })).result?.resultType, 'input_required', 'another grant has its own slot');
      const declined = await rawCall(
        h,
        ALICE,
        { id: openLeadId(9), price: 1 },
        { requestState: first.result!.requestState, inputResponses: { approval: { action: 'decline' } } },
      );
      assert.equal(errorOf(declined).error, 'approval_declined');
      assert.equal((await rawCall(h, ALICE, { id: openLeadId(10), price: 2 })).result?.resultType, 'input_required', 'the slot is free again');
      assert.deepEqual(writes(), []);
    } finally {
      await h.close();
    }
  });
});

describe('approval on 2026-07-28 over stdio', () => {
  test('accepted through the official Client on the stdio entry (in memory): one write', async () => {
    const h = await startHarness({
      sharedSandbox: sandbox,
      era: 'modern',
      policy: POLICY,
      capabilities: { elicitation: { form: {} } },
      setupClient: (client) => client.setRequestHandler('elicitation/create', () => approve()),
    });
    try {
      const { isError } = await h.callJson('update_lead', { id: openLeadId(7), price: 555 });
      assert.equal(isError, false);
      assert.equal(h.requests().filter((r) => r.method === 'PATCH').length, 1);
    } finally {
      await h.close();
    }
  });

  test('a 2026-07-28 client without form elicitation: approval_unavailable and no Kommo request', async () => {
    const h = await startHarness({ sharedSandbox: sandbox, era: 'modern', policy: POLICY });
    try {
      const { body } = await h.callJson('update_lead', { id: openLeadId(8), price: 556 });
      assert.equal(body.error, 'approval_unavailable');
      assert.deepEqual(h.requests(), []);
    } finally {
      await h.close();
    }
  });
});
