/**
 * Every word of the approval form, in the account's language (Portuguese, Spanish or English): the
 * person approving is a salesperson reading their own CRM, not the engineer who wrote the policy.
 * Names that come from Kommo (stages, pipelines, users, records) are never translated.
 */
import type { ReferenceCall } from './kommo/names.js';

export type ApprovalLanguage = 'pt' | 'es' | 'en';

type Texts = Readonly<Record<ApprovalLanguage, string>>;

const LOCALES: Texts = { pt: 'pt-BR', es: 'es', en: 'en-US' };

/** What each tool that usually needs approval does, as a person would say it. */
const ACTIONS: Readonly<Record<string, Texts>> = {
  create_lead: { pt: 'criar um lead', es: 'crear un lead', en: 'create a lead' },
  update_lead: { pt: 'alterar um lead', es: 'modificar un lead', en: 'change a lead' },
  move_lead: { pt: 'mudar um lead de etapa', es: 'cambiar un lead de etapa', en: 'move a lead to another stage' },
  create_task: { pt: 'criar uma tarefa', es: 'crear una tarea', en: 'create a task' },
  add_note: { pt: 'adicionar uma nota', es: 'añadir una nota', en: 'add a note' },
  pin_note: { pt: 'fixar uma nota', es: 'fijar una nota', en: 'pin a note' },
  unpin_note: { pt: 'desafixar uma nota', es: 'desfijar una nota', en: 'unpin a note' },
  run_salesbot: { pt: 'iniciar um Salesbot', es: 'iniciar un Salesbot', en: 'start a Salesbot' },
  stop_salesbot: { pt: 'parar um Salesbot', es: 'detener un Salesbot', en: 'stop a Salesbot' },
};

const LABELS: Readonly<Record<string, Texts>> = {
  id: { pt: 'Registro', es: 'Registro', en: 'Record' },
  lead_id: { pt: 'Lead', es: 'Lead', en: 'Lead' },
  name: { pt: 'Nome', es: 'Nombre', en: 'Name' },
  price: { pt: 'Valor', es: 'Valor', en: 'Value' },
  status_id: { pt: 'Etapa', es: 'Etapa', en: 'Stage' },
  pipeline_id: { pt: 'Funil', es: 'Embudo', en: 'Pipeline' },
  loss_reason_id: { pt: 'Motivo de perda', es: 'Motivo de pérdida', en: 'Loss reason' },
  responsible_user_id: { pt: 'Responsável', es: 'Responsable', en: 'Responsible user' },
  entity_type: { pt: 'Tipo de registro', es: 'Tipo de registro', en: 'Record type' },
  entity_id: { pt: 'Registro', es: 'Registro', en: 'Record' },
  text: { pt: 'Texto', es: 'Texto', en: 'Text' },
  complete_till: { pt: 'Prazo', es: 'Plazo', en: 'Due' },
  note_type: { pt: 'Tipo de nota', es: 'Tipo de nota', en: 'Note type' },
  note_id: { pt: 'Nota', es: 'Nota', en: 'Note' },
  bot_id: { pt: 'Salesbot', es: 'Salesbot', en: 'Salesbot' },
  question: { pt: 'Pergunta', es: 'Pregunta', en: 'Question' },
  limit: { pt: 'Registros por página', es: 'Registros por página', en: 'Records per page' },
  page: { pt: 'Página', es: 'Página', en: 'Page' },
  query: { pt: 'Busca', es: 'Búsqueda', en: 'Search' },
  dateFrom: { pt: 'De', es: 'Desde', en: 'From' },
  dateTo: { pt: 'Até', es: 'Hasta', en: 'To' },
};

const NOUNS: Readonly<Record<string, Texts>> = {
  leads: { pt: 'lead', es: 'lead', en: 'lead' },
  contacts: { pt: 'contato', es: 'contacto', en: 'contact' },
  companies: { pt: 'empresa', es: 'empresa', en: 'company' },
};

export class ApprovalWords {
  constructor(
    readonly lang: ApprovalLanguage,
    /** ISO 4217 code of the account currency, for deal values. */
    private readonly currency?: string,
  ) {}

  private t(texts: Texts): string {
    return texts[this.lang];
  }

