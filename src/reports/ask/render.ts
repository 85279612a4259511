/**
 * Answers in the question's language (Portuguese, Spanish, English): the figure, the period with its
 * exact days and timezone, and the interpretation used. All wording lives here.
 */
import type { Language } from './language.js';
import type { PeriodSpec } from './period-parse.js';
import type { Intent, LeadAttribute, Metric, NotUnderstoodReason } from './intent.js';
import type { Freshness } from '../incremental-cache.js';
import type { Figures } from '../summary.js';
import type { Period } from '../period.js';

const LOCALE: Record<Language, string> = { pt: 'pt-BR', es: 'es', en: 'en-US' };

/** A lead as a lookup shows it (names resolved, dates local ISO 8601 in the account timezone). */
export interface LeadItem {
  id: number;
  name: string;
  price: number;
  status_id: number;
  status_name: string | null;
  pipeline_id: number;
  pipeline_name: string | null;
  responsible_user_id: number;
  responsible_user_name: string;
  created_at: string;
  closed_at: string | null;
}

/** A contact as a lookup shows it. */
export interface ContactItem {
  id: number;
  name: string;
  responsible_user_id: number;
  responsible_user_name: string;
  phones: string[];
  emails: string[];
  created_at: string;
}

/** The names of the filters a question named, as the answer states them. */
export interface ScopeNames {
  pipelines: string[];
  users: string[];
  /** "Negociação (Funil de vendas)". */
  stages: string[];
}

export class Words {
  constructor(
    readonly lang: Language,
    private readonly currency: string | undefined,
  ) {}

  get locale(): string {
    return LOCALE[this.lang];
  }

  t(texts: Record<Language, string>): string {
    return texts[this.lang];
  }

  number(n: number): string {
    return new Intl.NumberFormat(this.locale, { maximumFractionDigits: 2 }).format(n);
  }

  money(n: number): string {
    if (this.currency && /^[A-Z]{3}$/.test(this.currency)) {
      try {
        return new Intl.NumberFormat(this.locale, { style: 'currency', currency: this.currency, maximumFractionDigits: 0, minimumFractionDigits: 0 }).format(n);
      } catch {
        // Unknown currency code: fall through to a plain number.
      }
    }
    return this.number(Math.round(n));
  }

  percent(n: number): string {
    return `${this.number(n)}%`;
  }

  date(iso: string): string {
    if (this.lang === 'en') return iso;
    const [y, m, d] = iso.split('-');
    return `${d}/${m}/${y}`;
  }

  periodLabel(spec: PeriodSpec, period: Period): string {
    const L = this.lang;
    switch (spec.kind) {
      case 'today':
        return this.t({ pt: 'hoje', es: 'hoy', en: 'today' });
      case 'yesterday':
        return this.t({ pt: 'ontem', es: 'ayer', en: 'yesterday' });
      case 'this_week':
        return this.t({ pt: 'esta semana (de segunda a domingo)', es: 'esta semana (de lunes a domingo)', en: 'this week (Monday to Sunday)' });
      case 'last_week':
        return this.t({ pt: 'a semana passada (de segunda a domingo)', es: 'la semana pasada (de lunes a domingo)', en: 'last week (Monday to Sunday)' });
      case 'this_month':
        return this.t({ pt: 'este mês', es: 'este mes', en: 'this month' });
      case 'last_month':
        return this.t({ pt: 'o mês passado', es: 'el mes pasado', en: 'last month' });
      case 'this_year':
        return this.t({ pt: 'este ano', es: 'este año', en: 'this year' });
      case 'last_year':
        return this.t({ pt: 'o ano passado', es: 'el año pasado', en: 'last year' });
      case 'last_n': {
        const unit = {
          days: { pt: 'dias', es: 'días', en: 'days' },
          weeks: { pt: 'semanas', es: 'semanas', en: 'weeks' },
          months: { pt: 'meses', es: 'meses', en: 'months' },
        }[spec.unit][L];
        const until = this.t({ pt: ', até hoje', es: ', hasta hoy', en: ', up to today' });
        if (L === 'pt') return `${spec.unit === 'weeks' ? 'as últimas' : 'os últimos'} ${spec.n} ${unit}${until}`;
        if (L === 'es') return `${spec.unit === 'weeks' ? 'las últimas' : 'los últimos'} ${spec.n} ${unit}${until}`;
        return `the last ${spec.n} ${unit}${until}`;
      }
      case 'month': {
        const name = new Intl.DateTimeFormat(this.locale, { month: 'long', timeZone: 'UTC' }).format(new Date(Date.UTC(2000, spec.month - 1, 1)));
        return L === 'en' ? `${name} ${spec.year}` : `${name} de ${spec.year}`;
      }
      case 'year':
        return String(spec.year);
      case 'day':
        return this.date(period.from);
      case 'since':
        return this.t({ pt: `desde ${this.date(period.from)}`, es: `desde el ${this.date(period.from)}`, en: `since ${period.from}` });
      case 'range':
        return this.t({
          pt: `de ${this.date(period.from)} a ${this.date(period.to)}`,
          es: `del ${this.date(period.from)} al ${this.date(period.to)}`,
          en: `from ${period.from} to ${period.to}`,
        });
    }
  }

