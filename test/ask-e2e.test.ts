/**
 * ask_kommo end to end: 70 questions in Portuguese, Spanish and English against the sandbox. Each
 * expected figure is computed here straight from the sandbox's store (São Paulo day boundaries);
 * the answer must carry that figure (as structured `value` and in the text), be in the question's
 * language, and have cost only filtered requests where a period is asked.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startSandbox, type Sandbox, type SandboxRequest, type SandboxStore } from '../src/sandbox/index.js';
import { startHarness, type Harness } from './harness.js';
import {
  addBoundaryLeads,
  ANCHOR,
  expectedFigures,
  openLeads,
  openTasks,
  overdueTasks,
  range,
  revenueBy,
  TZ,
  type Expected,
  type LeadScope,
  type Range,
} from './reports-fixtures.js';

type Lang = 'pt' | 'es' | 'en';
type Unit = 'count' | 'money' | 'percent';

interface Case {
  q: string;
  lang: Lang;
  /** The figure, from the store; null when the answer has none (e.g. no won leads). */
  value?: (s: SandboxStore) => number | null;
  unit?: Unit;
  /** Extra checks on the body. */
  check?: (body: Record<string, unknown>, s: SandboxStore) => void;
  /** The question must be refused with this reason. */
  refused?: string;
}

const NOW_SEC = Math.floor(ANCHOR / 1000);
const R = {
  today: range('2026-03-15', '2026-03-15'),
  yesterday: range('2026-03-14', '2026-03-14'),
  thisWeek: range('2026-03-09', '2026-03-15'),
  lastWeek: range('2026-03-02', '2026-03-08'),
  thisMonth: range('2026-03-01', '2026-03-31'),
  lastMonth: range('2026-02-01', '2026-02-28'),
  thisYear: range('2026-01-01', '2026-12-31'),
  lastYear: range('2025-01-01', '2025-12-31'),
  last7: range('2026-03-09', '2026-03-15'),
  last30: range('2026-02-14', '2026-03-15'),
  last90: range('2025-12-16', '2026-03-15'),
  january: range('2026-01-01', '2026-01-31'),
  march: range('2026-03-01', '2026-03-31'),
  december2025: range('2025-12-01', '2025-12-31'),
  october2025: range('2025-10-01', '2025-10-31'),
  firstHalfFeb: range('2026-02-01', '2026-02-15'),
};

const pipelineId = (s: SandboxStore, name: string): number => s.pipelines.find((p) => p.name === name)!.id;
const userId = (s: SandboxStore, name: string): number => s.users.find((u) => u.name === name)!.id;
const fig =
  (r: Range, key: keyof Expected, scope: (s: SandboxStore) => LeadScope = () => ({})) =>
  (s: SandboxStore) =>
    expectedFigures(s, r, scope(s))[key];
const avgOrNull = (r: Range) => (s: SandboxStore) => {
  const e = expectedFigures(s, r);
  return e.won > 0 ? e.average : null;
};
const convOrNull = (r: Range) => (s: SandboxStore) => {
  const e = expectedFigures(s, r);
  return e.won + e.lost > 0 ? e.conversion_rate : null;
};
const closed = (r: Range) => (s: SandboxStore) => {
  const e = expectedFigures(s, r);
  return e.won + e.lost;
};
const inStage = (pipeline: string, stage: string) => (s: SandboxStore) => {
  const p = s.pipelines.find((x) => x.name === pipeline)!;
  const status = p._embedded.statuses.find((x) => x.name === stage)!;
  return s.leads.filter((l) => l.pipeline_id === p.id && l.status_id === status.id).length;
};
const topRevenue = (r: Range, by: 'user' | 'pipeline') => (s: SandboxStore) => revenueBy(s, r, by)[0]!.revenue;
const leaderIs = (r: Range, by: 'user' | 'pipeline') => (body: Record<string, unknown>, s: SandboxStore) => {
  const top = revenueBy(s, r, by)[0]!;
  const name = by === 'user' ? s.users.find((u) => u.id === top.key)!.name : s.pipelines.find((p) => p.id === top.key)!.name;
  assert.equal(((body['data'] as Record<string, unknown>)['leader'] as Record<string, unknown>)['name'], name);
};
const topWonPipeline = (r: Range) => (s: SandboxStore) => Math.max(...s.pipelines.map((p) => expectedFigures(s, r, { pipelineId: p.id }).won));