  /** "O assistente pede para mudar um lead de etapa no Kommo (move_lead)." */
  asks(toolName: string, toolTitle: string): string {
    const action = ACTIONS[toolName];
    const what = action ? this.t(action) : this.t({ pt: `executar “${toolTitle}”`, es: `ejecutar “${toolTitle}”`, en: `run “${toolTitle}”` });
    return this.t({
      pt: `O assistente pede para ${what} no Kommo (${toolName}).`,
      es: `El asistente pide ${what} en Kommo (${toolName}).`,
      en: `The assistant asks to ${what} in Kommo (${toolName}).`,
    });
  }

  whatHappens(): string {
    return this.t({ pt: 'O que vai acontecer:', es: 'Qué va a pasar:', en: 'What will happen:' });
  }

  exactRequest(): string {
    return this.t({ pt: 'Pedido exato:', es: 'Solicitud exacta:', en: 'Exact request:' });
  }

  noArguments(): string {
    return this.t({ pt: 'Pedido exato: sem argumentos.', es: 'Solicitud exacta: sin argumentos.', en: 'Exact request: no arguments.' });
  }

  closing(expiresIn: string): string {
    return this.t({
      pt: `Nada foi enviado ao Kommo ainda. “Aprovar” executa exatamente este pedido uma vez; “Rejeitar” o cancela. O pedido expira em ${expiresIn}.`,
      es: `Todavía no se envió nada a Kommo. “Aprobar” ejecuta exactamente esta solicitud una vez; “Rechazar” la cancela. La solicitud vence en ${expiresIn}.`,
      en: `Nothing has been sent to Kommo yet. “Approve” runs exactly this request once; “Reject” stops it. The request expires in ${expiresIn}.`,
    });
  }

  duration(ms: number): string {
    const s = Math.max(1, Math.round(ms / 1000));
    if (s < 120 || s % 60 !== 0) return this.t({ pt: `${s} segundos`, es: `${s} segundos`, en: `${s} seconds` });
    const m = s / 60;
    return this.t({ pt: `${m} minutos`, es: `${m} minutos`, en: `${m} minutes` });
  }

  unreadable(): string {
    return this.t({
      pt: '(Não foi possível ler os valores atuais no Kommo; os valores pedidos estão abaixo.)',
      es: '(No se pudieron leer los valores actuales en Kommo; los valores solicitados están abajo.)',
      en: '(The current values could not be read from Kommo; the requested values are listed below.)',
    });
  }

  label(key: string): string {
    const label = LABELS[key];
    return label ? this.t(label) : humanize(key);
  }

  noun(entityType: string): string {
    const noun = NOUNS[entityType];
    return noun ? this.t(noun) : entityType;
  }

  yes(): string {
    return this.t({ pt: 'sim', es: 'sí', en: 'yes' });
  }

  no(): string {
    return this.t({ pt: 'não', es: 'no', en: 'no' });
  }

  none(): string {
    return this.t({ pt: 'nenhum', es: 'ninguno', en: 'none' });
  }

  /** A deal value in the account currency: "R$ 1.200". */
  money(value: number): string {
    if (!this.currency) return new Intl.NumberFormat(this.t(LOCALES)).format(value);
    try {
      return new Intl.NumberFormat(this.t(LOCALES), { style: 'currency', currency: this.currency, maximumFractionDigits: 0 }).format(value);
    } catch {
      return `${new Intl.NumberFormat(this.t(LOCALES)).format(value)} ${this.currency}`;
    }
  }

  /** "Lead “Acme” (id 42), valor R$ 1.200:". */
  leadHeader(name: string, id: number, price: string): string {
    return this.t({
      pt: `Lead ${name} (id ${id}), valor ${price}:`,
      es: `Lead ${name} (id ${id}), valor ${price}:`,
      en: `Lead ${name} (id ${id}), value ${price}:`,
    });
  }

  unchanged(value: string): string {
    return this.t({ pt: `${value} (sem mudança)`, es: `${value} (sin cambio)`, en: `${value} (unchanged)` });
  }

  nothingToChange(): string {
    return this.t({
      pt: '- nada (nenhum campo a mudar foi informado)',
      es: '- nada (no se indicó ningún campo a cambiar)',
      en: '- nothing (no field to change was given)',
    });
  }

  /** "“Negociação” (funil “Funil de vendas”)". */
  stageIn(stage: string, pipeline: string): string {
    return this.t({ pt: `${stage} (funil ${pipeline})`, es: `${stage} (embudo ${pipeline})`, en: `${stage} (pipeline ${pipeline})` });
  }

  stageId(id: number, pipeline: string): string {
    return this.t({ pt: `etapa ${id} (funil ${pipeline})`, es: `etapa ${id} (embudo ${pipeline})`, en: `stage ${id} (pipeline ${pipeline})` });
  }

