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
    'With pipeline_id, returns only that pipeline and its stages.',
  kind: 'read',
  input: z.object({ pipeline_id: pipelineId.optional() }).strict(),
  async run({ pipeline_id }, { kommo, signal }) {
    if (pipeline_id === undefined) {
      const body = await kommo.get<{ _embedded?: { pipelines?: Pipeline[] } }>('/api/v4/leads/pipelines', { signal });
      return { pipelines: (body?._embedded?.pipelines ?? []).map((p) => withStatuses(p)) };
    }
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
