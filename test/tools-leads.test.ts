/**
 * Lead tools end to end: get_account, get_leads, get_lead, create_lead, update_lead, move_lead.
 * Each test pins the exact Kommo requests and the result the agent sees.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { Sandbox } from '../src/sandbox/index.js';
import { oneHarnessPerFile, startHarness, type Harness } from './harness.js';
import { fails, get, kommoRequests, nameLookups, ok, patch, post, refused } from './tools-support.js';

const MISSING = 999_999_999;
const CLOSED = new Set([142, 143]);
/** The read-back after a write asks for contacts (then their names), so the lead comes back in the get_leads shape. */
const READ_BACK = { with: 'contacts' };

let sandbox: Sandbox;
let h: Harness;
oneHarnessPerFile((started) => ({ sandbox, h } = started));

const store = () => sandbox.store;
/** Open leads, so a test that moves or edits one does not depend on another test's leftovers. */
const openLeads = () => store().leads.filter((l) => !CLOSED.has(l.status_id) && !l.is_deleted);
const pipelineOf = (id: number) => store().pipelines.find((p) => p.id === id)!;
const stageName = (pipelineId: number, statusId: number) => pipelineOf(pipelineId)._embedded.statuses.find((s) => s.id === statusId)!.name;

describe('get_account', () => {
  test('reads the account with its timezone and task types; asked again within the cache lifetime, no request', async () => {
    h.reports.reference.clear();
    const body = await ok(h, 'get_account');
    assert.deepEqual(kommoRequests(h), [get('/api/v4/account', { with: 'datetime_settings,task_types' })]);
    h.resetLog();
    assert.deepEqual(await ok(h, 'get_account'), body);
    assert.deepEqual(kommoRequests(h), []);
    assert.equal(body.account.id, store().account.id);
    assert.equal(body.account.subdomain, store().account.subdomain);
    assert.equal(body.account.currency, store().account.currency);
    assert.equal(body.account._embedded.datetime_settings.timezone, store().account._embedded.datetime_settings.timezone);
    assert.ok(body.account._embedded.task_types.length >= 2);
  });

  test('takes no arguments', async () => {
    await refused(h, 'get_account', { id: 1 }, 'id');
  });
});

