/**
 * From a question to what it asks, deterministically: the language, the kind of figure, the period,
 * and the pipelines, stages and responsible users it names (matched against the account's own
 * names). Anything it cannot map — no known kind of figure, a capitalised name that is no user,
 * pipeline or stage, an unsupported period — comes back as "not understood" with the reason, never as
 * a best guess.
 */
import { WON_STATUS_ID, LOST_STATUS_ID } from '../../kommo/types.js';
import { detectLanguage, isCommonWord, type Language } from './language.js';
import { parsePeriod, type PeriodSpec } from './period-parse.js';
import { find, findWords, has, maskRange, nameWords, normalizeWord, tokenize, View, type Token } from './text.js';

export type Metric = 'new' | 'won' | 'lost' | 'revenue' | 'average' | 'conversion' | 'open';

export type Intent =
  /** `closed` = won + lost. */
  | { kind: 'count'; metric: 'new' | 'won' | 'lost' | 'closed' }
  | { kind: 'summary' }
  | { kind: 'revenue' }
  | { kind: 'average' }
  | { kind: 'conversion' }
  /** Leads open now (optionally only those created in the period). */
  | { kind: 'open' }
  /** Leads in the named stage(s) now. */
  | { kind: 'stage' }
  /** All leads in the account now. */
  | { kind: 'total' }
  | { kind: 'ranking'; by: 'user' | 'pipeline'; metric: Metric }
  | { kind: 'tasks'; which: 'overdue' | 'open' | 'both'; byUser: boolean }
  | { kind: 'lookup'; entity: 'leads' | 'contacts'; name: string; attribute?: LeadAttribute };

/** What a question about one lead asks: "Em que etapa está o lead "X"?" → stage. */
export type LeadAttribute = 'stage' | 'pipeline' | 'value' | 'responsible' | 'created' | 'closed';

export interface Vocabulary {
  pipelines: ReadonlyArray<{ id: number; name: string; statuses: ReadonlyArray<{ id: number; name: string }> }>;
  users: ReadonlyArray<{ id: number; name: string }>;
}

export interface NamedPipeline {
  id: number;
  name: string;
}
export interface NamedStage {
  pipelineId: number;
  pipelineName: string;
  statusId: number;
  name: string;
}
export interface NamedUser {
  id: number;
  name: string;
}

export interface Understood {
  understood: true;
  language: Language;
  intent: Intent;
  /** Undefined when the question named no period. */
  period: PeriodSpec | undefined;
  pipelines: NamedPipeline[];
  stages: NamedStage[];
  users: NamedUser[];
}

/**
 * The tools whose data an answer shows, declared with the intents: a policy that hides or denies
 * one of them for the caller refuses the question (hiding get_contacts hides contacts here too).
 */
export function dataShownBy(parsed: Understood): string[] {
  const { intent } = parsed;
  const tools = new Set<string>();
  if (intent.kind === 'tasks') {
    tools.add('get_tasks');
    if (intent.byUser) tools.add('get_users');
  } else if (intent.kind === 'lookup') {
    // A found lead or contact is shown with its responsible user, a lead also with its stage.
    tools.add(intent.entity === 'contacts' ? 'get_contacts' : 'get_leads').add('get_users');
    if (intent.entity === 'leads') tools.add('get_pipelines');
  } else {
    tools.add('get_leads');
    if (intent.kind === 'ranking') tools.add(intent.by === 'user' ? 'get_users' : 'get_pipelines');
  }
  if (parsed.users.length > 0) tools.add('get_users');
  if (parsed.pipelines.length > 0 || parsed.stages.length > 0) tools.add('get_pipelines');
  return [...tools];
}

export type NotUnderstoodReason =
  | 'no_intent'
  | 'unknown_name'
  | 'no_lookup_name'
  | 'bad_date'
  | 'unsupported_period'
  | 'empty'
  /** A stage named for a won / lost figure: Kommo does not record the stage a deal was closed from. */
  | 'stage_of_closed'
  /** A pipeline or stage named for tasks, which belong to no pipeline. */
  | 'tasks_by_pipeline';

export interface NotUnderstood {
  understood: false;
  language: Language;
  reason: NotUnderstoodReason;
  detail?: string;
}

export type Parsed = Understood | NotUnderstood;

// ---- patterns (normalized text: lower case, no accents; words separated by single spaces) ----

