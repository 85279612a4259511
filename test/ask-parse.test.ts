/**
 * ask_kommo's parsing, without Kommo: language, period and intent of questions in Portuguese,
 * Spanish and English, and the refusals (unknown names, unsupported periods, no known figure).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseQuestion, type Parsed, type Vocabulary } from '../src/reports/ask/intent.js';
import { detectLanguage } from '../src/reports/ask/language.js';
import { resolvePeriod } from '../src/reports/ask/period-parse.js';
import { Calendar } from '../src/reports/period.js';

const vocab: Vocabulary = {
  pipelines: [
    {
      id: 1,
      name: 'Funil de vendas',
      statuses: [
        { id: 11, name: 'Leads de entrada' },
        { id: 12, name: 'Contato inicial' },
        { id: 13, name: 'Qualificação' },
        { id: 14, name: 'Proposta enviada' },
        { id: 15, name: 'Negociação' },
        { id: 142, name: 'Closed - won' },
        { id: 143, name: 'Closed - lost' },
      ],
    },
    {
      id: 2,
      name: 'Ventas LATAM',
      statuses: [
        { id: 21, name: 'Leads entrantes' },
        { id: 22, name: 'Primer contacto' },
        { id: 24, name: 'Negociación' },
      ],
    },
    {
      id: 3,
      name: 'Renewals',
      statuses: [
        { id: 31, name: 'Incoming leads' },
        { id: 33, name: 'Renewal offer' },
      ],
    },
  ],
  users: [
    { id: 100, name: 'Ana Souza' },
    { id: 101, name: 'Bruno Carvalho' },
    { id: 102, name: 'Diego Fernández' },
    { id: 103, name: 'Lucía Martínez' },
  ],
};

// 23:30 on Sunday 2026-03-15 in São Paulo (already Monday in UTC).
const calendar = new Calendar('America/Sao_Paulo', Date.parse('2026-03-16T02:30:00Z'));

function parse(q: string): Parsed {
  return parseQuestion(q, vocab);
}

function understood(q: string): Extract<Parsed, { understood: true }> {
  const p = parse(q);
  assert.ok(p.understood, `expected "${q}" to be understood, got ${JSON.stringify(p)}`);
  return p;
}

function days(q: string): [string, string] {
  const p = understood(q);
  assert.ok(p.period, `expected a period in "${q}"`);
  const r = resolvePeriod(p.period, calendar);
  assert.ok(r.ok);
  return [r.period.from, r.period.to];
}

test('language: Portuguese, Spanish and English, by exclusive words and letters', () => {
  const cases: Array<[string, string]> = [
    ['Quantos leads ganhamos hoje?', 'pt'],
    ['Qual foi a receita do mês passado?', 'pt'],
    ['Taxa de conversão deste ano', 'pt'],
    ['¿Cuántos leads ganamos hoy?', 'es'],
    ['Cuáles fueron los ingresos del mes pasado', 'es'],
    ['Busca el contacto María López', 'es'],
    ['How many leads did we win today?', 'en'],
    ['What was the revenue last month?', 'en'],
    ['Find the contact Maria Silva', 'en'],
  ];
  for (const [q, lang] of cases) assert.equal(detectLanguage(q), lang, q);
});

test('periods: relative words in three languages', () => {
  assert.deepEqual(days('leads ganhos hoje'), ['2026-03-15', '2026-03-15']);
  assert.deepEqual(days('leads ganados ayer'), ['2026-03-14', '2026-03-14']);
  assert.deepEqual(days('won leads this week'), ['2026-03-09', '2026-03-15']);
  assert.deepEqual(days('leads perdidos na semana passada'), ['2026-03-02', '2026-03-08']);
  assert.deepEqual(days('leads perdidos la semana pasada'), ['2026-03-02', '2026-03-08']);
  assert.deepEqual(days('new leads last month'), ['2026-02-01', '2026-02-28']);
  assert.deepEqual(days('receita do mês anterior'), ['2026-02-01', '2026-02-28']);
  assert.deepEqual(days('ingresos de este año'), ['2026-01-01', '2026-12-31']);
  assert.deepEqual(days('revenue last year'), ['2025-01-01', '2025-12-31']);
  assert.deepEqual(days('leads novos nos últimos 30 dias'), ['2026-02-14', '2026-03-15']);
  assert.deepEqual(days('leads nuevos en los últimos 7 días'), ['2026-03-09', '2026-03-15']);
  assert.deepEqual(days('new leads in the last 2 weeks'), ['2026-03-02', '2026-03-15']);
});

test('periods: named months, years and explicit dates', () => {
  assert.deepEqual(days('Quantos leads ganhamos em março?'), ['2026-03-01', '2026-03-31']);
  assert.deepEqual(days('How many leads did we win in March 2025?'), ['2025-03-01', '2025-03-31']);
  assert.deepEqual(days('ventas en diciembre'), ['2025-12-01', '2025-12-31'], 'a month after this one means last year');
  assert.deepEqual(days('won leads in May'), ['2025-05-01', '2025-05-31']);
  assert.deepEqual(days('receita em 2025'), ['2025-01-01', '2025-12-31']);
  assert.deepEqual(days('new leads between 2026-03-01 and 2026-03-10'), ['2026-03-01', '2026-03-10']);
  assert.deepEqual(days('leads novos de 01/03/2026 a 10/03/2026'), ['2026-03-01', '2026-03-10']);
  assert.deepEqual(days('new leads from 03/01/2026 to 03/10/2026'), ['2026-03-01', '2026-03-10'], 'English reads mm/dd/yyyy');
  assert.deepEqual(days('new leads on 13/03/2026'), ['2026-03-13', '2026-03-13'], 'a day over 12 cannot be a month');
  assert.deepEqual(days('leads ganhos em 5 de março'), ['2026-03-05', '2026-03-05']);
  assert.deepEqual(days('won leads on March 5, 2026'), ['2026-03-05', '2026-03-05']);
  assert.deepEqual(days('leads nuevos desde el 1 de marzo'), ['2026-03-01', '2026-03-15']);
});

test('intents: counts, money, conversion, rankings, tasks, lookups', () => {
  const cases: Array<[string, unknown]> = [
    ['Quantos leads ganhamos no mês passado?', { kind: 'count', metric: 'won' }],
    ['¿Cuántos leads perdimos ayer?', { kind: 'count', metric: 'lost' }],
    ['How many new leads this week?', { kind: 'count', metric: 'new' }],
    ['Quantas vendas tivemos este mês?', { kind: 'count', metric: 'won' }],
    ['How many leads were closed last month?', { kind: 'count', metric: 'closed' }],
    ['How many deals did we close last month?', { kind: 'count', metric: 'closed' }],
    ['¿Cuántos leads hubo este mes?', { kind: 'count', metric: 'new' }],
    ['Qual foi a receita de março?', { kind: 'revenue' }],
    ['Quanto faturamos este ano?', { kind: 'revenue' }],
    ['How much did we sell last week?', { kind: 'revenue' }],
    ['¿Cuál es el ticket promedio de este año?', { kind: 'average' }],
    ['What is the average deal size this month?', { kind: 'average' }],
    ['Taxa de conversão nos últimos 30 dias', { kind: 'conversion' }],
    ['Quem vendeu mais este mês?', { kind: 'ranking', by: 'user', metric: 'revenue' }],
    ['Which pipeline brought the most revenue this year?', { kind: 'ranking', by: 'pipeline', metric: 'revenue' }],
    ['¿Qué vendedor ganó más negocios el mes pasado?', { kind: 'ranking', by: 'user', metric: 'won' }],
    ['Quantas tarefas estão atrasadas?', { kind: 'tasks', which: 'overdue', byUser: false }],
    ['How many open tasks do we have?', { kind: 'tasks', which: 'open', byUser: false }],
    ['Quantos leads estão em aberto?', { kind: 'open' }],
    ['How many leads do we have?', { kind: 'total' }],
    ['Encontre o contato Maria Silva', { kind: 'lookup', entity: 'contacts', name: 'Maria Silva' }],
    ['Busca el lead "Propuesta Grupo Andes"', { kind: 'lookup', entity: 'leads', name: 'Propuesta Grupo Andes' }],
    ['Find the deal named Acme', { kind: 'lookup', entity: 'leads', name: 'Acme' }],
  ];
  for (const [q, intent] of cases) assert.deepEqual(understood(q).intent, intent, q);
});

test('names: pipelines, stages and users are matched against the account, and masked from keywords', () => {
  const a = understood('Quantos leads ganhos no Funil de vendas este mês?');
  assert.deepEqual(a.intent, { kind: 'count', metric: 'won' });
  assert.deepEqual(
    a.pipelines.map((p) => p.id),
    [1],
  );
  const b = understood('Quantos leads estão na etapa Negociação?');
  assert.deepEqual(b.intent, { kind: 'stage' });
  assert.deepEqual(
    b.stages.map((s) => s.statusId),
    [15],
  );
  const c = understood('Receita da Ana Souza em março');
  assert.deepEqual(
    c.users.map((u) => u.id),
    [100],
  );
  const d = understood('How many leads did Diego win last month?');
  assert.deepEqual(
    d.users.map((u) => u.id),
    [102],
    'a unique first name is enough',
  );
  const e = understood('How many open leads in Ventas LATAM?');
  assert.deepEqual([e.intent, e.pipelines.map((p) => p.id)], [{ kind: 'open' }, [2]]);
});

test('refusals: unknown names, unsupported periods, nothing to compute', () => {
  const cases: Array<[string, string]> = [
    ['How many leads did Pedro win last month?', 'unknown_name'],
    ['Quantos leads o Joaquim ganhou?', 'unknown_name'],
    ['What is the weather tomorrow?', 'no_intent'],
    ['How many leads were reassigned last week?', 'no_intent'],
    ['Which stage has the most leads?', 'no_intent'],
    ['Qual a capital da França?', 'no_intent'],
    ['Receita do último trimestre', 'unsupported_period'],
    ['Compare this month with last month revenue', 'unsupported_period'],
    ['Leads ganhos em 31/02/2026', 'bad_date'],
    ['Encontre o contato', 'no_lookup_name'],
  ];
  for (const [q, reason] of cases) {
    const p = parse(q);
    assert.equal(p.understood, false, q);
    assert.equal(!p.understood && p.reason, reason, q);
  }
});