describe('get_leads', () => {
  test('default page: 50 newest first, with contacts', async () => {
    const body = await ok(h, 'get_leads');
    assert.deepEqual(kommoRequests(h), [
      get('/api/v4/leads', { with: 'contacts', 'order[created_at]': 'desc', limit: '50', page: '1' }),
      ...nameLookups(body.leads),
    ]);
    assert.equal(body.page, 1);
    assert.equal(body.limit, 50);
    assert.equal(body.count, body.leads.length);
    assert.ok(body.leads.length > 0 && body.leads.length <= 50);
    const created = body.leads.map((l: { created_at: number }) => l.created_at);
    assert.deepEqual(
      created,
      [...created].sort((a, b) => b - a),
      'not newest first',
    );
    const ids = new Set(store().leads.map((l) => l.id));
    for (const lead of body.leads) assert.ok(ids.has(lead.id));
    if (store().leads.length > 50) {
      assert.equal(body.has_more, true);
      assert.equal(body.next_page, 2);
    }
  });

  test('limit, page and query pass through', async () => {
    const name = store().leads[0]!.name;
    const body = await ok(h, 'get_leads', { limit: 5, page: 1, query: name });
    assert.deepEqual(kommoRequests(h), [
      get('/api/v4/leads', { query: name, with: 'contacts', 'order[created_at]': 'desc', limit: '5', page: '1' }),
      ...nameLookups(body.leads),
    ]);
    assert.ok(body.leads.some((l: { id: number }) => l.id === store().leads[0]!.id));
  });

  test('a search with no match is an empty page, not an error', async () => {
    const body = await ok(h, 'get_leads', { query: 'zzz-no-such-lead-zzz' });
    assert.deepEqual(body, { leads: [], page: 1, limit: 50, count: 0, has_more: false });
  });

  test('order, created/updated day ranges, stage and responsible user become Kommo filters', async () => {
    const lead = openLeads()[0]!;
    const day = new Date(lead.created_at * 1000).toISOString().slice(0, 10);
    const from = Date.parse(`${day}T00:00:00Z`) / 1000;
    const body = await ok(h, 'get_leads', {
      order_by: 'updated_at',
      order_dir: 'asc',
      created_from: day,
      created_to: day,
      updated_from: '2000-01-01',
      updated_to: '2099-12-31',
      pipeline_id: lead.pipeline_id,
      status_id: lead.status_id,
      responsible_user_id: lead.responsible_user_id,
      limit: 250,
    });
    assert.deepEqual(kommoRequests(h), [
      get('/api/v4/leads', {
        with: 'contacts',
        'order[updated_at]': 'asc',
        'filter[created_at][from]': String(from),
        'filter[created_at][to]': String(from + 86_399),
        'filter[updated_at][from]': String(Date.parse('2000-01-01T00:00:00Z') / 1000),
        'filter[updated_at][to]': String(Date.parse('2099-12-31T00:00:00Z') / 1000 + 86_399),
        'filter[statuses][0][pipeline_id]': String(lead.pipeline_id),
        'filter[statuses][0][status_id]': String(lead.status_id),
        'filter[responsible_user_id]': String(lead.responsible_user_id),
        limit: '250',
        page: '1',
      }),
      ...nameLookups(body.leads),
    ]);
    assert.ok(body.leads.some((l: { id: number }) => l.id === lead.id));
    for (const l of body.leads) {
      assert.equal(l.pipeline_id, lead.pipeline_id);
      assert.equal(l.status_id, lead.status_id);
      assert.equal(l.responsible_user_id, lead.responsible_user_id);
      assert.ok(l.created_at >= from && l.created_at <= from + 86_399);
    }
    const updated = body.leads.map((l: { updated_at: number }) => l.updated_at);
    assert.deepEqual(
      updated,
      [...updated].sort((a, b) => a - b),
      'not oldest-updated first',
    );
  });

  test('pipeline_id alone filters by pipeline', async () => {
    const pipeline = store().pipelines[0]!;
    const body = await ok(h, 'get_leads', { pipeline_id: pipeline.id, order_by: 'id' });
    assert.deepEqual(kommoRequests(h), [
      get('/api/v4/leads', { with: 'contacts', 'order[id]': 'desc', 'filter[pipeline_id]': String(pipeline.id), limit: '50', page: '1' }),
      ...nameLookups(body.leads),
    ]);
    for (const l of body.leads) assert.equal(l.pipeline_id, pipeline.id);
  });

  test('bad arguments are refused before Kommo', async () => {
    await refused(h, 'get_leads', { limit: 0 }, 'limit');
    await refused(h, 'get_leads', { limit: 251 }, 'limit');
    await refused(h, 'get_leads', { limit: '5' }, 'limit');
    await refused(h, 'get_leads', { page: 0 }, 'page');
    await refused(h, 'get_leads', { pages: 2 }, 'pages');
    await refused(h, 'get_leads', { created_from: '2026-02-30' }, 'created_from');
    await refused(h, 'get_leads', { updated_to: '01/02/2026' }, 'updated_to');
    await refused(h, 'get_leads', { created_from: '2026-03-02', created_to: '2026-03-01' }, 'created_to');
    await refused(h, 'get_leads', { status_id: 142 }, 'pipeline_id');
    await refused(h, 'get_leads', { order_by: 'price' }, 'order_by');
    await refused(h, 'get_leads', { order_dir: 'up' }, 'order_dir');
  });
});

