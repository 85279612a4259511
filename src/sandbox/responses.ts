/** What the sandbox answers, in Kommo's formats: hal+json, problem+json, and the two HTML pages. */
import { STATUS_CODES } from 'node:http';

export interface Reply {
  status: number;
  /** Absent for 202/204. */
  body?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

export const HAL_JSON = 'application/hal+json';
export const PROBLEM_JSON = 'application/problem+json';
const HTML = 'text/html; charset=UTF-8';

export function hal(value: unknown, status = 200): Reply {
  return { status, body: JSON.stringify(value), contentType: HAL_JSON };
}

/** Kommo's answer for an empty list, a page past the end, or a missing entity by id. */
export const noContent = (): Reply => ({ status: 204 });
/** Salesbot run/stop: task accepted, no body. */
export const accepted = (): Reply => ({ status: 202 });

export function problemBody(status: number, detail: string): string {
  return JSON.stringify({ title: STATUS_CODES[status] ?? 'Error', type: `https://httpstatus.es/${status}`, status, detail });
}

export function problem(status: number, detail: string): Reply {
  return { status, body: problemBody(status, detail), contentType: PROBLEM_JSON };
}

function nginxPage(status: number): string {
  const title = `${status} ${STATUS_CODES[status] ?? ''}`.trim();
  return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
}

/** Rate limit exceeded: HTML, and no Retry-After (kommo-api §5). */
export const tooManyRequests = (): Reply => ({ status: 429, body: nginxPage(429), contentType: HTML });
/** IP block: nginx "403 Forbidden" page. */
export const ipBlocked = (): Reply => ({ status: 403, body: nginxPage(403), contentType: HTML });

const FAULT_DETAIL: Record<number, string> = {
  400: 'Bad request',
  401: 'Invalid user name or password',
  402: 'Payment required: the account subscription has expired',
  404: 'Not found',
  500: 'Internal server error',
  502: 'Bad gateway',
  503: 'Service temporarily unavailable',
  504: 'Gateway timeout',
};

/** The realistic body for an injected fault without an explicit body. */
export function faultReply(status: number): Reply {
  if (status === 429) return tooManyRequests();
  if (status === 403) return ipBlocked();
  if (status < 300 || status === 304) return { status };
  return problem(status, FAULT_DETAIL[status] ?? STATUS_CODES[status] ?? 'Error');
}