/** Kommo's query= as the sandbox documents it: case-insensitive substring of the name (and, for contacts, any field value). */
function contactMatches(s: SandboxStore, text: string): number[] {
  const t = text.toLowerCase();
  return s.contacts
    .filter((c) => c.name.toLowerCase().includes(t) || (c.custom_fields_values ?? []).some((f) => f.values.some((v) => v.value.toLowerCase().includes(t))))
    .map((c) => c.id)
    .sort((a, b) => a - b);
}
function leadMatches(s: SandboxStore, text: string): number[] {
  return s.leads
    .filter((l) => l.name.toLowerCase().includes(text.toLowerCase()))
    .map((l) => l.id)
    .sort((a, b) => a - b);
}
const lookupIds = (entity: 'leads' | 'contacts', matches: (s: SandboxStore) => number[]) => (body: Record<string, unknown>, s: SandboxStore) => {
  const items = (body['data'] as Record<string, unknown>)[entity] as Array<{ id: number }>;
  assert.deepEqual(
    items.map((i) => i.id),
    matches(s).slice(0, 10),
  );
};

// Names picked from the seeded data (seed 7): one contact and one company that exist.
let CONTACT = '';
const COMPANY = 'Grupo Andes';

function cases(): Case[] {
  const u =
    (name: string) =>
    (s: SandboxStore): LeadScope => ({ userId: userId(s, name) });
  const p =
    (name: string) =>
    (s: SandboxStore): LeadScope => ({ pipelineId: pipelineId(s, name) });
  return [
    // ---- Portuguese ----
    { lang: 'pt', q: 'Quantos leads ganhamos no mês passado?', value: fig(R.lastMonth, 'won') },
    { lang: 'pt', q: 'Quantos leads novos entraram hoje?', value: fig(R.today, 'new') },
    { lang: 'pt', q: 'Quantos leads perdemos ontem?', value: fig(R.yesterday, 'lost') },
    { lang: 'pt', q: 'Qual foi a receita de março?', value: fig(R.march, 'revenue'), unit: 'money' },
    { lang: 'pt', q: 'Quanto faturamos este ano?', value: fig(R.thisYear, 'revenue'), unit: 'money' },
    { lang: 'pt', q: 'Qual o ticket médio do mês passado?', value: avgOrNull(R.lastMonth), unit: 'money' },
    { lang: 'pt', q: 'Qual a taxa de conversão nos últimos 30 dias?', value: convOrNull(R.last30), unit: 'percent' },
    { lang: 'pt', q: 'Quem vendeu mais este mês?', value: topRevenue(R.thisMonth, 'user'), unit: 'money', check: leaderIs(R.thisMonth, 'user') },
    {
      lang: 'pt',
      q: 'Qual funil teve mais receita no ano passado?',
      value: topRevenue(R.lastYear, 'pipeline'),
      unit: 'money',
      check: leaderIs(R.lastYear, 'pipeline'),
    },
    { lang: 'pt', q: 'Quantas tarefas estão atrasadas?', value: (s) => overdueTasks(s, NOW_SEC).length },
    { lang: 'pt', q: 'Quantas tarefas em aberto a Ana Souza tem?', value: (s) => openTasks(s, userId(s, 'Ana Souza')).length },
    { lang: 'pt', q: 'Quantos leads estão em aberto?', value: (s) => openLeads(s).length },
    { lang: 'pt', q: 'Quantos leads estão na etapa Negociação?', value: inStage('Funil de vendas', 'Negociação') },
    { lang: 'pt', q: 'Quantos leads abertos no Funil de vendas?', value: (s) => openLeads(s, { pipelineId: pipelineId(s, 'Funil de vendas') }).length },
    { lang: 'pt', q: 'Quantos leads a Camila ganhou esta semana?', value: fig(R.thisWeek, 'won', u('Camila Rodrigues')) },
    { lang: 'pt', q: 'Quantas vendas tivemos de 01/02/2026 a 15/02/2026?', value: fig(R.firstHalfFeb, 'won') },
    { lang: 'pt', q: 'Receita do Funil de vendas em janeiro', value: fig(R.january, 'revenue', p('Funil de vendas')), unit: 'money' },
    { lang: 'pt', q: 'Quantos leads foram criados na semana passada?', value: fig(R.lastWeek, 'new') },
    { lang: 'pt', q: 'Leads perdidos nos últimos 7 dias', value: fig(R.last7, 'lost') },
    { lang: 'pt', q: 'Quantos leads fechados em fevereiro?', value: closed(R.lastMonth) },
    { lang: 'pt', q: 'Quantos leads o Mateus Oliveira perdeu no ano passado?', value: fig(R.lastYear, 'lost', u('Mateus Oliveira')) },
    {
      lang: 'pt',
      q: `Encontre o contato ${'{CONTACT}'}`,
      value: (s) => Math.min(10, contactMatches(s, CONTACT).length),
      check: lookupIds('contacts', (s) => contactMatches(s, CONTACT)),
    },
    { lang: 'pt', q: 'Qual a previsão do tempo para amanhã?', refused: 'no_intent' },
    // ---- Spanish ----
    { lang: 'es', q: '¿Cuántos leads ganamos el mes pasado?', value: fig(R.lastMonth, 'won') },
    { lang: 'es', q: '¿Cuántos leads nuevos hoy?', value: fig(R.today, 'new') },
    { lang: 'es', q: '¿Cuántos leads perdimos ayer?', value: fig(R.yesterday, 'lost') },
    { lang: 'es', q: '¿Cuáles fueron los ingresos de marzo?', value: fig(R.march, 'revenue'), unit: 'money' },
    { lang: 'es', q: '¿Cuánto facturamos este año?', value: fig(R.thisYear, 'revenue'), unit: 'money' },
    { lang: 'es', q: '¿Cuál es el ticket promedio del mes pasado?', value: avgOrNull(R.lastMonth), unit: 'money' },
    { lang: 'es', q: 'Tasa de conversión de los últimos 90 días', value: convOrNull(R.last90), unit: 'percent' },
    { lang: 'es', q: '¿Quién vendió más este mes?', value: topRevenue(R.thisMonth, 'user'), unit: 'money', check: leaderIs(R.thisMonth, 'user') },
    {
      lang: 'es',
      q: '¿Qué embudo generó más ingresos el año pasado?',
      value: topRevenue(R.lastYear, 'pipeline'),
      unit: 'money',
      check: leaderIs(R.lastYear, 'pipeline'),
    },
    { lang: 'es', q: '¿Cuántas tareas están vencidas?', value: (s) => overdueTasks(s, NOW_SEC).length },
    { lang: 'es', q: '¿Cuántas tareas abiertas tiene Diego Fernández?', value: (s) => openTasks(s, userId(s, 'Diego Fernández')).length },
    { lang: 'es', q: '¿Cuántos leads abiertos hay?', value: (s) => openLeads(s).length },
    { lang: 'es', q: '¿Cuántos leads hay en la etapa Negociación?', value: inStage('Ventas LATAM', 'Negociación') },
    { lang: 'es', q: '¿Cuántos leads abiertos hay en Ventas LATAM?', value: (s) => openLeads(s, { pipelineId: pipelineId(s, 'Ventas LATAM') }).length },
    { lang: 'es', q: '¿Cuántos leads ganó Lucía Martínez este año?', value: fig(R.thisYear, 'won', u('Lucía Martínez')) },
    { lang: 'es', q: '¿Cuántas ventas tuvimos del 01/02/2026 al 15/02/2026?', value: fig(R.firstHalfFeb, 'won') },
    { lang: 'es', q: 'Ingresos de Ventas LATAM en enero', value: fig(R.january, 'revenue', p('Ventas LATAM')), unit: 'money' },
    { lang: 'es', q: '¿Cuántos leads se crearon la semana pasada?', value: fig(R.lastWeek, 'new') },
    { lang: 'es', q: 'Leads perdidos en los últimos 7 días', value: fig(R.last7, 'lost') },
    { lang: 'es', q: '¿Cuántos leads cerrados en febrero?', value: closed(R.lastMonth) },
    { lang: 'es', q: '¿Cuántos leads ganamos en octubre de 2025?', value: fig(R.october2025, 'won') },
    {
      lang: 'es',
      q: `Busca el lead ${COMPANY}`,
      value: (s) => Math.min(10, leadMatches(s, COMPANY).length),
      check: lookupIds('leads', (s) => leadMatches(s, COMPANY)),
    },
    { lang: 'es', q: '¿Cuál es la capital de Francia?', refused: 'no_intent' },
    { lang: 'es', q: '¿Cuántos leads ganó Joaquín el mes pasado?', refused: 'unknown_name' },
    // ---- English ----
    { lang: 'en', q: 'How many leads did we win last month?', value: fig(R.lastMonth, 'won') },
    { lang: 'en', q: 'How many new leads today?', value: fig(R.today, 'new') },
    { lang: 'en', q: 'How many leads did we lose yesterday?', value: fig(R.yesterday, 'lost') },
    { lang: 'en', q: 'What was the revenue in March 2026?', value: fig(R.march, 'revenue'), unit: 'money' },
    { lang: 'en', q: 'How much did we sell this year?', value: fig(R.thisYear, 'revenue'), unit: 'money' },
    { lang: 'en', q: 'What is the average deal size last month?', value: avgOrNull(R.lastMonth), unit: 'money' },
    { lang: 'en', q: 'What is our conversion rate this week?', value: convOrNull(R.thisWeek), unit: 'percent' },
    { lang: 'en', q: 'Who sold the most this month?', value: topRevenue(R.thisMonth, 'user'), unit: 'money', check: leaderIs(R.thisMonth, 'user') },
    { lang: 'en', q: 'Which pipeline had the most won deals last year?', value: topWonPipeline(R.lastYear) },
    { lang: 'en', q: 'How many tasks are overdue?', value: (s) => overdueTasks(s, NOW_SEC).length },
    { lang: 'en', q: 'How many open tasks does Bruno Carvalho have?', value: (s) => openTasks(s, userId(s, 'Bruno Carvalho')).length },
    { lang: 'en', q: 'How many open leads do we have?', value: (s) => openLeads(s).length },
    { lang: 'en', q: 'How many leads are in stage Renewal offer?', value: inStage('Renewals', 'Renewal offer') },
    { lang: 'en', q: 'How many open leads are in the Renewals pipeline?', value: (s) => openLeads(s, { pipelineId: pipelineId(s, 'Renewals') }).length },
    { lang: 'en', q: 'How many leads did Valentina win in the last 30 days?', value: fig(R.last30, 'won', u('Valentina Gómez')) },
    { lang: 'en', q: 'How many sales between 2026-02-01 and 2026-02-15?', value: fig(R.firstHalfFeb, 'won') },
    { lang: 'en', q: 'Revenue of Funil de vendas in January', value: fig(R.january, 'revenue', p('Funil de vendas')), unit: 'money' },
    { lang: 'en', q: 'How many leads were created last week?', value: fig(R.lastWeek, 'new') },
    { lang: 'en', q: 'Lost leads in the last 7 days', value: fig(R.last7, 'lost') },
    { lang: 'en', q: 'How many leads were closed in February?', value: closed(R.lastMonth) },
    { lang: 'en', q: 'How many leads did we win in December?', value: fig(R.december2025, 'won') },
    {
      lang: 'en',
      q: 'Give me a summary of last month',
      check: (body, s) => {
        const e = expectedFigures(s, R.lastMonth);
        const f = (body['data'] as Record<string, Record<string, number>>)['figures']!;
        assert.deepEqual([f['new'], f['won'], f['lost'], f['revenue']], [e.new, e.won, e.lost, e.revenue]);
        assert.match(String(body['answer']), new RegExp(`${e.new} new, ${e.won} won, ${e.lost} lost`));
      },
    },
    {
      lang: 'en',
      q: `Find the contact ${'{CONTACT}'}`,
      value: (s) => Math.min(10, contactMatches(s, CONTACT).length),
      check: lookupIds('contacts', (s) => contactMatches(s, CONTACT)),
    },
    { lang: 'en', q: 'What is the weather tomorrow?', refused: 'no_intent' },
    { lang: 'en', q: 'How many leads did Pedro win last month?', refused: 'unknown_name' },
  ];
}