describe('get_lead', () => {
  test('reads one lead with contacts and loss reason', async () => {
    const lead = store().leads[0]!;
    const body = await ok(h, 'get_lead', { id: lead.id });
    assert.deepEqual(kommoRequests(h), [get(`/api/v4/leads/${lead.id}`, { with: 'contacts,loss_reason' }), ...nameLookups([body.lead])]);
    assert.equal(body.lead.id, lead.id);
    assert.equal(body.lead.name, lead.name);
    assert.equal(body.lead.status_id, lead.status_id);
    assert.equal(body.lead.pipeline_id, lead.pipeline_id);
  });

  test('an unknown id is not_found', async () => {
    const body = await fails(h, 'get_lead', { id: MISSING }, 'not_found');
    assert.match(body.message, /Lead 999999999/);
    assert.equal(kommoRequests(h).length, 1);
  });

  test('bad ids are refused before Kommo', async () => {
    await refused(h, 'get_lead', {}, 'id');
    await refused(h, 'get_lead', { id: -1 }, 'id');
    await refused(h, 'get_lead', { id: 1.5 }, 'id');
    await refused(h, 'get_lead', { id: '12' }, 'id');
  });
});

describe('create_lead', () => {
  test('posts an array with the given fields and reads the lead back', async () => {
    const pipeline = store().pipelines.find((p) => !p.is_main) ?? store().pipelines[0]!;
    const status = pipeline._embedded.statuses.find((s) => s.type === 0 && !CLOSED.has(s.id))!;
    const user = store().users[1] ?? store().users[0]!;
    const args = { name: 'Renovação Acme 2026', price: 4500, pipeline_id: pipeline.id, status_id: status.id, responsible_user_id: user.id };
    const body = await ok(h, 'create_lead', args);
    const stored = store().leads.find((l) => l.id === body.id)!;
    assert.ok(stored, 'the lead is in the store');
    assert.deepEqual(kommoRequests(h), [
      get('/api/v4/leads/pipelines'), // the stage and pipeline are checked before writing
      post('/api/v4/leads', [{ name: args.name, price: 4500, status_id: status.id, pipeline_id: pipeline.id, responsible_user_id: user.id }]),
      get(`/api/v4/leads/${body.id}`, READ_BACK),
      ...nameLookups([body.lead]),
    ]);
    assert.equal(body.created, true);
    assert.equal(body.lead.id, body.id);
    assert.equal(body.lead.name, args.name);
    assert.equal(body.lead.price, 4500);
    assert.equal(body.lead.pipeline_id, pipeline.id);
    assert.equal(body.lead.status_id, status.id);
    assert.equal(body.lead.responsible_user_id, user.id);
  });

  test('only a name is needed', async () => {
    const body = await ok(h, 'create_lead', { name: '  Pedido Loja Sul  ' });
    assert.deepEqual(kommoRequests(h), [
      post('/api/v4/leads', [{ name: 'Pedido Loja Sul' }]),
      get(`/api/v4/leads/${body.id}`, READ_BACK),
      ...nameLookups([body.lead]),
    ]);
    assert.equal(body.lead.name, 'Pedido Loja Sul');
  });

  test('bad arguments are refused before Kommo', async () => {
    await refused(h, 'create_lead', {}, 'name');
    await refused(h, 'create_lead', { name: '   ' }, 'name');
    await refused(h, 'create_lead', { name: 'x'.repeat(256) }, 'name');
    await refused(h, 'create_lead', { name: 'ok', price: -1 }, 'price');
    await refused(h, 'create_lead', { name: 'ok', price: 10.5 }, 'price');
    await refused(h, 'create_lead', { name: 'ok', responsible_user_id: 0 }, 'responsible_user_id');
    await refused(h, 'create_lead', { name: 'ok', stage: 5 }, 'stage');
  });
});

