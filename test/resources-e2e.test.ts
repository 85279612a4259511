/**
 * Resources end to end, through the official Client in both protocol eras: the original's five URIs
 * and two templates, each read being a call of its tool through the policy (hidden or denied tool →
 * not listed, read refused naming the tool, zero Kommo requests; limits shared with the tool), from
 * the tool's caches (a read right after the tool costs no request), as compact application/json.
 * (The list_changed notifications after a policy reload are in eras.test.ts, for all three lists.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { ERAS, startHarness, type Harness, type HarnessOptions } from './harness.js';

const STATIC: Record<string, { tool: string; args: Record<string, unknown> }> = {
  'kommo://reports/sales': { tool: 'get_sales_report', args: { days: 30 } },
  'kommo://pipelines': { tool: 'get_pipelines', args: {} },
  'kommo://loss_reasons': { tool: 'get_loss_reasons', args: {} },
  'kommo://dashboard': { tool: 'get_dashboard', args: {} },
  'kommo://account': { tool: 'get_account', args: {} },
};
const TEMPLATES = ['kommo://leads/{id}', 'kommo://pipelines/{id}'];

/** A fixed wall clock: report caches and limit windows do not move under the test. */
const NOW = Date.UTC(2026, 2, 10, 15, 0, 5);

let sandbox: Sandbox;

before(async () => {
  sandbox = await startSandbox({ rps: 0, leads: 300 });
});
after(async () => {
  await sandbox.close();
});

async function withHarness(options: HarnessOptions, fn: (h: Harness) => Promise<void>): Promise<void> {
  const h = await startHarness({ sharedSandbox: sandbox, now: () => NOW, ...options });
  try {
    await fn(h);
  } finally {
    await h.close();
  }
}

async function read(h: Harness, uri: string): Promise<{ uri: string; mimeType?: string; text: string }> {
  const { contents } = await h.client.readResource({ uri });
  assert.equal(contents.length, 1);
  const [content] = contents;
  assert.ok(content && 'text' in content, 'a text resource');
  return content as { uri: string; mimeType?: string; text: string };
}

interface ProtocolFailure {
  code: number;
  message: string;
  data?: Record<string, unknown>;
}

async function readFails(h: Harness, uri: string): Promise<ProtocolFailure> {
  try {
    await h.client.readResource({ uri });
  } catch (err) {
    return err as ProtocolFailure;
  }
  return assert.fail(`reading ${uri} should have failed`);
}

/** An answer without what says how it was obtained (cache notes, the dashboard's freshness). */
function withoutCacheNote(text: string): Record<string, unknown> {
  const { cached: _cached, cache_note: _note, freshness: _freshness, ...data } = JSON.parse(text) as Record<string, unknown>;
  return data;
}

const kommoPaths = (h: Harness) => h.requests().map((r) => `${r.method} ${r.path}`);

