import { findById, type User } from '../store.js';
import { hal, noContent, problem, type Reply } from '../responses.js';
import { child, intSet, withSet } from '../query.js';
import { idParam, links, type RequestContext } from './context.js';
import { isReply, pagedReply, readPaging } from './paging.js';

function renderUser(ctx: RequestContext, user: User, extras: Set<string>): unknown {
  const embedded: Record<string, unknown[]> = {};
  if (extras.has('role')) embedded['roles'] = [];
  if (extras.has('group')) embedded['groups'] = [];
  return {
    ...user,
    _links: links(ctx, `/api/v4/users/${user.id}`),
    ...(Object.keys(embedded).length > 0 ? { _embedded: embedded } : {}),
  };
}

/** Users are an administrator-only method: the non-admin token gets 403 problem JSON. */
function forbidden(ctx: RequestContext): Reply | undefined {
  return ctx.user.rights.is_admin ? undefined : problem(403, 'Access denied: this method is available to administrators only');
}

export function listUsers(ctx: RequestContext): Reply {
  const denied = forbidden(ctx);
  if (denied) return denied;
  const paging = readPaging(ctx);
  if (isReply(paging)) return paging;
  const ids = intSet(child(child(ctx.query, 'filter'), 'id'));
  const users = ctx.store.users.filter((u) => !ids || ids.has(u.id));
  const extras = withSet(ctx.query);
  return pagedReply(ctx, paging, 'users', users, (u) => renderUser(ctx, u, extras), { totals: true });
}

export function getUser(ctx: RequestContext): Reply {
  const denied = forbidden(ctx);
  if (denied) return denied;
  const user = findById(ctx.store.users, idParam(ctx));
  return user ? hal(renderUser(ctx, user, withSet(ctx.query))) : noContent();
}
