/**
 * Reference and record tools end to end: get_pipelines, get_contacts, get_companies, get_tasks,
 * create_task, get_users, get_loss_reasons, get_loss_reason.
 */
import assert from 'node:assert/strict';
import { PEOPLE_TEXT_NOTICE } from '../src/result.js';
import { beforeEach, describe, test } from 'node:test';
import type { Sandbox } from '../src/sandbox/index.js';
import { oneHarnessPerFile, type Harness } from './harness.js';
import { fails, get, kommoRequests, nameLookups, ok, post, refused } from './tools-support.js';

const MISSING = 999_999_999;

let sandbox: Sandbox;
let h: Harness;
oneHarnessPerFile((started) => ({ sandbox, h } = started));

const store = () => sandbox.store;
const ids = (items: Array<{ id: number }>) => items.map((i) => i.id);

describe('get_pipelines', () => {
  // Each case starts from an empty reference cache, so it sees the requests it causes.
  beforeEach(() => h.reports.reference.clear());

  test('lists every pipeline with its stages under "statuses"', async () => {
    const body = await ok(h, 'get_pipelines');
    assert.deepEqual(kommoRequests(h), [get('/api/v4/leads/pipelines')]);
    assert.deepEqual(ids(body.pipelines), ids(store().pipelines));
    for (const [i, pipeline] of body.pipelines.entries()) {
      const seeded = store().pipelines[i]!;
      assert.equal(pipeline.name, seeded.name);
      assert.equal(pipeline.is_main, seeded.is_main);
      assert.equal(pipeline._embedded, undefined);
      assert.deepEqual(ids(pipeline.statuses), ids(seeded._embedded.statuses));
      assert.ok(pipeline.statuses.some((s: { id: number }) => s.id === 142));
      assert.ok(pipeline.statuses.some((s: { id: number }) => s.id === 143));
    }
  });

  test('with pipeline_id answers that pipeline and its stages from the cached list', async () => {
    const seeded = store().pipelines[store().pipelines.length - 1]!;
    const body = await ok(h, 'get_pipelines', { pipeline_id: seeded.id });
    assert.deepEqual(kommoRequests(h), [get('/api/v4/leads/pipelines')]);
    assert.deepEqual(Object.keys(body).sort(), [PEOPLE_TEXT_NOTICE.key, 'pipeline', 'statuses'].sort());
    assert.equal(body.pipeline.id, seeded.id);
    assert.equal(body.pipeline.name, seeded.name);
    assert.equal(body.pipeline.statuses, undefined);
    assert.equal(body.pipeline._embedded, undefined);
    assert.deepEqual(ids(body.statuses), ids(seeded._embedded.statuses));
    assert.equal(body.statuses[0].name, seeded._embedded.statuses[0]!.name);
  });

  test('the list and a pipeline asked again within the cache lifetime cost no request', async () => {
    const first = await ok(h, 'get_pipelines');
    h.resetLog();
    assert.deepEqual(await ok(h, 'get_pipelines'), first);
    const one = await ok(h, 'get_pipelines', { pipeline_id: store().pipelines[0]!.id });
    assert.equal(one.pipeline.id, store().pipelines[0]!.id);
    assert.deepEqual(kommoRequests(h), []);
  });

  test('a pipeline missing from the cached list is read from Kommo (created since)', async () => {
    await ok(h, 'get_pipelines');
    const seeded = store().pipelines[0]!;
    const created = { ...seeded, id: seeded.id + 777_000, name: 'Pós-venda (nova)' };
    store().pipelines.push(created);
    try {
      h.resetLog();
      const body = await ok(h, 'get_pipelines', { pipeline_id: created.id });
      assert.deepEqual(kommoRequests(h), [get(`/api/v4/leads/pipelines/${created.id}`), get(`/api/v4/leads/pipelines/${created.id}/statuses`)]);
      assert.equal(body.pipeline.name, 'Pós-venda (nova)');
    } finally {
      store().pipelines.pop();
    }
  });

  test('an unknown pipeline is not_found', async () => {
    const body = await fails(h, 'get_pipelines', { pipeline_id: MISSING }, 'not_found');
    assert.match(body.message, /Pipeline 999999999/);
    assert.deepEqual(kommoRequests(h), [get('/api/v4/leads/pipelines'), get(`/api/v4/leads/pipelines/${MISSING}`)]);
  });

  test('bad arguments are refused before Kommo', async () => {
    await refused(h, 'get_pipelines', { pipeline_id: 'main' }, 'pipeline_id');
    await refused(h, 'get_pipelines', { pipeline_id: 0 }, 'pipeline_id');
    await refused(h, 'get_pipelines', { id: 1 }, 'id');
  });
});

