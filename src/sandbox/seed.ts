/**
 * Deterministic seed data: a Latin-American Kommo account (BRL, Portuguese and Spanish speakers).
 * Same seed + same anchor ⇒ the same store, field for field. Every random draw goes through one Rng in a
 * fixed order, so do not reorder draws without expecting the data to change.
 */
import { Rng } from './prng.js';
import {
  LOST_STATUS_ID,
  WON_STATUS_ID,
  type Account,
  type Bot,
  type Company,
  type Contact,
  type CrmRecord,
  type CustomField,
  type CustomFieldValue,
  type EntityRights,
  type EntityType,
  type Lead,
  type LossReason,
  type Note,
  type Pipeline,
  type SandboxStore,
  type Status,
  type Tag,
  type Task,
  type User,
} from './store.js';
import { startOfLocalDay, timezoneOffset } from './timezone.js';

export interface SeedOptions {
  seed: number;
  leads: number;
  /** ms epoch: the "now" of the seeded data. */
  anchor: number;
  timezone: string;
}

type Lang = 'pt' | 'es';

const OUTCOMES = [
  ['won', 25],
  ['lost', 20],
  ['open', 55],
] as const;
const TASK_TARGETS = [
  ['leads', 80],
  ['contacts', 12],
  ['companies', 5],
  [null, 3],
] as const;

const DAY = 86_400;
const ACCOUNT_ID = 31_890_417;

const FIRST_ID = {
  users: 10_542_001,
  pipelines: 8_123_401,
  statuses: 67_120_001,
  lossReasons: 21_403_201,
  bots: 70_411,
  leads: 20_000_001,
  contacts: 30_000_001,
  companies: 40_000_001,
  tasks: 50_000_001,
  notes: 70_000_001,
} as const;

/** Contact and company custom fields (Kommo gives each entity type its own field ids). */
const FIELDS = {
  contactPhone: 264_911,
  contactEmail: 264_913,
  companyPhone: 264_921,
  companyWeb: 264_925,
} as const;
const ENUM = { phoneWork: 512_301, phoneMobile: 512_305, emailWork: 512_311 } as const;

const USER_SPECS: readonly { name: string; lang: Lang; admin?: true }[] = [
  { name: 'Ana Souza', lang: 'pt', admin: true },
  { name: 'Bruno Carvalho', lang: 'pt' },
  { name: 'Camila Rodrigues', lang: 'pt' },
  { name: 'Diego Fernández', lang: 'es' },
  { name: 'Lucía Martínez', lang: 'es' },
  { name: 'Mateus Oliveira', lang: 'pt' },
  { name: 'Valentina Gómez', lang: 'es' },
  { name: 'Rafael Lima', lang: 'pt' },
];

/** Main pipeline in Portuguese, one in Spanish, one in English. Lead names follow `lang` (null: the client's). */
const PIPELINE_SPECS: readonly { name: string; lang: Lang | null; incoming: string; stages: string[] }[] = [
  {
    name: 'Funil de vendas',
    lang: 'pt',
    incoming: 'Leads de entrada',
    stages: ['Contato inicial', 'Qualificação', 'Proposta enviada', 'Negociação'],
  },
  {
    name: 'Ventas LATAM',
    lang: 'es',
    incoming: 'Leads entrantes',
    stages: ['Primer contacto', 'Propuesta enviada', 'Negociación'],
  },
  {
    name: 'Renewals',
    lang: null,
    incoming: 'Incoming leads',
    stages: ['Account review', 'Usage check', 'Renewal offer', 'Upsell discussion', 'Contract signing'],
  },
];
const STAGE_COLORS = ['#99ccff', '#ffff99', '#ffcc66', '#ffdc7f', '#87f2c0'];

const LOSS_REASONS = ['Preço alto', 'Sin presupuesto', 'Escolheu concorrente', 'Sem resposta do cliente', 'Proyecto cancelado'];
const BOT_NAMES = ['Boas-vindas WhatsApp', 'Calificación de leads', 'Follow-up pós-proposta'];
const TAGS: readonly Tag[] = [
  { id: 501, name: 'WhatsApp', color: null },
  { id: 502, name: 'Indicação', color: null },
  { id: 503, name: 'Site', color: null },
  { id: 504, name: 'Instagram', color: null },
  { id: 505, name: 'Evento', color: null },
];

