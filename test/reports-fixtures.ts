/**
 * Shared ground for the report and ask_kommo tests: a sandbox whose "now" is 23:30 on Sunday
 * 2026-03-15 in São Paulo (02:30 on Monday the 16th in UTC), leads placed on purpose between 00:00
 * and 03:00 UTC at month boundaries, and expected figures computed straight from the sandbox's store
 * with São Paulo's fixed -03:00 offset — on purpose without any of the report code.
 */
import type { Lead, SandboxStore, Task } from '../src/sandbox/index.js';

export const TZ = 'America/Sao_Paulo';
/** 2026-03-15 23:30 in São Paulo. */
export const ANCHOR = Date.parse('2026-03-16T02:30:00Z');
export const WON = 142;
export const LOST = 143;

/** Unix seconds of local midnight starting a São Paulo day (no DST there since 2019). */
export function dayStart(date: string, offset = '-03:00'): number {
  return Date.parse(`${date}T00:00:00${offset}`) / 1000;
}

export interface Range {
  start: number;
  /** Exclusive. */
  end: number;
}

export function range(from: string, to: string, offset = '-03:00'): Range {
  return { start: dayStart(from, offset), end: dayStart(to, offset) + 86_400 };
}

const inRange = (r: Range, t: number | null): boolean => t !== null && t >= r.start && t < r.end;

export interface Expected {
  total: number;
  new: number;
  won: number;
  lost: number;
  revenue: number;
  average: number;
  conversion_rate: number;
}

export interface LeadScope {
  pipelineId?: number;
  userId?: number;
}

export function leadsIn(store: SandboxStore, scope: LeadScope = {}): Lead[] {
  return store.leads.filter(
    (l) => (scope.pipelineId === undefined || l.pipeline_id === scope.pipelineId) && (scope.userId === undefined || l.responsible_user_id === scope.userId),
  );
}

export function expectedFigures(store: SandboxStore, r: Range, scope: LeadScope = {}): Expected {
  const leads = leadsIn(store, scope);
  const fresh = leads.filter((l) => inRange(r, l.created_at));
  const won = leads.filter((l) => l.status_id === WON && inRange(r, l.closed_at));
  const lost = leads.filter((l) => l.status_id === LOST && inRange(r, l.closed_at));
  const revenue = won.reduce((s, l) => s + l.price, 0);
  const total = new Set([...fresh, ...won, ...lost].map((l) => l.id)).size;
  return {
    total,
    new: fresh.length,
    won: won.length,
    lost: lost.length,
    revenue,
    average: won.length ? Math.round(revenue / won.length) : 0,
    conversion_rate: won.length + lost.length ? Math.round((won.length / (won.length + lost.length)) * 10_000) / 100 : 0,
  };
}

export function openLeads(store: SandboxStore, scope: LeadScope = {}): Lead[] {
  return leadsIn(store, scope).filter((l) => l.status_id !== WON && l.status_id !== LOST);
}

export function openTasks(store: SandboxStore, userId?: number): Task[] {
  return store.tasks.filter((t) => !t.is_completed && (userId === undefined || t.responsible_user_id === userId));
}

export function overdueTasks(store: SandboxStore, nowSec: number, userId?: number): Task[] {
  return openTasks(store, userId).filter((t) => t.complete_till < nowSec);
}

/** The dashboard's `leads` and `tasks` figures on `day` (YYYY-MM-DD, São Paulo) at `nowSec`, from the store. */
export function expectedDashboardCounts(store: SandboxStore, day: string, nowSec: number): { leads: Record<string, number>; tasks: Record<string, number> } {
  const today = range(day, day);
  const monthStart = `${day.slice(0, 8)}01`;
  const [year, month] = day.split('-').map(Number) as [number, number];
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const inDay = expectedFigures(store, today);
  const inMonth = expectedFigures(store, range(monthStart, `${day.slice(0, 8)}${lastDay}`));
  return {
    leads: {
      total: store.leads.length,
      open: openLeads(store).length,
      new_today: inDay.new,
      won_today: inDay.won,
      lost_today: inDay.lost,
      new_this_month: inMonth.new,
      won_this_month: inMonth.won,
      lost_this_month: inMonth.lost,
    },
    tasks: {
      total: store.tasks.length,
      open: openTasks(store).length,
      overdue: overdueTasks(store, nowSec).length,
      completed_today: store.tasks.filter((t) => t.is_completed && t.updated_at >= today.start && t.updated_at < today.end).length,
    },
  };
}

