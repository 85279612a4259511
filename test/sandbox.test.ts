import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSandbox, type Lead, type Sandbox } from '../src/sandbox/index.js';

const ANCHOR = Date.UTC(2026, 10, 21, 15, 0, 0); // 12:00 in São Paulo
const ANCHOR_S = ANCHOR / 1000;
const DAY = 86_400;

interface Answer {
  status: number;
  type: string | null;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are free-form JSON, read by path.
  json: any;
}

async function call(sb: Sandbox, method: string, path: string, body?: unknown, token: string | null = sb.token): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (token !== null) headers['Authorization'] = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path.startsWith('http') ? path : sb.url + path, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  const type = res.headers.get('content-type');
  return { status: res.status, type, headers: res.headers, text, json: type?.includes('json') && text ? JSON.parse(text) : undefined };
}

/** Follows `_links.next` until the last page; returns every item of `key`. */
async function fetchAll<T>(sb: Sandbox, path: string, key: string): Promise<T[]> {
  const items: T[] = [];
  let next: string | undefined = path;
  while (next) {
    const answer = await call(sb, 'GET', next);
    if (answer.status === 204) break;
    assert.equal(answer.status, 200, answer.text);
    items.push(...(answer.json._embedded[key] as T[]));
    next = answer.json._links.next?.href;
  }
  return items;
}

const ids = (items: { id: number }[]): number[] => items.map((i) => i.id).sort((a, b) => a - b);