const TASKS = /\b(tasks?|to-?dos?|tarefas?|tareas?|atividades|actividades|pendencias)\b/;
const OVERDUE = /\b(overdue|late|past due|expired|atrasad[oa]s?|em atraso|vencid[oa]s?|expirad[oa]s?)\b/;
const OPEN_TASK =
  /\b(open|pending|incomplete|not completed|not done|abert[oa]s?|em aberto|pendentes?|nao concluid[oa]s|a fazer|abiert[oa]s?|pendientes?|sin completar|por hacer)\b/;
const CONVERSION = /\b(conversion|conversao|win rate|close rate|closing rate|taxa de (ganho|fechamento|sucesso)|tasa de (cierre|exito))\b/;
const AVERAGE_WORD = /\b(average|avg|mean|medio|media|promedio)\b/;
const AVERAGE_CONTEXT =
  /\b(deals?|sales?|ticket|value|price|size|revenue|vendas?|negocios?|valor|preco|receita|ventas?|precio|ingresos?|tratos?|won|ganhos?|ganados?)\b/;
const TICKET = /\bticket (medio|promedio)\b|\baverage ticket\b/;
const REVENUE =
  /\b(revenue|revenues|turnover|income|earnings|receita|receitas|faturamento|faturei|faturamos|faturou|faturaram|ingresos?|facturacion|facturamos|facturo|facturaron)\b/;
const HOW_MUCH = /\b(how much|quanto|cuanto)\b/;
const MONEY_VERB = /\b(sell|sold|make|made|earn|earned|bill|billed|win|won|bring|brought|vend\w*|fatur\w*|ganh\w*|factur\w*|gan\w*|trouxe|gener\w*)\b/;
const SALES_VALUE = /\b(total|value|amount|valor|monto|soma|suma|sum)\b( \w+){0,2} \b(sales|vendas|ventas|won|ganhos|ganados|vendido|vendidos)\b/;
const NEW =
  /\b(new|created|came in|arrived|entered|generated|novos?|novas?|criad[oa]s?|criaram|criamos|entraram|chegaram|gerad[oa]s?|recebemos|cadastrad[oa]s?|nuevos?|nuevas?|cread[oa]s?|crearon|creamos|entraron|llegaron|generad[oa]s?|recibimos|registrad[oa]s?)\b/;
const WON =
  /\b(won|win|wins|sales|closed won|ganh[oa]s?|ganhamos|ganhou|ganharam|vendas|vendid[oa]s|convertid[oa]s|converted|ganad[oa]s?|ganamos|gano|ganaron|ventas|sold|vendemos|vendimos|vendeu|vendio)\b/;
const LOST = /\b(lost|lose|losses|perdid[oa]s?|perdemos|perdeu|perderam|perdas|perdimos|perdio|perdieron)\b/;
const CLOSED = /\b(closed?|closes|fechad[oa]s?|fechamos|fecharam|fechou|fechar|cerrad[oa]s?|cerramos|cerraron|cerro|cerrar)\b/;
const OPEN = /\b(open|active|in progress|ongoing|em aberto|abert[oa]s|ativ[oa]s|em andamento|abiert[oa]s|activ[oa]s|en curso|en proceso)\b/;
const LEADS = /\b(leads?|deals?|negocios?|oportunidades?|opportunities|tratos?|negociacoes|clientes potenciais)\b/;
const COUNT = /\b(how many|number of|count|quantos?|quantas?|numero de|cuantos?|cuantas?|total de|quantidade|cantidad|qtd)\b/;
const SUMMARY = /\b(summary|overview|report|resumo|relatorio|panorama|resumen|informe|reporte|balanco|balance)\b/;
const USER_DIM =
  /\b(users?|salespe(?:rson|ople)|sellers?|reps?|agents?|who|whom|responsible|owners?|usuarios?|vendedor(?:es|as?)?|responsave(?:l|is)|quem|corretor(?:es)?|consultor(?:es|as?)?|responsables?|quien(?:es)?|asesor(?:es)?|agentes?|equipe|equipo|team|person|pessoa|persona)\b/;