describe('update_lead', () => {
  test('patches an object of the given fields (not the id) and reads the lead back', async () => {
    const lead = openLeads()[1]!;
    const user = store().users.find((u) => u.id !== lead.responsible_user_id)!;
    const body = await ok(h, 'update_lead', { id: lead.id, name: 'Renamed deal', price: 1234, responsible_user_id: user.id });
    assert.deepEqual(kommoRequests(h), [
      patch(`/api/v4/leads/${lead.id}`, { name: 'Renamed deal', price: 1234, responsible_user_id: user.id }),
      get(`/api/v4/leads/${lead.id}`, READ_BACK),
      ...nameLookups([body.lead]),
    ]);
    assert.equal(body.updated, true);
    assert.equal(body.id, lead.id);
    assert.equal(body.lead.id, lead.id);
    assert.equal(body.lead.name, 'Renamed deal');
    assert.equal(body.lead.price, 1234);
    assert.equal(body.lead.responsible_user_id, user.id);
  });

  test('closing as lost with a loss reason', async () => {
    const lead = openLeads()[2]!;
    const reason = store().lossReasons[0]!;
    const body = await ok(h, 'update_lead', { id: lead.id, status_id: 143, pipeline_id: lead.pipeline_id, loss_reason_id: reason.id });
    assert.deepEqual(kommoRequests(h), [
      get('/api/v4/leads/loss_reasons'), // the loss reason is checked before writing (pipelines were cached earlier)
      patch(`/api/v4/leads/${lead.id}`, { status_id: 143, pipeline_id: lead.pipeline_id, loss_reason_id: reason.id }),
      get(`/api/v4/leads/${lead.id}`, READ_BACK),
      ...nameLookups([body.lead]),
    ]);
    assert.equal(body.lead.status_id, 143);
    assert.equal(body.lead.loss_reason_id, reason.id);
    assert.equal(typeof body.lead.closed_at, 'number');
  });

  test('nothing to change is refused, naming the fields', async () => {
    const body = await refused(h, 'update_lead', { id: openLeads()[0]!.id }, '(arguments)');
    assert.match(JSON.stringify(body.issues), /name, price, status_id, pipeline_id, loss_reason_id/);
  });

  test('an unknown lead is not_found', async () => {
    const body = await fails(h, 'update_lead', { id: MISSING, price: 1 }, 'not_found');
    assert.match(body.message, /Lead 999999999/);
    assert.deepEqual(kommoRequests(h), [patch(`/api/v4/leads/${MISSING}`, { price: 1 })]);
  });

  test('bad arguments are refused before Kommo', async () => {
    await refused(h, 'update_lead', { name: 'x' }, 'id');
    await refused(h, 'update_lead', { id: 1, price: 'cheap' }, 'price');
    await refused(h, 'update_lead', { id: 1, status: 142 }, 'status');
    await refused(h, 'update_lead', { id: 1, loss_reason_id: -3 }, 'loss_reason_id');
  });
});

