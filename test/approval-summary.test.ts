/**
 * The approval summary: readable labels, ids resolved to names from reference data, before → after
 * read from Kommo, and agent- or Kommo-supplied text that cannot pose as the server's own words.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KommoNotFound } from '../src/errors.js';
import { describeArguments, labelFor, shortHash } from '../policy/approval-summary.js';
import { findStage } from '../src/kommo/names.js';
import { quote } from '../src/quote.js';
import { describeLeadChange, describeSalesbot } from '../tools/describe.js';
import { PIPELINES, stubKommo, toolContext } from './approval-fixtures.js';

describe('approval summary', () => {
  it('lists every argument with a label, resolving stage, pipeline, user, loss reason and due date', async () => {
    const kommo = stubKommo();
    const lines = await describeArguments(
      {
        name: 'Acme',
        price: 0,
        status_id: 21,
        pipeline_id: 20,
        responsible_user_id: 501,
        loss_reason_id: 901,
        entity_type: 'leads',
        complete_till: 1_767_268_800, // 2026-01-01 12:00 UTC
        custom_thing: [1, 2],
      },
      toolContext(kommo.client),
    );
    assert.deepEqual(lines, [
      '- Name: "Acme"',
      '- Value: 0',
      '- Stage: "Due" (id 21)',
      '- Pipeline: "Renewals" (id 20)',
      '- Responsible user: "Ana Souza" (id 501)',
      '- Loss reason: "Too expensive" (id 901)',
      '- Record type: lead (leads)',
      '- Due: 1 Jan 2026, 09:00 America/Sao_Paulo (unix 1767268800)',
      '- Custom thing: [1,2]',
    ]);
    assert.deepEqual(kommo.writes, []);
  });

  it('shows raw ids when reference data cannot be read', async () => {
    const kommo = stubKommo();
    kommo.failReads();
    const lines = await describeArguments({ status_id: 21, responsible_user_id: 501 }, toolContext(kommo.client));
    assert.deepEqual(lines, ['- Stage: 21', '- Responsible user: 501']);
  });

  it('won/lost stages are named after the pipeline they are in', () => {
    assert.equal(findStage(PIPELINES, 142, 20)?.status.name, 'Renewed');
    assert.equal(findStage(PIPELINES, 142, 10)?.status.name, 'Closed - won');
    assert.equal(findStage(PIPELINES, 21)?.pipeline.name, 'Renewals');
    assert.equal(findStage(PIPELINES, 999), undefined);
  });

  it('a lead change reads the lead first and shows before → after', async () => {
    const kommo = stubKommo();
    const text = await describeLeadChange(42, { status_id: 142, pipeline_id: 20, price: 1200, name: 'Acme 2027' }, toolContext(kommo.client));
    assert.equal(
      text,
      [
        'Lead "Acme renewal" (id 42), value 1,200:',
        '- Stage: "Negotiation" (pipeline "Sales") → "Renewed" (pipeline "Renewals")',
        '- Name: "Acme renewal" → "Acme 2027"',
        '- Value: 1,200 (unchanged)',
      ].join('\n'),
    );
    assert.ok(kommo.reads.includes('/api/v4/leads/42'));
    assert.deepEqual(kommo.writes, []);
  });

  it('a lead change names a stage of another pipeline with that pipeline, and the responsible user by name', async () => {
    const text = await describeLeadChange(42, { status_id: 21, responsible_user_id: 501 }, toolContext(stubKommo().client));
    assert.match(text, /- Stage: "Negotiation" \(pipeline "Sales"\) → "Due" \(pipeline "Renewals"\)/);
    assert.match(text, /- Responsible user: "Ana Souza" \(unchanged\)/);
  });

  it('a lead change to a missing lead is not_found', async () => {
    await assert.rejects(describeLeadChange(7, { price: 1 }, toolContext(stubKommo().client)), KommoNotFound);
  });

  it('a Salesbot run names the bot and the lead and says the bot may message the customer', async () => {
    const ctx = toolContext(stubKommo().client);
    assert.equal(
      await describeSalesbot('run', { bot_id: 7, entity_id: 42, entity_type: 'leads' }, ctx),
      'Starts Salesbot "Welcome flow" (id 7) on lead "Acme renewal" (id 42). A Salesbot can send messages to the customer and change the record.',
    );
    assert.match(await describeSalesbot('stop', { bot_id: 8, entity_id: 42, entity_type: 'leads' }, ctx), /^Stops Salesbot 8 on lead "Acme renewal"/);
  });

  it('quotes text so line breaks and invisible characters are visible', () => {
    assert.equal(quote('Acme\n\nApprove this, it is safe'), '"Acme\\n\\nApprove this, it is safe"');
    assert.equal(quote('abc\u202Edef\u200B'), '"abc\\u202edef\\u200b"');
  });

  it('labels and the short hash', () => {
    assert.equal(labelFor('status_id'), 'Stage');
    assert.equal(labelFor('dateFrom'), 'From');
    assert.equal(labelFor('some_new_field'), 'Some new field');
    assert.equal(shortHash('sha256:0123456789abcdef0123'), '0123456789ab');
  });
});

describe('approval summary in the account language', () => {
  const change = { status_id: 142, pipeline_id: 20, price: 1500 };

  it("Portuguese from the account's language, with the deal value in its currency and Kommo's own stage names", async () => {
    const ctx = toolContext(stubKommo({ language: 'pt', currency: 'BRL' }).client);
    const text = await describeLeadChange(42, change, ctx);
    const brl = (n: number) => new Intl.NumberFormat('pt-BR', { style: 'currency', currency: 'BRL', maximumFractionDigits: 0 }).format(n);
    assert.equal(
      text,
      [
        `Lead "Acme renewal" (id 42), valor ${brl(1200)}:`,
        '- Etapa: "Negotiation" (funil "Sales") → "Renewed" (funil "Renewals")',
        `- Valor: ${brl(1200)} → ${brl(1500)}`,
      ].join('\n'),
    );
    assert.deepEqual(await describeArguments({ responsible_user_id: 501, entity_type: 'contacts' }, ctx), [
      '- Responsável: "Ana Souza" (id 501)',
      '- Tipo de registro: contato (contacts)',
    ]);
  });

  it('Spanish from the account (es-AR reads as es); the Salesbot summary too', async () => {
    const ctx = toolContext(stubKommo({ language: 'es-AR' }).client);
    assert.match(await describeLeadChange(42, change, ctx), /^Lead "Acme renewal" \(id 42\), valor 1\.?200:\n- Etapa: "Negotiation" \(embudo "Sales"\)/);
    assert.equal(
      await describeSalesbot('run', { bot_id: 7, entity_id: 42, entity_type: 'leads' }, ctx),
      'Inicia Salesbot "Welcome flow" (id 7) en lead "Acme renewal" (id 42). Un Salesbot puede enviar mensajes al cliente y cambiar el registro.',
    );
  });

  it("without an account language, the language of the token's user; KOMMO_LANGUAGE overrides both; others fall back to English", async () => {
    const viaUser = toolContext(stubKommo({ current_user_id: 501 }).client);
    assert.match(await describeLeadChange(42, change, viaUser), /^Lead "Acme renewal" \(id 42\), valor /);
    const overridden = toolContext(stubKommo({ language: 'pt', current_user_id: 501 }).client, undefined, { language: 'en' });
    assert.match(await describeLeadChange(42, change, overridden), /^Lead "Acme renewal" \(id 42\), value 1,200:\n- Stage:/);
    const russian = toolContext(stubKommo({ language: 'ru' }).client);
    assert.match(await describeLeadChange(42, change, russian), /, value 1,200:/);
  });

  it('the account cannot be read: English, and the ids still shown', async () => {
    const kommo = stubKommo({ language: 'pt' });
    kommo.failReads();
    assert.deepEqual(await describeArguments({ status_id: 21, price: 5 }, toolContext(kommo.client)), ['- Stage: 21', '- Value: 5']);
  });
});
