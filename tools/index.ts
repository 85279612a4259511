/**
 * The catalogue: every tool the server offers, in the order tools/list shows them.
 * Names and argument names are those of the original Kommo-MCP, so existing prompts keep working.
 */
import { argumentPaths, type AnyTool, type ToolKind } from './define.js';
import createLead from './create-lead.js';
import getAccount from './get-account.js';
import getLead from './get-lead.js';
import getLeads from './get-leads.js';
import addNote from './add-note.js';
import askKommo from './ask-kommo.js';
import createTask from './create-task.js';
import getCompanies from './get-companies.js';
import getDashboard from './get-dashboard.js';
import getContacts from './get-contacts.js';
import getLossReason from './get-loss-reason.js';
import getLossReasons from './get-loss-reasons.js';
import getNotes from './get-notes.js';
import getPipelines from './get-pipelines.js';
import getSalesReport from './get-sales-report.js';
import getTasks from './get-tasks.js';
import getUsers from './get-users.js';
import moveLead from './move-lead.js';
import pinNote from './pin-note.js';
import runSalesbot from './run-salesbot.js';
import stopSalesbot from './stop-salesbot.js';
import unpinNote from './unpin-note.js';
import updateLead from './update-lead.js';

export const catalogue: readonly AnyTool[] = [
  getAccount,
  getLeads,
  getLead,
  createLead,
  updateLead,
  moveLead,
  getPipelines,
  getSalesReport,
  getDashboard,
  getContacts,
  getCompanies,
  getTasks,
  createTask,
  getUsers,
  getLossReasons,
  getLossReason,
  getNotes,
  addNote,
  pinNote,
  unpinNote,
  runSalesbot,
  stopSalesbot,
  askKommo,
];

/** Tool name → kind, in catalogue order: the one list of tool names and kinds (the policy is given it). */
export const toolKinds: ReadonlyMap<string, ToolKind> = new Map(catalogue.map((t) => [t.name, t.kind]));

/** Tool name → the argument paths it accepts, for the policy loader's checks of condition paths. */
export const toolArguments: ReadonlyMap<string, readonly string[]> = new Map(catalogue.map((t) => [t.name, argumentPaths(t)]));