const FIRST_NAMES: Record<Lang, readonly string[]> = {
  pt: [
    'João',
    'Maria',
    'Pedro',
    'Ana',
    'Lucas',
    'Juliana',
    'Gabriel',
    'Fernanda',
    'Rafael',
    'Beatriz',
    'Thiago',
    'Larissa',
    'Gustavo',
    'Camila',
    'Felipe',
    'Patrícia',
    'André',
    'Aline',
    'Rodrigo',
    'Letícia',
  ],
  es: [
    'José',
    'Sofía',
    'Juan',
    'Valentina',
    'Carlos',
    'Camila',
    'Miguel',
    'Isabella',
    'Alejandro',
    'Daniela',
    'Andrés',
    'Mariana',
    'Javier',
    'Lucía',
    'Santiago',
    'Gabriela',
    'Matías',
    'Paula',
    'Sebastián',
    'Catalina',
  ],
};
const LAST_NAMES: Record<Lang, readonly string[]> = {
  pt: [
    'Silva',
    'Santos',
    'Oliveira',
    'Souza',
    'Pereira',
    'Costa',
    'Rodrigues',
    'Almeida',
    'Nascimento',
    'Lima',
    'Araújo',
    'Ferreira',
    'Ribeiro',
    'Gomes',
    'Martins',
    'Rocha',
    'Barbosa',
    'Cardoso',
    'Teixeira',
    'Moreira',
  ],
  es: [
    'García',
    'Rodríguez',
    'González',
    'Fernández',
    'López',
    'Martínez',
    'Sánchez',
    'Pérez',
    'Gómez',
    'Díaz',
    'Torres',
    'Ramírez',
    'Flores',
    'Rojas',
    'Vargas',
    'Castro',
    'Morales',
    'Herrera',
    'Muñoz',
    'Jiménez',
  ],
};
const FIXED_COMPANIES: readonly { name: string; lang: Lang }[] = [
  { name: 'Acme', lang: 'pt' },
  { name: 'Distribuidora Sol', lang: 'pt' },
  { name: 'Grupo Andes', lang: 'es' },
  { name: 'Padaria Pão Quente', lang: 'pt' },
  { name: 'Ferretería El Clavo', lang: 'es' },
];
const COMPANY_PREFIXES: Record<Lang, readonly string[]> = {
  pt: [
    'Distribuidora',
    'Comercial',
    'Construtora',
    'Transportes',
    'Farmácia',
    'Padaria',
    'Agro',
    'Clínica',
    'Metalúrgica',
    'Supermercado',
    'Tech',
    'Imobiliária',
  ],
  es: ['Grupo', 'Ferretería', 'Inmobiliaria', 'Textiles', 'Transportes', 'Clínica', 'Panadería', 'Constructora', 'Seguros', 'Vinos', 'Café', 'Logística'],
};
const COMPANY_CORES: Record<Lang, readonly string[]> = {
  pt: [
    'Sol',
    'Horizonte',
    'Nordeste',
    'Vitória',
    'Aurora',
    'Estrela',
    'Pantanal',
    'Serra Azul',
    'Atlântico',
    'Ipê',
    'Paraná',
    'Cerrado',
    'Bandeirantes',
    'Litoral',
    'Boa Vista',
  ],
  es: [
    'Andes',
    'Pacífico',
    'Cóndor',
    'Austral',
    'del Sur',
    'Montaña',
    'La Espiga',
    'San Rafael',
    'Patagonia',
    'Caribe',
    'Sierra Madre',
    'Los Álamos',
    'El Roble',
    'Altiplano',
    'Magallanes',
  ],
};
const COMPANY_SUFFIXES: Record<Lang, readonly (readonly [string, number])[]> = {
  pt: [
    ['', 6],
    [' Ltda', 3],
    [' S.A.', 1],
  ],
  es: [
    ['', 6],
    [' S.A.', 2],
    [' SpA', 1],
    [' S.A.S.', 1],
  ],
};
const LEAD_PREFIXES: Record<Lang, readonly string[]> = {
  pt: ['Renovação', 'Contrato', 'Proposta', 'Pedido', 'Implantação', 'Licenças', 'Expansão'],
  es: ['Propuesta', 'Contrato', 'Renovación', 'Pedido', 'Cotización', 'Licencias', 'Ampliación'],
};
const RENEWAL_PREFIXES: Record<Lang, readonly string[]> = {
  pt: ['Renovação', 'Upgrade de plano'],
  es: ['Renovación', 'Ampliación de plan'],
};
const NOTE_TEXTS: Record<Lang, readonly string[]> = {
  pt: [
    'Cliente pediu desconto de 10% para fechar este mês.',
    'Enviada proposta revisada por e-mail.',
    'Reunião agendada com o diretor financeiro.',
    'Cliente comparando com concorrente, retomar na próxima semana.',
    'Aguardando aprovação do orçamento interno.',
    'Ligação sem resposta, tentar novamente amanhã.',
    'Contrato enviado para assinatura digital.',
  ],
  es: [
    'El cliente solicitó una demo del módulo de reportes.',
    'Se envió la cotización actualizada.',
    'Reunión con el gerente de compras confirmada.',
    'Pide condiciones de pago a 60 días.',
    'Sin respuesta, volver a llamar el jueves.',
    'Interesado en ampliar a 20 licencias.',
  ],
};
const TASK_TEXTS: Record<Lang, readonly string[]> = {
  pt: ['Ligar para confirmar proposta', 'Enviar contrato atualizado', 'Follow-up sobre orçamento', 'Agendar demonstração', 'Cobrar retorno do cliente'],
  es: ['Llamar al cliente', 'Enviar cotización', 'Reunión de seguimiento', 'Confirmar datos de facturación', 'Agendar demo'],
};
const TASK_RESULTS: Record<Lang, readonly string[]> = {
  pt: ['Cliente confirmou interesse.', 'Proposta aceita, aguardando assinatura.', 'Pediu retorno no próximo mês.'],
  es: ['El cliente confirmó la reunión.', 'Se envió el contrato.', 'Pidió volver a contactar en marzo.'],
};

