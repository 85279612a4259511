import { findById, findEntity, type BotRun } from '../store.js';
import { hal, accepted, noContent, problem, type Reply } from '../responses.js';
import { ValidationErrors, readBatch, readObject, type FieldChecks, type JsonObject } from '../validation.js';
import { idParam, links, type RequestContext } from './context.js';

/** GET /api/v4/bots/{id} — 204 when the bot does not exist (documented). */
export function getBot(ctx: RequestContext): Reply {
  const bot = findById(ctx.store.bots, idParam(ctx));
  return bot ? hal({ ...bot, _links: links(ctx, `/api/v4/bots/${bot.id}`) }) : noContent();
}

const botNotFound = (): Reply => problem(404, 'Bot not found');

/** `entity_id` must be a positive id of an existing entity of that type. */
function readTarget<T extends 'leads' | 'contacts'>(
  ctx: RequestContext,
  checks: FieldChecks,
  item: JsonObject,
  types: readonly T[],
): { entity_id: number; entity_type: T } | undefined {
  const entityId = checks.positiveInt(item, 'entity_id', true);
  const entityType = checks.choice(item, 'entity_type', types, true);
  if (entityId === undefined || entityType === undefined) return undefined;
  if (!findEntity(ctx.store, entityType, entityId)) {
    checks.notSupported('entity_id');
    return undefined;
  }
  return { entity_id: entityId, entity_type: entityType };
}

/** POST /api/v4/bots/run — array of {bot_id, entity_id, entity_type: leads|contacts} → 202; unknown bot → 404. */
export function runBots(ctx: RequestContext): Reply {
  const errors = new ValidationErrors();
  const batch = readBatch(ctx.body, errors, false) ?? [];
  const runs: BotRun[] = [];
  for (const { item, checks } of batch) {
    const botId = checks.positiveInt(item, 'bot_id', true);
    const target = readTarget(ctx, checks, item, ['leads', 'contacts'] as const);
    if (botId !== undefined && target) runs.push({ bot_id: botId, ...target, created_at: ctx.now });
  }
  if (!errors.isEmpty) return errors.toReply();
  if (runs.some((run) => !findById(ctx.store.bots, run.bot_id))) return botNotFound();
  ctx.store.botRuns.push(...runs);
  return accepted();
}

/** POST /api/v4/bots/{id}/run — one object {entity_id, entity_type} → 202. */
export function runBot(ctx: RequestContext): Reply {
  const errors = new ValidationErrors();
  const item = readObject(ctx.body, errors);
  const target = item && readTarget(ctx, errors.item('0', ''), item, ['leads', 'contacts'] as const);
  if (!target || !errors.isEmpty) return errors.toReply();
  const bot = findById(ctx.store.bots, idParam(ctx));
  if (!bot) return botNotFound();
  ctx.store.botRuns.push({ bot_id: bot.id, ...target, created_at: ctx.now });
  return accepted();
}

/** POST /api/v4/bots/{id}/stop — object {entity_id, entity_type: "leads"} (leads only) → 202. */
export function stopBot(ctx: RequestContext): Reply {
  const errors = new ValidationErrors();
  const item = readObject(ctx.body, errors);
  const target = item && readTarget(ctx, errors.item('0', ''), item, ['leads'] as const);
  if (!target || !errors.isEmpty) return errors.toReply();
  const bot = findById(ctx.store.bots, idParam(ctx));
  if (!bot) return botNotFound();
  ctx.store.botStops.push({ bot_id: bot.id, ...target, created_at: ctx.now });
  return accepted();
}
