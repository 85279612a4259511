/**
 * MCP prompts, with the original Kommo-MCP's names and arguments, plus `language` (pt, es, en). Each
 * produces one user message that tells the model which tools to call, in what order, and what to
 * report. A prompt declares the tools it relies on: while any of them is hidden or denied by the
 * policy, the prompt is not listed (it would send the model to a closed door). Pure data.
 *
 * Questions handed to ask_kommo are kept apart (`questions`), with `<stage>` / `<pipeline>` where the
 * model fills in names from get_pipelines, so tests can check that ask_kommo understands each one.
 */

export const PROMPT_LANGUAGES = ['pt', 'es', 'en'] as const;
export type PromptLanguage = (typeof PROMPT_LANGUAGES)[number];

export interface PromptArgumentDefinition {
  name: string;
  description: string;
  required: boolean;
}

export interface PromptInput {
  language: PromptLanguage;
  pipeline_id?: number;
}

type Texts = Readonly<Record<PromptLanguage, string>>;

export interface PromptDefinition {
  name: string;
  title: string;
  description: string;
  arguments: readonly PromptArgumentDefinition[];
  /** Every tool the message tells the model to use. */
  tools: readonly string[];
  /** ask_kommo questions the message quotes, per language; `<stage>` and `<pipeline>` are placeholders. */
  questions: Readonly<Record<PromptLanguage, readonly string[]>>;
  message(input: PromptInput): string;
}

const LANGUAGE_ARGUMENT: PromptArgumentDefinition = {
  name: 'language',
  description: 'Language of the instructions and of the answer: pt (default), es or en.',
  required: false,
};

const PIPELINE_ARGUMENT: PromptArgumentDefinition = {
  name: 'pipeline_id',
  description: 'Id of the pipeline to analyse (from get_pipelines); default: the main pipeline.',
  required: false,
};

/** The closing line every prompt shares: figures only from tool results, refusals passed on. */
const GROUNDING: Texts = {
  pt: 'Use apenas números devolvidos pelas ferramentas e diga o período e o fuso horário que elas informam. Se uma ferramenta responder com erro (por exemplo policy_denied ou rate_limited), diga ao usuário o que a mensagem diz em vez de estimar.',
  es: 'Usa solo cifras devueltas por las herramientas e indica el período y la zona horaria que informan. Si una herramienta responde con un error (por ejemplo policy_denied o rate_limited), dile al usuario lo que dice el mensaje en lugar de estimar.',
  en: 'Use only figures the tools returned, and state the period and timezone they report. If a tool answers with an error (e.g. policy_denied or rate_limited), tell the user what its message says instead of estimating.',
};

const quote = (questions: readonly string[]) => questions.map((q) => `"${q}"`).join(', ');

const salesQuestions = { pt: [], es: [], en: [] } as const;

const stageQuestions = {
  pt: ['quantos leads abertos na etapa <stage> do funil <pipeline>?'],
  es: ['¿cuántos leads abiertos en la etapa <stage> del embudo <pipeline>?'],
  en: ['how many open leads in stage <stage> of pipeline <pipeline>?'],
} as const;

const closedQuestions = {
  pt: ['quantos leads ganhos este mês?', 'quantos leads perdidos este mês?'],
  es: ['¿cuántos leads ganados este mes?', '¿cuántos leads perdidos este mes?'],
  en: ['how many leads won this month?', 'how many leads lost this month?'],
} as const;

