import { z } from 'zod';
import type { Pipeline, Status } from '../src/kommo/types.js';
import { defineTool } from './define.js';
import { pipelineId } from './schemas.js';

/** A pipeline with its stages under `statuses` rather than Kommo's `_embedded.statuses`. */
function withStatuses({ _embedded, ...pipeline }: Pipeline, statuses: Status[] | undefined = _embedded?.statuses) {
  return { ...pipeline, statuses: statuses ?? [] };
}

export default defineTool({
  name: 'get_pipelines',
  title: 'List pipelines and stages',
  description:
    'Lists the sales pipelines of the account with their stages (statuses), in board order: ids, names, sort, colours, ' +
    'type (1 = the "Incoming leads" column) and which pipeline is the main one. Use it to find the pipeline_id and status_id ' +
    'that create_lead, update_lead, move_lead and get_leads take. Stages 142 (Closed - won) and 143 (Closed - lost) exist in every pipeline. ' +
    'With pipeline_id, returns only that pipeline and its stages. Answered from a short-lived cache (10 minutes by default).',
  kind: 'read',
  input: z.object({ pipeline_id: pipelineId.optional() }).strict(),
  async run({ pipeline_id }, { kommo, reference, signal }) {
    // Pipelines change rarely: served from the reference cache that reports and approvals share.
    const pipelines = await reference.pipelines(signal);
    if (pipeline_id === undefined) return { pipelines: pipelines.map((p) => withStatuses(p)) };
    const cached = pipelines.find((p) => p.id === pipeline_id);
    if (cached) {
      const { statuses, ...rest } = withStatuses(cached);
      return { pipeline: rest, statuses };
    }
    // Not in the cached list: perhaps created since; ask Kommo for this one.
    const notFound = `Pipeline ${pipeline_id}`;
    const pipeline = await kommo.getOne<Pipeline>(`/api/v4/leads/pipelines/${pipeline_id}`, { signal, notFound });
    const stages = await kommo.get<{ _embedded?: { statuses?: Status[] } }>(`/api/v4/leads/pipelines/${pipeline_id}/statuses`, {
      signal,
      notFound,
    });
    const { statuses, ...rest } = withStatuses(pipeline, stages?._embedded?.statuses ?? []);
    return { pipeline: rest, statuses };
  },
});