  /** "março de 2026 (01/03/2026–31/03/2026, America/Sao_Paulo)". */
  periodPhrase(spec: PeriodSpec, period: Period): string {
    const days = period.from === period.to ? this.date(period.from) : `${this.date(period.from)}–${this.date(period.to)}`;
    return `${this.periodLabel(spec, period)} (${days}, ${period.timezone})`;
  }

  scope(filters: ScopeNames): string {
    const parts = [
      ...filters.pipelines.map((p) => `${this.t({ pt: 'funil', es: 'embudo', en: 'pipeline' })} ${p}`),
      ...filters.stages.map((s) => `${this.t({ pt: 'etapa', es: 'etapa', en: 'stage' })} ${s}`),
      ...filters.users.map((u) => `${this.t({ pt: 'responsável', es: 'responsable', en: 'responsible user' })} ${u}`),
    ];
    return parts.length ? ` (${parts.join('; ')})` : '';
  }

  scopeNote(filters: ScopeNames): string {
    // A stage names its pipeline.
    const where = filters.pipelines.length || filters.stages.length ? '' : this.t({ pt: ' Todos os funis.', es: ' Todos los embudos.', en: ' All pipelines.' });
    const who = filters.users.length ? '' : this.t({ pt: ' Todos os responsáveis.', es: ' Todos los responsables.', en: ' All responsible users.' });
    const stage = filters.stages.length
      ? this.t({
          pt: ' Etapa = a etapa em que o lead está agora.',
          es: ' Etapa = la etapa en la que está el lead ahora.',
          en: ' Stage = the stage the lead is in now.',
        })
      : '';
    return where + who + stage;
  }

  /** For counts of leads now, narrowed by a period: the leads created in it. */
  createdInPeriodNote(spec: PeriodSpec, period: Period): string {
    return this.t({
      pt: ` Só os leads criados em ${this.periodPhrase(spec, period)}.`,
      es: ` Solo los leads creados en ${this.periodPhrase(spec, period)}.`,
      en: ` Only leads created in ${this.periodPhrase(spec, period)}.`,
    });
  }

  /** For tasks, narrowed by a period: the tasks due in it. */
  dueInPeriodNote(spec: PeriodSpec, period: Period): string {
    return this.t({
      pt: ` Só as tarefas com prazo em ${this.periodPhrase(spec, period)}.`,
      es: ` Solo las tareas con plazo en ${this.periodPhrase(spec, period)}.`,
      en: ` Only tasks due in ${this.periodPhrase(spec, period)}.`,
    });
  }

  metricName(metric: Metric | 'closed' | 'total'): string {
    const names: Record<Metric | 'closed' | 'total', Record<Language, string>> = {
      new: { pt: 'Leads novos (criados)', es: 'Leads nuevos (creados)', en: 'New leads (created)' },
      won: { pt: 'Leads ganhos', es: 'Leads ganados', en: 'Won leads' },
      lost: { pt: 'Leads perdidos', es: 'Leads perdidos', en: 'Lost leads' },
      closed: { pt: 'Leads fechados (ganhos + perdidos)', es: 'Leads cerrados (ganados + perdidos)', en: 'Closed leads (won + lost)' },
      revenue: { pt: 'Receita dos leads ganhos', es: 'Ingresos de los leads ganados', en: 'Revenue from won leads' },
      average: { pt: 'Ticket médio dos leads ganhos', es: 'Ticket promedio de los leads ganados', en: 'Average deal size of won leads' },
      conversion: { pt: 'Taxa de conversão', es: 'Tasa de conversión', en: 'Conversion rate' },
      open: { pt: 'Leads em aberto agora', es: 'Leads abiertos ahora', en: 'Open leads now' },
      total: { pt: 'Total de leads na conta agora', es: 'Total de leads en la cuenta ahora', en: 'All leads in the account now' },
    };
    return names[metric][this.lang];
  }