for (const era of ERAS) {
  describe(`resources (${era} era)`, () => {
    test('resources/list: the five URIs, application/json; templates/list: leads/{id} and pipelines/{id}', async () => {
      await withHarness({ era }, async (h) => {
        const { resources } = await h.client.listResources();
        assert.deepEqual(resources.map((r) => r.uri).sort(), Object.keys(STATIC).sort());
        for (const r of resources) {
          assert.equal(r.mimeType, 'application/json');
          assert.ok(r.name && r.title && r.description, JSON.stringify(r));
        }
        const { resourceTemplates } = await h.client.listResourceTemplates();
        assert.deepEqual(resourceTemplates.map((t) => t.uriTemplate).sort(), [...TEMPLATES].sort());
        for (const t of resourceTemplates) assert.equal(t.mimeType, 'application/json');
        assert.deepEqual(h.requests(), [], 'listing costs no Kommo request');
      });
    });

    test('each resource reads the same data as its tool, as compact JSON; right after the tool it costs no Kommo request', async () => {
      await withHarness({ era }, async (h) => {
        for (const [uri, { tool, args }] of Object.entries(STATIC)) {
          const called = await h.call(tool, args);
          assert.notEqual(called.isError, true, `${tool}: ${JSON.stringify(called)}`);
          const toolText = (called.content[0] as { text: string }).text;
          h.resetLog();
          const content = await read(h, uri);
          assert.deepEqual(kommoPaths(h), [], `${uri} right after ${tool}`);
          assert.equal(content.uri, uri);
          assert.equal(content.mimeType, 'application/json');
          // The second answer may say it came from a cache; the data is the same.
          assert.deepEqual(withoutCacheNote(content.text), withoutCacheNote(toolText), `${uri} shows what ${tool} answered`);
          assert.ok(!content.text.includes('\n') && !content.text.includes('_links'), 'compact, no HAL links');
        }
      });
    });

    test('kommo://reports/sales is the last 30 days, today included, in the account timezone', async () => {
      await withHarness({ era, timezone: 'America/Sao_Paulo' }, async (h) => {
        const body = JSON.parse((await read(h, 'kommo://reports/sales')).text) as { period: { from: string; to: string } };
        // 15:00 UTC on 10 March is 12:00 in São Paulo: the period is 9 February to 10 March.
        assert.match(JSON.stringify(body.period), /2026-02-09/);
        assert.match(JSON.stringify(body.period), /2026-03-10/);
      });
    });

    test('templates: kommo://leads/{id} is get_lead, kommo://pipelines/{id} is get_pipelines with pipeline_id', async () => {
      await withHarness({ era }, async (h) => {
        const lead = sandbox.store.leads[7]!;
        const content = await read(h, `kommo://leads/${lead.id}`);
        assert.equal(content.mimeType, 'application/json');
        const toolText = ((await h.call('get_lead', { id: lead.id })).content[0] as { text: string }).text;
        assert.equal(content.text, toolText);
        assert.equal((JSON.parse(content.text) as { lead: { id: number } }).lead.id, lead.id);
        const pipeline = sandbox.store.pipelines.at(-1)!;
        const one = JSON.parse((await read(h, `kommo://pipelines/${pipeline.id}`)).text) as { pipeline: { id: number }; statuses: unknown[] };
        assert.equal(one.pipeline.id, pipeline.id);
        assert.equal(one.statuses.length, pipeline._embedded.statuses.length);
      });
    });

    test('odd URIs: a non-numeric id is invalid_arguments, a missing lead is not found naming get_lead, unknown URIs are not found; no request for the refused ones', async () => {
      await withHarness({ era }, async (h) => {
        for (const uri of ['kommo://leads/abc', 'kommo://leads/-4', 'kommo://leads/1.5', 'kommo://leads/99999999999999999999', 'kommo://pipelines/0']) {
          const failure = await readFails(h, uri);
          assert.equal(failure.data?.error, 'invalid_arguments', `${uri}: ${JSON.stringify(failure)}`);
          assert.match(failure.message, new RegExp(uri.startsWith('kommo://leads') ? 'get_lead' : 'get_pipelines'));
        }
        assert.deepEqual(h.requests(), []);
        for (const uri of ['kommo://nothing', 'kommo://leads/', 'kommo://leads/12/notes', 'kommo://pipelines?x=1', 'KOMMO://ACCOUNT', 'https://example.com/']) {
          const failure = await readFails(h, uri);
          assert.ok(failure.code < 0, `${uri} refused with a protocol error`);
          assert.match(failure.message, /resource/i);
        }
        assert.deepEqual(h.requests(), []);
        const missing = await readFails(h, 'kommo://leads/987654321');
        assert.match(missing.message, /get_lead/);
        assert.deepEqual(kommoPaths(h), ['GET /api/v4/leads/987654321']);
      });
    });
  });
}

