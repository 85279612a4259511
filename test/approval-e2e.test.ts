/**
 * Approval end to end: the real server, the official MCP `Client` (with or without the elicitation
 * capability) and the sandbox. Each test asserts the result code and the sandbox's request log: one
 * write after an explicit "approve", none otherwise, and the limit's reservation given back.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client, ElicitRequest, ElicitResult } from '@modelcontextprotocol/client';
import type { AuditRecord } from '../policy/audit.js';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnServer, startHarness, type Harness, type HarnessOptions } from './harness.js';

const POLICY = {
  version: '1',
  default: 'allow',
  tools: {
    update_lead: {
      action: 'approval',
      approval: { message: 'Lead changes need a person.', timeout_s: 1 },
      // One update per hour: an approval that was not given back must keep (decline) or return (no answer) its unit.
      limits: [{ counter: 'lead_updates', window: 'hour', max: 1, scope: 'global' }],
    },
    run_salesbot: { action: 'approval', approval: { timeout_s: 30, max_pending: 2 } },
  },
};

type Answer = (request: ElicitRequest, signal: AbortSignal) => Promise<ElicitResult> | ElicitResult;

interface Setup {
  h: Harness;
  audit: AuditRecord[];
  /** Every elicitation the client received, in order. */
  asked: ElicitRequest['params'][];
}

const approve = (): ElicitResult => ({ action: 'accept', content: { decision: 'approve' } });

let sandbox: Sandbox;
const open: Harness[] = [];

before(async () => {
  sandbox = await startSandbox({ rps: 0, leads: 60 });
});

after(async () => {
  for (const h of open) await h.close();
  await sandbox.close();
});

/** A fresh server (fresh limiter) on the shared sandbox; `answer` absent = a client without elicitation. */
async function start(answer?: Answer, options: HarnessOptions = {}): Promise<Setup> {
  const audit: AuditRecord[] = [];
  const asked: ElicitRequest['params'][] = [];
  const h = await startHarness({
    ...options,
    sharedSandbox: sandbox,
    policy: POLICY,
    audit: (record) => audit.push(record),
    capabilities: answer ? { elicitation: { form: {} } } : {},
    setupClient: (client: Client) => {
      if (!answer) return;
      client.setRequestHandler('elicitation/create', async (request, ctx) => {
        asked.push(request.params);
        return answer(request, ctx.mcpReq.signal);
      });
    },
  });
  open.push(h);
  return { h, audit, asked };
}

function openLead(): { id: number; name: string; price: number; status_id: number; pipeline_id: number } {
  const lead = sandbox.store.leads.find((l) => l.status_id !== 142 && l.status_id !== 143 && l.price > 0 && !l.is_deleted);
  assert.ok(lead, 'the sandbox has an open lead with a price');
  return { ...lead }; // a snapshot: the store's object changes with each write
}

const writes = (h: Harness) => h.requests().filter((r) => r.method !== 'GET');
const events = (audit: AuditRecord[]) => audit.map((r) => r.event ?? `result:${r.code}`);

