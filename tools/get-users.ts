import { z } from 'zod';
import type { User } from '../src/kommo/types.js';
import { defineTool } from './define.js';

/** 4 pages of 250: larger teams get the first 1000 and `truncated: true`. */
const MAX_PAGES = 4;

/** What an agent needs to name and assign people; the per-entity rights matrix stays out. */
function summarise(user: User & { lang?: string; rights?: { group_id?: number | null; role_id?: number | null } }) {
  return {
    id: user.id,
    name: user.name,
    email: user.email ?? null,
    is_admin: user.rights?.is_admin ?? false,
    is_active: user.rights?.is_active ?? true,
    group_id: user.rights?.group_id ?? null,
    role_id: user.rights?.role_id ?? null,
  };
}

export default defineTool({
  name: 'get_users',
  title: 'Users',
  description: "The account's users (id, name, e-mail, admin, active): names for responsible_user_id, assignees.",
  kind: 'read',
  peopleText: true,
  input: z.object({}).strict(),
  async run(_args, { kommo, signal }) {
    const users: ReturnType<typeof summarise>[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      const result = await kommo.users.list({ limit: 250, page }, { signal });
      users.push(...result.items.map(summarise));
      if (!result.hasNext) return { users, count: users.length };
    }
    return { users, count: users.length, truncated: true };
  },
});