  interpretation(intent: Intent): string {
    const won = this.t({
      pt: 'leads que estão agora na etapa Ganho (status 142) com data de fechamento (closed_at) no período',
      es: 'leads que están ahora en la etapa Ganado (status 142) con fecha de cierre (closed_at) en el período',
      en: 'leads now in stage Closed - won (status 142) whose closing date (closed_at) falls in the period',
    });
    const lost = this.t({
      pt: 'leads na etapa Perdido (status 143) com data de fechamento no período',
      es: 'leads en la etapa Perdido (status 143) con fecha de cierre en el período',
      en: 'leads in stage Closed - lost (status 143) whose closing date falls in the period',
    });
    switch (intent.kind) {
      case 'count':
        if (intent.metric === 'new') {
          return this.t({
            pt: 'Contei os leads com data de criação (created_at) no período.',
            es: 'Conté los leads con fecha de creación (created_at) en el período.',
            en: 'Counted leads whose creation date (created_at) falls in the period.',
          });
        }
        if (intent.metric === 'won') return this.t({ pt: `Contei os ${won}.`, es: `Conté los ${won}.`, en: `Counted ${won}.` });
        if (intent.metric === 'lost') return this.t({ pt: `Contei os ${lost}.`, es: `Conté los ${lost}.`, en: `Counted ${lost}.` });
        return this.t({
          pt: `"Fechados" = ganhos + perdidos: ${won}, mais os ${lost}.`,
          es: `"Cerrados" = ganados + perdidos: ${won}, más los ${lost}.`,
          en: `"Closed" = won + lost: ${won}, plus ${lost}.`,
        });
      case 'summary':
        return this.t({
          pt: `Novos = criados no período; ganhos = ${won}; perdidos = ${lost}; receita = soma dos valores dos ganhos; conversão = ganhos ÷ (ganhos + perdidos).`,
          es: `Nuevos = creados en el período; ganados = ${won}; perdidos = ${lost}; ingresos = suma de los valores de los ganados; conversión = ganados ÷ (ganados + perdidos).`,
          en: `New = created in the period; won = ${won}; lost = ${lost}; revenue = sum of the won prices; conversion = won ÷ (won + lost).`,
        });
      case 'revenue':
        return this.t({ pt: `Somei o valor (price) dos ${won}.`, es: `Sumé el valor (price) de los ${won}.`, en: `Summed the price of ${won}.` });
      case 'average':
        return this.t({
          pt: `Receita (soma dos valores dos ${won}) ÷ número desses leads.`,
          es: `Ingresos (suma de los valores de los ${won}) ÷ número de esos leads.`,
          en: `Revenue (sum of the prices of ${won}) ÷ their number.`,
        });
      case 'conversion':
        return this.t({
          pt: `Ganhos ÷ (ganhos + perdidos) × 100, contando os ${won} e os ${lost}.`,
          es: `Ganados ÷ (ganados + perdidos) × 100, contando los ${won} y los ${lost}.`,
          en: `Won ÷ (won + lost) × 100, counting ${won} and ${lost}.`,
        });
      case 'open':
        return this.t({
          pt: 'Leads que não estão em Ganho (142) nem Perdido (143) neste momento.',
          es: 'Leads que no están en Ganado (142) ni Perdido (143) en este momento.',
          en: 'Leads not in Closed - won (142) or Closed - lost (143) right now.',
        });
      case 'total':
        return this.t({
          pt: 'Todos os leads existentes na conta neste momento, em qualquer etapa.',
          es: 'Todos los leads existentes en la cuenta en este momento, en cualquier etapa.',
          en: 'Every lead in the account right now, in any stage.',
        });
      case 'stage':
        return this.t({
          pt: 'Leads que estão nesta etapa neste momento (o Kommo não guarda o histórico de etapas aqui).',
          es: 'Leads que están en esta etapa en este momento (aquí Kommo no guarda el historial de etapas).',
          en: 'Leads in this stage right now (stage history is not available here).',
        });
      case 'ranking':
        return this.t({
          pt: `Agrupei por ${intent.by === 'user' ? 'responsável pelo lead' : 'funil'} e ordenei por: ${this.rankMetricName(intent.metric)}.`,
          es: `Agrupé por ${intent.by === 'user' ? 'responsable del lead' : 'embudo'} y ordené por: ${this.rankMetricName(intent.metric)}.`,
          en: `Grouped by ${intent.by === 'user' ? "the lead's responsible user" : 'pipeline'} and sorted by: ${this.rankMetricName(intent.metric)}.`,
        });
      case 'tasks':
        return this.t({
          pt: 'Tarefas não concluídas (filter[is_completed]=0); atrasadas = prazo (complete_till) antes de agora.',
          es: 'Tareas no completadas (filter[is_completed]=0); vencidas = plazo (complete_till) anterior a ahora.',
          en: 'Tasks not completed (filter[is_completed]=0); overdue = deadline (complete_till) before now.',
        });
      case 'lookup':
        return this.t({
          pt: `Busca do Kommo (query=) por este texto em ${intent.entity === 'leads' ? 'leads' : 'contatos'}; até 10 resultados.`,
          es: `Búsqueda de Kommo (query=) de este texto en ${intent.entity === 'leads' ? 'leads' : 'contactos'}; hasta 10 resultados.`,
          en: `Kommo search (query=) for this text among ${intent.entity}; up to 10 results.`,
        });
    }
  }

