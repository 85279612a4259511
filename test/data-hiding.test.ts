/**
 * Hiding or denying a tool hides its data: ask_kommo answers and reports that would show data of a
 * tool the policy keeps from the caller are refused, naming that tool. Through the official Client.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Sandbox } from '../src/sandbox/index.js';
import { harnessPool, type Harness } from './harness.js';

let sandbox: Sandbox;
const startServer = harnessPool(
  (s) => {
    sandbox = s;
  },
  { leads: 40 },
);
const start = (policy: object): Promise<Harness> => startServer({ policy });

const HIDDEN_PEOPLE = { version: '1', default: 'allow', hide: ['get_contacts', 'get_companies', 'get_users'] };

describe('a hidden or denied tool keeps its data out of ask_kommo and the reports', () => {
  test('ask_kommo "find contact <name>" with get_contacts hidden: policy_denied naming get_contacts, and no contact data', async () => {
    const h = await start(HIDDEN_PEOPLE);
    const contact = sandbox.store.contacts.find((c) => c.name.split(' ').length >= 2)!;
    const { isError, body } = await h.callJson('ask_kommo', { question: `find contact ${contact.name}` });
    assert.equal(isError, true, JSON.stringify(body));
    assert.equal(body.error, 'policy_denied');
    assert.equal(body.dataOf, 'get_contacts');
    assert.match(String(body.message), /get_contacts, which the policy hides/);
    assert.ok(!JSON.stringify(body).includes(contact.name.split(' ')[1]!), 'no contact data in the answer');
    assert.ok(!h.requests().some((r) => r.path.startsWith('/api/v4/contacts')), 'contacts were never read');
  });

  test('a question whose answer shows no hidden data is still answered; one naming a user is refused', async () => {
    const h = await start(HIDDEN_PEOPLE);
    const count = await h.callJson('ask_kommo', { question: 'How many new leads this year?' });
    assert.equal(count.isError, false, JSON.stringify(count.body));
    const ranking = await h.callJson('ask_kommo', { question: 'Ranking of won leads by user this year' });
    assert.equal(ranking.body.error, 'policy_denied', JSON.stringify(ranking.body));
    assert.equal(ranking.body.dataOf, 'get_users');
  });

  test('a denied tool counts like a hidden one: get_tasks denied refuses the overdue-tasks question', async () => {
    const h = await start({ version: '1', default: 'allow', tools: { get_tasks: { action: 'deny' } } });
    const { body } = await h.callJson('ask_kommo', { question: 'Which tasks are overdue?' });
    assert.equal(body.error, 'policy_denied', JSON.stringify(body));
    assert.equal(body.dataOf, 'get_tasks');
    assert.match(String(body.message), /which the policy denies/);
  });

  test('get_sales_report and get_dashboard show users and pipelines: refused before any Kommo request when get_users is hidden', async () => {
    const h = await start(HIDDEN_PEOPLE);
    h.resetLog();
    for (const tool of ['get_sales_report', 'get_dashboard']) {
      const { body } = await h.callJson(tool, {});
      assert.equal(body.error, 'policy_denied', `${tool}: ${JSON.stringify(body)}`);
      assert.equal(body.dataOf, 'get_users');
    }
    assert.deepEqual(h.requests(), []);
    const open = await start({ version: '1', default: 'allow', hide: ['get_contacts'] });
    assert.equal((await open.callJson('get_dashboard', {})).isError, false, 'hiding an unrelated tool changes nothing');
  });
});
