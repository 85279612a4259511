/**
 * ask_kommo applies every filter it reports: each kind of figure (new, won, lost, open, revenue,
 * average deal, conversion) × each filter (stage, pipeline, responsible user, period), in Portuguese,
 * Spanish and English. Expected figures are computed here from the sandbox's store (São Paulo days),
 * without any of the answer code; where a filter cannot apply to a figure (Kommo does not record the
 * stage a deal was won or lost from), the answer must be `understood: false`, never a figure for a
 * broader set. Lead lookups by name answer the lead's stage, pipeline, value, responsible user and
 * dates.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Lead, SandboxStore } from '../src/sandbox/index.js';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { startHarness, type Harness } from './harness.js';
import { ANCHOR, expectedFigures, LOST, openLeads, range, TZ, WON, type LeadScope } from './reports-fixtures.js';

type Lang = 'pt' | 'es' | 'en';
type Figure = 'new' | 'won' | 'lost' | 'open' | 'revenue' | 'average' | 'conversion';
type Filter = 'stage' | 'pipeline' | 'user' | 'period';

const THIS_YEAR = range('2026-01-01', '2026-12-31');
const inYear = (t: number | null): boolean => t !== null && t >= THIS_YEAR.start && t < THIS_YEAR.end;

/** Per language: the stage (and its pipeline), the pipeline and the user each question names. */
const NAMED: Record<Lang, { pipeline: string; stagePipeline: string; stage: string; user: string }> = {
  pt: { pipeline: 'Funil de vendas', stagePipeline: 'Funil de vendas', stage: 'Negociação', user: 'Bruno Carvalho' },
  es: { pipeline: 'Ventas LATAM', stagePipeline: 'Ventas LATAM', stage: 'Negociación', user: 'Lucía Martínez' },
  en: { pipeline: 'Renewals', stagePipeline: 'Renewals', stage: 'Renewal offer', user: 'Rafael Lima' },
};

/** How each filter is written in each language. */
const PHRASE: Record<Lang, Record<Exclude<Filter, 'period'>, (n: (typeof NAMED)[Lang]) => string> & { period: string }> = {
  pt: { stage: (n) => `na etapa ${n.stage}`, pipeline: (n) => `no ${n.pipeline}`, user: (n) => `do ${n.user}`, period: 'este ano' },
  es: { stage: (n) => `en la etapa ${n.stage}`, pipeline: (n) => `en el embudo ${n.pipeline}`, user: (n) => `de ${n.user}`, period: 'este año' },
  en: { stage: (n) => `in stage ${n.stage}`, pipeline: (n) => `in the ${n.pipeline} pipeline`, user: (n) => `for ${n.user}`, period: 'this year' },
};

/** The question for a figure with a filter phrase ({f}) and a period ({p}). */
const QUESTION: Record<Lang, Record<Figure, string>> = {
  pt: {
    new: 'Quantos leads novos {f} {p}?',
    won: 'Quantos leads ganhos {f} {p}?',
    lost: 'Quantos leads perdidos {f} {p}?',
    open: 'Quantos leads abertos {f} {p}?',
    revenue: 'Qual foi a receita {f} {p}?',
    average: 'Qual o ticket médio {f} {p}?',
    conversion: 'Qual a taxa de conversão {f} {p}?',
  },
  es: {
    new: '¿Cuántos leads nuevos {f} {p}?',
    won: '¿Cuántos leads ganados {f} {p}?',
    lost: '¿Cuántos leads perdidos {f} {p}?',
    open: '¿Cuántos leads abiertos {f} {p}?',
    revenue: '¿Cuáles fueron los ingresos {f} {p}?',
    average: '¿Cuál es el ticket promedio {f} {p}?',
    conversion: '¿Cuál es la tasa de conversión {f} {p}?',
  },
  en: {
    new: 'How many new leads {f} {p}?',
    won: 'How many leads won {f} {p}?',
    lost: 'How many leads lost {f} {p}?',
    open: 'How many open leads {f} {p}?',
    revenue: 'What was the revenue {f} {p}?',
    average: 'What is the average deal {f} {p}?',
    conversion: 'What is the conversion rate {f} {p}?',
  },
};

const FIGURES: Figure[] = ['new', 'won', 'lost', 'open', 'revenue', 'average', 'conversion'];
const FILTERS: Filter[] = ['stage', 'pipeline', 'user', 'period'];
const LANGS: Lang[] = ['pt', 'es', 'en'];