  /** The sentence answering one lead's attribute ("O lead “X” (#12) está na etapa Negociação do funil Funil de vendas."). */
  leadAttribute(attribute: LeadAttribute, item: LeadItem): string {
    const lead = this.t({ pt: `O lead “${item.name}” (#${item.id})`, es: `El lead “${item.name}” (#${item.id})`, en: `Lead “${item.name}” (#${item.id})` });
    const stage = item.status_name ?? String(item.status_id);
    const pipeline = item.pipeline_name ?? String(item.pipeline_id);
    const day = (iso: string) => `${this.date(iso.slice(0, 10))} ${iso.slice(11, 16)}`;
    switch (attribute) {
      case 'stage':
      case 'pipeline':
        return this.t({
          pt: `${lead} está na etapa ${stage} do funil ${pipeline}.`,
          es: `${lead} está en la etapa ${stage} del embudo ${pipeline}.`,
          en: `${lead} is in stage ${stage} of pipeline ${pipeline}.`,
        });
      case 'value':
        return this.t({
          pt: `${lead} vale ${this.money(item.price)}.`,
          es: `${lead} vale ${this.money(item.price)}.`,
          en: `${lead} is worth ${this.money(item.price)}.`,
        });
      case 'responsible':
        return this.t({
          pt: `O responsável pelo lead “${item.name}” (#${item.id}) é ${item.responsible_user_name}.`,
          es: `El responsable del lead “${item.name}” (#${item.id}) es ${item.responsible_user_name}.`,
          en: `The responsible user of lead “${item.name}” (#${item.id}) is ${item.responsible_user_name}.`,
        });
      case 'created':
        return this.t({
          pt: `${lead} foi criado em ${day(item.created_at)}.`,
          es: `${lead} se creó el ${day(item.created_at)}.`,
          en: `${lead} was created on ${day(item.created_at)}.`,
        });
      case 'closed':
        return item.closed_at
          ? this.t({
              pt: `${lead} foi fechado em ${day(item.closed_at)} (etapa ${stage}).`,
              es: `${lead} se cerró el ${day(item.closed_at)} (etapa ${stage}).`,
              en: `${lead} was closed on ${day(item.closed_at)} (stage ${stage}).`,
            })
          : this.t({
              pt: `${lead} ainda não foi fechado: está na etapa ${stage}.`,
              es: `${lead} aún no se cerró: está en la etapa ${stage}.`,
              en: `${lead} is not closed yet: it is in stage ${stage}.`,
            });
    }
  }

  rankMetricName(metric: Metric): string {
    const names: Record<Metric, Record<Language, string>> = {
      revenue: { pt: 'receita de leads ganhos', es: 'ingresos de leads ganados', en: 'revenue from won leads' },
      won: { pt: 'leads ganhos', es: 'leads ganados', en: 'won leads' },
      new: { pt: 'leads novos', es: 'leads nuevos', en: 'new leads' },
      lost: { pt: 'leads perdidos', es: 'leads perdidos', en: 'lost leads' },
      open: { pt: 'leads em aberto agora', es: 'leads abiertos ahora', en: 'open leads now' },
      conversion: { pt: 'taxa de conversão', es: 'tasa de conversión', en: 'conversion rate' },
      average: { pt: 'ticket médio', es: 'ticket promedio', en: 'average deal size' },
    };
    return names[metric][this.lang];
  }

  defaultPeriodNote(): string {
    return this.t({
      pt: ' A pergunta não dizia o período: usei este mês.',
      es: ' La pregunta no indicaba el período: usé este mes.',
      en: ' The question named no period: I used this month.',
    });
  }