const PIPE_DIM = /\b(pipelines?|funnels?|funil|funis|embudos?)\b/;
const STAGE_DIM = /\b(stages?|etapas?|fases?|estagios?|status|colunas?|columns?|columnas?)\b/;
const RANK_TRIGGER =
  /\b(ranking|rank|top|best|most|leading|mais|melhor(?:es)?|mejor(?:es)?|mas|lider(?:es)?|by|per|each|por|cada|which|qual|quais|cual(?:es)?|who|quem|quien)\b/;
const SOLD_VERB = /\b(sold|sell|sells|vendeu|venderam|vende|vendio|vendieron|vendeu mais)\b/;
const COUNT_NOUN = /\b(deals?|leads?|negocios?|vendas|ventas|sales|oportunidades?)\b/;

const LOOKUP_VERB =
  /\b(find|search(?: for)?|look up|lookup|show(?: me)?|get|details (?:of|for|on|about)|info(?:rmation)? (?:on|about|for)|who is|encontr\w*|busc\w*|procur\w*|pesquis\w*|mostr\w*|ache|achar|localiz\w*|dados d[oa]|informac\w* (?:d[oa]|sobre|de)|quem e|muestr\w*|datos de|quien es)\b/;
const LOOKUP_ENTITY =
  /\b(leads?|deals?|negocios?|tratos?|oportunidades?|contacts?|contatos?|contactos?|clients?|clientes?|customers?|persons?|people|pessoas?|personas?)\b/;
const NAME_INTRO = /^(?:named|called|chamad[oa]|com (?:o )?nome(?: de)?|de nome|llamad[oa]|con (?:el )?nombre(?: de)?|de nombre|nome|nombre|name)$/;

/** Words that may be capitalised without being a name (title case, acronyms, product names). */
const NOT_NAMES = new Set(
  (
    'i kommo crm brl usd ok id ids ' +
    'how what which who when where why is are was were did do does the this that these those last past new won lost open show find ' +
    'please can could would tell give me my our we us' +
    ' quantos quantas quanto qual quais quem quando onde como por favor me mostre mostra diga o a os as meu minha nosso nossa' +
    ' cuantos cuantas cuanto cual cuales quien cuando donde como muestrame dime el la los las mi nuestro nuestra' +
    ' leads lead deals deal pipeline pipelines funil embudo stage etapa tasks tarefas tareas contact contato contacto revenue receita' +
    ' ingresos conversion ranking top total summary resumo resumen ticket'
  ).split(' '),
);

export function parseQuestion(question: string, vocab: Vocabulary): Parsed {
  const text = question.slice(0, 500);
  const attributeLookup = parseAttributeLookup(text);
  if (attributeLookup) {
    // The language of the sentence, not of the lead's name ("Ampliación …" in a Portuguese question).
    const language = detectLanguage(text.replace(QUOTED, ' '));
    return { understood: true, language, intent: attributeLookup, period: undefined, pipelines: [], stages: [], users: [] };
  }
  const language = detectLanguage(question);
  const tokens = tokenize(text);
  if (tokens.length === 0) return { understood: false, language, reason: 'empty' };

  const lookup = parseLookup(tokens);
  if (lookup) {
    if (lookup.name === '') return { understood: false, language, reason: 'no_lookup_name' };
    return { understood: true, language, intent: lookup, period: undefined, pipelines: [], stages: [], users: [] };
  }

  const pipelines = matchPipelines(tokens, vocab);
  const stages = matchStages(tokens, vocab, pipelines);
  const users = matchUsers(tokens, vocab);

  const period = parsePeriod(tokens, language);
  if (!period.ok) return { understood: false, language, reason: period.reason, detail: period.detail };

  const intent = detectIntent(tokens, { pipelines, stages, users }, period.spec !== undefined);
  if (!intent) return { understood: false, language, reason: 'no_intent' };

  const unknown = unknownName(tokens);
  if (unknown) return { understood: false, language, reason: 'unknown_name', detail: unknown };
  // Filters that cannot apply to the figure: refuse rather than answer for a broader set.
  if (stages.length > 0 && readsClosedDeals(intent)) {
    return { understood: false, language, reason: 'stage_of_closed', detail: stages.map((s) => s.name).join(', ') };
  }
  if (intent.kind === 'tasks' && (pipelines.length > 0 || stages.length > 0)) {
    return { understood: false, language, reason: 'tasks_by_pipeline', detail: [...pipelines, ...stages].map((n) => n.name).join(', ') };
  }
  return { understood: true, language, intent, period: period.spec, pipelines, stages, users };
}