describe('sandbox', () => {
  let clock = ANCHOR;
  let sb: Sandbox;

  before(async () => {
    sb = await startSandbox({ anchor: ANCHOR, now: () => clock, rps: 0, nonAdminToken: 'seller-token' });
  });
  after(() => sb.close());

  describe('auth and errors', () => {
    it('answers 401 problem JSON without or with a wrong bearer token, and logs it', async () => {
      sb.clearRequests();
      const missing = await call(sb, 'GET', '/api/v4/leads', undefined, null);
      assert.equal(missing.status, 401);
      assert.equal(missing.type, 'application/problem+json');
      assert.equal(missing.json.title, 'Unauthorized');
      assert.equal(missing.json.type, 'https://httpstatus.es/401');
      assert.equal(missing.json.status, 401);
      assert.equal(typeof missing.json.detail, 'string');
      const wrong = await call(sb, 'GET', '/api/v4/leads', undefined, 'nope');
      assert.equal(wrong.status, 401);
      assert.deepEqual(
        sb.requests.map((r) => r.status),
        [401, 401],
      );
    });

    it('answers unknown routes with 404 and malformed JSON with 400 problem JSON', async () => {
      const unknown = await call(sb, 'GET', '/api/v4/nothing');
      assert.equal(unknown.status, 404);
      assert.equal(unknown.type, 'application/problem+json');
      const malformed = await call(sb, 'POST', '/api/v4/leads', '[{"name": ');
      assert.equal(malformed.status, 400);
      assert.equal(malformed.type, 'application/problem+json');
      assert.equal(sb.requests.at(-1)!.body, '[{"name": ');
    });

    it('refuses a body over 1 MB with 413', async () => {
      const big = await call(sb, 'POST', '/api/v4/leads', JSON.stringify([{ name: 'x'.repeat(1024 * 1024 + 10) }]));
      assert.equal(big.status, 413);
    });

    it('answers every request with the nginx 403 page while blocked', async () => {
      sb.setBlocked(true);
      const blocked = await call(sb, 'GET', '/api/v4/account');
      sb.setBlocked(false);
      assert.equal(blocked.status, 403);
      assert.match(blocked.type!, /^text\/html/);
      assert.match(blocked.text, /403 Forbidden/);
      assert.match(blocked.text, /nginx/);
      assert.equal((await call(sb, 'GET', '/api/v4/account')).status, 200);
    });
  });

  describe('account, users, pipelines, loss reasons', () => {
    it('keeps the timezone under _embedded.datetime_settings only', async () => {
      const plain = await call(sb, 'GET', '/api/v4/account');
      assert.equal(plain.type, 'application/hal+json');
      assert.equal(plain.json.subdomain, 'sandbox');
      assert.equal(plain.json.currency, 'BRL');
      assert.equal('timezone' in plain.json, false);
      assert.equal(plain.json._embedded, undefined);
      assert.ok(plain.json._links.self.href.endsWith('/api/v4/account'));
      const withTz = await call(sb, 'GET', '/api/v4/account?with=datetime_settings,task_types');
      assert.equal(withTz.json._embedded.datetime_settings.timezone, 'America/Sao_Paulo');
      assert.equal(withTz.json._embedded.datetime_settings.timezone_offset, '-03:00');
      assert.deepEqual(
        withTz.json._embedded.task_types.slice(0, 2).map((t: { code: string }) => t.code),
        ['FOLLOW_UP', 'MEETING'],
      );
    });

    it('lists users for the admin token with totals, and 403 for the non-admin token', async () => {
      const users = await call(sb, 'GET', '/api/v4/users');
      assert.equal(users.json._total_items, sb.store.users.length);
      assert.equal(users.json._page_count, 1);
      assert.equal(users.json._embedded.users.filter((u: { rights: { is_admin: boolean } }) => u.rights.is_admin).length, 1);
      const denied = await call(sb, 'GET', '/api/v4/users', undefined, 'seller-token');
      assert.equal(denied.status, 403);
      assert.equal(denied.type, 'application/problem+json');
      const account = await call(sb, 'GET', '/api/v4/account', undefined, 'seller-token');
      assert.notEqual(account.json.current_user_id, sb.store.account.current_user_id);
    });

    it('serves 3 pipelines with incoming, regular and shared 142/143 stages', async () => {
      const list = await call(sb, 'GET', '/api/v4/leads/pipelines');
      assert.equal(list.json._total_items, 3);
      const pipelines = list.json._embedded.pipelines as {
        id: number;
        is_main: boolean;
        _embedded: { statuses: { id: number; name: string; type: number }[] };
      }[];
      assert.equal(pipelines.filter((p) => p.is_main).length, 1);
      const seen = new Set<number>();
      for (const p of pipelines) {
        const statuses = p._embedded.statuses;
        assert.equal(statuses.filter((s) => s.type === 1).length, 1);
        assert.ok(statuses.some((s) => s.id === 142) && statuses.some((s) => s.id === 143));
        const regular = statuses.filter((s) => s.type === 0 && s.id !== 142 && s.id !== 143);
        assert.ok(regular.length >= 3 && regular.length <= 5);
        for (const s of statuses.filter((x) => x.id !== 142 && x.id !== 143)) {
          assert.equal(seen.has(s.id), false, `stage id ${s.id} is unique`);
          seen.add(s.id);
        }
      }
      const names = pipelines.flatMap((p) => p._embedded.statuses.map((s) => s.name));
      assert.ok(names.includes('Negociação') && names.includes('Negociación'));
      const one = await call(sb, 'GET', `/api/v4/leads/pipelines/${pipelines[1]!.id}/statuses`);
      assert.equal(one.json._total_items, pipelines[1]!._embedded.statuses.length);
      const missing = await call(sb, 'GET', '/api/v4/leads/pipelines/999');
      assert.equal(missing.status, 404);
      assert.equal(missing.json.detail, 'Pipeline not found');
    });

    it('lists loss reasons and 404s an unknown one', async () => {
      const list = await call(sb, 'GET', '/api/v4/leads/loss_reasons');
      assert.equal(list.json._total_items, sb.store.lossReasons.length);
      const first = sb.store.lossReasons[0]!;
      const one = await call(sb, 'GET', `/api/v4/leads/loss_reasons/${first.id}`);
      assert.equal(one.json.name, first.name);
      assert.equal((await call(sb, 'GET', '/api/v4/leads/loss_reasons/1')).status, 404);
    });
  });

  describe('leads list', () => {
    it('pages with _links.next until the last page, then 204 past the end', async () => {
      const total = sb.store.leads.length;
      const pages = Math.ceil(total / 250);
      const first = await call(sb, 'GET', '/api/v4/leads?limit=250');
      assert.equal(first.json._page, 1);
      assert.equal(first.json._embedded.leads.length, 250);
      assert.ok(first.json._links.next.href.includes('page=2'));
      assert.equal(first.json._links.prev, undefined);
      const last = await call(sb, 'GET', `/api/v4/leads?limit=250&page=${pages}`);
      assert.equal(last.json._links.next, undefined);
      assert.ok(last.json._links.prev.href.includes(`page=${pages - 1}`));
      assert.equal(last.json._embedded.leads.length, total - (pages - 1) * 250);
      const past = await call(sb, 'GET', `/api/v4/leads?limit=250&page=${pages + 1}`);
      assert.equal(past.status, 204);
      assert.equal(past.text, '');
      assert.equal(past.type, null);
    });

    it('defaults to 50, clamps limit to 250, and refuses a bad limit', async () => {
      assert.equal((await call(sb, 'GET', '/api/v4/leads')).json._embedded.leads.length, 50);
      const clamped = await call(sb, 'GET', '/api/v4/leads?limit=1000');
      assert.equal(clamped.json._embedded.leads.length, 250);
      assert.ok(clamped.json._links.self.href.includes('limit=250'));
      for (const bad of ['0', 'abc', '-5']) {
        const answer = await call(sb, 'GET', `/api/v4/leads?limit=${bad}`);
        assert.equal(answer.status, 400, bad);
        assert.equal(answer.type, 'application/problem+json');
      }
    });

    it('renders a lead with _links and Kommo fields; contacts only with=contacts', async () => {
      const lead = sb.store.leads[0]!;
      const plain = await call(sb, 'GET', `/api/v4/leads/${lead.id}`);
      const { _embedded, ...fields } = lead;
      for (const [key, value] of Object.entries(fields)) assert.deepEqual(plain.json[key], value, key);
      assert.ok(plain.json._links.self.href.endsWith(`/api/v4/leads/${lead.id}`));
      assert.equal(plain.json._embedded.contacts, undefined);
      const withContacts = await call(sb, 'GET', `/api/v4/leads/${lead.id}?with=contacts`);
      assert.deepEqual(
        withContacts.json._embedded.contacts.map((c: { id: number; is_main: boolean }) => ({ id: c.id, is_main: c.is_main })),
        _embedded.contacts,
      );
    });

    it('filters by created_at range (inclusive)', async () => {
      const from = ANCHOR_S - 30 * DAY;
      const to = ANCHOR_S - 10 * DAY;
      const expected = sb.store.leads.filter((l) => l.created_at >= from && l.created_at <= to);
      assert.ok(expected.length > 0);
      const got = await fetchAll<Lead>(sb, `/api/v4/leads?limit=250&filter[created_at][from]=${from}&filter[created_at][to]=${to}`, 'leads');
      assert.deepEqual(ids(got), ids(expected));
      const edge = expected[0]!.created_at;
      const exact = await fetchAll<Lead>(sb, `/api/v4/leads?filter[created_at][from]=${edge}&filter[created_at][to]=${edge}`, 'leads');
      assert.ok(exact.length >= 1 && exact.every((l) => l.created_at === edge));
    });

    it('ORs several filter[statuses] items and combines them with closed_at', async () => {
      const [p1, p2] = sb.store.pipelines;
      const from = ANCHOR_S - 90 * DAY;
      const expected = sb.store.leads.filter(
        (l) =>
          ((l.pipeline_id === p1!.id && l.status_id === 142) || (l.pipeline_id === p2!.id && l.status_id === 143)) &&
          l.closed_at !== null &&
          l.closed_at >= from,
      );
      assert.ok(expected.length > 0);
      const q =
        `filter[statuses][0][pipeline_id]=${p1!.id}&filter[statuses][0][status_id]=142` +
        `&filter[statuses][1][pipeline_id]=${p2!.id}&filter[statuses][1][status_id]=143&filter[closed_at][from]=${from}`;
      const got = await fetchAll<Lead>(sb, `/api/v4/leads?limit=250&${q}`, 'leads');
      assert.deepEqual(ids(got), ids(expected));
    });

    it('filters by pipeline_id (single and array) and by query', async () => {
      const [p1, p2, p3] = sb.store.pipelines;
      const inP3 = sb.store.leads.filter((l) => l.pipeline_id === p3!.id);
      assert.deepEqual(ids(await fetchAll<Lead>(sb, `/api/v4/leads?limit=250&filter[pipeline_id]=${p3!.id}`, 'leads')), ids(inP3));
      const inP1P2 = sb.store.leads.filter((l) => l.pipeline_id === p1!.id || l.pipeline_id === p2!.id);
      const got = await fetchAll<Lead>(sb, `/api/v4/leads?limit=250&filter[pipeline_id][]=${p1!.id}&filter[pipeline_id][]=${p2!.id}`, 'leads');
      assert.equal(got.length, inP1P2.length);
      const acme = sb.store.leads.filter((l) => l.name.toLowerCase().includes('acme'));
      assert.ok(acme.length > 0);
      assert.deepEqual(ids(await fetchAll<Lead>(sb, '/api/v4/leads?limit=250&query=ACME', 'leads')), ids(acme));
      assert.equal((await call(sb, 'GET', '/api/v4/leads?query=zzzz-no-such-lead')).status, 204);
    });

    it('orders by created_at desc', async () => {
      const page = await call(sb, 'GET', '/api/v4/leads?limit=5&order[created_at]=desc');
      const newest = [...sb.store.leads].sort((a, b) => b.created_at - a.created_at || a.id - b.id).slice(0, 5);
      assert.deepEqual(
        page.json._embedded.leads.map((l: Lead) => l.id),
        newest.map((l) => l.id),
      );
    });

    it('answers 204 for a missing lead', async () => {
      const missing = await call(sb, 'GET', '/api/v4/leads/1');
      assert.equal(missing.status, 204);
      assert.equal(missing.text, '');
    });
  });

  describe('lead writes', () => {
    it('creates from an array (ids only in the answer) and re-reads the lead', async () => {
      clock = ANCHOR + 60_000;
      const p2 = sb.store.pipelines[1]!;
      const stage = p2._embedded.statuses[2]!;
      const created = await call(sb, 'POST', '/api/v4/leads', [
        { name: 'Propuesta Grupo Andes', price: 12000, pipeline_id: p2.id, status_id: stage.id },
        { name: 'Contrato Distribuidora Sol', request_id: 'mine' },
      ]);
      assert.equal(created.status, 200);
      const items = created.json._embedded.leads;
      assert.deepEqual(Object.keys(items[0]).sort(), ['_links', 'id', 'request_id']);
      assert.deepEqual(
        items.map((i: { request_id: string }) => i.request_id),
        ['0', 'mine'],
      );
      const lead = (await call(sb, 'GET', `/api/v4/leads/${items[0].id}`)).json;
      assert.equal(lead.name, 'Propuesta Grupo Andes');
      assert.equal(lead.price, 12000);
      assert.equal(lead.status_id, stage.id);
      assert.equal(lead.created_at, ANCHOR_S + 60);
      assert.equal(lead.closed_at, null);
      assert.equal(lead.responsible_user_id, sb.store.account.current_user_id);
      const second = (await call(sb, 'GET', `/api/v4/leads/${items[1].id}`)).json;
      const main = sb.store.pipelines.find((p) => p.is_main)!;
      assert.equal(second.pipeline_id, main.id);
      assert.equal(second.status_id, main._embedded.statuses.find((s) => s.type === 0)!.id, 'default: first regular stage');
    });

    it('refuses an object body and a stage of another pipeline with validation-errors', async () => {
      const object = await call(sb, 'POST', '/api/v4/leads', { name: 'x' });
      assert.equal(object.status, 400);
      assert.ok(Array.isArray(object.json['validation-errors']));
      const [p1, p2] = sb.store.pipelines;
      const foreign = p2!._embedded.statuses[1]!.id;
      const before = sb.store.leads.length;
      const bad = await call(sb, 'POST', '/api/v4/leads', [
        { name: 'ok', pipeline_id: p1!.id },
        { name: 7, pipeline_id: p1!.id, status_id: foreign, responsible_user_id: 1 },
      ]);
      assert.equal(bad.status, 400);
      assert.equal(bad.type, 'application/problem+json');
      assert.equal(bad.json.detail, 'Request validation failed');
      assert.deepEqual(bad.json['validation-errors'], [
        {
          request_id: '1',
          errors: [
            { code: 'InvalidType', path: '1.name', detail: 'This value should be of type string.' },
            { code: 'NotSupportedChoice', path: '1.responsible_user_id', detail: 'The value you selected is not a valid choice.' },
            { code: 'NotSupportedChoice', path: '1.status_id', detail: 'The value you selected is not a valid choice.' },
          ],
        },
      ]);
      assert.equal(sb.store.leads.length, before, 'nothing created');
    });

    it('PATCH into 142 sets closed_at = now, out of it clears it', async () => {
      const lead = sb.store.leads.find((l) => l.closed_at === null && l.pipeline_id === sb.store.pipelines[0]!.id)!;
      clock = ANCHOR + 120_000;
      const won = await call(sb, 'PATCH', `/api/v4/leads/${lead.id}`, { status_id: 142, pipeline_id: lead.pipeline_id });
      assert.equal(won.status, 200);
      assert.deepEqual(Object.keys(won.json).sort(), ['_links', 'id', 'updated_at']);
      assert.equal(won.json.updated_at, ANCHOR_S + 120);
      assert.equal(lead.status_id, 142);
      assert.equal(lead.closed_at, ANCHOR_S + 120);
      const reopened = sb.store.pipelines[0]!._embedded.statuses[1]!.id;
      clock = ANCHOR + 180_000;
      await call(sb, 'PATCH', `/api/v4/leads/${lead.id}`, { status_id: reopened });
      assert.equal(lead.closed_at, null);
      assert.equal(lead.updated_at, ANCHOR_S + 180);
      const foreign = await call(sb, 'PATCH', `/api/v4/leads/${lead.id}`, { status_id: sb.store.pipelines[1]!._embedded.statuses[1]!.id });
      assert.equal(foreign.status, 400);
      assert.equal(foreign.json['validation-errors'][0].errors[0].path, 'status_id');
      const lost = await call(sb, 'PATCH', `/api/v4/leads/${lead.id}`, { status_id: 143, loss_reason_id: sb.store.lossReasons[0]!.id });
      assert.equal(lost.status, 200);
      assert.equal(lead.loss_reason_id, sb.store.lossReasons[0]!.id);
      assert.equal((await call(sb, 'PATCH', '/api/v4/leads/1', { price: 1 })).status, 404);
    });
  });

  describe('contacts, companies, tasks', () => {
    it('searches contacts by name and by phone digits', async () => {
      const contact = sb.store.contacts[3]!;
      const phone = contact.custom_fields_values!.find((f) => f.field_code === 'PHONE')!.values[0]!.value;
      const byPhone = await fetchAll<{ id: number }>(sb, `/api/v4/contacts?query=${encodeURIComponent(phone.slice(-9))}`, 'contacts');
      assert.ok(byPhone.some((c) => c.id === contact.id));
      const expected = sb.store.contacts.filter((c) => c.name.toLowerCase().includes('silva'));
      const bySurname = await fetchAll<{ id: number }>(sb, '/api/v4/contacts?limit=250&query=silva', 'contacts');
      assert.ok(bySurname.length >= expected.length);
      assert.ok(expected.every((c) => bySurname.some((b) => b.id === c.id)));
      assert.equal((await call(sb, 'GET', '/api/v4/contacts/1')).status, 204);
      const companies = await call(sb, 'GET', '/api/v4/companies?limit=250');
      assert.equal(companies.json._embedded.companies.length, Math.min(250, sb.store.companies.length));
    });

    it('filters tasks and creates one (text and complete_till required)', async () => {
      const open = sb.store.tasks.filter((t) => !t.is_completed && t.task_type_id === 2);
      const got = await fetchAll<{ id: number }>(sb, '/api/v4/tasks?limit=250&filter[is_completed]=0&filter[task_type]=2', 'tasks');
      assert.deepEqual(ids(got), ids(open));
      const missing = await call(sb, 'POST', '/api/v4/tasks', [{ entity_id: sb.store.leads[0]!.id, entity_type: 'leads' }]);
      assert.equal(missing.status, 400);
      assert.deepEqual(
        missing.json['validation-errors'][0].errors.map((e: { code: string; path: string }) => [e.code, e.path]),
        [
          ['FieldMissing', '0.text'],
          ['FieldMissing', '0.complete_till'],
        ],
      );
      const unknownEntity = await call(sb, 'POST', '/api/v4/tasks', [{ text: 'x', complete_till: ANCHOR_S, entity_id: 1, entity_type: 'leads' }]);
      assert.equal(unknownEntity.status, 400);
      const lead = sb.store.leads[0]!;
      const created = await call(sb, 'POST', '/api/v4/tasks', [
        { text: 'Ligar amanhã', complete_till: ANCHOR_S + DAY, entity_id: lead.id, entity_type: 'leads' },
      ]);
      assert.equal(created.status, 200);
      const task = (await call(sb, 'GET', `/api/v4/tasks/${created.json._embedded.tasks[0].id}`)).json;
      assert.equal(task.text, 'Ligar amanhã');
      assert.equal(task.entity_id, lead.id);
      assert.equal(task.is_completed, false);
      assert.equal(task.task_type_id, 1);
    });
  });

  describe('notes', () => {
    it('pins and unpins (204), visible only with=is_pinned', async () => {
      const note = sb.store.notes.find((n) => n.entity_type === 'leads' && !n.is_pinned)!;
      const pin = await call(sb, 'POST', `/api/v4/leads/notes/${note.id}/pin`);
      assert.equal(pin.status, 204);
      assert.equal(pin.text, '');
      const listed = await fetchAll<{ id: number; is_pinned?: boolean }>(sb, `/api/v4/leads/${note.entity_id}/notes?with=is_pinned`, 'notes');
      assert.equal(listed.find((n) => n.id === note.id)!.is_pinned, true);
      const plain = await fetchAll<{ id: number; is_pinned?: boolean }>(sb, `/api/v4/leads/${note.entity_id}/notes`, 'notes');
      assert.equal('is_pinned' in plain.find((n) => n.id === note.id)!, false);
      assert.equal((await call(sb, 'POST', `/api/v4/leads/notes/${note.id}/unpin`)).status, 204);
      assert.equal(note.is_pinned, false);
      assert.equal((await call(sb, 'POST', `/api/v4/contacts/notes/${note.id}/pin`)).status, 404, 'note of another entity type');
      assert.equal((await call(sb, 'POST', '/api/v4/leads/notes/1/pin')).status, 404);
    });

    it('adds notes through both paths; an unknown entity is a 400', async () => {
      const lead = sb.store.leads[5]!;
      const a = await call(sb, 'POST', '/api/v4/leads/notes', [{ entity_id: lead.id, note_type: 'common', params: { text: 'Via body' } }]);
      assert.equal(a.status, 200);
      assert.equal(a.json._embedded.notes[0].entity_id, lead.id);
      const b = await call(sb, 'POST', `/api/v4/leads/${lead.id}/notes`, [{ note_type: 'common', params: { text: 'Via path' } }]);
      assert.equal(b.status, 200);
      const texts = (await fetchAll<{ params: { text?: string } }>(sb, `/api/v4/leads/${lead.id}/notes`, 'notes')).map((n) => n.params.text);
      assert.ok(texts.includes('Via body') && texts.includes('Via path'));
      const bad = await call(sb, 'POST', '/api/v4/leads/notes', [{ entity_id: 1, note_type: 'common', params: { text: 'x' } }]);
      assert.equal(bad.status, 400);
      assert.equal(bad.json['validation-errors'][0].errors[0].path, '0.entity_id');
      assert.equal((await call(sb, 'POST', '/api/v4/leads/1/notes', [{ params: { text: 'x' } }])).status, 400);
    });
  });

  describe('salesbot', () => {
    it('runs (202, recorded), 404s an unknown bot, validates like Kommo', async () => {
      const bot = sb.store.bots[0]!;
      const lead = sb.store.leads[0]!;
      const run = await call(sb, 'POST', '/api/v4/bots/run', [{ bot_id: bot.id, entity_id: lead.id, entity_type: 'leads' }]);
      assert.equal(run.status, 202);
      assert.equal(run.text, '');
      assert.deepEqual(sb.store.botRuns.at(-1), { bot_id: bot.id, entity_id: lead.id, entity_type: 'leads', created_at: Math.floor(clock / 1000) });
      const unknown = await call(sb, 'POST', '/api/v4/bots/run', [{ bot_id: 1, entity_id: lead.id, entity_type: 'leads' }]);
      assert.equal(unknown.status, 404);
      assert.equal(unknown.type, 'application/problem+json');
      const bad = await call(sb, 'POST', '/api/v4/bots/run', [{ bot_id: 0, entity_id: lead.id, entity_type: 2 }]);
      assert.equal(bad.status, 400);
      assert.deepEqual(bad.json, {
        'validation-errors': [
          {
            request_id: '0',
            errors: [
              { code: 'TooLow', path: 'bot_id', detail: 'This value should be positive.' },
              { code: 'InvalidType', path: 'entity_type', detail: 'This value should be of type string.' },
              { code: 'NotSupportedChoice', path: 'entity_type', detail: 'The value you selected is not a valid choice.' },
            ],
          },
        ],
        title: 'Bad Request',
        type: 'https://httpstatus.es/400',
        status: 400,
        detail: 'Request validation failed',
      });
    });

    it('stops for leads (202) and refuses contacts with NotSupportedChoice at entity_type', async () => {
      const bot = sb.store.bots[1]!;
      const lead = sb.store.leads[1]!;
      const stop = await call(sb, 'POST', `/api/v4/bots/${bot.id}/stop`, { entity_id: lead.id, entity_type: 'leads' });
      assert.equal(stop.status, 202);
      assert.equal(sb.store.botStops.at(-1)!.entity_id, lead.id);
      const contacts = await call(sb, 'POST', `/api/v4/bots/${bot.id}/stop`, { entity_id: sb.store.contacts[0]!.id, entity_type: 'contacts' });
      assert.equal(contacts.status, 400);
      assert.deepEqual(contacts.json['validation-errors'][0].errors, [
        { code: 'NotSupportedChoice', path: 'entity_type', detail: 'The value you selected is not a valid choice.' },
      ]);
      assert.equal((await call(sb, 'GET', `/api/v4/bots/${bot.id}`)).json.name, bot.name);
      assert.equal((await call(sb, 'GET', '/api/v4/bots/1')).status, 204);
    });
  });

  describe('request log and faults', () => {
    it('logs decoded query keys, repeated keys as arrays, the parsed body and the clock', async () => {
      sb.clearRequests();
      clock = ANCHOR + 300_000;
      await call(sb, 'GET', '/api/v4/leads?filter%5Bcreated_at%5D%5Bfrom%5D=1700000000&filter[id][]=1&filter[id][]=2&limit=250');
      await call(sb, 'POST', '/api/v4/leads', [{ name: 'Logged' }]);
      assert.equal(sb.requests.length, 2);
      const [get, post] = sb.requests;
      assert.deepEqual(get, {
        method: 'GET',
        path: '/api/v4/leads',
        query: { 'filter[created_at][from]': '1700000000', 'filter[id][]': ['1', '2'], limit: '250' },
        body: undefined,
        status: 204,
        at: ANCHOR + 300_000,
      });
      assert.equal(post!.method, 'POST');
      assert.deepEqual(post!.body, [{ name: 'Logged' }]);
      assert.equal(post!.status, 200);
    });

    it('injects a status for `times` matching requests, with realistic default bodies', async () => {
      sb.injectFault({ method: 'GET', path: '/api/v4/account', status: 502, times: 2 });
      sb.injectFault({ path: /^\/api\/v4\/users/, status: 429, headers: { 'Retry-After': '1' } });
      assert.equal((await call(sb, 'GET', '/api/v4/account')).status, 502);
      const second = await call(sb, 'GET', '/api/v4/account');
      assert.equal(second.status, 502);
      assert.equal(second.type, 'application/problem+json');
      assert.equal((await call(sb, 'GET', '/api/v4/account')).status, 200);
      const limited = await call(sb, 'GET', '/api/v4/users');
      assert.equal(limited.status, 429);
      assert.match(limited.type!, /^text\/html/);
      assert.equal(limited.headers.get('retry-after'), '1');
      assert.equal((await call(sb, 'GET', '/api/v4/users')).status, 200);
      sb.injectFault({ path: '/api/v4/account', status: 500, body: 'oops', contentType: 'text/plain', times: Infinity });
      assert.equal((await call(sb, 'GET', '/api/v4/account')).text, 'oops');
      assert.equal((await call(sb, 'GET', '/api/v4/account')).status, 500);
      sb.clearFaults();
      assert.equal((await call(sb, 'GET', '/api/v4/account')).status, 200);
    });

    it('destroys the socket, and delays answers', async () => {
      sb.injectFault({ path: '/api/v4/account', status: 500, destroy: true });
      await assert.rejects(call(sb, 'GET', '/api/v4/account'));
      assert.equal(sb.requests.at(-1)!.status, 0);
      sb.injectFault({ path: '/api/v4/account', status: 503, delayMs: 150 });
      const started = Date.now();
      const slow = await call(sb, 'GET', '/api/v4/account');
      assert.equal(slow.status, 503);
      assert.ok(Date.now() - started >= 140);
      sb.injectFault({ path: '/api/v4/account', status: 200, delayMs: 60_000 });
      await assert.rejects(fetch(`${sb.url}/api/v4/account`, { headers: { Authorization: `Bearer ${sb.token}` }, signal: AbortSignal.timeout(50) }));
    });
  });
});

