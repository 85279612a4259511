/** The Kommo API v4 routes the sandbox serves. */
import type { Handler } from './handlers/context.js';
import { getAccount } from './handlers/account.js';
import { getBot, runBot, runBots, stopBot } from './handlers/bots.js';
import { getCompany, listCompanies } from './handlers/companies.js';
import { getContact, listContacts } from './handlers/contacts.js';
import { createLeads, getLead, listLeads, updateLead, updateLeads } from './handlers/leads.js';
import { getLossReason, listLossReasons } from './handlers/loss-reasons.js';
import { createNotes, getNote, listEntityNotes, listNotesOfType, pinNote, unpinNote } from './handlers/notes.js';
import { getPipeline, getStatus, listPipelines, listStatuses } from './handlers/pipelines.js';
import { createTasks, getTask, listTasks } from './handlers/tasks.js';
import { getUser, listUsers } from './handlers/users.js';

interface Route {
  method: string;
  pattern: RegExp;
  handler: Handler;
}

const ID = '(?<id>\\d+)';
const TYPE = '(?<type>leads|contacts|companies)';

function route(method: string, path: string, handler: Handler): Route {
  return { method, pattern: new RegExp(`^/api/v4${path}$`), handler };
}

const ROUTES: readonly Route[] = [
  route('GET', '/account', getAccount),

  route('GET', '/leads', listLeads),
  route('POST', '/leads', createLeads),
  route('PATCH', '/leads', updateLeads),
  route('GET', '/leads/pipelines', listPipelines),
  route('GET', `/leads/pipelines/${ID}`, getPipeline),
  route('GET', `/leads/pipelines/${ID}/statuses`, listStatuses),
  route('GET', `/leads/pipelines/${ID}/statuses/(?<statusId>\\d+)`, getStatus),
  route('GET', '/leads/loss_reasons', listLossReasons),
  route('GET', `/leads/loss_reasons/${ID}`, getLossReason),
  route('GET', `/leads/${ID}`, getLead),
  route('PATCH', `/leads/${ID}`, updateLead),

  route('GET', '/contacts', listContacts),
  route('GET', `/contacts/${ID}`, getContact),
  route('GET', '/companies', listCompanies),
  route('GET', `/companies/${ID}`, getCompany),

  route('GET', '/tasks', listTasks),
  route('POST', '/tasks', createTasks),
  route('GET', `/tasks/${ID}`, getTask),

  route('GET', '/users', listUsers),
  route('GET', `/users/${ID}`, getUser),

  route('GET', `/${TYPE}/notes`, listNotesOfType),
  route('POST', `/${TYPE}/notes`, createNotes),
  route('GET', `/${TYPE}/notes/${ID}`, getNote),
  route('POST', `/${TYPE}/notes/${ID}/pin`, pinNote),
  route('POST', `/${TYPE}/notes/${ID}/unpin`, unpinNote),
  route('GET', `/${TYPE}/(?<entityId>\\d+)/notes`, listEntityNotes),
  route('POST', `/${TYPE}/(?<entityId>\\d+)/notes`, createNotes),

  route('POST', '/bots/run', runBots),
  route('GET', `/bots/${ID}`, getBot),
  route('POST', `/bots/${ID}/run`, runBot),
  route('POST', `/bots/${ID}/stop`, stopBot),
];

export type RouteMatch = { kind: 'found'; handler: Handler; params: Record<string, string> } | { kind: 'method-not-allowed' } | { kind: 'not-found' };

/** Matches a pathname (a trailing slash is ignored, as Kommo's own `/users/` links have one). */
export function matchRoute(method: string, pathname: string): RouteMatch {
  const path = pathname.length > 1 ? pathname.replace(/\/+$/, '') : pathname;
  let pathMatched = false;
  for (const r of ROUTES) {
    const match = r.pattern.exec(path);
    if (!match) continue;
    if (r.method !== method) {
      pathMatched = true;
      continue;
    }
    return { kind: 'found', handler: r.handler, params: { ...match.groups } };
  }
  return pathMatched ? { kind: 'method-not-allowed' } : { kind: 'not-found' };
}
