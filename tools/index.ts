/**
 * The catalogue: every tool the server offers, in the order tools/list shows them.
 * Names and argument names are those of the original Kommo-MCP (design.md section 2).
 */
import type { AnyTool } from './define.js';
import createLead from './create-lead.js';
import getAccount from './get-account.js';
import getLead from './get-lead.js';
import getLeads from './get-leads.js';

export const catalogue: readonly AnyTool[] = [
  getAccount,
  getLeads,
  getLead,
  createLead,
];

export const toolNames: readonly string[] = catalogue.map((t) => t.name);