  notUnderstood(reason: NotUnderstoodReason, detail: string | undefined): { answer: string; supported: string[] } {
    const why: Record<NotUnderstoodReason, Record<Language, string>> = {
      no_intent: {
        pt: 'Não consegui relacionar a pergunta a um dado do Kommo que eu saiba calcular, então não vou arriscar uma resposta.',
        es: 'No pude relacionar la pregunta con un dato de Kommo que sepa calcular, así que no voy a arriesgar una respuesta.',
        en: "I couldn't map the question to a Kommo figure I can compute, so I won't guess an answer.",
      },
      unknown_name: {
        pt: `Não encontrei “${detail ?? ''}” entre os responsáveis, funis ou etapas desta conta, então não vou responder por outro.`,
        es: `No encontré “${detail ?? ''}” entre los responsables, embudos o etapas de esta cuenta, así que no voy a responder por otro.`,
        en: `I couldn't find “${detail ?? ''}” among this account's users, pipelines or stages, so I won't answer for something else.`,
      },
      no_lookup_name: {
        pt: 'Faltou o nome a buscar: diga, por exemplo, “encontre o contato Maria Silva”.',
        es: 'Falta el nombre a buscar: diga, por ejemplo, “busca el contacto María López”.',
        en: 'The name to look up is missing: say, for example, “find the contact Maria Silva”.',
      },
      bad_date: {
        pt: `A data “${detail ?? ''}” não existe no calendário.`,
        es: `La fecha “${detail ?? ''}” no existe en el calendario.`,
        en: `The date “${detail ?? ''}” is not a real calendar date.`,
      },
      unsupported_period: {
        pt: `Não sei calcular o período “${detail ?? ''}” (nem comparar dois períodos numa só pergunta).`,
        es: `No sé calcular el período “${detail ?? ''}” (ni comparar dos períodos en una sola pregunta).`,
        en: `I can't compute the period “${detail ?? ''}” (nor compare two periods in one question).`,
      },
      empty: { pt: 'A pergunta está vazia.', es: 'La pregunta está vacía.', en: 'The question is empty.' },
      stage_of_closed: {
        pt: `Não sei em que etapa estava um lead antes de ser ganho ou perdido (o Kommo não guarda isso no lead), então não posso filtrar ganhos, perdidos, receita ou conversão pela etapa “${detail ?? ''}”. Sem a etapa, ou para leads que estão nela agora, eu respondo.`,
        es: `No sé en qué etapa estaba un lead antes de ganarse o perderse (Kommo no lo guarda en el lead), así que no puedo filtrar ganados, perdidos, ingresos o conversión por la etapa “${detail ?? ''}”. Sin la etapa, o para los leads que están en ella ahora, sí respondo.`,
        en: `I can't tell which stage a lead was in before it was won or lost (Kommo does not keep that on the lead), so I can't filter won, lost, revenue or conversion by the stage “${detail ?? ''}”. Without the stage, or for leads in it now, I can answer.`,
      },
      tasks_by_pipeline: {
        pt: `Tarefas não pertencem a um funil ou etapa, então não posso filtrá-las por “${detail ?? ''}”; por responsável ou prazo, sim.`,
        es: `Las tareas no pertenecen a un embudo o etapa, así que no puedo filtrarlas por “${detail ?? ''}”; por responsable o plazo, sí.`,
        en: `Tasks belong to no pipeline or stage, so I can't filter them by “${detail ?? ''}”; by responsible user or due date, I can.`,
      },
    };
    const supported: Record<Language, string[]> = {
      pt: [
        'Quantos leads novos, ganhos, perdidos ou em aberto — ex.: “Quantos leads ganhamos no mês passado?”',
        'Leads numa etapa ou funil — ex.: “Quantos leads estão na etapa Negociação?”',
        'Receita e ticket médio — ex.: “Qual foi a receita de março?”',
        'Taxa de conversão (ganhos ÷ (ganhos + perdidos)) — ex.: “Qual a taxa de conversão este ano?”',
        'Ranking por responsável ou por funil — ex.: “Quem vendeu mais este mês?”',
        'Tarefas atrasadas ou em aberto — ex.: “Quantas tarefas estão atrasadas?”',
        'Buscar um lead ou contato pelo nome — ex.: “Encontre o contato Maria Silva”',
        'Etapa, valor, responsável ou datas de um lead — ex.: “Em que etapa está o lead "Acme"?”',
        'Períodos: hoje, ontem, esta/semana passada, este/mês passado, este/ano passado, últimos N dias, “em março”, datas (01/03/2026 a 15/03/2026)',
      ],
      es: [
        'Cuántos leads nuevos, ganados, perdidos o abiertos — ej.: “¿Cuántos leads ganamos el mes pasado?”',
        'Leads en una etapa o embudo — ej.: “¿Cuántos leads hay en la etapa Negociación?”',
        'Ingresos y ticket promedio — ej.: “¿Cuáles fueron los ingresos de marzo?”',
        'Tasa de conversión (ganados ÷ (ganados + perdidos)) — ej.: “¿Cuál es la tasa de conversión este año?”',
        'Ranking por responsable o por embudo — ej.: “¿Quién vendió más este mes?”',
        'Tareas vencidas o abiertas — ej.: “¿Cuántas tareas están vencidas?”',
        'Buscar un lead o contacto por nombre — ej.: “Busca el contacto María López”',
        'Etapa, valor, responsable o fechas de un lead — ej.: “¿Cuál es el valor del lead "Acme"?”',
        'Períodos: hoy, ayer, esta/la semana pasada, este/el mes pasado, este/el año pasado, últimos N días, “en marzo”, fechas (01/03/2026 al 15/03/2026)',
      ],
      en: [
        'How many new, won, lost or open leads — e.g. “How many leads did we win last month?”',
        'Leads in a stage or pipeline — e.g. “How many leads are in stage Negotiation?”',
        'Revenue and average deal size — e.g. “What was the revenue in March 2026?”',
        'Conversion rate (won ÷ (won + lost)) — e.g. “What is the conversion rate this year?”',
        'Rankings by responsible user or pipeline — e.g. “Who sold the most this month?”',
        'Overdue or open tasks — e.g. “How many tasks are overdue?”',
        'Look up a lead or contact by name — e.g. “Find the contact Maria Silva”',
        'A lead\'s stage, value, responsible user or dates — e.g. “Who is responsible for lead "Acme"?”',
        'Periods: today, yesterday, this/last week, this/last month, this/last year, the last N days, “in March”, dates (2026-03-01 to 2026-03-15)',
      ],
    };
    const lead = this.t({ pt: 'Posso responder:', es: 'Puedo responder:', en: 'I can answer:' });
    const list = supported[this.lang];
    return { answer: `${why[reason][this.lang]} ${lead}\n- ${list.join('\n- ')}`, supported: list };
  }

