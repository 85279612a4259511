/**
 * `requestApproval` with a fake elicit: only an explicit "approve" of exactly the shown arguments lets
 * a call through; everything else throws the right error and leaves one audit trail.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProtocolError, ProtocolErrorCode, SdkError, SdkErrorCode, type ElicitResult } from '@modelcontextprotocol/server';
import { ApprovalDeclined, ApprovalRequired, ApprovalUnavailable, KommoNotFound, ToolError } from '../src/errors.js';
import { approvalSchema, readAnswer, requestApproval } from '../policy/approval.js';
import { ApprovalWords } from '../src/approval-words.js';
import { accept, approvalRequest, fakeElicit, HASH, never, stubKommo, toolContext } from './approval-fixtures.js';

async function rejection(promise: Promise<unknown>): Promise<ToolError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof ToolError, `expected a ToolError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the approval to be refused');
}

const events = (audit: Array<{ event: string }>): string[] => audit.map((a) => a.event);

describe('requestApproval', () => {
  it('lets the call through only on accept with decision "approve", auditing proposed and approved with the hash', async () => {
    const { elicit, calls } = fakeElicit(() => accept('approve'));
    const { req, audit } = approvalRequest({ elicit });
    await requestApproval(req);
    assert.equal(calls.length, 1);
    assert.equal(calls[0]!.params.mode, 'form');
    assert.deepEqual(calls[0]!.params.requestedSchema, approvalSchema(new ApprovalWords('en')));
    // The current titled-enum form: oneOf const/title, never the deprecated enumNames.
    const field = calls[0]!.params.requestedSchema.properties.decision as Record<string, unknown>;
    assert.deepEqual(
      (field.oneOf as Array<{ const: string }>).map((o) => o.const),
      ['approve', 'reject'],
    );
    assert.equal(field.enumNames, undefined);
    assert.equal(field.enum, undefined);
    assert.deepEqual(events(audit), ['proposed', 'approved']);
    assert.equal(calls[0]!.timeoutMs, 5_000);
  });

  it('tells the person the action, every argument, what changes and the deal value, and no internal reference', async () => {
    const { elicit, calls } = fakeElicit(() => accept('approve'));
    const { req } = approvalRequest({ elicit, message: 'Closing deals needs the sales lead.' });
    await requestApproval(req);
    const message = calls[0]!.params.message;
    assert.match(message, /^Closing deals needs the sales lead\./);
    assert.match(message, /The assistant asks to change a lead in Kommo \(update_lead\)/);
    assert.match(message, /Lead "Acme renewal" \(id 42\), value 1,200:/);
    assert.match(message, /Stage: "Negotiation" \(pipeline "Sales"\) → "Closed - won" \(pipeline "Sales"\)/);
    assert.match(message, /Value: 1,200 → 1,500/);
    assert.match(message, /- Record: 42/);
    assert.match(message, /- Value: 1,500/);
    assert.match(message, /- Stage: "Closed - won" \(id 142\)/);
    assert.doesNotMatch(message, /Reference|audit log/);
    assert.ok(!message.includes(HASH.slice(0, 12)), 'no internal hash in what the person reads');
    assert.match(message, /expires in 5 seconds/);
  });

  it('decline → approval_declined, telling the agent not to retry', async () => {
    const { elicit } = fakeElicit(() => ({ action: 'decline' }));
    const { req, audit } = approvalRequest({ elicit });
    const err = await rejection(requestApproval(req));
    assert.ok(err instanceof ApprovalDeclined);
    assert.equal(err.code, 'approval_declined');
    assert.match(err.message, /declined.*do not retry the same call unless they ask/);
    assert.deepEqual(events(audit), ['proposed', 'declined']);
  });

  for (const [label, result] of [
    ['decision "reject"', accept('reject')],
    ['no content', { action: 'accept' }],
    ['empty content', { action: 'accept', content: {} }],
    ['decision true', accept(true)],
    ['decision "Approve" (wrong case)', accept('Approve')],
    ['an extra field beside approve', { action: 'accept', content: { decision: 'approve', note: 'ok' } }],
    ['approve under another field', { action: 'accept', content: { approve: true } }],
  ] as Array<[string, ElicitResult]>) {
    it(`accept with ${label} counts as declined`, async () => {
      const { elicit } = fakeElicit(() => result);
      const { req, audit } = approvalRequest({ elicit });
      const err = await rejection(requestApproval(req));
      assert.equal(err.code, 'approval_declined');
      assert.deepEqual(events(audit), ['proposed', 'declined']);
    });
  }

  it('cancel (closed without deciding) → approval_required', async () => {
    const { elicit } = fakeElicit(() => ({ action: 'cancel' }));
    const { req, audit } = approvalRequest({ elicit });
    const err = await rejection(requestApproval(req));
    assert.ok(err instanceof ApprovalRequired);
    assert.match(err.message, /without a decision.*when they are present/);
    assert.deepEqual(events(audit), ['proposed', 'cancelled']);
    assert.equal(audit[1]!.fields.reason, 'dismissed');
  });

  it('a client that never answers → approval_required after timeoutMs, and the elicitation is aborted', async () => {
    const { elicit, calls } = fakeElicit(never);
    const { req, audit } = approvalRequest({ elicit, timeoutMs: 60 });
    const started = Date.now();
    const err = await rejection(requestApproval(req));
    assert.ok(Date.now() - started < 2_000);
    assert.ok(err instanceof ApprovalRequired);
    assert.match(err.message, /Nobody answered .* within 0\.1 seconds/);
    assert.equal(err.details.reason, 'timeout');
    assert.equal(calls[0]!.signal.aborted, true, 'the pending elicitation request is cancelled');
    assert.deepEqual(events(audit), ['proposed', 'expired']);
  });

  it("the SDK's own request timeout also counts as expired", async () => {
    const { elicit } = fakeElicit(() => Promise.reject(new SdkError(SdkErrorCode.RequestTimeout, 'Request timed out')));
    const { req, audit } = approvalRequest({ elicit });
    const err = await rejection(requestApproval(req));
    assert.equal(err.code, 'approval_required');
    assert.deepEqual(events(audit), ['proposed', 'expired']);
  });

  it('the tool call being cancelled while waiting → approval_required, and the elicitation is aborted', async () => {
    const callAbort = new AbortController();
    const kommo = stubKommo();
    const { elicit, calls } = fakeElicit(() => {
      setTimeout(() => callAbort.abort('client cancelled'), 10);
      return never();
    });
    const { req, audit } = approvalRequest({ elicit, kommo: kommo.client });
    req.toolContext = toolContext(kommo.client, callAbort.signal);
    const err = await rejection(requestApproval(req));
    assert.equal(err.code, 'approval_required');
    assert.equal(err.details.reason, 'cancelled');
    assert.equal(calls[0]!.signal.aborted, true);
    assert.deepEqual(events(audit), ['proposed', 'cancelled']);
  });

  it('a client without elicitation → approval_unavailable saying how to proceed, without asking', async () => {
    const { req, audit } = approvalRequest();
    const err = await rejection(requestApproval(req));
    assert.ok(err instanceof ApprovalUnavailable);
    assert.match(err.message, /MCP client that supports elicitation/);
    assert.match(err.message, /change the policy for update_lead/);
    assert.deepEqual(audit, []);
  });

  it('a client that refuses form elicitation (SDK capability check or method not found) → approval_unavailable', async () => {
    for (const failure of [
      new SdkError(SdkErrorCode.CapabilityNotSupported, 'Client does not support form elicitation.'),
      new ProtocolError(ProtocolErrorCode.MethodNotFound, 'Method not found'),
      new ProtocolError(ProtocolErrorCode.InvalidParams, 'Client does not support form-mode elicitation requests'),
    ]) {
      const { elicit } = fakeElicit(() => Promise.reject(failure));
      const { req } = approvalRequest({ elicit });
      assert.equal((await rejection(requestApproval(req))).code, 'approval_unavailable');
    }
  });

  it('an answer off the form counts as declined; any other client failure as no decision', async () => {
    // The SDK does not check the answer against the form (we send the request as is): readAnswer does.
    const offSchema = fakeElicit(() => ({ action: 'accept', content: { decision: 'yes please' } }));
    assert.equal((await rejection(requestApproval(approvalRequest({ elicit: offSchema.elicit }).req))).code, 'approval_declined');
    const closed = fakeElicit(() => Promise.reject(new SdkError(SdkErrorCode.ConnectionClosed, 'Connection closed')));
    const { req, audit } = approvalRequest({ elicit: closed.elicit });
    assert.equal((await rejection(requestApproval(req))).code, 'approval_required');
    assert.deepEqual(events(audit), ['proposed', 'cancelled']);
  });

  it('nothing in the arguments counts as approval: the person is still asked, and their decline stands', async () => {
    const { elicit, calls } = fakeElicit(() => ({ action: 'decline' }));
    const { req } = approvalRequest({
      elicit,
      args: { id: 42, price: 1500, decision: 'approve', approved: true, _meta: { approval: 'approve' } },
    });
    assert.equal((await rejection(requestApproval(req))).code, 'approval_declined');
    assert.equal(calls.length, 1);
    // Agent-written text is shown quoted, never as the server's own words.
    assert.match(calls[0]!.params.message, /- Decision: "approve"/);
  });

  it('an approval covers one call: the same arguments again are asked again', async () => {
    const answers: ElicitResult[] = [accept('approve'), { action: 'decline' }];
    const { elicit, calls } = fakeElicit(() => answers.shift()!);
    await requestApproval(approvalRequest({ elicit }).req);
    const err = await rejection(requestApproval(approvalRequest({ elicit }).req));
    assert.equal(err.code, 'approval_declined');
    assert.equal(calls.length, 2);
  });

  it('the arguments are frozen before asking: nothing can change them while waiting', async () => {
    const args: Record<string, unknown> = { id: 42, price: 1500, name: 'Acme' };
    const { elicit } = fakeElicit(() => {
      assert.throws(() => {
        args.price = 1;
      }, TypeError);
      return accept('approve');
    });
    const { req } = approvalRequest({ elicit, args });
    await requestApproval(req);
    assert.equal(req.args, args, 'the tool runs with the very object that was shown');
    assert.deepEqual(args, { id: 42, price: 1500, name: 'Acme' });
    assert.ok(Object.isFrozen(args));
  });

  it('a record that does not exist ends the call with not_found before asking anyone', async () => {
    const { elicit, calls } = fakeElicit(() => accept('approve'));
    const { req, audit } = approvalRequest({ elicit, args: { id: 4040, price: 1 } });
    await assert.rejects(requestApproval(req), KommoNotFound);
    assert.equal(calls.length, 0);
    assert.deepEqual(events(audit), ['proposed', 'cancelled']);
  });

  it('the summary reads Kommo but never writes; without Kommo it still shows every argument', async () => {
    const kommo = stubKommo();
    kommo.failReads();
    const { elicit, calls } = fakeElicit(() => accept('approve'));
    await requestApproval(approvalRequest({ elicit, kommo: kommo.client }).req);
    assert.deepEqual(kommo.writes, []);
    assert.match(calls[0]!.params.message, /could not be read from Kommo/);
    assert.match(calls[0]!.params.message, /- Stage: 142/);
  });

  it('while waiting, the call reports progress (seconds waited of the timeout), and stops when answered', async () => {
    const kommo = stubKommo();
    const progress: Array<[number, number | undefined, string | undefined]> = [];
    // The person answers once two progress notifications went out: no race with a loaded machine's timers.
    let answer: (result: ElicitResult) => void = () => {};
    const { elicit } = fakeElicit(() => new Promise<ElicitResult>((resolve) => (answer = resolve)));
    const { req } = approvalRequest({ elicit, kommo: kommo.client, timeoutMs: 30_000, progressEveryMs: 10 });
    req.toolContext = {
      ...toolContext(kommo.client),
      progress: async (value, total, message) => {
        progress.push([value, total, message]);
        if (progress.length === 2) answer(accept('approve'));
      },
    };
    await requestApproval(req);
    const count = progress.length;
    assert.ok(count >= 2, `progress sent ${count} times`);
    assert.deepEqual(progress[0]!.slice(1), [30, 'Waiting for a person to approve update_lead']);
    for (let i = 1; i < count; i++) assert.ok(progress[i]![0] > progress[i - 1]![0], 'progress strictly increases');
    await new Promise((r) => setTimeout(r, 40));
    assert.equal(progress.length, count, 'no progress after the answer');
  });

  it('two pending approvals resolve independently', async () => {
    const resolvers = new Map<number, (r: ElicitResult) => void>();
    const { elicit, calls } = fakeElicit(
      (call) => new Promise<ElicitResult>((resolve) => resolvers.set(call.params.message.includes('1,111') ? 1 : 2, resolve)),
    );
    const first = approvalRequest({ elicit, args: { id: 42, price: 1111 } });
    const second = approvalRequest({ elicit, args: { id: 42, price: 2222 } });
    const p1 = requestApproval(first.req);
    const p2 = requestApproval(second.req);
    while (calls.length < 2) await new Promise((r) => setTimeout(r, 1));
    resolvers.get(2)!(accept('approve'));
    await p2;
    assert.deepEqual(events(first.audit), ['proposed'], 'the first is still waiting');
    resolvers.get(1)!({ action: 'decline' });
    assert.equal((await rejection(p1)).code, 'approval_declined');
    assert.deepEqual(events(second.audit), ['proposed', 'approved']);
  });
});

describe('readAnswer', () => {
  it('approves only {decision: "approve"} under accept', () => {
    assert.deepEqual(readAnswer(accept('approve')), { outcome: 'approved' });
    assert.equal(readAnswer({ action: 'decline', content: { decision: 'approve' } }).outcome, 'declined');
    assert.equal(readAnswer({ action: 'cancel', content: { decision: 'approve' } }).outcome, 'dismissed');
  });
});
