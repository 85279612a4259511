/**
 * Notes and Salesbot tools end to end: get_notes, add_note, pin_note, unpin_note, run_salesbot,
 * stop_salesbot.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Sandbox } from '../src/sandbox/index.js';
import { oneHarnessPerFile, type Harness } from './harness.js';
import { fails, get, kommoRequests, ok, post, refused } from './tools-support.js';

const MISSING = 999_999_999;

let sandbox: Sandbox;
let h: Harness;
oneHarnessPerFile((started) => ({ sandbox, h } = started));

const store = () => sandbox.store;

describe('get_notes', () => {
  test('the notes of one record, with is_pinned', async () => {
    const note = store().notes[0]!;
    const body = await ok(h, 'get_notes', { entity_type: note.entity_type, entity_id: note.entity_id });
    assert.deepEqual(kommoRequests(h), [get(`/api/v4/${note.entity_type}/${note.entity_id}/notes`, { with: 'is_pinned', limit: '50', page: '1' })]);
    const expected = store().notes.filter((n) => n.entity_type === note.entity_type && n.entity_id === note.entity_id);
    assert.deepEqual(body.notes.map((n: { id: number }) => n.id).sort(), expected.map((n) => n.id).sort());
    const first = body.notes.find((n: { id: number }) => n.id === note.id);
    assert.equal(first.note_type, note.note_type);
    assert.equal(typeof first.is_pinned, 'boolean');
    assert.equal(body.count, expected.length);
  });

  test('a record without notes is an empty page', async () => {
    const noted = new Set(
      store()
        .notes.filter((n) => n.entity_type === 'companies')
        .map((n) => n.entity_id),
    );
    const company = store().companies.find((c) => !noted.has(c.id));
    if (!company) return;
    const body = await ok(h, 'get_notes', { entity_type: 'companies', entity_id: company.id, limit: 10, page: 1 });
    assert.deepEqual(body, { notes: [], page: 1, limit: 10, count: 0, has_more: false });
  });

  test('bad arguments are refused before Kommo', async () => {
    await refused(h, 'get_notes', { entity_type: 'deals', entity_id: 1 }, 'entity_type');
    await refused(h, 'get_notes', { entity_type: 'leads' }, 'entity_id');
    await refused(h, 'get_notes', { entity_type: 'leads', entity_id: 1, limit: 0 }, 'limit');
    await refused(h, 'get_notes', { entity_type: 'leads', entity_id: 1, limit: 251 }, 'limit');
  });
});

describe('add_note', () => {
  test('posts the Kommo reference form and reads the note back', async () => {
    const lead = store().leads[0]!;
    const body = await ok(h, 'add_note', { entity_type: 'leads', entity_id: lead.id, text: 'Cliente pediu proposta' });
    assert.deepEqual(kommoRequests(h), [
      post('/api/v4/leads/notes', [{ entity_id: lead.id, note_type: 'common', params: { text: 'Cliente pediu proposta' } }]),
      get(`/api/v4/leads/notes/${body.id}`),
    ]);
    assert.equal(body.created, true);
    assert.equal(body.note.id, body.id);
    assert.equal(body.note.entity_id, lead.id);
    assert.equal(body.note.note_type, 'common');
    assert.equal(body.note.params.text, 'Cliente pediu proposta');
    assert.ok(store().notes.some((n) => n.id === body.id && n.entity_type === 'leads'));
  });

  test('a service message names its service', async () => {
    const contact = store().contacts[0]!;
    const body = await ok(h, 'add_note', {
      entity_type: 'contacts',
      entity_id: contact.id,
      text: 'Resumo da conversa',
      note_type: 'service_message',
      service: 'AI assistant',
    });
    assert.deepEqual(kommoRequests(h), [
      post('/api/v4/contacts/notes', [
        { entity_id: contact.id, note_type: 'service_message', params: { service: 'AI assistant', text: 'Resumo da conversa' } },
      ]),
      get(`/api/v4/contacts/notes/${body.id}`),
    ]);
    assert.equal(body.note.note_type, 'service_message');
    assert.equal(body.note.params.service, 'AI assistant');
  });

  test('bad arguments are refused before Kommo', async () => {
    const base = { entity_type: 'leads', entity_id: 1, text: 'x' };
    await refused(h, 'add_note', { ...base, note_type: 'service_message' }, 'service');
    await refused(h, 'add_note', { ...base, service: 'bot' }, 'service');
    await refused(h, 'add_note', { ...base, note_type: 'call_in' }, 'note_type');
    await refused(h, 'add_note', { ...base, text: '' }, 'text');
    await refused(h, 'add_note', { ...base, text: 'x'.repeat(10_001) }, 'text');
    await refused(h, 'add_note', { entity_type: 'leads', entity_id: 1 }, 'text');
    await refused(h, 'add_note', { ...base, entity_type: 'tasks' }, 'entity_type');
    await refused(h, 'add_note', { ...base, params: {} }, 'params');
  });
});

describe('pin_note / unpin_note', () => {
  test('pin then unpin: POST with no body, explicit result, and the flag follows', async () => {
    const note = store().notes.find((n) => !n.is_pinned)!;
    const pinned = await ok(h, 'pin_note', { entity_type: note.entity_type, note_id: note.id });
    assert.deepEqual(kommoRequests(h), [post(`/api/v4/${note.entity_type}/notes/${note.id}/pin`, null)]);
    assert.deepEqual(pinned, { pinned: true, note_id: note.id, entity_type: note.entity_type });
    assert.equal(store().notes.find((n) => n.id === note.id)!.is_pinned, true);

    h.resetLog();
    const unpinned = await ok(h, 'unpin_note', { entity_type: note.entity_type, note_id: note.id });
    assert.deepEqual(kommoRequests(h), [post(`/api/v4/${note.entity_type}/notes/${note.id}/unpin`, null)]);
    assert.deepEqual(unpinned, { pinned: false, note_id: note.id, entity_type: note.entity_type });
    assert.equal(store().notes.find((n) => n.id === note.id)!.is_pinned, false);
  });

  test('pinning twice is harmless', async () => {
    const note = store().notes[0]!;
    await ok(h, 'pin_note', { entity_type: note.entity_type, note_id: note.id });
    const again = await ok(h, 'pin_note', { entity_type: note.entity_type, note_id: note.id });
    assert.equal(again.pinned, true);
    await ok(h, 'unpin_note', { entity_type: note.entity_type, note_id: note.id });
  });

  test('an unknown note is not_found', async () => {
    for (const tool of ['pin_note', 'unpin_note']) {
      h.resetLog();
      const body = await fails(h, tool, { entity_type: 'leads', note_id: MISSING }, 'not_found');
      assert.match(body.message, /Note 999999999/);
      assert.equal(kommoRequests(h).length, 1);
    }
  });

  test('bad arguments are refused before Kommo', async () => {
    for (const tool of ['pin_note', 'unpin_note']) {
      await refused(h, tool, { entity_type: 'leads' }, 'note_id');
      await refused(h, tool, { note_id: 1 }, 'entity_type');
      await refused(h, tool, { entity_type: 'leads', note_id: 1, entity_id: 2 }, 'entity_id');
    }
  });
});

describe('run_salesbot', () => {
  test('starts a bot on a lead: array body, 202, explicit result', async () => {
    const bot = store().bots[0]!;
    const lead = store().leads[0]!;
    const runs = store().botRuns.length;
    const body = await ok(h, 'run_salesbot', { bot_id: bot.id, entity_id: lead.id, entity_type: 'leads' });
    assert.deepEqual(kommoRequests(h), [
      get(`/api/v4/bots/${bot.id}`),
      post('/api/v4/bots/run', [{ bot_id: bot.id, entity_id: lead.id, entity_type: 'leads' }]),
    ]);
    assert.deepEqual(body, { started: true, bot_id: bot.id, entity_id: lead.id, entity_type: 'leads' });
    assert.equal(store().botRuns.length, runs + 1);
  });

  test('contacts are allowed for run', async () => {
    const bot = store().bots[0]!;
    const contact = store().contacts[0]!;
    const body = await ok(h, 'run_salesbot', { bot_id: bot.id, entity_id: contact.id, entity_type: 'contacts' });
    assert.deepEqual(kommoRequests(h), [
      get(`/api/v4/bots/${bot.id}`),
      post('/api/v4/bots/run', [{ bot_id: bot.id, entity_id: contact.id, entity_type: 'contacts' }]),
    ]);
    assert.equal(body.entity_type, 'contacts');
  });

  test('an unknown bot is invalid_arguments naming bot_id, read before any run is sent', async () => {
    for (const tool of ['run_salesbot', 'stop_salesbot']) {
      h.resetLog();
      const body = await fails(h, tool, { bot_id: MISSING, entity_id: store().leads[0]!.id, entity_type: 'leads' }, 'invalid_arguments');
      assert.match(body.message, /^There is no Salesbot 999999999 in this account; Salesbot ids are shown in Kommo under Settings > Salesbot/);
      assert.deepEqual(body.fields, ['bot_id']);
      assert.deepEqual(kommoRequests(h), [get(`/api/v4/bots/${MISSING}`)]);
    }
  });

  test('bad arguments are refused before Kommo', async () => {
    await refused(h, 'run_salesbot', { bot_id: 1, entity_id: 1, entity_type: 'companies' }, 'entity_type');
    await refused(h, 'run_salesbot', { bot_id: 1, entity_id: 1 }, 'entity_type');
    await refused(h, 'run_salesbot', { entity_id: 1, entity_type: 'leads' }, 'bot_id');
    await refused(h, 'run_salesbot', { bot_id: '1', entity_id: 1, entity_type: 'leads' }, 'bot_id');
  });
});

describe('stop_salesbot', () => {
  test('stops a bot on a lead: object body, 202, explicit result', async () => {
    const bot = store().bots[0]!;
    const lead = store().leads[0]!;
    const stops = store().botStops.length;
    const body = await ok(h, 'stop_salesbot', { bot_id: bot.id, entity_id: lead.id, entity_type: 'leads' });
    assert.deepEqual(kommoRequests(h), [get(`/api/v4/bots/${bot.id}`), post(`/api/v4/bots/${bot.id}/stop`, { entity_id: lead.id, entity_type: 'leads' })]);
    assert.deepEqual(body, { stopped: true, bot_id: bot.id, entity_id: lead.id, entity_type: 'leads' });
    assert.equal(store().botStops.length, stops + 1);
  });

  test('accepts only leads', async () => {
    const bot = store().bots[0]!;
    const body = await refused(h, 'stop_salesbot', { bot_id: bot.id, entity_id: store().contacts[0]!.id, entity_type: 'contacts' }, 'entity_type');
    assert.deepEqual(body.fields, ['entity_type']);
    await refused(h, 'stop_salesbot', { bot_id: bot.id, entity_id: 1 }, 'entity_type');
    await refused(h, 'stop_salesbot', { bot_id: 0, entity_id: 1, entity_type: 'leads' }, 'bot_id');
  });
});