describe('sandbox rate limit', () => {
  it('lets exactly 7 of 30 concurrent requests through, answers 429 HTML, and refills with time', async () => {
    let clock = ANCHOR;
    const sb = await startSandbox({ leads: 50, anchor: ANCHOR, now: () => clock });
    try {
      const answers = await Promise.all(Array.from({ length: 30 }, () => call(sb, 'GET', '/api/v4/leads?limit=1')));
      assert.equal(answers.filter((a) => a.status === 200).length, 7);
      const limited = answers.filter((a) => a.status === 429);
      assert.equal(limited.length, 23);
      for (const a of limited) {
        assert.match(a.type!, /^text\/html/);
        assert.equal(a.headers.get('retry-after'), null);
      }
      assert.equal(sb.requests.filter((r) => r.status === 429).length, 23);
      clock += 1000;
      const refilled = await Promise.all(Array.from({ length: 8 }, () => call(sb, 'GET', '/api/v4/account')));
      assert.deepEqual(refilled.map((a) => a.status).sort(), [200, 200, 200, 200, 200, 200, 200, 429]);
      clock += 143; // one token per 1/7 s
      assert.equal((await call(sb, 'GET', '/api/v4/account')).status, 200);
      assert.equal((await call(sb, 'GET', '/api/v4/account')).status, 429);
    } finally {
      await sb.close();
    }
  });
});