function slug(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '');
}

function rights(level: 'admin' | 'seller'): User['rights'] {
  const all: EntityRights = { view: 'A', edit: 'A', add: 'A', delete: 'A', export: 'A' };
  const seller: EntityRights = { view: 'A', edit: 'A', add: 'A', delete: 'M', export: 'D' };
  const entity = level === 'admin' ? all : seller;
  return {
    leads: { ...entity },
    contacts: { ...entity },
    companies: { ...entity },
    tasks: { edit: 'A', delete: level === 'admin' ? 'A' : 'M' },
    mail_access: true,
    catalog_access: level === 'admin',
    status_rights: [],
    is_admin: level === 'admin',
    is_free: false,
    is_active: true,
    group_id: null,
    role_id: null,
  };
}

function buildUsers(): { users: User[]; langs: Map<number, Lang> } {
  const langs = new Map<number, Lang>();
  const users = USER_SPECS.map((spec, i): User => {
    const id = FIRST_ID.users + i;
    langs.set(id, spec.lang);
    const [first, last] = spec.name.split(' ') as [string, string];
    return {
      id,
      name: spec.name,
      email: `${slug(first)}.${slug(last)}@solnascente.example`,
      lang: spec.lang,
      rights: rights(spec.admin ? 'admin' : 'seller'),
    };
  });
  return { users, langs };
}

function buildPipelines(): Pipeline[] {
  let statusId = FIRST_ID.statuses;
  return PIPELINE_SPECS.map((spec, i): Pipeline => {
    const id = FIRST_ID.pipelines + i;
    const status = (sid: number, name: string, sort: number, color: string, type: 0 | 1, editable: boolean): Status => ({
      id: sid,
      name,
      sort,
      is_editable: editable,
      pipeline_id: id,
      color,
      type,
      account_id: ACCOUNT_ID,
    });
    const statuses = [
      status(statusId++, spec.incoming, 10, '#c1c1c1', 1, false),
      ...spec.stages.map((name, k) => status(statusId++, name, 20 + k * 10, STAGE_COLORS[k % STAGE_COLORS.length]!, 0, true)),
      status(WON_STATUS_ID, 'Closed - won', 10000, '#CCFF66', 0, false),
      status(LOST_STATUS_ID, 'Closed - lost', 11000, '#D5D8DB', 0, false),
    ];
    return {
      id,
      name: spec.name,
      sort: i + 1,
      is_main: i === 0,
      is_unsorted_on: true,
      is_archive: false,
      account_id: ACCOUNT_ID,
      _embedded: { statuses },
    };
  });
}

