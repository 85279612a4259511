/**
 * Tool results never carry the access token, whatever Kommo (or a proxy in front of it) sends back:
 * through the official Client against the sandbox, in process and through the built server.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { compilePolicy } from '../policy/compile.js';
import { PolicyMiddleware } from '../policy/middleware.js';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { toolArguments } from '../tools/index.js';
import { startHarness, spawnServer } from './harness.js';

const TOKEN = 'scrub_SECRET_token_7d1e4f9a2b3c5d6e';
let sandbox: Sandbox;

before(async () => {
  sandbox = await startSandbox({ rps: 0, leads: 10, token: TOKEN });
});
after(() => sandbox.close());

/** A lead body as Kommo would send it, with the token echoed in a name and a custom field value. */
function echoingLead(id: number): string {
  return JSON.stringify({
    id,
    name: `Lead ${TOKEN}`,
    price: 10,
    status_id: 142,
    pipeline_id: 1,
    custom_fields_values: [{ field_id: 1, field_name: 'Notes', values: [{ value: `Authorization: Bearer ${TOKEN}` }] }],
    _embedded: { tags: [{ id: 1, name: TOKEN }] },
  });
}

describe('results are scrubbed of the token', () => {
  test('in process: a Kommo answer that echoes the token reaches the agent with it redacted, in text and structuredContent', async () => {
    const middleware = new PolicyMiddleware({ policy: compilePolicy({ version: '1', default: 'allow' }, toolArguments), secrets: [TOKEN] });
    const h = await startHarness({ sharedSandbox: sandbox, middleware });
    try {
      const id = sandbox.store.leads[0]!.id;
      sandbox.injectFault({ path: `/api/v4/leads/${id}`, status: 200, body: echoingLead(id), contentType: 'application/json' });
      const result = await h.call('get_lead', { id });
      assert.notEqual(result.isError, true, JSON.stringify(result));
      const all = JSON.stringify(result);
      assert.ok(!all.includes(TOKEN), all);
      assert.ok(all.includes('[redacted]'), 'the echoed value is visibly redacted');
    } finally {
      await h.close();
    }
  });

  test('the built server over stdio scrubs the token it was started with', async () => {
    const server = await spawnServer([], { KOMMO_BASE_URL: sandbox.url, KOMMO_ACCESS_TOKEN: TOKEN });
    try {
      const id = sandbox.store.leads[1]!.id;
      sandbox.injectFault({ path: `/api/v4/leads/${id}`, status: 200, body: echoingLead(id), contentType: 'application/json' });
      const result = await server.client.callTool({ name: 'get_lead', arguments: { id } });
      assert.notEqual(result.isError, true, JSON.stringify(result));
      assert.ok(!JSON.stringify(result).includes(TOKEN));
      assert.ok(!server.stderr().includes(TOKEN));
    } finally {
      await server.close();
    }
  });
});
