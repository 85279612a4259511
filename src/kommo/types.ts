/** The parts of Kommo API v4 payloads this server reads; src/kommo/api.ts is where they are fetched. */

export interface Links {
  self?: { href: string };
  next?: { href: string };
}

export interface Lead {
  id: number;
  name: string;
  price: number | null;
  responsible_user_id: number;
  status_id: number;
  pipeline_id: number;
  loss_reason_id?: number | null;
  created_by?: number;
  updated_by?: number;
  created_at: number;
  updated_at: number;
  closed_at: number | null;
  closest_task_at?: number | null;
  is_deleted?: boolean;
  custom_fields_values?: unknown[] | null;
  _embedded?: Record<string, unknown>;
}

export interface Contact {
  id: number;
  name: string;
  first_name?: string;
  last_name?: string;
  responsible_user_id: number;
  created_at: number;
  updated_at: number;
  custom_fields_values?: Array<{ field_code?: string; field_name?: string; values: Array<{ value: unknown }> }> | null;
}

export interface Company {
  id: number;
  name: string;
  responsible_user_id: number;
  created_at: number;
  updated_at: number;
}

export interface Task {
  id: number;
  text: string;
  entity_id: number | null;
  entity_type: string | null;
  responsible_user_id: number;
  is_completed: boolean;
  task_type_id: number;
  complete_till: number;
  created_at: number;
  updated_at: number;
}

export interface Note {
  id: number;
  entity_id: number;
  note_type: string;
  params?: Record<string, unknown>;
  is_pinned?: boolean;
  created_at: number;
  updated_at: number;
}

export interface Status {
  id: number;
  name: string;
  sort: number;
  pipeline_id: number;
  type: number;
  color?: string;
}

export interface Pipeline {
  id: number;
  name: string;
  sort: number;
  is_main: boolean;
  is_archive?: boolean;
  _embedded?: { statuses?: Status[] };
}

export interface User {
  id: number;
  name: string;
  email?: string;
  /** The user's interface language ("pt", "es", "en", …). */
  lang?: string;
  rights?: { is_admin?: boolean; is_active?: boolean };
}

export interface LossReason {
  id: number;
  name: string;
  sort?: number;
}

export interface Account {
  id: number;
  name: string;
  subdomain: string;
  /** The user the token acts as. */
  current_user_id?: number;
  /** The account's language, where Kommo states it ("pt", "es", "en", …). */
  language?: string;
  currency?: string;
  currency_symbol?: string;
  country?: string;
  _embedded?: {
    datetime_settings?: { timezone?: string; timezone_offset?: string };
    task_types?: Array<{ id: number; name: string; code?: string | null }>;
  };
}

/** The languages this server writes in for people (approval forms); others fall back to English. */
export type AccountLanguage = 'pt' | 'es' | 'en';

/** "pt-BR" → "pt"; anything but pt / es / en → undefined. */
export function toAccountLanguage(code: string | undefined): AccountLanguage | undefined {
  const base = code?.trim().toLowerCase().split(/[-_]/)[0];
  return base === 'pt' || base === 'es' || base === 'en' ? base : undefined;
}

/** Kommo's fixed stage ids, present in every pipeline. */
export const WON_STATUS_ID = 142;
export const LOST_STATUS_ID = 143;