function buildAccount(options: SeedOptions, adminId: number): Account {
  return {
    id: ACCOUNT_ID,
    name: 'Grupo Sol Nascente (Sandbox)',
    subdomain: 'sandbox',
    current_user_id: adminId,
    country: 'BR',
    currency: 'BRL',
    currency_symbol: 'R$',
    customers_mode: 'disabled',
    is_unsorted_on: true,
    mobile_feature_version: 0,
    is_loss_reason_enabled: true,
    is_helpbot_enabled: false,
    is_technical_account: false,
    contact_name_display_order: 1,
    amojo_id: '3f6b1c2e-8d4a-4b7e-9a51-0c2d7e9f4a10',
    version: 11,
    drive_url: 'https://drive-c.kommo.com',
    _embedded: {
      datetime_settings: {
        date_pattern: 'd/m/Y H:i',
        short_date_pattern: 'd/m/Y',
        short_time_pattern: 'H:i',
        date_formant: 'd/m/Y',
        time_format: 'H:i',
        timezone: options.timezone,
        timezone_offset: timezoneOffset(options.timezone, options.anchor),
      },
      task_types: [
        { id: 1, name: 'Follow-up', color: null, icon_id: null, code: 'FOLLOW_UP' },
        { id: 2, name: 'Meeting', color: null, icon_id: null, code: 'MEETING' },
        { id: 2_514_781, name: 'Enviar proposta', color: '#ffcc66', icon_id: 5, code: null },
      ],
      users_groups: [{ id: 0, name: 'Equipe comercial', uuid: null }],
      amojo_rights: { can_direct: true, can_create_groups: true },
    },
  };
}

function phoneNumber(rng: Rng, lang: Lang): string {
  if (lang === 'pt') {
    return `+55 ${rng.pick(['11', '21', '31', '41', '51', '61', '71', '81'])} 9${rng.digits(4)}-${rng.digits(4)}`;
  }
  switch (rng.int(0, 3)) {
    case 0:
      return `+54 9 11 ${rng.digits(4)}-${rng.digits(4)}`;
    case 1:
      return `+52 55 ${rng.digits(4)} ${rng.digits(4)}`;
    case 2:
      return `+56 9 ${rng.digits(4)} ${rng.digits(4)}`;
    default:
      return `+57 3${rng.digits(2)} ${rng.digits(3)} ${rng.digits(4)}`;
  }
}

function uuid(rng: Rng): string {
  const hex = (n: number): string => {
    let out = '';
    for (let i = 0; i < n; i++) out += rng.int(0, 15).toString(16);
    return out;
  };
  return `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
}

/** A lead/contact/company shell; ids and dates are filled in once creation order is known. */
function newRecord(name: string, ownerId: number, fields: CustomField[] | null): CrmRecord {
  return {
    id: 0,
    name,
    responsible_user_id: ownerId,
    group_id: 0,
    created_by: ownerId,
    updated_by: ownerId,
    created_at: 0,
    updated_at: 0,
    closest_task_at: null,
    is_deleted: false,
    custom_fields_values: fields,
    account_id: ACCOUNT_ID,
  };
}

const FIELD_NAMES: Record<string, string> = { PHONE: 'Phone', EMAIL: 'Email', WEB: 'Web' };

function customField(fieldId: number, code: string, type: string, value: CustomFieldValue): CustomField {
  return { field_id: fieldId, field_name: FIELD_NAMES[code] ?? code, field_code: code, field_type: type, values: [value] };
}

/** Activity on an entity (tasks, notes) happens before a lead closed, else before the anchor. */
function activeUntil(entity: Lead | Contact | Company | undefined, anchor: number): number {
  return entity && 'status_id' in entity && entity.closed_at !== null ? entity.closed_at : anchor;
}

/** Spread of timestamps within [from, to], both inclusive. */
function between(rng: Rng, from: number, to: number): number {
  return to <= from ? from : from + Math.floor(rng.next() * (to - from + 1));
}

/** What every part of the seed draws on: the random source, the clock and the people. */
interface SeedContext {
  rng: Rng;
  /** The seeded "now", in unix seconds. */
  anchor: number;
  /** Two years before the anchor: the oldest record. */
  windowStart: number;
  /** Start of the anchor's day in the account timezone. */
  todayStart: number;
  pickUser: () => User;
  userLang: (userId: number) => Lang;
}

interface CompanyDrafts {
  companies: Company[];
  companyLang: Map<Company, Lang>;
  companyDomain: Map<Company, string>;
}

interface ContactDrafts {
  contacts: Contact[];
  contactLang: Map<Contact, Lang>;
  contactCompany: Map<Contact, Company>;
}

interface LeadLinks {
  leads: Lead[];
  leadContacts: Map<Lead, Contact[]>;
  leadCompany: Map<Lead, Company>;
}

const byCreation = (a: { created_at: number }, b: { created_at: number }): number => a.created_at - b.created_at;

function buildLossReasons(windowStart: number): LossReason[] {
  return LOSS_REASONS.map(
    (name, i): LossReason => ({
      id: FIRST_ID.lossReasons + i,
      name,
      sort: i,
      created_at: windowStart - 30 * DAY + i * 3600,
      updated_at: windowStart - 30 * DAY + i * 3600,
    }),
  );
}

function buildBots(windowStart: number): Bot[] {
  return BOT_NAMES.map(
    (name, i): Bot => ({
      id: FIRST_ID.bots + i,
      name,
      account_id: ACCOUNT_ID,
      created_at: windowStart - 20 * DAY + i * DAY,
      updated_at: windowStart - 20 * DAY + i * DAY,
    }),
  );
}

/** Companies drafted with id 0 and no dates: numbered in creation order once their leads are known. */
function draftCompanies({ rng, pickUser }: SeedContext, leadCount: number): CompanyDrafts {
  const companyCount = leadCount === 0 ? 0 : Math.max(1, Math.round(leadCount / 15));
  const companyLang = new Map<Company, Lang>();
  const companyDomain = new Map<Company, string>();
  const companies: Company[] = [];
  for (let i = 0; i < companyCount; i++) {
    const fixed = FIXED_COMPANIES[i];
    const lang: Lang = fixed?.lang ?? (rng.chance(0.6) ? 'pt' : 'es');
    const core = fixed ? fixed.name : rng.pick(COMPANY_CORES[lang]);
    const name = fixed ? fixed.name : `${rng.pick(COMPANY_PREFIXES[lang])} ${core}${rng.weighted(COMPANY_SUFFIXES[lang])}`;
    const domain = `${slug(core)}.${lang === 'pt' ? 'com.br' : 'com'}`;
    const owner = pickUser();
    const company: Company = {
      ...newRecord(name, owner.id, [
        customField(FIELDS.companyPhone, 'PHONE', 'multitext', { value: phoneNumber(rng, lang), enum_id: ENUM.phoneWork, enum_code: 'WORK' }),
        customField(FIELDS.companyWeb, 'WEB', 'url', { value: `https://www.${domain}` }),
      ]),
      _embedded: { tags: [] },
    };
    companies.push(company);
    companyLang.set(company, lang);
    companyDomain.set(company, domain);
  }
  return { companies, companyLang, companyDomain };
}