/**
 * Figures made of won or lost deals. A lead won or lost is in stage 142 / 143 now, and Kommo's lead
 * does not say which stage it was in before, so "lost in stage Negociação" cannot be counted.
 */
function readsClosedDeals(intent: Intent): boolean {
  switch (intent.kind) {
    case 'count':
      return intent.metric !== 'new';
    case 'summary':
    case 'revenue':
    case 'average':
    case 'conversion':
      return true;
    case 'ranking':
      return intent.metric !== 'new' && intent.metric !== 'open';
    default:
      return false;
  }
}

// ---- one lead's attribute: a quoted name after a lead word, and what is asked about it ----

const QUOTED = /["“«]([^"”»]{1,200})["”»]/;
const LEAD_WORD = /\b(leads?|deals?|negocios?|negócios?|oportunidades?|tratos?)\b/i;
const ATTRIBUTES: ReadonlyArray<[LeadAttribute, RegExp]> = [
  ['stage', /\b(etapa|fase|estagio|stage|status|coluna|columna|column)\b/],
  ['pipeline', /\b(funil|embudo|pipeline|funnel)\b/],
  ['value', /\b(valor|preco|precio|value|price|amount|monto|worth|vale)\b/],
  ['responsible', /\b(responsavel|responsable|responsible|owner|dono|duena?o|quem|quien|who|vendedora?)\b/],
  ['closed', /\b(fechad[oa]|fechou|fechamento|cerrad[oa]|cerro|cierre|closed|closing|ganho|ganad[oa]|perdid[oa]|won|lost)\b/],
  ['created', /\b(criad[oa]|criou|criacao|cread[oa]|creo|creacion|created|creation|entrou|entro|cadastrad[oa])\b/],
];

function parseAttributeLookup(text: string): Extract<Intent, { kind: 'lookup' }> | undefined {
  const quoted = QUOTED.exec(text);
  if (!quoted) return undefined;
  const name = quoted[1]!.trim();
  const before = text.slice(0, quoted.index);
  const rest = normalizeWord(`${before} ${text.slice(quoted.index + quoted[0].length)}`);
  if (!name || !LEAD_WORD.test(before)) return undefined;
  const attribute = ATTRIBUTES.find(([, re]) => re.test(rest))?.[0];
  return attribute ? { kind: 'lookup', entity: 'leads', name, attribute } : undefined;
}

function detectIntent(
  tokens: Token[],
  named: { pipelines: NamedPipeline[]; stages: NamedStage[]; users: NamedUser[] },
  periodGiven: boolean,
): Intent | undefined {
  const is = (re: RegExp): boolean => has(tokens, re);
  const rankBy = rankingDimension(tokens, named);

  if (is(TASKS)) {
    const overdue = is(OVERDUE);
    const open = is(OPEN_TASK);
    return { kind: 'tasks', which: overdue && !open ? 'overdue' : open && !overdue ? 'open' : 'both', byUser: rankBy === 'user' };
  }

  let metric: Metric | undefined;
  if (is(CONVERSION)) metric = 'conversion';
  else if (is(TICKET) || (is(AVERAGE_WORD) && is(AVERAGE_CONTEXT))) metric = 'average';
  else if (is(REVENUE) || (is(HOW_MUCH) && is(MONEY_VERB)) || is(SALES_VALUE)) metric = 'revenue';

  const counts = {
    new: is(NEW),
    won: is(WON),
    lost: is(LOST),
    open: is(OPEN),
  };

  if (rankBy) {
    let rankMetric: Metric;
    if (metric) rankMetric = metric;
    else if (counts.lost) rankMetric = 'lost';
    else if (counts.new) rankMetric = 'new';
    else if (counts.open) rankMetric = 'open';
    else if (is(SOLD_VERB) && !is(COUNT_NOUN)) rankMetric = 'revenue';
    else if (counts.won) rankMetric = 'won';
    else if (is(COUNT_NOUN) || is(COUNT)) rankMetric = 'won';
    else rankMetric = 'revenue';
    return { kind: 'ranking', by: rankBy, metric: rankMetric };
  }

  if (metric) return { kind: metric } as Intent;

  if (counts.open) return { kind: 'open' };
  const closedKinds = (['new', 'won', 'lost'] as const).filter((k) => counts[k]);
  if (closedKinds.length > 1) return { kind: 'summary' };
  // "New leads in stage X": created in the period and in that stage now (the stage filter applies).
  if (closedKinds.length === 1) return { kind: 'count', metric: closedKinds[0]! };
  // "Closed" without won or lost: both, stated as such.
  if (is(CLOSED)) return { kind: 'count', metric: 'closed' };
  if (named.stages.length > 0) return { kind: 'stage' };
  if (is(SUMMARY)) return { kind: 'summary' };
  if (is(LEADS) && is(COUNT)) {
    // No figure was named: read "leads this month" as created, but only if no word is left unexplained
    // ("how many leads were reassigned this month" must not become a count of new leads).
    if (hasUnknownWords(tokens)) return undefined;
    // Leads "in a pipeline" are those in it now; leads "this month" are those created in it.
    if (named.pipelines.length > 0 && !periodGiven) return { kind: 'open' };
    if (periodGiven) return { kind: 'count', metric: 'new' };
    return { kind: 'total' };
  }
  return undefined;
}

/** A ranking is asked when a dimension is named generically ("by user", "which pipeline") with a ranking word. */
function rankingDimension(tokens: Token[], named: { pipelines: NamedPipeline[]; users: NamedUser[] }): 'user' | 'pipeline' | undefined {
  if (!has(tokens, RANK_TRIGGER)) return undefined;
  if (has(tokens, PIPE_DIM) && named.pipelines.length === 0) return 'pipeline';
  if (has(tokens, USER_DIM) && named.users.length === 0) return 'user';
  return undefined;
}

function parseLookup(tokens: Token[]): Extract<Intent, { kind: 'lookup' }> | undefined {
  const verb = find(tokens, LOOKUP_VERB);
  if (!verb) return undefined;
  const entityRe = new RegExp(`^(?:${LOOKUP_ENTITY.source})$`);
  const verbAt = new View(tokens).tokenAt(verb.index + 1);
  const entityIndex = tokens.findIndex((t, i) => i > verbAt && entityRe.test(t.norm));
  if (entityIndex < 0) return undefined;
  const kind: 'leads' | 'contacts' = /^(leads?|deals?|negocios?|tratos?|oportunidades?)$/.test(tokens[entityIndex]!.norm) ? 'leads' : 'contacts';
  let start = entityIndex + 1;
  let introduced = false;
  while (
    start < tokens.length &&
    (NAME_INTRO.test(tokens[start]!.norm) || /^(com|con|o|a|el|la|the|de|do|da|with|nome|nombre|name)$/.test(tokens[start]!.norm))
  ) {
    if (NAME_INTRO.test(tokens[start]!.norm)) introduced = true;
    start++;
  }
  // Words after the name that belong to the sentence, not the name ("... in Kommo", "... no Kommo").
  let end = tokens.length;
  while (end > start && /^(in|on|no|na|en|kommo|crm|please|por|favor)$/.test(tokens[end - 1]!.norm)) end--;
  const nameTokens = tokens.slice(start, end);
  const first = nameTokens[0];
  // "show me the leads won this month" is a count, not a search for a lead named "won".
  if (first && !introduced && !first.quoted && (isKeyword(first.norm) || isPeriodWord(first.norm))) return undefined;
  const name = nameTokens
    .map((t) => t.original)
    .join(' ')
    .trim();
  return { kind: 'lookup', entity: kind, name };
}

const PERIOD_WORDS =
  /^(today|yesterday|this|last|past|hoje|ontem|este|esta|neste|nesta|hoy|ayer|in|em|en|no|na|from|de|del|since|desde|of|for|by|at|para|por|pelo|pela|ganhos|won)$/;

/** Period words and prepositions: a name does not start with them ("deals of Ana last month" is no search). */
function isPeriodWord(word: string): boolean {
  return PERIOD_WORDS.test(word);
}

function matchPipelines(tokens: Token[], vocab: Vocabulary): NamedPipeline[] {
  const found: NamedPipeline[] = [];
  const candidates = vocab.pipelines
    .map((p) => ({ p, words: nameWords(p.name) }))
    .filter((c) => c.words.length > 0)
    .sort((a, b) => b.words.length - a.words.length);
  for (const { p, words } of candidates) {
    const at = findWords(tokens, words);
    if (at === undefined) continue;
    maskRange(tokens, at, words.length);
    found.push({ id: p.id, name: p.name });
  }
  return found;
}

function matchStages(tokens: Token[], vocab: Vocabulary, pipelines: NamedPipeline[]): NamedStage[] {
  const scope = pipelines.length > 0 ? vocab.pipelines.filter((p) => pipelines.some((n) => n.id === p.id)) : vocab.pipelines;
  const candidates = scope
    .flatMap((p) =>
      p.statuses
        .filter((s) => s.id !== WON_STATUS_ID && s.id !== LOST_STATUS_ID)
        .map((s) => ({ stage: { pipelineId: p.id, pipelineName: p.name, statusId: s.id, name: s.name }, words: nameWords(s.name) })),
    )
    .filter((c) => c.words.length > 0)
    .sort((a, b) => b.words.length - a.words.length);
  const found: NamedStage[] = [];
  const masked: Array<[number, number]> = [];
  for (const { stage, words } of candidates) {
    // The same stage name in several pipelines counts in each of them.
    const already = masked.find(([at, len]) => len === words.length && tokens.slice(at, at + len).every((t, k) => t.norm === words[k]));
    if (already) {
      found.push(stage);
      continue;
    }
    const at = findWords(tokens, words);
    if (at === undefined) continue;
    maskRange(tokens, at, words.length);
    masked.push([at, words.length]);
    found.push(stage);
  }
  return found;
}

function matchUsers(tokens: Token[], vocab: Vocabulary): NamedUser[] {
  const found: NamedUser[] = [];
  for (const u of [...vocab.users].sort((a, b) => b.name.length - a.name.length)) {
    const words = nameWords(u.name);
    const at = findWords(tokens, words);
    if (at === undefined) continue;
    maskRange(tokens, at, words.length);
    found.push({ id: u.id, name: u.name });
  }
  // A first name alone, when exactly one user has it.
  const byFirst = new Map<string, Array<{ id: number; name: string }>>();
  for (const u of vocab.users) {
    const first = nameWords(u.name)[0];
    if (first && first.length >= 3) byFirst.set(first, [...(byFirst.get(first) ?? []), u]);
  }
  for (const [first, list] of byFirst) {
    if (list.length !== 1 || found.some((f) => f.id === list[0]!.id)) continue;
    const at = tokens.findIndex((t) => !t.masked && t.norm === first && /^\p{Lu}/u.test(t.original));
    if (at < 0) continue;
    tokens[at]!.masked = true;
    found.push({ id: list[0]!.id, name: list[0]!.name });
  }
  return found;
}

/**
 * A capitalised word in mid-sentence that is no keyword and no known name is probably a name we do
 * not know ("How many leads did Pedro win?"): answering for everyone would be a guess.
 */
function unknownName(tokens: Token[]): string | undefined {
  for (const [i, t] of tokens.entries()) {
    if (t.masked || t.sentenceStart || i === 0) continue;
    if (!/^\p{Lu}/u.test(t.original) || /\d/.test(t.original)) continue;
    if (NOT_NAMES.has(t.norm) || isKeyword(t.norm) || isCommonWord(t.norm)) continue;
    return t.original;
  }
  return undefined;
}

/** Words of three letters or more that are no keyword, common word or number. */
function hasUnknownWords(tokens: Token[]): boolean {
  return tokens.some((t) => !t.masked && t.norm.length >= 3 && !/\d/.test(t.norm) && !NOT_NAMES.has(t.norm) && !isKeyword(t.norm) && !isCommonWord(t.norm));
}

const KEYWORD_PATTERNS = [
  CLOSED,
  TASKS,
  OVERDUE,
  OPEN_TASK,
  CONVERSION,
  AVERAGE_WORD,
  AVERAGE_CONTEXT,
  REVENUE,
  HOW_MUCH,
  MONEY_VERB,
  NEW,
  WON,
  LOST,
  OPEN,
  LEADS,
  COUNT,
  SUMMARY,
  USER_DIM,
  PIPE_DIM,
  STAGE_DIM,
  RANK_TRIGGER,
  LOOKUP_ENTITY,
];

function isKeyword(word: string): boolean {
  return KEYWORD_PATTERNS.some((re) => new RegExp(`^(?:${re.source})$`).test(word));
}