const LOCALE: Record<Lang, string> = { pt: 'pt-BR', es: 'es', en: 'en-US' };

function formatted(lang: Lang, unit: Unit, value: number): string {
  const locale = LOCALE[lang];
  if (unit === 'money')
    return new Intl.NumberFormat(locale, { style: 'currency', currency: 'BRL', maximumFractionDigits: 0, minimumFractionDigits: 0 }).format(value);
  const n = new Intl.NumberFormat(locale, { maximumFractionDigits: 2 }).format(value);
  return unit === 'percent' ? `${n}%` : n;
}

/** Words only answers in that language use. */
const MARKERS: Record<Lang, RegExp> = {
  pt: /(?<!\p{L})(agora|Contei|Somei|Agrupei|Tarefas|Encontrei|Nenhum|ganhos|novos|Receita|responsável|funil|Resumo|Não consegui|Busca do Kommo|continuam)(?!\p{L})/u,
  es: /(?<!\p{L})(ahora|Conté|Sumé|Agrupé|Tareas|Encontré|Ningún|ganados|nuevos|Ingresos|responsable|embudo|Resumen|No pude|Búsqueda de Kommo|siguen)(?!\p{L})/u,
  en: /(?<!\p{L})(now|Counted|Summed|Grouped|tasks|Found|won|new|Revenue|responsible user|pipeline|Summary|I couldn't|Kommo search|still)(?!\p{L})/u,
};

let sandbox: Sandbox;
let h: Harness;

before(async () => {
  sandbox = await startSandbox({ leads: 3000, seed: 7, anchor: ANCHOR, timezone: TZ, rps: 0, now: () => ANCHOR });
  addBoundaryLeads(sandbox.store);
  CONTACT = sandbox.store.contacts[40]!.name;
  h = await startHarness({ sharedSandbox: sandbox, now: () => ANCHOR });
});
after(async () => {
  await h.close();
  await sandbox.close();
});

describe('ask_kommo answers 70 questions in three languages with figures computed from the store', () => {
  const all = cases();
  test('the set covers at least 20 questions per language and 60 in all', () => {
    for (const lang of ['pt', 'es', 'en'] as const) assert.ok(all.filter((c) => c.lang === lang).length >= 20, lang);
    assert.ok(all.length >= 60);
  });

  for (const c of all) {
    test(`[${c.lang}] ${c.q}`, async () => {
      const question = c.q.replace('{CONTACT}', CONTACT);
      h.resetLog();
      const { isError, body } = await h.callJson('ask_kommo', { question });
      assert.equal(isError, false, JSON.stringify(body));
      assert.equal(body['language'], c.lang);
      const answer = String(body['answer']);
      const others = (['pt', 'es', 'en'] as const).filter((l) => l !== c.lang);
      assert.match(answer, MARKERS[c.lang], `answer not in ${c.lang}: ${answer}`);
      for (const o of others) assert.doesNotMatch(answer.replace(/“[^”]*”|#\d+ [^\n]*/g, ''), MARKERS[o], `answer has ${o} words: ${answer}`);

      if (c.refused) {
        assert.equal(body['understood'], false);
        assert.equal(body['reason'], c.refused);
        assert.ok(Array.isArray(body['supported']) && (body['supported'] as unknown[]).length >= 6);
        assert.equal(leadRequests(h.requests()).length, 0, 'a refused question fetches no leads');
        return;
      }
      assert.equal(body['understood'], true, answer);
      if (c.value) {
        const expected = c.value(sandbox.store);
        assert.equal(body['value'], expected, answer);
        if (expected !== null)
          assert.ok(answer.includes(formatted(c.lang, c.unit ?? 'count', expected)), `"${formatted(c.lang, c.unit ?? 'count', expected)}" not in: ${answer}`);
      }
      c.check?.(body, sandbox.store);
      if (body['period']) {
        for (const r of leadRequests(h.requests())) {
          assert.ok(
            Object.keys(r.query).some((k) => k.startsWith('filter[')),
            `unfiltered lead request for a period question: ${JSON.stringify(r.query)}`,
          );
        }
      }
    });
  }
});

describe('ask_kommo: what it says about periods and costs', () => {
  test('the answer states the period, its exact days and the timezone', async () => {
    const { body } = await h.callJson('ask_kommo', { question: 'Quantos leads ganhamos em fevereiro?' });
    const period = body['period'] as Record<string, unknown>;
    assert.deepEqual([period['from'], period['to'], period['timezone'], period['starts_at']], ['2026-02-01', '2026-02-28', TZ, '2026-02-01T00:00:00-03:00']);
    assert.match(String(body['answer']), /01\/02\/2026–28\/02\/2026, America\/Sao_Paulo/);
    assert.match(String(body['interpretation']), /closed_at/);
  });

  test('without a period, the answer says it used this month', async () => {
    const { body } = await h.callJson('ask_kommo', { question: 'How many leads did we win?' });
    assert.equal((body['period'] as Record<string, unknown>)['defaulted'], true);
    assert.match(String(body['interpretation']), /named no period: I used this month/);
    assert.equal(body['value'], expectedFigures(sandbox.store, R.thisMonth).won);
  });

  test('open tasks are fetched with filter[is_completed]=0', async () => {
    const fresh = await startHarness({ sharedSandbox: sandbox, now: () => ANCHOR });
    try {
      await fresh.callJson('ask_kommo', { question: 'How many tasks are overdue?' });
      const tasks = fresh.requests().filter((r) => r.path === '/api/v4/tasks');
      assert.ok(tasks.length > 0);
      for (const r of tasks) assert.equal(r.query['filter[is_completed]'], '0');
    } finally {
      await fresh.close();
    }
  });

  test('a stage question on a cold start fetches that stage only', async () => {
    const fresh = await startHarness({ sharedSandbox: sandbox, now: () => ANCHOR });
    try {
      const { body } = await fresh.callJson('ask_kommo', { question: 'How many leads are in stage Proposta enviada?' });
      assert.equal(body['value'], inStage('Funil de vendas', 'Proposta enviada')(sandbox.store));
      for (const r of leadRequests(fresh.requests())) assert.ok(r.query['filter[statuses][0][status_id]'] !== undefined);
    } finally {
      await fresh.close();
    }
  });

  test('ten questions over the same periods cost far fewer requests than one crawl of the account', async () => {
    const fresh = await startHarness({ sharedSandbox: sandbox, now: () => ANCHOR });
    try {
      const questions = [
        'Quantos leads ganhamos no mês passado?',
        'Qual foi a receita do mês passado?',
        '¿Cuál es el ticket promedio del mes pasado?',
        'What is the conversion rate last month?',
        'Who sold the most last month?',
        'Quantos leads novos hoje?',
        '¿Cuántos leads perdimos este mes?',
        'Revenue this month',
        'Quantos leads ganhos esta semana?',
        'How many new leads this year?',
      ];
      for (const question of questions) {
        const { body } = await fresh.callJson('ask_kommo', { question });
        assert.equal(body['understood'], true, question);
      }
      const crawlPages = Math.ceil(sandbox.store.leads.length / 250);
      const leadPages = leadRequests(fresh.requests()).length;
      assert.ok(leadPages < 4 * crawlPages, `${leadPages} lead requests for ten questions`);
    } finally {
      await fresh.close();
    }
  });
});

function leadRequests(requests: SandboxRequest[]): SandboxRequest[] {
  return requests.filter((r) => r.method === 'GET' && r.path === '/api/v4/leads' && r.query['query'] === undefined);
}