/** Contacts drafted like companies; most belong to a company and share its language and e-mail domain. */
function draftContacts({ rng, pickUser }: SeedContext, leadCount: number, { companies, companyLang, companyDomain }: CompanyDrafts): ContactDrafts {
  const contactCount = leadCount === 0 ? 0 : Math.max(1, Math.round(leadCount / 4));
  const contactLang = new Map<Contact, Lang>();
  const contactCompany = new Map<Contact, Company>();
  const contacts: Contact[] = [];
  for (let i = 0; i < contactCount; i++) {
    const company = companies.length > 0 && rng.chance(0.6) ? rng.pick(companies) : undefined;
    const lang: Lang = company ? companyLang.get(company)! : rng.chance(0.55) ? 'pt' : 'es';
    const first = rng.pick(FIRST_NAMES[lang]);
    const last = rng.pick(LAST_NAMES[lang]);
    const owner = pickUser();
    const mobile = rng.chance(0.7);
    const fields = [
      customField(FIELDS.contactPhone, 'PHONE', 'multitext', {
        value: phoneNumber(rng, lang),
        enum_id: mobile ? ENUM.phoneMobile : ENUM.phoneWork,
        enum_code: mobile ? 'MOB' : 'WORK',
      }),
    ];
    if (rng.chance(0.8)) {
      const domain = company
        ? companyDomain.get(company)!
        : rng.pick(lang === 'pt' ? ['gmail.com', 'hotmail.com', 'outlook.com', 'uol.com.br'] : ['gmail.com', 'hotmail.com', 'outlook.com', 'yahoo.es']);
      const email = `${slug(first)}.${slug(last)}@${domain}`;
      fields.push(customField(FIELDS.contactEmail, 'EMAIL', 'multitext', { value: email, enum_id: ENUM.emailWork, enum_code: 'WORK' }));
    }
    const contact: Contact = {
      ...newRecord(`${first} ${last}`, owner.id, fields),
      first_name: first,
      last_name: last,
      is_unsorted: false,
      _embedded: { tags: [], companies: [] },
    };
    contacts.push(contact);
    contactLang.set(contact, lang);
    if (company) contactCompany.set(contact, company);
  }
  return { contacts, contactLang, contactCompany };
}

