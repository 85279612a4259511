/**
 * Both transports × both eras, through the official Client: all 23 tools listed and each one called
 * successfully; over HTTP, progress notifications and a cancel that stops the Kommo requests.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@modelcontextprotocol/client';
import { Pacer } from '../src/kommo/pacer.js';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { PolicyStore } from '../policy/store.js';
import { toolArguments, toolKinds } from '../tools/index.js';
import { argumentsForEveryTool } from './every-tool.js';
import { ERAS, parseText, startHarness, type Era } from './harness.js';
import { startHttpHarness } from './http-harness.js';

const TOOL_NAMES = [...toolKinds.keys()];

let sandbox: Sandbox;
before(async () => {
  sandbox = await startSandbox({ rps: 0, leads: 120 });
});
after(() => sandbox.close());

async function callEveryTool(client: Client): Promise<void> {
  const { tools } = await client.listTools();
  assert.deepEqual(tools.map((t) => t.name).sort(), [...TOOL_NAMES].sort());
  const calls = argumentsForEveryTool(sandbox.store);
  for (const name of TOOL_NAMES) {
    assert.ok(calls[name], `arguments for ${name}`);
    const result = await client.callTool({ name, arguments: calls[name] });
    assert.notEqual(result.isError, true, `${name}: ${JSON.stringify(parseText(result))}`);
  }
}

for (const era of ERAS) {
  describe(`${era} era`, () => {
    test('stdio entry (in memory): the 23 tools are listed and each one answers', async () => {
      const h = await startHarness({ sharedSandbox: sandbox, era });
      try {
        await callEveryTool(h.client);
      } finally {
        await h.close();
      }
    });

    test('Streamable HTTP: the 23 tools are listed and each one answers', async () => {
      const h = await startHttpHarness({ sandbox });
      try {
        await callEveryTool(await h.connect(era));
      } finally {
        await h.close();
      }
    });

    test('Streamable HTTP: progress reaches the caller and a cancel stops the Kommo requests', async () => {
      await progressAndCancel(era);
    });
  });
}

describe('Streamable HTTP: approval and list_changed in both eras', () => {
  const POLICY = { version: '1', default: 'allow', tools: { update_lead: { action: 'approval', approval: { timeout_s: 30 } } } };

  for (const era of ERAS) {
    test(`${era} era: an approved update_lead makes exactly one write (${era === 'legacy' ? 'nested elicitation on the session' : 'input_required round trip'})`, async () => {
      const h = await startHttpHarness({ sandbox, policy: POLICY });
      try {
        let asked = 0;
        const client = await h.connect(era, {
          capabilities: { elicitation: { form: {} } },
          setupClient: (c) =>
            c.setRequestHandler('elicitation/create', () => {
              asked++;
              return { action: 'accept', content: { decision: 'approve' } };
            }),
        });
        const lead = sandbox.store.leads.find((l) => l.status_id !== 142 && l.status_id !== 143 && !l.is_deleted)!;
        sandbox.clearRequests();
        const result = await client.callTool({ name: 'update_lead', arguments: { id: lead.id, price: 4242 } });
        assert.notEqual(result.isError, true, JSON.stringify(result));
        assert.equal(asked, 1);
        assert.deepEqual(
          sandbox.requests.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path}`),
          [`PATCH /api/v4/leads/${lead.id}`],
        );
      } finally {
        await h.close();
      }
    });

    test(`${era} era: a policy reload reaches the client as tools/list_changed`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'kommo-http-reload-'));
      const file = join(dir, 'policy.json');
      writeFileSync(file, JSON.stringify({ version: '1', default: 'allow' }));
      const store = new PolicyStore(file, toolArguments);
      const h = await startHttpHarness({ sandbox, policy: store });
      try {
        store.onChange(() => h.http.notifyToolsChanged());
        const client = await h.connect(era);
        let changed = 0;
        client.setNotificationHandler('notifications/tools/list_changed', () => void changed++);
        // 2025: the session's standalone stream; 2026-07-28: a subscription stream.
        const subscription = era === 'modern' ? await client.listen({ toolsListChanged: true }) : undefined;
        writeFileSync(file, JSON.stringify({ version: '1', default: 'allow', hide: ['get_users'] }));
        assert.deepEqual(store.reload(), { ok: true, changed: true });
        // The 2025 client opens its GET stream on its own after connecting; a notice sent before
        // that has nowhere to go, so the same notice is repeated until one arrives.
        const deadline = Date.now() + 5000;
        for (let waited = 0; changed === 0 && Date.now() < deadline; waited++) {
          await new Promise((r) => setTimeout(r, 20));
          if (waited % 10 === 9) h.http.notifyToolsChanged();
        }
        assert.ok(changed >= 1, 'tools/list_changed arrived');
        assert.ok(!(await client.listTools()).tools.some((t) => t.name === 'get_users'));
        await subscription?.close();
      } finally {
        await h.close();
        store.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

async function progressAndCancel(era: Era): Promise<void> {
  // A slow pace, so the dashboard's pages are still being fetched when the cancel arrives.
  const h = await startHttpHarness({ sandbox, client: { pacer: new Pacer(40) } });
  try {
    const client = await h.connect(era);
    sandbox.clearRequests();
    const seen: number[] = [];
    const controller = new AbortController();
    const call = client.callTool(
      { name: 'get_dashboard', arguments: {} },
      {
        signal: controller.signal,
        onprogress: (p) => {
          seen.push(p.progress);
          if (seen.length === 2) controller.abort();
        },
      },
    );
    await assert.rejects(call);
    assert.ok(seen.length >= 2, 'progress notifications arrived over HTTP');
    assert.deepEqual(
      seen,
      [...seen].sort((a, b) => a - b),
      'progress only grows',
    );
    const atCancel = sandbox.requests.length;
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(sandbox.requests.length <= atCancel + 2, `requests went on after the cancel: ${atCancel} → ${sandbox.requests.length}`);
    const again = await client.callTool({ name: 'get_account', arguments: {} });
    assert.notEqual(again.isError, true, 'the server still serves this client after a cancel');
  } finally {
    await h.close();
  }
}
