/**
 * The figures of a period, computed from the leads it concerns, with the original Kommo-MCP's
 * semantics: new = created in the period; won / lost = now in stage 142 / 143 with `closed_at` in the
 * period; revenue = sum of the won leads' prices; average = revenue / won; conversion = won / (won + lost).
 */
import type { Lead } from '../kommo/types.js';
import { LOST_STATUS_ID, WON_STATUS_ID } from '../kommo/types.js';
import { contains, type Period } from './period.js';

/** The fields of a lead that reports use; small enough to keep many in memory. */
export interface LeadFacts {
  id: number;
  price: number;
  status_id: number;
  pipeline_id: number;
  responsible_user_id: number;
  created_at: number;
  closed_at: number | null;
  updated_at: number;
}

export function toFacts(lead: Lead): LeadFacts {
  return {
    id: lead.id,
    price: typeof lead.price === 'number' && Number.isFinite(lead.price) ? Math.round(lead.price) : 0,
    status_id: lead.status_id,
    pipeline_id: lead.pipeline_id,
    responsible_user_id: lead.responsible_user_id,
    created_at: lead.created_at,
    closed_at: lead.closed_at ?? null,
    updated_at: lead.updated_at,
  };
}

export function isOpen(lead: Pick<LeadFacts, 'status_id'>): boolean {
  return lead.status_id !== WON_STATUS_ID && lead.status_id !== LOST_STATUS_ID;
}

export function isNewIn(period: Period, lead: LeadFacts): boolean {
  return contains(period, lead.created_at);
}

export function isWonIn(period: Period, lead: LeadFacts): boolean {
  return lead.status_id === WON_STATUS_ID && contains(period, lead.closed_at);
}

export function isLostIn(period: Period, lead: LeadFacts): boolean {
  return lead.status_id === LOST_STATUS_ID && contains(period, lead.closed_at);
}

export interface Figures {
  /** Distinct leads the period concerns: new, won or lost in it. */
  total: number;
  new: number;
  won: number;
  lost: number;
  /** Sum of won prices, in the account currency. */
  revenue: number;
  /** revenue / won, rounded to a whole amount; 0 without won leads. */
  average: number;
  /** won / (won + lost) in percent, two decimals; 0 without closed leads. */
  conversion_rate: number;
}

export interface LeadFilter {
  pipelineIds?: readonly number[];
  userIds?: readonly number[];
  /** Leads in one of these stages now (a stage id is only unique within its pipeline). */
  stages?: ReadonlyArray<{ pipelineId: number; statusId: number }>;
}

export function matchesFilter(lead: LeadFacts, filter: LeadFilter = {}): boolean {
  if (filter.pipelineIds && !filter.pipelineIds.includes(lead.pipeline_id)) return false;
  if (filter.userIds && !filter.userIds.includes(lead.responsible_user_id)) return false;
  if (filter.stages && !filter.stages.some((s) => s.pipelineId === lead.pipeline_id && s.statusId === lead.status_id)) return false;
  return true;
}

export function figures(period: Period, leads: Iterable<LeadFacts>, filter: LeadFilter = {}): Figures {
  const f = { total: 0, new: 0, won: 0, lost: 0, revenue: 0 };
  for (const lead of leads) {
    if (!matchesFilter(lead, filter)) continue;
    const isNew = isNewIn(period, lead);
    const won = isWonIn(period, lead);
    const lost = isLostIn(period, lead);
    if (!isNew && !won && !lost) continue;
    f.total += 1;
    if (isNew) f.new += 1;
    if (won) {
      f.won += 1;
      f.revenue += lead.price;
    }
    if (lost) f.lost += 1;
  }
  return { ...f, average: f.won > 0 ? Math.round(f.revenue / f.won) : 0, conversion_rate: conversionRate(f.won, f.lost) };
}

export function conversionRate(won: number, lost: number): number {
  return won + lost > 0 ? round2((won / (won + lost)) * 100) : 0;
}

export function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

export interface Breakdown extends Figures {
  key: number;
}

/** Figures per responsible user or per pipeline, biggest revenue first (then most leads, then id). */
export function breakdown(period: Period, leads: Iterable<LeadFacts>, by: 'user' | 'pipeline', filter: LeadFilter = {}): Breakdown[] {
  const groups = new Map<number, LeadFacts[]>();
  for (const lead of leads) {
    if (!matchesFilter(lead, filter)) continue;
    const key = by === 'user' ? lead.responsible_user_id : lead.pipeline_id;
    let list = groups.get(key);
    if (!list) {
      list = [];
      groups.set(key, list);
    }
    list.push(lead);
  }
  const rows: Breakdown[] = [];
  for (const [key, list] of groups) {
    const f = figures(period, list);
    if (f.total > 0) rows.push({ key, ...f });
  }
  return rows.sort((a, b) => b.revenue - a.revenue || b.total - a.total || a.key - b.key);
}