for (const [tool, key] of [
  ['get_contacts', 'contacts'],
  ['get_companies', 'companies'],
] as const) {
  describe(tool, () => {
    test('a page of records', async () => {
      const body = await ok(h, tool, { limit: 2, page: 2 });
      assert.deepEqual(kommoRequests(h), [get(`/api/v4/${key}`, { limit: '2', page: '2' }), ...nameLookups(body[key])]);
      assert.equal(body.page, 2);
      assert.equal(body.limit, 2);
      assert.equal(body.count, 2);
      assert.deepEqual(ids(body[key]), ids(store()[key].slice(2, 4)));
      assert.equal(body[key][0].name, store()[key][2]!.name);
      assert.equal(body.has_more, store()[key].length > 4);
      if (body.has_more) assert.equal(body.next_page, 3);
    });

    test('defaults to 50 on page 1, and query searches', async () => {
      const wanted = store()[key][0]!;
      const body = await ok(h, tool, { query: wanted.name });
      assert.deepEqual(kommoRequests(h), [get(`/api/v4/${key}`, { query: wanted.name, limit: '50', page: '1' }), ...nameLookups(body[key])]);
      assert.ok(ids(body[key]).includes(wanted.id));
      assert.equal(body.limit, 50);
    });

    test('a page past the end is empty', async () => {
      const body = await ok(h, tool, { limit: 250, page: 9999 });
      assert.deepEqual(body, { [key]: [], page: 9999, limit: 250, count: 0, has_more: false });
    });

    test('bad arguments are refused before Kommo', async () => {
      await refused(h, tool, { limit: 0 }, 'limit');
      await refused(h, tool, { limit: 251 }, 'limit');
      await refused(h, tool, { page: -1 }, 'page');
      await refused(h, tool, { query: '' }, 'query');
      await refused(h, tool, { filter: 'x' }, 'filter');
    });
  });
}

describe('get_tasks', () => {
  test('a page of tasks', async () => {
    const body = await ok(h, 'get_tasks', { limit: 3 });
    assert.deepEqual(kommoRequests(h), [get('/api/v4/tasks', { limit: '3', page: '1' })]);
    assert.deepEqual(ids(body.tasks), ids(store().tasks.slice(0, 3)));
    assert.equal(body.tasks[0].text, store().tasks[0]!.text);
    assert.equal(body.tasks[0].complete_till, store().tasks[0]!.complete_till);
  });

  test('is_completed, responsible user and linked record become filters', async () => {
    const task = store().tasks.find((t) => !t.is_completed && t.entity_id !== null)!;
    const body = await ok(h, 'get_tasks', {
      is_completed: false,
      responsible_user_id: task.responsible_user_id,
      entity_type: task.entity_type,
      entity_id: task.entity_id,
    });
    assert.deepEqual(kommoRequests(h), [
      get('/api/v4/tasks', {
        'filter[is_completed]': '0',
        'filter[responsible_user_id]': String(task.responsible_user_id),
        'filter[entity_type]': task.entity_type,
        'filter[entity_id]': String(task.entity_id),
        limit: '50',
        page: '1',
      }),
    ]);
    assert.ok(ids(body.tasks).includes(task.id));
    for (const t of body.tasks) {
      assert.equal(t.is_completed, false);
      assert.equal(t.entity_id, task.entity_id);
    }
  });

  test('is_completed true asks for done tasks', async () => {
    const body = await ok(h, 'get_tasks', { is_completed: true, limit: 250 });
    assert.deepEqual(kommoRequests(h), [get('/api/v4/tasks', { 'filter[is_completed]': '1', limit: '250', page: '1' })]);
    for (const t of body.tasks) assert.equal(t.is_completed, true);
  });

  test('bad arguments are refused before Kommo', async () => {
    await refused(h, 'get_tasks', { limit: 251 }, 'limit');
    await refused(h, 'get_tasks', { is_completed: 'yes' }, 'is_completed');
    await refused(h, 'get_tasks', { entity_id: 5 }, 'entity_type');
    await refused(h, 'get_tasks', { entity_type: 'customers' }, 'entity_type');
  });
});

