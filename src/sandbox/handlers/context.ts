import type { QueryObject, RawQuery } from '../query.js';
import type { Reply } from '../responses.js';
import type { SandboxStore, User } from '../store.js';

/** Everything a route handler sees of one authenticated request. */
export interface RequestContext {
  store: SandboxStore;
  /** Path parameters from the route pattern. */
  params: Record<string, string>;
  /** Path without the origin, as requested (used for `_links.self` of lists). */
  path: string;
  rawQuery: RawQuery;
  query: QueryObject;
  body: unknown;
  /** The sandbox origin, e.g. http://127.0.0.1:41234 — links point back at the sandbox. */
  baseUrl: string;
  /** now() at arrival, in unix seconds (created_at / updated_at / closed_at of writes). */
  now: number;
  /** The user the bearer token belongs to. */
  user: User;
}

export type Handler = (ctx: RequestContext) => Reply;

export interface Links {
  self: { href: string };
}

export function links(ctx: RequestContext, path: string): Links {
  return { self: { href: `${ctx.baseUrl}${path}` } };
}

/** Numeric path parameter (routes only match digits, so this cannot fail). */
export function idParam(ctx: RequestContext, name = 'id'): number {
  return Number(ctx.params[name]);
}
