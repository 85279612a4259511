/**
 * Both protocol eras through the same serving entry as stdio mode: a client that opens with the
 * 2025 `initialize` handshake and one pinned to 2026-07-28 (`server/discover`, per-request envelope)
 * get the same tools, the same `invalid_arguments` contract, progress, cancellation and a
 * tool-list change after a policy reload. The built entry point is also driven over real stdio in
 * both eras.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/client';
import { Pacer } from '../src/kommo/pacer.js';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import type { AuditRecord } from '../policy/audit.js';
import { PolicyStore } from '../policy/store.js';
import { toolArguments, toolKinds } from '../tools/index.js';
import { ERAS, parseText, spawnServer, startHarness, type Harness } from './harness.js';
import { isNameLookup } from './tools-support.js';

/** The catalogue's tool names, in order. */
const TOOL_NAMES = [...toolKinds.keys()];

let sandbox: Sandbox;
const dir = mkdtempSync(join(tmpdir(), 'kommo-eras-'));

before(async () => {
  sandbox = await startSandbox({ rps: 0, leads: 200 });
});
after(async () => {
  await sandbox.close();
  rmSync(dir, { recursive: true, force: true });
});

async function withHarness(options: Parameters<typeof startHarness>[0], fn: (h: Harness) => Promise<void>): Promise<void> {
  const h = await startHarness({ sharedSandbox: sandbox, ...options });
  try {
    await fn(h);
  } finally {
    await h.close();
  }
}

for (const era of ERAS) {
  describe(`${era} era`, () => {
    test('the client lands on the era it asked for; the 23 tools are listed; get_lead answers from Kommo; the audit names the grant stdio', async () => {
      const audit: AuditRecord[] = [];
      await withHarness({ era, audit: (record) => audit.push(record) }, async (h) => {
        assert.equal(h.client.getProtocolEra(), era);
        const { tools } = await h.client.listTools();
        assert.deepEqual(tools.map((t) => t.name).sort(), [...TOOL_NAMES].sort());
        const lead = sandbox.store.leads[0]!;
        const { isError, body } = await h.callJson('get_lead', { id: lead.id });
        assert.equal(isError, false);
        assert.equal((body.lead as { id: number }).id, lead.id);
        assert.deepEqual(
          h
            .requests()
            .filter((r) => !isNameLookup(r))
            .map((r) => `${r.method} ${r.path}`),
          [`GET /api/v4/leads/${lead.id}`],
        );
        assert.deepEqual(
          audit.map((r) => r.grant),
          ['stdio'],
          'over stdio the one grant is stdio',
        );
      });
    });

    test('bad arguments: our invalid_arguments JSON naming the fields, and no Kommo request', async () => {
      await withHarness({ era }, async (h) => {
        const { isError, body } = await h.callJson('get_lead', { id: 'seven', extra: 1 });
        assert.equal(isError, true);
        assert.equal(body.error, 'invalid_arguments');
        assert.ok(Array.isArray(body.fields) && (body.fields as string[]).includes('id'), JSON.stringify(body));
        assert.equal(typeof body.message, 'string');
        assert.deepEqual(h.requests(), []);
      });
    });

    test('a tool name outside the catalogue is a -32602 protocol error, not a tool result; nothing reaches Kommo', async () => {
      await withHarness({ era }, async (h) => {
        await assert.rejects(h.client.callTool({ name: 'delete_everything', arguments: {} }), (err: unknown) => {
          assert.ok(err instanceof ProtocolError, String(err));
          assert.equal(err.code, ProtocolErrorCode.InvalidParams);
          assert.match(err.message, /Unknown tool "delete_everything"/);
          return true;
        });
        assert.deepEqual(h.requests(), []);
      });
    });

    test('progress notifications reach the caller, and a cancelled call stops its Kommo requests', async () => {
      await withHarness({ era, client: { pacer: new Pacer(50) } }, async (h) => {
        const seen: number[] = [];
        const controller = new AbortController();
        const call = h.client.callTool(
          { name: 'get_dashboard', arguments: {} },
          {
            signal: controller.signal,
            onprogress: (p) => {
              seen.push(p.progress);
              controller.abort();
            },
          },
        );
        await assert.rejects(call);
        assert.ok(seen.length >= 1, 'at least one progress notification');
        const atCancel = h.requests().length;
        await new Promise((r) => setTimeout(r, 150));
        assert.ok(h.requests().length <= atCancel + 2, `requests kept going after the cancel: ${atCancel} → ${h.requests().length}`);
        const again = await h.callJson('get_account');
        assert.equal(again.isError, false, 'the server still serves calls after a cancel');
      });
    });

    test('a policy reload tells the client the tool, resource and prompt lists changed, and the new lists apply', async () => {
      const file = join(dir, `reload-${era}.json`);
      writeFileSync(file, JSON.stringify({ version: '1', default: 'allow' }));
      const store = new PolicyStore(file, toolArguments);
      try {
        await withHarness({ era, policy: store }, async (h) => {
          const changed = { tools: 0, resources: 0, prompts: 0 };
          h.client.setNotificationHandler('notifications/tools/list_changed', () => void changed.tools++);
          h.client.setNotificationHandler('notifications/resources/list_changed', () => void changed.resources++);
          h.client.setNotificationHandler('notifications/prompts/list_changed', () => void changed.prompts++);
          // The 2026-07-28 revision delivers change notifications only on a subscription stream.
          const subscription =
            era === 'modern' ? await h.client.listen({ toolsListChanged: true, resourcesListChanged: true, promptsListChanged: true }) : undefined;
          store.onChange(() => void h.app.notifyToolsChanged());
          // Hiding get_account and ask_kommo takes kommo://account and the prompts that ask ask_kommo with them.
          writeFileSync(file, JSON.stringify({ version: '1', default: 'allow', hide: ['get_users', 'get_account', 'ask_kommo'] }));
          assert.deepEqual(store.reload(), { ok: true, changed: true });
          const deadline = Date.now() + 2000;
          while (Object.values(changed).includes(0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
          assert.deepEqual(changed, { tools: 1, resources: 1, prompts: 1 });
          assert.ok(!(await h.client.listTools()).tools.some((t) => t.name === 'get_users'));
          assert.equal((await h.callJson('get_users')).body.error, 'policy_denied');
          assert.ok(!(await h.client.listResources()).resources.some((r) => r.uri === 'kommo://account'));
          assert.deepEqual(
            (await h.client.listPrompts()).prompts.map((p) => p.name),
            ['analisar_vendas_mes', 'motivos_perda'],
          );
          await subscription?.close();
        });
      } finally {
        store.close();
      }
    });

    test('over real stdio: the built entry point serves this era (list, call, invalid_arguments)', async () => {
      const server = await spawnServer([], { KOMMO_BASE_URL: sandbox.url, KOMMO_ACCESS_TOKEN: sandbox.token }, {}, era);
      try {
        assert.equal(server.client.getProtocolEra(), era);
        const { tools } = await server.client.listTools();
        assert.equal(tools.length, TOOL_NAMES.length);
        const account = await server.client.callTool({ name: 'get_account', arguments: {} });
        assert.notEqual(account.isError, true, server.stderr());
        const bad = await server.client.callTool({ name: 'get_lead', arguments: {} });
        assert.equal(bad.isError, true);
        assert.equal(parseText(bad).error, 'invalid_arguments');
      } finally {
        await server.close();
      }
    });
  });
}
