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
  title: 'Pipelines',
  description: 'Pipelines and stages in board order: the pipeline_id/status_id other tools take. 142 won, 143 lost.',
  kind: 'read',
  peopleText: true,
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
    const pipeline = await kommo.pipelines.get(pipeline_id, { signal });
    const { statuses, ...rest } = withStatuses(pipeline, await kommo.pipelines.statuses(pipeline_id, { signal }));
    return { pipeline: rest, statuses };
  },
});