async function until(check: () => boolean, what: string, ms = 3_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('approval through MCP elicitation', () => {
  it('accept with "approve": exactly one write, after the person saw the tool, every argument and what changes', async () => {
    const { h, audit, asked } = await start(approve);
    const lead = openLead();
    const { isError, body } = await h.callJson('update_lead', { id: lead.id, price: lead.price + 300, status_id: 142 });
    assert.equal(isError, false, JSON.stringify(body));

    assert.deepEqual(
      writes(h).map((r) => `${r.method} ${r.path}`),
      [`PATCH /api/v4/leads/${lead.id}`],
    );
    assert.deepEqual(writes(h)[0]!.body, { price: lead.price + 300, status_id: 142 });

    assert.equal(asked.length, 1);
    // In the account's language (the sandbox's user speaks Portuguese), with names exactly as Kommo has them.
    const message = asked[0]!.message;
    const pipeline = h.sandbox.store.pipelines.find((p) => p.id === lead.pipeline_id)!;
    const stage = pipeline._embedded.statuses.find((st) => st.id === lead.status_id)!;
    const won = pipeline._embedded.statuses.find((st) => st.id === 142)!;
    const brl = (n: number) => new Intl.NumberFormat('pt-BR', { style: 'currency', currency: 'BRL', maximumFractionDigits: 0 }).format(n);
    assert.match(message, /^Lead changes need a person\./);
    assert.ok(message.includes('O assistente pede para alterar um lead no Kommo (update_lead).'), message);
    assert.ok(message.includes(`Lead ${JSON.stringify(lead.name)} (id ${lead.id}), valor ${brl(lead.price)}:`), message);
    assert.ok(message.includes(`- Valor: ${brl(lead.price)} → ${brl(lead.price + 300)}`), message);
    assert.ok(
      message.includes(
        `- Etapa: ${JSON.stringify(stage.name)} (funil ${JSON.stringify(pipeline.name)}) → ${JSON.stringify(won.name)} (funil ${JSON.stringify(pipeline.name)})`,
      ),
      message,
    );
    assert.match(message, /Nada foi enviado ao Kommo ainda\./);
    const schema = (asked[0] as { requestedSchema?: { required?: string[]; properties: Record<string, Record<string, unknown>> } }).requestedSchema!;
    assert.deepEqual(schema.required, ['decision']);
    assert.deepEqual(schema.properties.decision!.oneOf, [
      { const: 'approve', title: 'Aprovar: executar este pedido' },
      { const: 'reject', title: 'Rejeitar: não executar' },
    ]);
    assert.equal(schema.properties.decision!.enumNames, undefined);

    // proposed → approved → sending (before the write) → the executed call's own line, all with one argument hash.
    assert.deepEqual(events(audit), ['proposed', 'approved', 'sending', 'result:ok']);
    const hash = audit[0]!.argsSha256;
    assert.ok(audit.every((r) => r.argsSha256 === hash));
    assert.ok(!message.includes(hash.slice(0, 12)) && !/Reference|audit/.test(message), 'no internal reference in what the person reads');
    assert.equal(audit[2]!.decision, 'approval');
    assert.ok(audit[2]!.kommoRequests >= 1);
  });

  it('decline → approval_declined, zero writes, and the unit is kept (a decision is a use): the next call is rate_limited without asking', async () => {
    const answers: ElicitResult[] = [{ action: 'decline' }, approve()];
    const { h, audit, asked } = await start(() => answers.shift()!);
    const lead = openLead();

    const declined = await h.callJson('update_lead', { id: lead.id, price: 777 });
    assert.equal(declined.body.error, 'approval_declined');
    assert.match(String(declined.body.message), /do not retry the same call unless they ask/);
    assert.deepEqual(writes(h), []);
    assert.deepEqual(events(audit), ['proposed', 'declined', 'result:approval_declined']);
    assert.equal(audit[2]!.budget, 'kept');

    const again = await h.callJson('update_lead', { id: lead.id, price: 778 });
    assert.equal(again.body.error, 'rate_limited');
    assert.deepEqual(writes(h), []);
    assert.equal(asked.length, 1, 'the person is not asked again within the window');
  });

  it('accept without an explicit "approve" counts as declined', async () => {
    const { h } = await start(() => ({ action: 'accept', content: { decision: 'reject' } }));
    const { body } = await h.callJson('update_lead', { id: openLead().id, price: 1 });
    assert.equal(body.error, 'approval_declined');
    assert.deepEqual(writes(h), []);
  });

  it('cancel (closed without deciding) → approval_required, zero writes', async () => {
    const { h, audit } = await start(() => ({ action: 'cancel' }));
    const { body } = await h.callJson('update_lead', { id: openLead().id, price: 2 });
    assert.equal(body.error, 'approval_required');
    assert.match(String(body.message), /when they are present/);
    assert.deepEqual(writes(h), []);
    assert.deepEqual(events(audit), ['proposed', 'cancelled', 'result:approval_required']);
  });

  it('a client that never answers → approval_required after timeout_s, the elicitation is withdrawn, the reservation given back', async () => {
    let withdrawn = false;
    let first = true;
    const { h, audit } = await start((_request, signal) => {
      if (!first) return approve();
      first = false;
      return new Promise<ElicitResult>(() => {
        signal.addEventListener('abort', () => (withdrawn = true));
      });
    });
    // SDK 1.x ignores notifications/cancelled for request id 0 (`if (!requestId) return`): let a
    // ping take id 0, so the elicitation below is one the client can be told to withdraw.
    await h.app.server.server.ping();
    const lead = openLead();
    const started = Date.now();
    const { body } = await h.callJson('update_lead', { id: lead.id, price: 3 });
    assert.equal(body.error, 'approval_required');
    assert.match(String(body.message), /Nobody answered .* within 1 seconds/);
    assert.ok(Date.now() - started >= 900);
    assert.deepEqual(writes(h), []);
    assert.deepEqual(events(audit), ['proposed', 'expired', 'result:approval_required']);
    await until(() => withdrawn, 'the server to cancel its elicitation request');

    const next = await h.callJson('update_lead', { id: lead.id, price: 4 });
    assert.equal(next.isError, false, JSON.stringify(next.body));
    assert.equal(writes(h).length, 1);
  });

  it('the tool call cancelled by the client while waiting → no write, audited as cancelled', async () => {
    const { h, audit, asked } = await start(() => new Promise<ElicitResult>(() => {}));
    const controller = new AbortController();
    const pending = h.client.callTool({ name: 'update_lead', arguments: { id: openLead().id, price: 5 } }, { signal: controller.signal });
    await until(() => asked.length === 1, 'the approval request');
    controller.abort('the user pressed stop');
    await assert.rejects(pending);
    await until(() => audit.some((r) => r.event === undefined), 'the call to finish');
    assert.deepEqual(events(audit), ['proposed', 'cancelled', 'result:cancelled']);
    assert.deepEqual(writes(h), []);
  });

  it('a client without elicitation → approval_unavailable saying how to proceed; no Kommo request at all', async () => {
    const { h } = await start();
    const result = await h.client.callTool({
      name: 'update_lead',
      arguments: { id: openLead().id, price: 6 },
      // Nothing the agent side sends counts as approval.
      _meta: { approved: true, decision: 'approve', approval: { decision: 'approve' } },
    });
    const body = JSON.parse((result.content as Array<{ text: string }>)[0]!.text) as Record<string, unknown>;
    assert.equal(result.isError, true);
    assert.equal(body.error, 'approval_unavailable');
    assert.match(String(body.message), /supports elicitation.*change the policy/);
    assert.deepEqual(h.requests(), []);
  });

  it('a client with URL-mode elicitation only → approval_unavailable, nothing written', async () => {
    const audit: AuditRecord[] = [];
    const h = await startHarness({
      sharedSandbox: sandbox,
      policy: POLICY,
      audit: (record) => audit.push(record),
      capabilities: { elicitation: { url: {} } },
      setupClient: (client) => client.setRequestHandler('elicitation/create', () => approve()),
    });
    open.push(h);
    const { body } = await h.callJson('update_lead', { id: openLead().id, price: 8 });
    assert.equal(body.error, 'approval_unavailable');
    assert.deepEqual(h.requests(), [], 'no Kommo request at all: nobody can be asked, so no summary is read');
    assert.equal(audit.at(-1)!.code, 'approval_unavailable');
  });

  it('limits are reserved before asking: with max 1, a second call while the first waits is rate_limited without asking', async () => {
    let release: ((result: ElicitResult) => void) | undefined;
    const { h, asked } = await start(() => new Promise<ElicitResult>((resolve) => (release = resolve)));
    const lead = openLead();
    const first = h.callJson('update_lead', { id: lead.id, price: 9 });
    await until(() => asked.length === 1, 'the first approval request');
    const second = await h.callJson('update_lead', { id: lead.id, price: 10 });
    assert.equal(second.body.error, 'rate_limited');
    assert.equal(asked.length, 1, 'nobody is asked to approve past the cap');
    release!(approve());
    assert.equal((await first).isError, false);
    assert.deepEqual(
      writes(h).map((r) => r.body),
      [{ price: 9 }],
    );
  });

  it('an argument cannot approve: unknown argument → invalid_arguments, nobody asked, nothing sent', async () => {
    const { h, asked } = await start(approve);
    const { body } = await h.callJson('update_lead', { id: openLead().id, price: 7, approved: true });
    assert.equal(body.error, 'invalid_arguments');
    assert.equal(asked.length, 0);
    assert.deepEqual(h.requests(), []);
  });

  it('two pending approvals (max_pending 2) resolve independently, and other calls go on meanwhile', async () => {
    const held = new Map<number, (result: ElicitResult) => void>();
    const { h, audit } = await start(
      (request) =>
        new Promise<ElicitResult>((resolve) => {
          const entity = /em lead ".*" \(id (\d+)\)/.exec(request.params.message)?.[1];
          held.set(Number(entity), resolve);
        }),
    );
    const bot = sandbox.store.bots[0]!;
    const [a, b] = sandbox.store.leads.filter((l) => !l.is_deleted);
    const first = h.callJson('run_salesbot', { bot_id: bot.id, entity_id: a!.id, entity_type: 'leads' });
    const second = h.callJson('run_salesbot', { bot_id: bot.id, entity_id: b!.id, entity_type: 'leads' });
    await until(() => held.size === 2, 'two approval requests');

    const read = await h.callJson('get_lead', { id: a!.id });
    assert.equal(read.isError, false, 'a read completes while approvals are pending');

    held.get(b!.id)!(approve());
    assert.equal((await second).isError, false);
    held.get(a!.id)!({ action: 'decline' });
    assert.equal((await first).body.error, 'approval_declined');

    const runs = writes(h);
    assert.equal(runs.length, 1);
    assert.equal(runs[0]!.path, '/api/v4/bots/run');
    assert.deepEqual(runs[0]!.body, [{ bot_id: bot.id, entity_id: b!.id, entity_type: 'leads' }]);
    assert.equal(audit.filter((r) => r.event === 'approved').length, 1);
    assert.equal(audit.filter((r) => r.event === 'declined').length, 1);
  });
});

describe('the approval form speaks the account language', () => {
  it('KOMMO_LANGUAGE=es overrides the Portuguese account: Spanish form, Spanish choices', async () => {
    const { h, asked } = await start(() => ({ action: 'decline' }), { language: 'es' });
    const lead = openLead();
    assert.equal((await h.callJson('update_lead', { id: lead.id, price: lead.price + 1 })).body.error, 'approval_declined');
    const message = asked[0]!.message;
    assert.ok(message.includes('El asistente pide modificar un lead en Kommo (update_lead).'), message);
    assert.match(message, /Todavía no se envió nada a Kommo\./);
    const decision = (asked[0] as { requestedSchema: { properties: Record<string, { oneOf?: unknown }> } }).requestedSchema.properties.decision!;
    assert.deepEqual(decision.oneOf, [
      { const: 'approve', title: 'Aprobar: ejecutar esta solicitud' },
      { const: 'reject', title: 'Rechazar: no ejecutar' },
    ]);
  });

  it('the built server reads KOMMO_LANGUAGE from its environment', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kommo-approval-language-'));
    const policy = join(dir, 'policy.json');
    writeFileSync(policy, JSON.stringify({ version: '1', default: 'allow', tools: { update_lead: { action: 'approval' } } }));
    const server = await spawnServer(
      ['--policy', policy],
      { KOMMO_BASE_URL: sandbox.url, KOMMO_ACCESS_TOKEN: sandbox.token, KOMMO_LANGUAGE: 'en' },
      { elicitation: { form: {} } },
    );
    try {
      const messages: string[] = [];
      server.client.setRequestHandler('elicitation/create', async (request) => {
        messages.push(request.params.message);
        return { action: 'decline' };
      });
      const lead = openLead();
      await server.client.callTool({ name: 'update_lead', arguments: { id: lead.id, price: lead.price + 2 } });
      assert.equal(messages.length, 1, server.stderr());
      assert.match(messages[0]!, /^The assistant asks to change a lead in Kommo \(update_lead\)\./);
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