function pipelineOf(s: SandboxStore, name: string) {
  return s.pipelines.find((p) => p.name === name)!;
}
function stageOf(s: SandboxStore, pipeline: string, stage: string): { pipelineId: number; statusId: number } {
  const p = pipelineOf(s, pipeline);
  return { pipelineId: p.id, statusId: p._embedded.statuses.find((x) => x.name === stage)!.id };
}
const userOf = (s: SandboxStore, name: string): number => s.users.find((u) => u.name === name)!.id;

/**
 * The expected answer, from the store: a number (or null for an average or conversion with nothing
 * to divide), or 'not_understood' when the filter cannot apply to the figure.
 */
function expected(s: SandboxStore, lang: Lang, figure: Figure, filter: Filter): number | null | 'not_understood' {
  const n = NAMED[lang];
  if (filter === 'stage') {
    const { pipelineId, statusId } = stageOf(s, n.stagePipeline, n.stage);
    const inStage = (l: Lead) => l.pipeline_id === pipelineId && l.status_id === statusId;
    // A lead in an open stage now is neither won nor lost; which stage a closed deal left is not recorded.
    if (figure === 'new') return s.leads.filter((l) => inStage(l) && inYear(l.created_at)).length;
    if (figure === 'open') return s.leads.filter((l) => inStage(l) && inYear(l.created_at)).length;
    return 'not_understood';
  }
  const scope: LeadScope = filter === 'pipeline' ? { pipelineId: pipelineOf(s, n.pipeline).id } : filter === 'user' ? { userId: userOf(s, n.user) } : {};
  if (figure === 'open') return openLeads(s, scope).filter((l) => inYear(l.created_at)).length;
  const e = expectedFigures(s, THIS_YEAR, scope);
  if (figure === 'average') return e.won > 0 ? e.average : null;
  if (figure === 'conversion') return e.won + e.lost > 0 ? e.conversion_rate : null;
  return e[figure];
}

function question(lang: Lang, figure: Figure, filter: Filter): string {
  const f = filter === 'period' ? '' : PHRASE[lang][filter](NAMED[lang]);
  return QUESTION[lang][figure].replace('{f}', f).replace('{p}', PHRASE[lang].period).replace(/\s+/g, ' ').replace(' ?', '?');
}

let sandbox: Sandbox;
let h: Harness;

before(async () => {
  sandbox = await startSandbox({ leads: 3000, seed: 7, anchor: ANCHOR, timezone: TZ, rps: 0, now: () => ANCHOR });
  h = await startHarness({ sharedSandbox: sandbox, now: () => ANCHOR });
});
after(async () => {
  await h.close();
  await sandbox.close();
});

async function ask(q: string): Promise<Record<string, unknown>> {
  const { isError, body } = await h.callJson('ask_kommo', { question: q });
  assert.equal(isError, false, `${q}: ${JSON.stringify(body)}`);
  return body;
}

describe('every figure × every filter, in pt, es and en', () => {
  for (const lang of LANGS) {
    for (const figure of FIGURES) {
      for (const filter of FILTERS) {
        const q = question(lang, figure, filter);
        test(`${lang} ${figure} × ${filter}: ${q}`, async () => {
          const want = expected(sandbox.store, lang, figure, filter);
          const body = await ask(q);
          if (want === 'not_understood') {
            assert.equal(body.understood, false, `must not answer for a broader set: ${JSON.stringify(body).slice(0, 400)}`);
            assert.equal(body.language, lang);
            return;
          }
          assert.equal(body.understood, true, JSON.stringify(body).slice(0, 400));
          assert.equal(body.language, lang);
          assert.equal(body.value, want, `${q} → ${String(body.answer)}`);
          const filters = body.filters as { pipelines: unknown[]; users: unknown[]; stages: unknown[] };
          assert.equal(filters.stages.length > 0, filter === 'stage', 'stages reported iff named');
          assert.equal(filters.users.length > 0, filter === 'user', 'users reported iff named');
          assert.equal(filters.pipelines.length > 0, filter === 'pipeline', 'pipelines reported iff named');
          assert.ok(body.period, 'the period is reported and applied');
        });
      }
    }
  }
});