export const prompts: readonly PromptDefinition[] = [
  {
    name: 'analisar_vendas_mes',
    title: 'Analisar vendas do mês',
    description: "This month's sales: count of won deals, revenue, average deal and conversion, compared with last month, by salesperson and pipeline.",
    arguments: [LANGUAGE_ARGUMENT],
    tools: ['get_sales_report'],
    questions: salesQuestions,
    message: ({ language }) =>
      ({
        pt:
          'Analise as vendas deste mês na conta Kommo.\n' +
          '1. Chame get_sales_report sem argumentos: é o relatório do mês corrente, com os dias cortados no fuso horário da conta.\n' +
          '2. Chame get_sales_report de novo com dateFrom e dateTo cobrindo o mês anterior inteiro (veja no período do primeiro relatório qual é o mês corrente).\n' +
          '3. Responda em português: vendas (leads ganhos), receita, ticket médio e taxa de conversão deste mês; a variação de cada um em relação ao mês anterior; ' +
          'os vendedores (by_user) e os funis (by_pipeline) que mais venderam.\n',
        es:
          'Analiza las ventas de este mes en la cuenta de Kommo.\n' +
          '1. Llama a get_sales_report sin argumentos: es el informe del mes en curso, con los días cortados en la zona horaria de la cuenta.\n' +
          '2. Llama de nuevo a get_sales_report con dateFrom y dateTo que cubran todo el mes anterior (el período del primer informe dice cuál es el mes en curso).\n' +
          '3. Responde en español: ventas (leads ganados), ingresos, ticket promedio y tasa de conversión de este mes; la variación de cada uno frente al mes anterior; ' +
          'los vendedores (by_user) y los embudos (by_pipeline) que más vendieron.\n',
        en:
          "Analyse this month's sales in the Kommo account.\n" +
          "1. Call get_sales_report with no arguments: it is the current month's report, days cut in the account timezone.\n" +
          "2. Call get_sales_report again with dateFrom and dateTo covering the whole previous month (the first report's period tells which month is current).\n" +
          "3. Answer in English: this month's sales (won leads), revenue, average deal and conversion rate; how each changed from the previous month; " +
          'the salespeople (by_user) and pipelines (by_pipeline) that sold most.\n',
      })[language] + GROUNDING[language],
  },
  {
    name: 'resumo_leads_status',
    title: 'Resumo de leads por status',
    description: 'How many leads are in each stage of each pipeline now, plus the leads won and lost this month.',
    arguments: [LANGUAGE_ARGUMENT],
    tools: ['get_pipelines', 'ask_kommo'],
    questions: {
      pt: [...stageQuestions.pt, ...closedQuestions.pt],
      es: [...stageQuestions.es, ...closedQuestions.es],
      en: [...stageQuestions.en, ...closedQuestions.en],
    },
    message: ({ language }) =>
      ({
        pt:
          'Faça um resumo dos leads da conta Kommo por etapa (status).\n' +
          '1. Chame get_pipelines para obter os funis e suas etapas, com os nomes exatos.\n' +
          `2. Para cada etapa de cada funil, exceto as etapas 142 e 143 (ganho e perdido), chame ask_kommo com a pergunta ${quote(stageQuestions.pt)}, usando os nomes como get_pipelines os escreve.\n` +
          `3. Chame ask_kommo com ${quote(closedQuestions.pt)}.\n` +
          '4. Responda em português com uma tabela por funil (etapa, leads abertos), o total de abertos por funil, e os ganhos e perdidos do mês.\n',
        es:
          'Haz un resumen de los leads de la cuenta de Kommo por etapa (estado).\n' +
          '1. Llama a get_pipelines para obtener los embudos y sus etapas, con los nombres exactos.\n' +
          `2. Para cada etapa de cada embudo, salvo las etapas 142 y 143 (ganado y perdido), llama a ask_kommo con la pregunta ${quote(stageQuestions.es)}, con los nombres tal como los escribe get_pipelines.\n` +
          `3. Llama a ask_kommo con ${quote(closedQuestions.es)}.\n` +
          '4. Responde en español con una tabla por embudo (etapa, leads abiertos), el total de abiertos por embudo, y los ganados y perdidos del mes.\n',
        en:
          'Summarise the leads of the Kommo account by stage (status).\n' +
          '1. Call get_pipelines to get the pipelines and their stages, with their exact names.\n' +
          `2. For each stage of each pipeline except stages 142 and 143 (won and lost), call ask_kommo with the question ${quote(stageQuestions.en)}, using the names as get_pipelines writes them.\n` +
          `3. Call ask_kommo with ${quote(closedQuestions.en)}.\n` +
          '4. Answer in English with a table per pipeline (stage, open leads), the open total per pipeline, and the leads won and lost this month.\n',
      })[language] + GROUNDING[language],
  },
  {
    name: 'analise_pipeline',
    title: 'Analisar performance de pipeline',
    description: "One pipeline's performance: conversion, revenue, where open leads pile up (bottlenecks) and what to do about it.",
    arguments: [PIPELINE_ARGUMENT, LANGUAGE_ARGUMENT],
    tools: ['get_pipelines', 'get_sales_report', 'ask_kommo'],
    questions: stageQuestions,
    message: ({ language, pipeline_id }) => {
      const which = {
        pt: pipeline_id === undefined ? 'o funil principal (is_main) que get_pipelines devolve' : `o funil ${pipeline_id}`,
        es: pipeline_id === undefined ? 'el embudo principal (is_main) que devuelve get_pipelines' : `el embudo ${pipeline_id}`,
        en: pipeline_id === undefined ? 'the main pipeline (is_main) that get_pipelines returns' : `pipeline ${pipeline_id}`,
      }[language];
      const call = pipeline_id === undefined ? 'get_pipelines' : `get_pipelines (pipeline_id=${pipeline_id})`;
      return (
        {
          pt:
            `Analise a performance de ${which} na conta Kommo.\n` +
            `1. Chame ${call} para obter o funil e suas etapas, com os nomes exatos.\n` +
            '2. Chame get_sales_report sem argumentos (mês corrente) e com days=90, e leia a linha desse funil em by_pipeline: novos, ganhos, perdidos, receita, ticket médio, conversão.\n' +
            `3. Para cada etapa do funil, exceto 142 e 143, chame ask_kommo com ${quote(stageQuestions.pt)}.\n` +
            '4. Responda em português: conversão e receita (mês e 90 dias), onde os leads abertos se acumulam (gargalos), e duas ou três ações concretas.\n',
          es:
            `Analiza el rendimiento de ${which} en la cuenta de Kommo.\n` +
            `1. Llama a ${call} para obtener el embudo y sus etapas, con los nombres exactos.\n` +
            '2. Llama a get_sales_report sin argumentos (mes en curso) y con days=90, y lee la fila de ese embudo en by_pipeline: nuevos, ganados, perdidos, ingresos, ticket promedio, conversión.\n' +
            `3. Para cada etapa del embudo, salvo 142 y 143, llama a ask_kommo con ${quote(stageQuestions.es)}.\n` +
            '4. Responde en español: conversión e ingresos (mes y 90 días), dónde se acumulan los leads abiertos (cuellos de botella), y dos o tres acciones concretas.\n',
          en:
            `Analyse the performance of ${which} in the Kommo account.\n` +
            `1. Call ${call} to get the pipeline and its stages, with their exact names.\n` +
            "2. Call get_sales_report with no arguments (current month) and with days=90, and read that pipeline's row in by_pipeline: new, won, lost, revenue, average deal, conversion.\n" +
            `3. For each stage of the pipeline except 142 and 143, call ask_kommo with ${quote(stageQuestions.en)}.\n` +
            '4. Answer in English: conversion and revenue (month and 90 days), where open leads pile up (bottlenecks), and two or three concrete actions.\n',
        }[language] + GROUNDING[language]
      );
    },
  },
  {
    name: 'motivos_perda',
    title: 'Analisar motivos de perda',
    description: 'Why deals are lost: loss reasons ranked by how many recently lost leads carry them, and actions to reduce losses.',
    arguments: [LANGUAGE_ARGUMENT],
    tools: ['get_loss_reasons', 'get_pipelines', 'get_leads', 'get_sales_report'],
    questions: salesQuestions,
    message: ({ language }) =>
      ({
        pt:
          'Analise por que a conta Kommo perde negócios.\n' +
          '1. Chame get_loss_reasons para obter os motivos de perda (id e nome).\n' +
          '2. Chame get_sales_report com days=90 para o número de leads perdidos e a conversão, no total e por funil.\n' +
          '3. Chame get_pipelines e, para cada funil, get_leads com pipeline_id, status_id=143 (perdido), order_by=updated_at e limit=250; conte os leads por loss_reason_id.\n' +
          '4. Responda em português: os motivos do mais ao menos frequente (com quantidade e percentual dos leads contados), os funis que mais perdem, e ações para reduzir as perdas mais comuns.\n',
        es:
          'Analiza por qué la cuenta de Kommo pierde negocios.\n' +
          '1. Llama a get_loss_reasons para obtener los motivos de pérdida (id y nombre).\n' +
          '2. Llama a get_sales_report con days=90 para el número de leads perdidos y la conversión, en total y por embudo.\n' +
          '3. Llama a get_pipelines y, para cada embudo, a get_leads con pipeline_id, status_id=143 (perdido), order_by=updated_at y limit=250; cuenta los leads por loss_reason_id.\n' +
          '4. Responde en español: los motivos del más al menos frecuente (con cantidad y porcentaje de los leads contados), los embudos que más pierden, y acciones para reducir las pérdidas más comunes.\n',
        en:
          'Analyse why the Kommo account loses deals.\n' +
          '1. Call get_loss_reasons to get the loss reasons (id and name).\n' +
          '2. Call get_sales_report with days=90 for the number of lost leads and the conversion, overall and per pipeline.\n' +
          '3. Call get_pipelines and, for each pipeline, get_leads with pipeline_id, status_id=143 (lost), order_by=updated_at and limit=250; count the leads per loss_reason_id.\n' +
          '4. Answer in English: the reasons from most to least frequent (count and share of the leads counted), the pipelines that lose most, and actions to reduce the most common losses.\n',
      })[language] + GROUNDING[language],
  },
];