  /** The figure of a period question: `kind` is the intent's kind, `metric` its metric for counts. */
  periodFigure(kind: Intent['kind'], metric: Metric | 'closed' | undefined, f: Figures, scope: string, when: string): string {
    const head = (name: string): string => `${name}${scope} — ${when}: `;
    switch (kind) {
      case 'count':
        return metric === 'closed'
          ? `${head(this.metricName('closed'))}${this.number(f.won + f.lost)} (${this.number(f.won)} ${this.t({ pt: 'ganhos', es: 'ganados', en: 'won' })}, ${this.number(f.lost)} ${this.t({ pt: 'perdidos', es: 'perdidos', en: 'lost' })}).`
          : `${head(this.metricName(metric as Metric))}${this.number(f[metric as 'new' | 'won' | 'lost'])}.`;
      case 'revenue':
        return `${head(this.metricName('revenue'))}${this.money(f.revenue)} (${this.number(f.won)} ${this.t({ pt: 'leads ganhos', es: 'leads ganados', en: 'won leads' })}).`;
      case 'average':
        return f.won > 0
          ? `${head(this.metricName('average'))}${this.money(f.average)} (${this.number(f.won)} ${this.t({ pt: 'leads ganhos, receita', es: 'leads ganados, ingresos', en: 'won leads, revenue' })} ${this.money(f.revenue)}).`
          : `${head(this.metricName('average'))}${this.t({ pt: 'nenhum lead ganho no período, não há média.', es: 'ningún lead ganado en el período, no hay promedio.', en: 'no won leads in the period, so no average.' })}`;
      case 'conversion':
        return f.won + f.lost > 0
          ? `${head(this.metricName('conversion'))}${this.percent(f.conversion_rate)} (${this.number(f.won)} ${this.t({ pt: 'ganhos de', es: 'ganados de', en: 'won of' })} ${this.number(f.won + f.lost)} ${this.t({ pt: 'fechados', es: 'cerrados', en: 'closed' })}).`
          : `${head(this.metricName('conversion'))}${this.t({ pt: 'nenhum lead ganho ou perdido no período.', es: 'ningún lead ganado o perdido en el período.', en: 'no won or lost leads in the period.' })}`;
      default:
        return (
          head(this.t({ pt: 'Resumo', es: 'Resumen', en: 'Summary' })) +
          this.t({
            pt: `${this.number(f.new)} novos, ${this.number(f.won)} ganhos, ${this.number(f.lost)} perdidos; receita ${this.money(f.revenue)}; ticket médio ${this.money(f.average)}; conversão ${this.percent(f.conversion_rate)}.`,
            es: `${this.number(f.new)} nuevos, ${this.number(f.won)} ganados, ${this.number(f.lost)} perdidos; ingresos ${this.money(f.revenue)}; ticket promedio ${this.money(f.average)}; conversión ${this.percent(f.conversion_rate)}.`,
            en: `${this.number(f.new)} new, ${this.number(f.won)} won, ${this.number(f.lost)} lost; revenue ${this.money(f.revenue)}; average deal ${this.money(f.average)}; conversion ${this.percent(f.conversion_rate)}.`,
          })
        );
    }
  }