describe('several filters at once', () => {
  test('open leads in a stage, for a user, created this year', async () => {
    const s = sandbox.store;
    const { pipelineId, statusId } = stageOf(s, 'Funil de vendas', 'Negociação');
    const user = userOf(s, 'Ana Souza');
    const want = s.leads.filter(
      (l) => l.pipeline_id === pipelineId && l.status_id === statusId && l.responsible_user_id === user && inYear(l.created_at),
    ).length;
    const body = await ask('Quantos leads abertos na etapa Negociação da Ana Souza este ano?');
    assert.equal(body.value, want);
  });

  test('won leads in a pipeline for a user last month', async () => {
    const s = sandbox.store;
    const want = expectedFigures(s, range('2026-02-01', '2026-02-28'), {
      pipelineId: pipelineOf(s, 'Ventas LATAM').id,
      userId: userOf(s, 'Diego Fernández'),
    }).won;
    const body = await ask('¿Cuántos leads ganados en el embudo Ventas LATAM de Diego Fernández el mes pasado?');
    assert.equal(body.value, want);
  });

  test('open leads in a stage now (no period): every lead in that stage', async () => {
    const s = sandbox.store;
    const { pipelineId, statusId } = stageOf(s, 'Renewals', 'Renewal offer');
    const body = await ask('How many open leads in stage Renewal offer?');
    assert.equal(body.value, s.leads.filter((l) => l.pipeline_id === pipelineId && l.status_id === statusId).length);
    assert.match(String(body.answer), /stage Renewal offer \(Renewals\)/);
    assert.doesNotMatch(String(body.answer), /All pipelines/, 'the stage names its pipeline');
  });

  test('lost leads in a stage last month: not understood, with a reason that says why', async () => {
    const body = await ask('Quantos leads perdidos na etapa Negociação mês passado?');
    assert.equal(body.understood, false);
    assert.match(String(body.answer), /etapa/);
  });
});

describe('tasks and rankings: the filters they report apply too', () => {
  const MARCH = range('2026-03-01', '2026-03-31');
  const nowSec = Math.floor(ANCHOR / 1000);
  const dueInMarch = (s: SandboxStore) => s.tasks.filter((t) => !t.is_completed && t.complete_till >= MARCH.start && t.complete_till < MARCH.end);

  test('tasks with a period: those due in it (pt, es, en)', async () => {
    const s = sandbox.store;
    const overdue = dueInMarch(s).filter((t) => t.complete_till < nowSec).length;
    for (const q of ['Quantas tarefas atrasadas este mês?', '¿Cuántas tareas vencidas este mes?', 'How many overdue tasks this month?']) {
      const body = await ask(q);
      assert.equal(body.value, overdue, q);
      assert.ok(body.period, `${q}: the period is reported`);
    }
    const open = await ask('How many open tasks this month?');
    assert.equal(open.value, dueInMarch(s).length);
  });

  test('tasks by pipeline or stage: not understood (tasks belong to no pipeline), in each language', async () => {
    for (const [q, lang] of [
      ['Quantas tarefas atrasadas no Funil de vendas?', 'pt'],
      ['¿Cuántas tareas abiertas en la etapa Negociación?', 'es'],
      ['How many open tasks in the Renewals pipeline?', 'en'],
    ] as const) {
      const body = await ask(q);
      assert.equal(body.understood, false, q);
      assert.equal(body.reason, 'tasks_by_pipeline', q);
      assert.equal(body.language, lang);
    }
  });

  test('a ranking of open leads with a period ranks the open leads created in it', async () => {
    const s = sandbox.store;
    const counts = new Map<number, number>();
    for (const l of s.leads) {
      if (l.status_id === WON || l.status_id === LOST || !inYear(l.created_at)) continue;
      counts.set(l.responsible_user_id, (counts.get(l.responsible_user_id) ?? 0) + 1);
    }
    const body = await ask('Which user has the most open leads this year?');
    assert.equal(body.value, Math.max(...counts.values()));
  });

  test('a ranking of won leads by user in a stage: not understood', async () => {
    const body = await ask('Quem ganhou mais leads na etapa Negociação este mês?');
    assert.equal(body.understood, false);
    assert.equal(body.reason, 'stage_of_closed');
  });
});