describe('resources behind the policy', () => {
  test('a hidden or denied tool: its resources and templates are not listed, and reading them is refused naming the tool, with no Kommo request', async () => {
    const policy = {
      version: '1',
      default: 'allow',
      hide: ['get_pipelines'],
      tools: { get_dashboard: { action: 'deny', reason: 'Dashboards are for managers.' } },
    };
    for (const era of ERAS) {
      await withHarness({ era, policy }, async (h) => {
        const uris = (await h.client.listResources()).resources.map((r) => r.uri);
        assert.deepEqual(uris.sort(), ['kommo://account', 'kommo://loss_reasons', 'kommo://reports/sales']);
        const templates = (await h.client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate);
        assert.deepEqual(templates, ['kommo://leads/{id}']);
        for (const [uri, tool] of [
          ['kommo://pipelines', 'get_pipelines'],
          ['kommo://pipelines/1', 'get_pipelines'],
          ['kommo://dashboard', 'get_dashboard'],
        ] as const) {
          const failure = await readFails(h, uri);
          assert.equal(failure.data?.error, 'policy_denied', JSON.stringify(failure));
          assert.equal(failure.data?.tool, tool);
          assert.match(failure.message, new RegExp(`${uri}.*${tool}`));
        }
        assert.match((await readFails(h, 'kommo://dashboard')).message, /Dashboards are for managers/);
        assert.deepEqual(h.requests(), []);
      });
    }
  });

  test('default deny: only the resources of the tools the policy lists', async () => {
    await withHarness({ policy: { version: '1', default: 'deny', tools: { get_account: {}, get_lead: {} } } }, async (h) => {
      assert.deepEqual(
        (await h.client.listResources()).resources.map((r) => r.uri),
        ['kommo://account'],
      );
      assert.deepEqual(
        (await h.client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate),
        ['kommo://leads/{id}'],
      );
      assert.equal((await readFails(h, 'kommo://loss_reasons')).data?.error, 'policy_denied');
    });
  });

  test("a read counts against its tool's limits like a call (shared counter, then rate_limited with retryAfterSeconds)", async () => {
    const policy = {
      version: '1',
      default: 'allow',
      tools: { get_account: { limits: [{ counter: 'account_reads', window: 'minute', max: 3, scope: 'grant' }] } },
    };
    for (const era of ERAS) {
      await withHarness({ era, policy }, async (h) => {
        await read(h, 'kommo://account');
        assert.equal((await h.callJson('get_account')).isError, false);
        await read(h, 'kommo://account');
        const failure = await readFails(h, 'kommo://account');
        assert.equal(failure.data?.error, 'rate_limited', JSON.stringify(failure));
        assert.equal(failure.data?.limit, 3);
        assert.equal(typeof failure.data?.retryAfterSeconds, 'number');
        assert.match(failure.message, /kommo:\/\/account.*get_account/);
        assert.equal((await h.callJson('get_account')).body.error, 'rate_limited', 'the tool shares the spent budget');
      });
    }
  });

  test('an all-tools limit counts resource reads too, and a template read is limited per argument like the tool', async () => {
    const policy = {
      version: '1',
      default: 'allow',
      all_tools: { limits: [{ counter: 'everything', window: 'minute', max: 4, scope: 'session' }] },
      tools: { get_lead: { limits: [{ counter: 'per_lead', window: 'hour', max: 1, scope: 'args.id' }] } },
    };
    await withHarness({ policy }, async (h) => {
      const [a, b] = sandbox.store.leads;
      await read(h, `kommo://leads/${a!.id}`);
      assert.equal((await readFails(h, `kommo://leads/${a!.id}`)).data?.error, 'rate_limited', 'same lead again');
      await read(h, `kommo://leads/${b!.id}`);
      await read(h, 'kommo://pipelines');
      await read(h, 'kommo://loss_reasons');
      const failure = await readFails(h, 'kommo://account');
      assert.equal(failure.data?.error, 'rate_limited');
      assert.equal(failure.data?.counter, 'everything');
    });
  });

  test("a tool that needs approval: reading its resource asks the person like a call (2025 era); declined → the tool's approval_declined", async () => {
    const policy = { version: '1', default: 'allow', tools: { get_loss_reasons: { action: 'approval' } } };
    const asked: string[] = [];
    let decision: 'approve' | 'reject' = 'approve';
    await withHarness(
      {
        policy,
        capabilities: { elicitation: { form: {} } },
        setupClient: (client) =>
          client.setRequestHandler('elicitation/create', async (request) => {
            asked.push(request.params.message);
            return { action: 'accept', content: { decision } };
          }),
      },
      async (h) => {
        assert.ok(
          (await h.client.listResources()).resources.some((r) => r.uri === 'kommo://loss_reasons'),
          'listed: it can be approved',
        );
        const content = await read(h, 'kommo://loss_reasons');
        assert.ok(Array.isArray((JSON.parse(content.text) as { loss_reasons: unknown }).loss_reasons));
        assert.equal(asked.length, 1);
        assert.match(asked[0]!, /\(get_loss_reasons\)/);
        decision = 'reject';
        h.resetLog();
        const failure = await readFails(h, 'kommo://loss_reasons');
        assert.equal(failure.data?.error, 'approval_declined');
        assert.deepEqual(
          h.requests().filter((r) => r.path === '/api/v4/leads/loss_reasons'),
          [],
          'nothing read after a refusal',
        );
      },
    );
  });

  test('on 2026-07-28 a resource read cannot carry the approval round trip: approval_unavailable, nothing read', async () => {
    const policy = { version: '1', default: 'allow', tools: { get_loss_reasons: { action: 'approval' } } };
    await withHarness({ era: 'modern', policy, capabilities: { elicitation: { form: {} } } }, async (h) => {
      const failure = await readFails(h, 'kommo://loss_reasons');
      assert.equal(failure.data?.error, 'approval_unavailable', JSON.stringify(failure));
      assert.deepEqual(
        h.requests().filter((r) => r.path === '/api/v4/leads/loss_reasons'),
        [],
      );
    });
  });

  test('each read leaves an audit line under its tool', async () => {
    const lines: { tool: string; decision: string; code: string }[] = [];
    await withHarness(
      { audit: (record) => void lines.push(record as never), policy: { version: '1', default: 'allow', hide: ['get_loss_reasons'] } },
      async (h) => {
        await read(h, 'kommo://pipelines');
        await readFails(h, 'kommo://loss_reasons');
      },
    );
    assert.deepEqual(
      lines.map(({ tool, decision, code }) => ({ tool, decision, code })),
      [
        { tool: 'get_pipelines', decision: 'allow', code: 'ok' },
        { tool: 'get_loss_reasons', decision: 'deny', code: 'policy_denied' },
      ],
    );
  });
});