  firstStageOf(pipeline: string): string {
    return this.t({
      pt: `a primeira etapa do funil ${pipeline}`,
      es: `la primera etapa del embudo ${pipeline}`,
      en: `the first stage of pipeline ${pipeline}`,
    });
  }

  userId(id: number): string {
    return this.t({ pt: `usuário ${id}`, es: `usuario ${id}`, en: `user ${id}` });
  }

  reasonId(id: number): string {
    return this.t({ pt: `motivo ${id}`, es: `motivo ${id}`, en: `reason ${id}` });
  }

  addsNote(record: string): string {
    return this.t({ pt: `Adiciona uma nota a ${record}.`, es: `Añade una nota a ${record}.`, en: `Adds a note to ${record}.` });
  }

  createsTask(record: string): string {
    return this.t({ pt: `Cria uma tarefa em ${record}.`, es: `Crea una tarea en ${record}.`, en: `Creates a task on ${record}.` });
  }

  pinning(pinned: boolean, noteId: number, entityType: string): string {
    const noun = this.noun(entityType);
    return pinned
      ? this.t({
          pt: `Fixa a nota ${noteId} no topo da linha do tempo do ${noun}.`,
          es: `Fija la nota ${noteId} arriba en la línea de tiempo del ${noun}.`,
          en: `Pins note ${noteId} to the top of its ${noun}'s timeline.`,
        })
      : this.t({
          pt: `Desafixa a nota ${noteId}; ela volta ao seu lugar na linha do tempo do ${noun}.`,
          es: `Desfija la nota ${noteId}; vuelve a su lugar en la línea de tiempo del ${noun}.`,
          en: `Unpins note ${noteId}; it returns to its place in its ${noun}'s timeline.`,
        });
  }

  salesbot(action: 'run' | 'stop', bot: string, record: string): string {
    return action === 'run'
      ? this.t({
          pt: `Inicia ${bot} em ${record}. Um Salesbot pode enviar mensagens ao cliente e alterar o registro.`,
          es: `Inicia ${bot} en ${record}. Un Salesbot puede enviar mensajes al cliente y cambiar el registro.`,
          en: `Starts ${bot} on ${record}. A Salesbot can send messages to the customer and change the record.`,
        })
      : this.t({
          pt: `Para ${bot} em ${record}; os passos restantes para este registro não serão executados.`,
          es: `Detiene ${bot} en ${record}; los pasos restantes para este registro no se ejecutarán.`,
          en: `Stops ${bot} on ${record}; its remaining steps for this record will not run.`,
        });
  }

  /** The form's one field, and its two choices as titled constants (not the deprecated enumNames). */
  decisionField(): { title: string; description: string; approve: string; reject: string } {
    return {
      title: this.t({ pt: 'Sua decisão', es: 'Su decisión', en: 'Your decision' }),
      description: this.t({
        pt: 'Escolha “Aprovar” para executar uma vez exatamente o pedido descrito acima, ou “Rejeitar” para cancelá-lo.',
        es: 'Elija “Aprobar” para ejecutar una vez exactamente la solicitud descrita arriba, o “Rechazar” para cancelarla.',
        en: 'Choose “Approve” to run exactly the request described above once, or “Reject” to stop it.',
      }),
      approve: this.t({ pt: 'Aprovar: executar este pedido', es: 'Aprobar: ejecutar esta solicitud', en: 'Approve: run this request' }),
      reject: this.t({ pt: 'Rejeitar: não executar', es: 'Rechazar: no ejecutar', en: 'Reject: do not run it' }),
    };
  }

  /** Dates as people in that language write them ("1 Jan 2026, 09:00" in English). */
  dateLocale(): string {
    return this.t({ pt: 'pt-BR', es: 'es', en: 'en-GB' });
  }
}

function humanize(key: string): string {
  const words = key
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/[_.-]+/g, ' ')
    .trim()
    .toLowerCase();
  return words ? words[0]!.toUpperCase() + words.slice(1) : key;
}

/**
 * The words for this account: its language (KOMMO_LANGUAGE, the account's, its user's) and its
 * currency. When the account cannot be read, English and plain numbers.
 */
export async function approvalWords(ctx: ReferenceCall): Promise<ApprovalWords> {
  try {
    const [language, account] = await Promise.all([ctx.reference.language(ctx.signal), ctx.reference.account(ctx.signal)]);
    return new ApprovalWords(language, account.currency);
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    return new ApprovalWords('en');
  }
}