describe('lead lookups by name answer the attribute asked', () => {
  /** A closed lead whose name no other lead's name contains (Kommo's query= is a substring search). */
  function uniqueLead(s: SandboxStore, status: number): Lead {
    return s.leads.find((l) => l.status_id === status && s.leads.filter((o) => o.name.toLowerCase().includes(l.name.toLowerCase())).length === 1)!;
  }
  const localDate = (t: number) => new Date((t - 3 * 3600) * 1000).toISOString().slice(0, 10);

  const ATTRIBUTE_QUESTIONS: Record<Lang, Record<string, string>> = {
    pt: {
      stage: 'Em que etapa está o lead "{n}"?',
      value: 'Qual é o valor do lead "{n}"?',
      responsible: 'Quem é o responsável pelo lead "{n}"?',
      created: 'Quando o lead "{n}" foi criado?',
      closed: 'Quando o lead "{n}" foi fechado?',
    },
    es: {
      stage: '¿En qué etapa está el lead "{n}"?',
      value: '¿Cuál es el valor del lead "{n}"?',
      responsible: '¿Quién es el responsable del lead "{n}"?',
      created: '¿Cuándo se creó el lead "{n}"?',
      closed: '¿Cuándo se cerró el lead "{n}"?',
    },
    en: {
      stage: 'What stage is lead "{n}" in?',
      value: 'What is the value of lead "{n}"?',
      responsible: 'Who is responsible for lead "{n}"?',
      created: 'When was lead "{n}" created?',
      closed: 'When was lead "{n}" closed?',
    },
  };

  test('an open lead: its data has no closed_at and nothing null, false or empty (the rule of the record shape)', async () => {
    const s = sandbox.store;
    const lead = s.leads.find(
      (l) => l.status_id !== WON && l.status_id !== LOST && s.leads.filter((o) => o.name.toLowerCase().includes(l.name.toLowerCase())).length === 1,
    )!;
    const body = await ask(`When was lead "${lead.name}" closed?`);
    const item = (body.data as { leads: Array<Record<string, unknown>> }).leads[0]!;
    assert.equal(item.id, lead.id);
    assert.equal('closed_at' in item, false, JSON.stringify(item));
    for (const [key, value] of Object.entries(item)) {
      assert.ok(value !== null && value !== false && value !== '' && !(Array.isArray(value) && value.length === 0), `${key}: ${JSON.stringify(value)}`);
    }
  });

  for (const lang of LANGS) {
    test(`${lang}: stage, pipeline, value, responsible user, created and closed dates`, async () => {
      const s = sandbox.store;
      const lead = uniqueLead(s, lang === 'es' ? LOST : WON);
      const pipeline = s.pipelines.find((p) => p.id === lead.pipeline_id)!;
      const stage = pipeline._embedded.statuses.find((x) => x.id === lead.status_id)!;
      const user = s.users.find((u) => u.id === lead.responsible_user_id)!;
      const want: Record<string, string | number> = {
        stage: stage.name,
        value: lead.price,
        responsible: user.name,
        created: localDate(lead.created_at),
        closed: localDate(lead.closed_at!),
      };
      for (const [attribute, template] of Object.entries(ATTRIBUTE_QUESTIONS[lang])) {
        const q = template.replace('{n}', lead.name);
        const body = await ask(q);
        assert.equal(body.understood, true, `${q} → ${JSON.stringify(body).slice(0, 300)}`);
        assert.equal(body.language, lang, q);
        const data = body.data as { attribute: string; leads: Array<Record<string, unknown>> };
        assert.equal(data.attribute, attribute, q);
        assert.equal(data.leads.length, 1, q);
        const item = data.leads[0]!;
        assert.equal(item.id, lead.id);
        assert.equal(item.status_name, stage.name);
        assert.equal(item.pipeline_name, pipeline.name);
        assert.equal(item.price, lead.price);
        assert.equal(item.responsible_user_name, user.name);
        assert.equal(String(item.created_at).slice(0, 10), localDate(lead.created_at));
        assert.equal(String(item.closed_at).slice(0, 10), localDate(lead.closed_at!));
        const shown =
          typeof want[attribute] === 'number' ? new Intl.NumberFormat('en-US').format(want[attribute] as number).replace(/,/g, '') : String(want[attribute]);
        assert.ok(
          String(body.answer)
            .replace(/[.,\s]/g, '')
            .includes(shown.replace(/[.,\s]/g, '')),
          `${q} → ${String(body.answer)} (wants ${shown})`,
        );
        assert.equal(body.value, want[attribute], q);
      }
    });
  }
});
