import { findById, type LossReason } from '../store.js';
import { hal, problem, type Reply } from '../responses.js';
import { idParam, links, type RequestContext } from './context.js';

export function renderLossReason(ctx: RequestContext, reason: LossReason): unknown {
  return { ...reason, _links: links(ctx, `/api/v4/leads/loss_reasons/${reason.id}`) };
}

/** GET /api/v4/leads/loss_reasons — `_total_items`, not paginated. */
export function listLossReasons(ctx: RequestContext): Reply {
  const reasons = ctx.store.lossReasons;
  return hal({
    _total_items: reasons.length,
    _links: links(ctx, '/api/v4/leads/loss_reasons'),
    _embedded: { loss_reasons: reasons.map((r) => renderLossReason(ctx, r)) },
  });
}

export function getLossReason(ctx: RequestContext): Reply {
  const reason = findById(ctx.store.lossReasons, idParam(ctx));
  return reason ? hal(renderLossReason(ctx, reason)) : problem(404, 'Loss reason not found');
}