/** Leads over two years (denser towards the anchor), each with its contacts, company, outcome and price. */
function buildLeads(
  { rng, anchor, windowStart, todayStart, pickUser }: SeedContext,
  leadCount: number,
  pipelines: Pipeline[],
  lossReasons: LossReason[],
  { companies, companyLang }: CompanyDrafts,
  { contacts, contactLang, contactCompany }: ContactDrafts,
): LeadLinks {
  const openStages = pipelines.map((p) => ({
    incoming: p._embedded.statuses.find((st) => st.type === 1)!.id,
    regular: p._embedded.statuses.filter((st) => st.type === 0 && st.id !== WON_STATUS_ID && st.id !== LOST_STATUS_ID).map((st) => st.id),
  }));

  // Lead creation times: denser towards the anchor (a growing account), a few always "today".
  const span = anchor - windowStart;
  const times: number[] = [];
  for (let i = 0; i < leadCount; i++) times.push(windowStart + Math.floor(span * Math.sqrt(rng.next())));
  times.sort((a, b) => a - b);
  const createdToday = times.filter((t) => t >= todayStart).length;
  for (let k = createdToday; k < Math.min(3, leadCount); k++) times[leadCount - 1 - k] = between(rng, todayStart, anchor);
  times.sort((a, b) => a - b);

  const leadContacts = new Map<Lead, Contact[]>();
  const leadCompany = new Map<Lead, Company>();
  const leads: Lead[] = [];
  for (const [i, createdAt] of times.entries()) {
    const contact = rng.pick(contacts);
    const lang = contactLang.get(contact)!;
    const pipelineIndex = rng.chance(0.15) ? 2 : lang === 'es' ? (rng.chance(0.8) ? 1 : 0) : rng.chance(0.9) ? 0 : 1;
    const pipeline = pipelines[pipelineIndex]!;
    const spec = PIPELINE_SPECS[pipelineIndex]!;
    const company = contactCompany.get(contact) ?? (companies.length > 0 && rng.chance(0.3) ? rng.pick(companies) : undefined);

    let outcome = rng.weighted(OUTCOMES);
    if (outcome !== 'open' && anchor - createdAt < 7 * DAY && rng.chance(0.5)) outcome = 'open';
    let closedAt: number | null = null;
    let statusId: number;
    let lossReasonId: number | null = null;
    if (outcome === 'open') {
      const stages = openStages[pipelineIndex]!;
      statusId = rng.chance(0.1) ? stages.incoming : rng.pick(stages.regular);
    } else {
      statusId = outcome === 'won' ? WON_STATUS_ID : LOST_STATUS_ID;
      closedAt = createdAt + 600 + Math.floor(rng.next() ** 2 * 90 * DAY);
      if (closedAt > anchor) closedAt = between(rng, createdAt, anchor);
      if (outcome === 'lost' && rng.chance(0.85)) lossReasonId = rng.pick(lossReasons).id;
    }
    const updatedAt =
      closedAt !== null ? closedAt + (rng.chance(0.3) ? Math.floor(rng.next() * (anchor - closedAt) * 0.3) : 0) : between(rng, createdAt, anchor);
    const price = rng.chance(0.08) ? 0 : Math.round(Math.exp(Math.log(800) + rng.next() * Math.log(150_000 / 800)) / 10) * 10;
    const owner = pickUser();
    const nameLang = spec.lang ?? (company ? companyLang.get(company)! : lang);
    const prefix = rng.pick(spec.lang ? LEAD_PREFIXES[nameLang] : RENEWAL_PREFIXES[nameLang]);
    const linked = [contact];
    if (rng.chance(0.1)) {
      const second = rng.pick(contacts);
      if (second !== contact) linked.push(second);
    }
    const tags = rng.chance(0.3) ? [{ ...rng.pick(TAGS) }] : [];

    const lead: Lead = {
      id: FIRST_ID.leads + i,
      name: `${prefix} ${company?.name ?? contact.name}`,
      price,
      responsible_user_id: owner.id,
      group_id: 0,
      status_id: statusId,
      pipeline_id: pipeline.id,
      loss_reason_id: lossReasonId,
      created_by: owner.id,
      updated_by: owner.id,
      created_at: createdAt,
      updated_at: updatedAt,
      closed_at: closedAt,
      closest_task_at: null,
      is_deleted: false,
      custom_fields_values: null,
      score: null,
      account_id: ACCOUNT_ID,
      labor_cost: null,
      _embedded: { tags, companies: [], contacts: [] },
    };
    leads.push(lead);
    leadContacts.set(lead, linked);
    if (company) leadCompany.set(lead, company);
  }

  // Make sure one won and one lost lead closed "today" (account timezone), for dashboards and reports.
  for (const statusId of [WON_STATUS_ID, LOST_STATUS_ID]) {
    for (let i = leads.length - 1; i >= 0; i--) {
      const lead = leads[i]!;
      if (lead.status_id !== statusId || lead.created_at >= todayStart) continue;
      if (lead.closed_at! < todayStart) {
        lead.closed_at = between(rng, todayStart, anchor);
        lead.updated_at = Math.max(lead.updated_at, lead.closed_at);
      }
      break;
    }
  }
  return { leads, leadContacts, leadCompany };
}