describe('sandbox seed', () => {
  it('is deterministic for the same seed and anchor', async () => {
    const a = await startSandbox({ leads: 400, seed: 7, anchor: ANCHOR });
    const b = await startSandbox({ leads: 400, seed: 7, anchor: ANCHOR });
    const c = await startSandbox({ leads: 400, seed: 8, anchor: ANCHOR });
    try {
      assert.deepEqual(a.store, b.store);
      assert.equal(JSON.stringify(a.store), JSON.stringify(b.store));
      assert.notDeepEqual(a.store.leads, c.store.leads);
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });

  it('produces a realistic, consistent account', async () => {
    const sb = await startSandbox({ anchor: ANCHOR, rps: 0 });
    try {
      const { leads, contacts, companies, tasks, notes, users } = sb.store;
      assert.equal(leads.length, 3000);
      assert.ok(Math.abs(contacts.length - 750) <= 1 && Math.abs(companies.length - 200) <= 1);
      assert.equal(tasks.length, 1500);
      const won = leads.filter((l) => l.status_id === 142).length / leads.length;
      const lost = leads.filter((l) => l.status_id === 143).length / leads.length;
      assert.ok(won > 0.2 && won < 0.3, `won ${won}`);
      assert.ok(lost > 0.15 && lost < 0.25, `lost ${lost}`);
      const userIds = new Set(users.map((u) => u.id));
      const contactIds = new Set(contacts.map((c) => c.id));
      for (const l of leads) {
        assert.ok(l.created_at >= ANCHOR_S - 731 * DAY && l.created_at <= ANCHOR_S);
        assert.ok(l.updated_at >= l.created_at && l.updated_at <= ANCHOR_S);
        assert.equal(l.closed_at === null, l.status_id !== 142 && l.status_id !== 143);
        if (l.closed_at !== null) assert.ok(l.closed_at >= l.created_at && l.closed_at <= ANCHOR_S);
        assert.ok(userIds.has(l.responsible_user_id));
        assert.ok(l._embedded.contacts.length >= 1 && l._embedded.contacts.every((c) => contactIds.has(c.id)));
        assert.ok(Number.isInteger(l.price) && l.price >= 0);
      }
      assert.ok(leads.some((l) => l.price === 0));
      // "Today" in America/Sao_Paulo starts at 03:00 UTC.
      const todayStart = Date.UTC(2026, 10, 21, 3) / 1000;
      assert.ok(leads.filter((l) => l.created_at >= todayStart).length >= 3);
      assert.ok(leads.some((l) => l.status_id === 142 && l.closed_at! >= todayStart));
      assert.ok(leads.some((l) => l.status_id === 143 && l.closed_at! >= todayStart));
      assert.ok(
        tasks.some((t) => !t.is_completed && t.complete_till < ANCHOR_S),
        'some overdue',
      );
      assert.ok(tasks.some((t) => t.is_completed));
      assert.ok(notes.some((n) => n.is_pinned));
      assert.ok(users.filter((u) => u.rights.is_admin).length === 1);
      const sorted = (xs: { id: number }[]): boolean => xs.every((x, i) => i === 0 || xs[i - 1]!.id < x.id);
      assert.ok(sorted(leads) && sorted(contacts) && sorted(companies) && sorted(tasks) && sorted(notes));
    } finally {
      await sb.close();
    }
  });

  // How long seeding takes is a benchmark figure (npm run bench), not a test assertion.
  it('seeds 20000 leads with distinct ids', async () => {
    const sb = await startSandbox({ leads: 20_000, anchor: ANCHOR, rps: 0 });
    await sb.close();
    assert.equal(sb.store.leads.length, 20_000);
    assert.equal(new Set(sb.store.leads.map((lead) => lead.id)).size, 20_000);
  });
});