  openCreatedIn(value: number, scope: string, when: string): string {
    return this.t({
      pt: `Leads criados que continuam em aberto${scope} — ${when}: ${this.number(value)}.`,
      es: `Leads creados que siguen abiertos${scope} — ${when}: ${this.number(value)}.`,
      en: `Leads created that are still open${scope} — ${when}: ${this.number(value)}.`,
    });
  }

  openCreatedInNote(): string {
    return this.t({
      pt: 'Leads com data de criação no período que hoje não estão em Ganho (142) nem Perdido (143).',
      es: 'Leads con fecha de creación en el período que hoy no están en Ganado (142) ni Perdido (143).',
      en: 'Leads created in the period that are not in Closed - won (142) or Closed - lost (143) now.',
    });
  }

  /** A count of leads now: in the stages named (`stages`, "Negociação (Funil de vendas)"), all, or open. */
  currentCount(kind: 'stage' | 'total' | 'open', stages: string, scope: string, value: number): string {
    if (kind !== 'stage') return `${this.metricName(kind)}${scope}: ${this.number(value)}.`;
    return this.t({
      pt: `Leads na etapa ${stages} agora${scope}: ${this.number(value)}.`,
      es: `Leads en la etapa ${stages} ahora${scope}: ${this.number(value)}.`,
      en: `Leads in stage ${stages} now${scope}: ${this.number(value)}.`,
    });
  }

  /** When the in-memory copy the answer was read from was brought up to date (`at` local ISO 8601). */
  freshness(at: string, f: Freshness): string {
    return this.t({
      pt: ` Dados da cópia em memória atualizada em ${at} (há ${f.age_seconds} s).`,
      es: ` Datos de la copia en memoria actualizada el ${at} (hace ${f.age_seconds} s).`,
      en: ` Data from the in-memory copy brought up to date at ${at} (${f.age_seconds} s ago).`,
    });
  }

  rankingInPeriodHead(by: 'user' | 'pipeline', metric: Metric, when: string, scope: string): string {
    return this.t({
      pt: `Ranking por ${by === 'user' ? 'responsável' : 'funil'} — ${this.rankMetricName(metric)}, ${when}${scope}:`,
      es: `Ranking por ${by === 'user' ? 'responsable' : 'embudo'} — ${this.rankMetricName(metric)}, ${when}${scope}:`,
      en: `Ranking by ${by === 'user' ? 'responsible user' : 'pipeline'} — ${this.rankMetricName(metric)}, ${when}${scope}:`,
    });
  }

  /** One line of a period ranking: its metric's value, then the won count (and revenue unless that is the metric). */
  rankingInPeriodLine(r: { position: number; name: string; value: number; won: number; revenue: number }, metric: Metric): string {
    return (
      `${r.position}. ${r.name} — ${this.metricValue(metric, r.value)} (${this.number(r.won)} ${this.t({ pt: 'ganhos', es: 'ganados', en: 'won' })}` +
      `${metric === 'revenue' ? '' : `, ${this.money(r.revenue)}`})`
    );
  }

  noLeadsInPeriod(): string {
    return this.t({ pt: 'nenhum lead no período.', es: 'ningún lead en el período.', en: 'no leads in the period.' });
  }

  rankingNowHead(by: 'user' | 'pipeline', scope: string): string {
    return this.t({
      pt: `Ranking por ${by === 'user' ? 'responsável' : 'funil'} — leads em aberto agora${scope}:`,
      es: `Ranking por ${by === 'user' ? 'responsable' : 'embudo'} — leads abiertos ahora${scope}:`,
      en: `Ranking by ${by === 'user' ? 'responsible user' : 'pipeline'} — open leads now${scope}:`,
    });
  }

  rankingNowLine(r: { position: number; name: string; value: number }): string {
    return `${r.position}. ${r.name} — ${this.number(r.value)}`;
  }