describe('create_task', () => {
  test('posts an array with unix seconds and reads the task back', async () => {
    const lead = store().leads[0]!;
    const user = store().users[0]!;
    const due = Math.floor(Date.now() / 1000) + 86_400;
    const args = { text: 'Ligar para o cliente', entity_id: lead.id, entity_type: 'leads', complete_till: due, responsible_user_id: user.id, task_type_id: 1 };
    const body = await ok(h, 'create_task', args);
    assert.deepEqual(kommoRequests(h), [post('/api/v4/tasks', [args]), get(`/api/v4/tasks/${body.id}`)]);
    assert.equal(body.created, true);
    assert.equal(body.task.id, body.id);
    assert.equal(body.task.text, args.text);
    assert.equal(body.task.complete_till, due);
    assert.equal(body.task.entity_id, lead.id);
    assert.equal(body.task.entity_type, 'leads');
    assert.equal(body.task.responsible_user_id, user.id);
    assert.ok(store().tasks.some((t) => t.id === body.id));
  });

  test('an ISO 8601 date-time with a zone is converted to unix seconds', async () => {
    const contact = store().contacts[0]!;
    const body = await ok(h, 'create_task', { text: 'Reunião', entity_id: contact.id, entity_type: 'contacts', complete_till: '2026-03-01T15:00:00-03:00' });
    const due = Date.parse('2026-03-01T18:00:00Z') / 1000;
    assert.deepEqual(kommoRequests(h), [
      post('/api/v4/tasks', [{ text: 'Reunião', entity_id: contact.id, entity_type: 'contacts', complete_till: due }]),
      get(`/api/v4/tasks/${body.id}`),
    ]);
    assert.equal(body.task.complete_till, due);
  });

  test('bad deadlines and arguments are refused before Kommo', async () => {
    const base = { text: 'x', entity_id: 1, entity_type: 'leads' };
    const ms = await refused(h, 'create_task', { ...base, complete_till: 1_772_377_200_000 }, 'complete_till');
    assert.match(JSON.stringify(ms.issues), /milliseconds/);
    const far = await refused(h, 'create_task', { ...base, complete_till: 4_200_000_000 }, 'complete_till');
    assert.match(JSON.stringify(far.issues), /2100/);
    await refused(h, 'create_task', { ...base, complete_till: 86_400 }, 'complete_till');
    const local = await refused(h, 'create_task', { ...base, complete_till: '2026-03-01T15:00:00' }, 'complete_till');
    assert.match(JSON.stringify(local.issues), /zone/);
    await refused(h, 'create_task', { ...base, complete_till: 'tomorrow' }, 'complete_till');
    await refused(h, 'create_task', { ...base, complete_till: '2026-02-30T10:00:00Z' }, 'complete_till');
    await refused(h, 'create_task', { ...base, complete_till: true }, 'complete_till');
    await refused(h, 'create_task', { ...base, complete_till: 1_772_377_200.5 }, 'complete_till');
    await refused(h, 'create_task', base, 'complete_till');
    await refused(h, 'create_task', { ...base, complete_till: 1_772_377_200, entity_type: 'customers' }, 'entity_type');
    await refused(h, 'create_task', { ...base, complete_till: 1_772_377_200, text: '' }, 'text');
    await refused(h, 'create_task', { entity_id: 1, entity_type: 'leads', complete_till: 1_772_377_200 }, 'text');
    await refused(h, 'create_task', { text: 'x', entity_type: 'leads', complete_till: 1_772_377_200 }, 'entity_id');
    await refused(h, 'create_task', { ...base, complete_till: 1_772_377_200, duration: 60 }, 'duration');
  });
});

describe('get_users', () => {
  test('all users, trimmed to what an agent needs', async () => {
    const body = await ok(h, 'get_users');
    assert.deepEqual(kommoRequests(h), [get('/api/v4/users', { limit: '250', page: '1' })]);
    assert.equal(body.count, store().users.length);
    assert.equal(body.truncated, undefined);
    assert.deepEqual(
      body.users,
      store().users.map((u) => ({
        id: u.id,
        name: u.name,
        email: u.email,
        is_admin: u.rights.is_admin,
        is_active: u.rights.is_active,
        group_id: u.rights.group_id,
        role_id: u.rights.role_id,
      })),
    );
  });

  test('takes no arguments', async () => {
    await refused(h, 'get_users', { limit: 10 }, 'limit');
  });
});

describe('get_loss_reasons / get_loss_reason', () => {
  test('lists the loss reasons; asked again within the cache lifetime, no request', async () => {
    h.reports.reference.clear();
    const body = await ok(h, 'get_loss_reasons');
    assert.deepEqual(kommoRequests(h), [get('/api/v4/leads/loss_reasons')]);
    assert.deepEqual(ids(body.loss_reasons), ids(store().lossReasons));
    assert.equal(body.loss_reasons[0].name, store().lossReasons[0]!.name);
    h.resetLog();
    assert.deepEqual(await ok(h, 'get_loss_reasons'), body);
    assert.deepEqual(kommoRequests(h), []);
  });

  test('reads one loss reason', async () => {
    const reason = store().lossReasons[1] ?? store().lossReasons[0]!;
    const body = await ok(h, 'get_loss_reason', { id: reason.id });
    assert.deepEqual(kommoRequests(h), [get(`/api/v4/leads/loss_reasons/${reason.id}`)]);
    assert.equal(body.loss_reason.id, reason.id);
    assert.equal(body.loss_reason.name, reason.name);
  });

  test('an unknown loss reason is not_found', async () => {
    const body = await fails(h, 'get_loss_reason', { id: MISSING }, 'not_found');
    assert.match(body.message, /Loss reason 999999999/);
    assert.deepEqual(kommoRequests(h), [get(`/api/v4/leads/loss_reasons/${MISSING}`)]);
  });

  test('bad arguments are refused before Kommo', async () => {
    await refused(h, 'get_loss_reason', {}, 'id');
    await refused(h, 'get_loss_reason', { id: 'x' }, 'id');
    await refused(h, 'get_loss_reasons', { id: 1 }, 'id');
  });
});