/** Gives contacts and companies their dates (before their first lead) and ids (in creation order), and links them. */
function numberContactsAndCompanies(
  { rng, anchor, windowStart }: SeedContext,
  { leads, leadContacts, leadCompany }: LeadLinks,
  { contacts, contactCompany }: ContactDrafts,
  { companies }: CompanyDrafts,
): void {
  // Contacts and companies exist before their first lead; then number them in creation order.
  const firstSeen = new Map<Contact | Company, number>();
  const seen = (entity: Contact | Company, at: number): void => {
    const prev = firstSeen.get(entity);
    if (prev === undefined || at < prev) firstSeen.set(entity, at);
  };
  for (const lead of leads) {
    for (const contact of leadContacts.get(lead)!) seen(contact, lead.created_at);
    const company = leadCompany.get(lead);
    if (company) seen(company, lead.created_at);
  }
  for (const contact of contacts) {
    const first = firstSeen.get(contact);
    contact.created_at = first === undefined ? between(rng, windowStart, anchor) : Math.max(windowStart, first - rng.int(0, 3 * DAY));
    contact.updated_at = between(rng, contact.created_at, anchor);
    const company = contactCompany.get(contact);
    if (company) seen(company, contact.created_at);
  }
  for (const company of companies) {
    const first = firstSeen.get(company);
    company.created_at = first === undefined ? between(rng, windowStart, anchor) : Math.max(windowStart, first - rng.int(0, 7 * DAY));
    company.updated_at = between(rng, company.created_at, anchor);
  }
  for (const [i, company] of companies.sort(byCreation).entries()) company.id = FIRST_ID.companies + i;
  for (const [i, contact] of contacts.sort(byCreation).entries()) contact.id = FIRST_ID.contacts + i;
  for (const contact of contacts) {
    const company = contactCompany.get(contact);
    if (company) contact._embedded.companies.push({ id: company.id });
  }
  for (const lead of leads) {
    lead._embedded.contacts = leadContacts.get(lead)!.map((c, k) => ({ id: c.id, is_main: k === 0 }));
    const company = leadCompany.get(lead);
    if (company) lead._embedded.companies.push({ id: company.id });
  }
}

/** Tasks on leads, contacts and companies (and a few on nothing), and each record's closest open task. */
function buildTasks({ rng, anchor, windowStart, pickUser, userLang }: SeedContext, leads: Lead[], contacts: Contact[], companies: Company[]): Task[] {
  const tasks: Task[] = [];
  const taskCount = Math.round(leads.length / 2);
  for (let i = 0; i < taskCount; i++) {
    const type = rng.weighted(TASK_TARGETS);
    const entity: Lead | Contact | Company | undefined =
      type === 'leads' ? rng.pick(leads) : type === 'contacts' ? rng.pick(contacts) : type === 'companies' ? rng.pick(companies) : undefined;
    const from = entity?.created_at ?? windowStart;
    const createdAt = between(rng, from, activeUntil(entity, anchor));
    const completeTill = createdAt + rng.int(3600, 14 * DAY);
    const done = completeTill < anchor ? rng.chance(0.8) : rng.chance(0.1);
    const responsible = entity && rng.chance(0.8) ? entity.responsible_user_id : pickUser().id;
    const lang = userLang(responsible);
    const taskTypeId = rng.chance(0.7) ? 1 : 2;
    tasks.push({
      id: 0,
      created_by: responsible,
      updated_by: responsible,
      created_at: createdAt,
      updated_at: done ? Math.min(anchor, between(rng, createdAt, completeTill)) : createdAt,
      responsible_user_id: responsible,
      group_id: 0,
      entity_id: entity?.id ?? null,
      entity_type: type,
      duration: taskTypeId === 2 ? 3600 : 0,
      is_completed: done,
      task_type_id: taskTypeId,
      text: rng.pick(TASK_TEXTS[lang]),
      result: done && rng.chance(0.5) ? { text: rng.pick(TASK_RESULTS[lang]) } : [],
      complete_till: completeTill,
      account_id: ACCOUNT_ID,
    });
  }
  for (const [i, task] of tasks.sort(byCreation).entries()) task.id = FIRST_ID.tasks + i;
  const entityIndex = {
    leads: new Map(leads.map((l) => [l.id, l])),
    contacts: new Map(contacts.map((c) => [c.id, c])),
    companies: new Map(companies.map((c) => [c.id, c])),
  };
  for (const task of tasks) {
    if (task.is_completed || task.entity_type === null || task.entity_id === null) continue;
    const entity = entityIndex[task.entity_type].get(task.entity_id)!;
    if (entity.closest_task_at === null || task.complete_till < entity.closest_task_at) entity.closest_task_at = task.complete_till;
  }
  return tasks;
}

