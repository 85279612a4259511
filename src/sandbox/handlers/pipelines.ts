import { findById, type Pipeline, type Status } from '../store.js';
import { hal, problem, type Reply } from '../responses.js';
import { idParam, links, type RequestContext } from './context.js';

function renderStatus(ctx: RequestContext, status: Status): unknown {
  return { ...status, _links: links(ctx, `/api/v4/leads/pipelines/${status.pipeline_id}/statuses/${status.id}`) };
}

function renderPipeline(ctx: RequestContext, pipeline: Pipeline): unknown {
  const { _embedded, ...fields } = pipeline;
  return {
    ...fields,
    _links: links(ctx, `/api/v4/leads/pipelines/${pipeline.id}`),
    _embedded: { statuses: _embedded.statuses.map((s) => renderStatus(ctx, s)) },
  };
}

/** GET /api/v4/leads/pipelines — not paginated. */
export function listPipelines(ctx: RequestContext): Reply {
  const pipelines = ctx.store.pipelines;
  return hal({
    _total_items: pipelines.length,
    _links: links(ctx, '/api/v4/leads/pipelines'),
    _embedded: { pipelines: pipelines.map((p) => renderPipeline(ctx, p)) },
  });
}

const pipelineNotFound = (): Reply => problem(404, 'Pipeline not found');

export function getPipeline(ctx: RequestContext): Reply {
  const pipeline = findById(ctx.store.pipelines, idParam(ctx));
  return pipeline ? hal(renderPipeline(ctx, pipeline)) : pipelineNotFound();
}

export function listStatuses(ctx: RequestContext): Reply {
  const pipeline = findById(ctx.store.pipelines, idParam(ctx));
  if (!pipeline) return pipelineNotFound();
  const statuses = pipeline._embedded.statuses;
  return hal({
    _total_items: statuses.length,
    _links: links(ctx, `/api/v4/leads/pipelines/${pipeline.id}/statuses`),
    _embedded: { statuses: statuses.map((s) => renderStatus(ctx, s)) },
  });
}

export function getStatus(ctx: RequestContext): Reply {
  const pipeline = findById(ctx.store.pipelines, idParam(ctx));
  if (!pipeline) return pipelineNotFound();
  const status = findById(pipeline._embedded.statuses, idParam(ctx, 'statusId'));
  return status ? hal(renderStatus(ctx, status)) : problem(404, 'Status not found');
}