/** Per responsible user (or pipeline): revenue of leads won in the range, biggest first. */
export function revenueBy(store: SandboxStore, r: Range, by: 'user' | 'pipeline'): Array<{ key: number; revenue: number; won: number }> {
  const rows = new Map<number, { key: number; revenue: number; won: number }>();
  for (const l of store.leads) {
    if (l.status_id !== WON || !inRange(r, l.closed_at)) continue;
    const key = by === 'user' ? l.responsible_user_id : l.pipeline_id;
    const row = rows.get(key) ?? { key, revenue: 0, won: 0 };
    row.revenue += l.price;
    row.won += 1;
    rows.set(key, row);
  }
  return [...rows.values()].sort((a, b) => b.revenue - a.revenue || a.key - b.key);
}

/**
 * Adds leads right at month boundaries, where cutting days in UTC instead of São Paulo time would
 * count them in the wrong month: created or closed between 00:00 and 03:00 UTC on the 1st.
 */
export function addBoundaryLeads(store: SandboxStore): Lead[] {
  const template = store.leads.find((l) => l.status_id === WON)!;
  const pipeline = store.pipelines[1]!;
  const make = (name: string, fields: Partial<Lead>): Lead => {
    const id = store.nextId.leads++;
    const lead: Lead = {
      ...template,
      _embedded: { tags: [], companies: [], contacts: [] },
      id,
      name,
      pipeline_id: pipeline.id,
      responsible_user_id: store.users[2]!.id,
      custom_fields_values: null,
      ...fields,
    };
    store.leads.push(lead);
    return lead;
  };
  const t = (iso: string): number => Date.parse(iso) / 1000;
  return [
    // 22:30 on Feb 28 in São Paulo, already March 1 in UTC: created and won in February.
    make('Limite fevereiro ganho', {
      created_at: t('2026-03-01T01:30:00Z'),
      closed_at: t('2026-03-01T02:10:00Z'),
      updated_at: t('2026-03-01T02:10:00Z'),
      status_id: WON,
      price: 777_770,
    }),
    // 23:59:59 on Jan 31 in São Paulo: not February.
    make('Limite janeiro', {
      created_at: t('2026-02-01T02:59:59Z'),
      closed_at: t('2026-02-01T02:59:59Z'),
      updated_at: t('2026-02-01T02:59:59Z'),
      status_id: LOST,
      price: 1_000,
    }),
    // 00:00:00 on Feb 1 in São Paulo: February's first second.
    make('Limite fevereiro início', {
      created_at: t('2026-02-01T03:00:00Z'),
      closed_at: null,
      updated_at: t('2026-02-01T03:00:00Z'),
      status_id: pipeline._embedded.statuses[1]!.id,
      price: 5_000,
    }),
    // 00:30 on Mar 15 in São Paulo ("today"), but 03:30 UTC: lost today.
    make('Limite hoje perdido', {
      created_at: t('2026-03-10T12:00:00Z'),
      closed_at: t('2026-03-15T03:30:00Z'),
      updated_at: t('2026-03-15T03:30:00Z'),
      status_id: LOST,
      price: 12_340,
    }),
    // 23:10 on Mar 14 in São Paulo (yesterday), 02:10 on the 15th in UTC: won yesterday.
    make('Limite ontem ganho', {
      created_at: t('2026-03-15T02:00:00Z'),
      closed_at: t('2026-03-15T02:10:00Z'),
      updated_at: t('2026-03-15T02:10:00Z'),
      status_id: WON,
      price: 43_210,
    }),
  ];
}

/** A clock tests can move. */
export class TestClock {
  constructor(public ms: number) {}
  readonly now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

/**
 * Grows the account to `count` pipelines, each a copy of the first one's stages under new ids, and
 * moves every lead whose index modulo `count` picks a new pipeline into it (won and lost leads stay
 * won and lost; open ones go to its first regular stage). A report's request count must not grow.
 */
export function splitIntoPipelines(store: SandboxStore, count: number): void {
  const template = store.pipelines[0]!;
  let nextId = Math.max(...store.pipelines.map((p) => p.id)) + 1;
  let nextStatus = Math.max(...store.pipelines.flatMap((p) => p._embedded.statuses.map((s) => s.id))) + 1;
  while (store.pipelines.length < count) {
    const id = nextId++;
    const statuses = template._embedded.statuses.map((s) => ({ ...s, id: s.id === WON || s.id === LOST ? s.id : nextStatus++, pipeline_id: id }));
    store.pipelines.push({
      ...template,
      id,
      name: `Pipeline ${store.pipelines.length + 1}`,
      is_main: false,
      sort: store.pipelines.length + 1,
      _embedded: { statuses },
    });
  }
  for (const [i, lead] of store.leads.entries()) {
    const target = store.pipelines[i % count]!;
    if (i % count < 3) continue;
    lead.pipeline_id = target.id;
    if (lead.status_id !== WON && lead.status_id !== LOST) lead.status_id = target._embedded.statuses[1]!.id;
  }
}