/** Notes on leads (text, calls, a few pinned), contacts and companies. */
function buildNotes({ rng, anchor, userLang }: SeedContext, leads: Lead[], contacts: Contact[], companies: Company[]): Note[] {
  const contactsById = new Map(contacts.map((c) => [c.id, c]));
  const phoneOf = (entity: Contact | Company): string => entity.custom_fields_values?.find((f) => f.field_code === 'PHONE')?.values[0]?.value ?? '';
  const notes: Note[] = [];
  const addNote = (entityType: EntityType, entity: Lead | Contact | Company, phone: string): void => {
    const createdAt = between(rng, entity.created_at, activeUntil(entity, anchor));
    const author = entity.responsible_user_id;
    const call = rng.chance(0.15);
    let noteType = 'common';
    let params: Record<string, unknown>;
    let pinned = false;
    if (call) {
      noteType = rng.chance(0.5) ? 'call_in' : 'call_out';
      const uniq = uuid(rng);
      params = { uniq, duration: rng.int(20, 900), source: 'Telefonia', link: `https://calls.sandbox.example/${uniq}.mp3`, phone };
    } else {
      params = { text: rng.pick(NOTE_TEXTS[userLang(author)]) };
      pinned = entityType === 'leads' && rng.chance(0.06);
    }
    notes.push({
      id: 0,
      entity_id: entity.id,
      entity_type: entityType,
      created_by: author,
      updated_by: author,
      created_at: createdAt,
      updated_at: createdAt,
      responsible_user_id: author,
      group_id: 0,
      note_type: noteType,
      params,
      account_id: ACCOUNT_ID,
      is_pinned: pinned,
    });
  };
  for (const lead of leads) {
    if (!rng.chance(0.35)) continue;
    const main = contactsById.get(lead._embedded.contacts[0]!.id)!;
    const count = rng.int(1, 3);
    for (let k = 0; k < count; k++) addNote('leads', lead, phoneOf(main));
  }
  for (const contact of contacts) if (rng.chance(0.1)) addNote('contacts', contact, phoneOf(contact));
  for (const company of companies) if (rng.chance(0.1)) addNote('companies', company, phoneOf(company));
  for (const [i, note] of notes.sort(byCreation).entries()) note.id = FIRST_ID.notes + i;
  return notes;
}

export function seedStore(options: SeedOptions): SandboxStore {
  const rng = new Rng(options.seed);
  const anchor = Math.floor(options.anchor / 1000);
  const windowStart = anchor - 730 * DAY;
  const leadCount = Math.max(0, Math.floor(options.leads));

  const { users, langs: userLangs } = buildUsers();
  const userWeights = users.map((u) => [u, u.rights.is_admin ? 1 : 3] as const);
  const ctx: SeedContext = {
    rng,
    anchor,
    windowStart,
    todayStart: startOfLocalDay(options.timezone, options.anchor),
    pickUser: () => rng.weighted(userWeights),
    userLang: (userId) => userLangs.get(userId) ?? 'pt',
  };
  const pipelines = buildPipelines();
  const lossReasons = buildLossReasons(windowStart);
  const bots = buildBots(windowStart);
  const companyDrafts = draftCompanies(ctx, leadCount);
  const contactDrafts = draftContacts(ctx, leadCount, companyDrafts);
  const links = buildLeads(ctx, leadCount, pipelines, lossReasons, companyDrafts, contactDrafts);
  numberContactsAndCompanies(ctx, links, contactDrafts, companyDrafts);
  const { leads } = links;
  const { contacts } = contactDrafts;
  const { companies } = companyDrafts;
  const tasks = buildTasks(ctx, leads, contacts, companies);
  const notes = buildNotes(ctx, leads, contacts, companies);

  return {
    account: buildAccount(options, users[0]!.id),
    users,
    pipelines,
    lossReasons,
    bots,
    leads,
    contacts,
    companies,
    tasks,
    notes,
    botRuns: [],
    botStops: [],
    nextId: {
      leads: FIRST_ID.leads + leads.length,
      contacts: FIRST_ID.contacts + contacts.length,
      companies: FIRST_ID.companies + companies.length,
      tasks: FIRST_ID.tasks + tasks.length,
      notes: FIRST_ID.notes + notes.length,
    },
  };
}