describe('move_lead', () => {
  // A fresh server per test: move_lead reads pipelines through the reference cache, and each test
  // pins the requests of a cold cache.
  let m: Harness;
  beforeEach(async () => {
    m = await startHarness({ sharedSandbox: sandbox });
  });
  afterEach(async () => {
    await m.close();
  });

  test("to 142 without pipeline_id still sends the lead's pipeline", async () => {
    const lead = { ...openLeads()[3]! };
    const body = await ok(m, 'move_lead', { lead_id: lead.id, status_id: 142 });
    assert.deepEqual(kommoRequests(m), [
      get(`/api/v4/leads/${lead.id}`),
      get('/api/v4/leads/pipelines'),
      patch(`/api/v4/leads/${lead.id}`, { status_id: 142, pipeline_id: lead.pipeline_id }),
      get(`/api/v4/leads/${lead.id}`, READ_BACK),
      ...nameLookups([body.lead]),
    ]);
    assert.equal(body.moved, true);
    assert.equal(body.lead_id, lead.id);
    assert.deepEqual(body.from, {
      pipeline_id: lead.pipeline_id,
      pipeline: pipelineOf(lead.pipeline_id).name,
      status_id: lead.status_id,
      status: stageName(lead.pipeline_id, lead.status_id),
    });
    assert.deepEqual(body.to, {
      pipeline_id: lead.pipeline_id,
      pipeline: pipelineOf(lead.pipeline_id).name,
      status_id: 142,
      status: stageName(lead.pipeline_id, 142),
    });
    assert.equal(body.lead.status_id, 142);
    assert.equal(body.lead.pipeline_id, lead.pipeline_id);
  });

  test('to a stage of another pipeline finds that pipeline', async () => {
    const lead = { ...openLeads()[4]! };
    const other = store().pipelines.find((p) => p.id !== lead.pipeline_id);
    assert.ok(other, 'the sandbox seeds more than one pipeline');
    const stage = other._embedded.statuses.find((s) => s.type === 0 && !CLOSED.has(s.id))!;
    const body = await ok(m, 'move_lead', { lead_id: lead.id, status_id: stage.id });
    assert.deepEqual(kommoRequests(m), [
      get(`/api/v4/leads/${lead.id}`),
      get('/api/v4/leads/pipelines'),
      patch(`/api/v4/leads/${lead.id}`, { status_id: stage.id, pipeline_id: other.id }),
      get(`/api/v4/leads/${lead.id}`, READ_BACK),
      ...nameLookups([body.lead]),
    ]);
    assert.deepEqual(body.to, { pipeline_id: other.id, pipeline: other.name, status_id: stage.id, status: stage.name });
    assert.equal(body.from.pipeline_id, lead.pipeline_id);
    assert.equal(body.lead.pipeline_id, other.id);
    assert.equal(body.lead.status_id, stage.id);
  });

  test('to 143 with an explicit pipeline and a loss reason', async () => {
    const lead = { ...openLeads()[5]! };
    const reason = store().lossReasons[0]!;
    const body = await ok(m, 'move_lead', { lead_id: lead.id, status_id: 143, pipeline_id: lead.pipeline_id, loss_reason_id: reason.id });
    assert.deepEqual(
      kommoRequests(m).filter((r) => r.method === 'PATCH'),
      [patch(`/api/v4/leads/${lead.id}`, { status_id: 143, pipeline_id: lead.pipeline_id, loss_reason_id: reason.id })],
    );
    assert.equal(body.lead.status_id, 143);
    assert.equal(body.lead.loss_reason_id, reason.id);
  });

  test('an unknown stage is invalid_arguments on status_id, and nothing is written', async () => {
    const lead = openLeads()[0]!;
    const body = await fails(m, 'move_lead', { lead_id: lead.id, status_id: 424242 }, 'invalid_arguments');
    assert.deepEqual(body.fields, ['status_id']);
    assert.ok(kommoRequests(m).every((r) => r.method === 'GET'));
  });

  test('a stage that is not in the given pipeline is refused', async () => {
    const lead = openLeads()[0]!;
    const [a, b] = store().pipelines;
    const stageOfB = b!._embedded.statuses.find((s) => !CLOSED.has(s.id))!;
    const body = await fails(m, 'move_lead', { lead_id: lead.id, status_id: stageOfB.id, pipeline_id: a!.id }, 'invalid_arguments');
    assert.deepEqual(body.fields, ['status_id']);
    assert.ok(kommoRequests(m).every((r) => r.method === 'GET'));
  });

  test('an unknown lead is not_found after one read', async () => {
    const body = await fails(m, 'move_lead', { lead_id: MISSING, status_id: 142 }, 'not_found');
    assert.match(body.message, /Lead 999999999/);
    assert.deepEqual(kommoRequests(m), [get(`/api/v4/leads/${MISSING}`)]);
  });

  test('bad arguments are refused before Kommo', async () => {
    await refused(m, 'move_lead', { lead_id: 1 }, 'status_id');
    await refused(m, 'move_lead', { status_id: 142 }, 'lead_id');
    await refused(m, 'move_lead', { lead_id: 1, status_id: 142, loss_reason_id: 5 }, 'loss_reason_id');
    await refused(m, 'move_lead', { lead_id: 1, status_id: 142, id: 1 }, 'id');
  });
});