  /** A metric's value as it is stated: money, a percentage, or a count. */
  metricValue(metric: Metric, value: number): string {
    return metric === 'revenue' || metric === 'average' ? this.money(value) : metric === 'conversion' ? this.percent(value) : this.number(value);
  }

  taskRankingHead(which: 'open' | 'overdue'): string {
    return this.t({
      pt: `Tarefas ${which === 'open' ? 'em aberto' : 'atrasadas'} por responsável:`,
      es: `Tareas ${which === 'open' ? 'abiertas' : 'vencidas'} por responsable:`,
      en: `${which === 'open' ? 'Open' : 'Overdue'} tasks by responsible user:`,
    });
  }

  taskRankingLine(r: { position: number; name: string; open: number; overdue: number }, which: 'open' | 'overdue'): string {
    return `${r.position}. ${r.name} — ${this.number(r[which])} (${this.number(r.open)} ${this.t({ pt: 'em aberto', es: 'abiertas', en: 'open' })}, ${this.number(r.overdue)} ${this.t({ pt: 'atrasadas', es: 'vencidas', en: 'overdue' })})`;
  }

  /** Open and overdue tasks: `which` says which figure the question asked for ('both' states both). */
  taskCount(which: 'open' | 'overdue' | 'both', open: number, overdue: number, scope: string): string {
    switch (which) {
      case 'overdue':
        return this.t({
          pt: `Tarefas atrasadas${scope}: ${this.number(overdue)}.`,
          es: `Tareas vencidas${scope}: ${this.number(overdue)}.`,
          en: `Overdue tasks${scope}: ${this.number(overdue)}.`,
        });
      case 'open':
        return this.t({
          pt: `Tarefas em aberto${scope}: ${this.number(open)} (${this.number(overdue)} atrasadas).`,
          es: `Tareas abiertas${scope}: ${this.number(open)} (${this.number(overdue)} vencidas).`,
          en: `Open tasks${scope}: ${this.number(open)} (${this.number(overdue)} overdue).`,
        });
      case 'both':
        return this.t({
          pt: `Tarefas em aberto${scope}: ${this.number(open)}, das quais ${this.number(overdue)} atrasadas.`,
          es: `Tareas abiertas${scope}: ${this.number(open)}, de las cuales ${this.number(overdue)} vencidas.`,
          en: `Open tasks${scope}: ${this.number(open)}, of which ${this.number(overdue)} overdue.`,
        });
    }
  }

  /** The head of a lookup: what was found for the name asked (`more`: Kommo has further matches). */
  lookupHead(entity: 'leads' | 'contacts', name: string, found: number, more: boolean): string {
    const lead = entity === 'leads';
    if (found === 0) {
      return this.t({
        pt: `Nenhum ${lead ? 'lead' : 'contato'} encontrado para “${name}”.`,
        es: `Ningún ${lead ? 'lead' : 'contacto'} encontrado para “${name}”.`,
        en: `No ${lead ? 'lead' : 'contact'} found for “${name}”.`,
      });
    }
    const what = lead ? this.t({ pt: 'lead(s)', es: 'lead(s)', en: 'lead(s)' }) : this.t({ pt: 'contato(s)', es: 'contacto(s)', en: 'contact(s)' });
    return this.t({
      pt: `Encontrei ${found}${more ? '+' : ''} ${what} para “${name}”:`,
      es: `Encontré ${found}${more ? '+' : ''} ${what} para “${name}”:`,
      en: `Found ${found}${more ? '+' : ''} ${what} for “${name}”:`,
    });
  }

  lookupLine(item: LeadItem | ContactItem): string {
    return 'price' in item
      ? `#${item.id} ${item.name} — ${this.money(item.price)}, ${item.status_name ?? item.status_id} (${item.pipeline_name ?? item.pipeline_id}), ${item.responsible_user_name}` +
          `, ${this.t({ pt: 'criado', es: 'creado', en: 'created' })} ${localMinute(item.created_at)}` +
          (item.closed_at ? `, ${this.t({ pt: 'fechado', es: 'cerrado', en: 'closed' })} ${localMinute(item.closed_at)}` : '')
      : `#${item.id} ${item.name}${item.phones.length ? ` — ${item.phones.join(', ')}` : ''}${item.emails.length ? `, ${item.emails.join(', ')}` : ''}, ${item.responsible_user_name}`;
  }
}

/** "2026-03-05T14:07:00-03:00" → "2026-03-05 14:07". */
export function localMinute(iso: string): string {
  return iso.slice(0, 16).replace('T', ' ');
}
