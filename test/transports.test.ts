/**
 * Both transports × both eras, through the official Client: all 23 tools listed and each one called
 * successfully; over HTTP, progress notifications and a cancel that stops the Kommo requests.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@modelcontextprotocol/client';
import { Pacer } from '../src/kommo/pacer.js';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { toolKinds } from '../tools/index.js';
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
    assert.deepEqual(seen, [...seen].sort((a, b) => a - b), 'progress only grows');
    const atCancel = sandbox.requests.length;
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(sandbox.requests.length <= atCancel + 2, `requests went on after the cancel: ${atCancel} → ${sandbox.requests.length}`);
    const again = await client.callTool({ name: 'get_account', arguments: {} });
    assert.notEqual(again.isError, true, 'the server still serves this client after a cancel');
  } finally {
    await h.close();
  }
}
