/**
 * The 23 tool names of the public contract (design.md section 2) and their kinds, as data. The
 * policy schema checks tool names against this list rather than against the catalogue, so a typo in
 * a policy file is caught even while a tool is being built.
 */
import type { ToolKind } from './define.js';

export const TOOL_KINDS = {
  get_account: 'read',
  get_leads: 'read',
  get_lead: 'read',
  create_lead: 'write',
  update_lead: 'write',
  move_lead: 'write',
  get_pipelines: 'read',
  get_sales_report: 'read',
  get_dashboard: 'read',
  get_contacts: 'read',
  get_companies: 'read',
  get_tasks: 'read',
  create_task: 'write',
  get_users: 'read',
  get_loss_reasons: 'read',
  get_loss_reason: 'read',
  get_notes: 'read',
  add_note: 'write',
  pin_note: 'write',
  unpin_note: 'write',
  run_salesbot: 'execute',
  stop_salesbot: 'execute',
  ask_kommo: 'read',
} as const satisfies Record<string, ToolKind>;

export type ToolName = keyof typeof TOOL_KINDS;

export const TOOL_NAMES = Object.keys(TOOL_KINDS) as readonly ToolName[];

export function isToolName(name: string): name is ToolName {
  return Object.hasOwn(TOOL_KINDS, name);
}
