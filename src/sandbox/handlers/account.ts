import { hal, type Reply } from '../responses.js';
import { withSet } from '../query.js';
import { links, type RequestContext } from './context.js';

/** GET /api/v4/account — top-level fields always; `with=` adds the rest (there is no top-level timezone). */
export function getAccount(ctx: RequestContext): Reply {
  const { amojo_id, version, drive_url, _embedded, ...fields } = ctx.store.account;
  const extras = withSet(ctx.query);
  const embedded: Record<string, unknown> = {};
  for (const key of Object.keys(_embedded) as (keyof typeof _embedded)[]) {
    if (extras.has(key)) embedded[key] = _embedded[key];
  }
  return hal({
    ...fields,
    current_user_id: ctx.user.id,
    ...(extras.has('amojo_id') ? { amojo_id } : {}),
    ...(extras.has('version') ? { version } : {}),
    ...(extras.has('drive_url') ? { drive_url } : {}),
    _links: links(ctx, '/api/v4/account'),
    ...(Object.keys(embedded).length > 0 ? { _embedded: embedded } : {}),
  });
}
