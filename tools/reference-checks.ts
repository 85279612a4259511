/**
 * Ids a write names that only Kommo's data can judge (stage, pipeline, loss reason, Salesbot) are
 * checked by reading before writing. An unknown one is refused as `invalid_arguments` naming the
 * field and the valid choices: no write was sent, so the call's unit is given back. The reference
 * lists are refetched when an id is missing (it may be newer than the cache), at most once per
 * cache lifetime per kind (`ReferenceData.refresh`), so a flood of unknown ids cannot turn into a
 * flood of reads.
 */
import { InvalidArguments, KommoNotFound } from '../src/errors.js';
import type { KommoApi } from '../src/kommo/api.js';
import type { ReferenceData, ReferenceKind } from '../src/kommo/reference.js';
import { LOST_STATUS_ID, WON_STATUS_ID, type LossReason, type Pipeline } from '../src/kommo/types.js';

/** Choices listed in a message; the rest are counted ("and 12 more"). */
const MAX_LISTED = 25;

const isClosed = (id: number): boolean => id === WON_STATUS_ID || id === LOST_STATUS_ID;

export interface StageTarget {
  status_id?: number | undefined;
  pipeline_id?: number | undefined;
}

/** The account's pipelines, after checking that `target` names an existing pipeline and stage. */
export async function checkStage(reference: ReferenceData, target: StageTarget, signal: AbortSignal): Promise<Pipeline[]> {
  const pipelines = await withRefresh(
    reference,
    'pipelines',
    () => reference.pipelines(signal),
    (p) => !stageProblem(p, target),
    signal,
  );
  const problem = stageProblem(pipelines, target);
  if (problem) throw problem;
  return pipelines;
}

export async function checkLossReason(reference: ReferenceData, id: number | undefined, signal: AbortSignal): Promise<void> {
  if (id === undefined) return;
  const known = (reasons: LossReason[]) => reasons.some((r) => r.id === id);
  const reasons = await withRefresh(reference, 'loss_reasons', () => reference.lossReasons(signal), known, signal);
  if (known(reasons)) return;
  throw invalid('loss_reason_id', `There is no loss reason ${id} in this account`, reasons);
}

/**
 * Kommo has no list of Salesbots, only a read by id that answers 204 when the bot does not exist.
 * Accounts whose API lacks that read (404) cannot be checked: the run itself then tells.
 */
export async function checkBot(kommo: KommoApi, botId: number, signal: AbortSignal): Promise<void> {
  let bot: unknown;
  try {
    bot = await kommo.bots.get(botId, { signal });
  } catch (err) {
    if (err instanceof KommoNotFound) return;
    throw err;
  }
  if (bot !== undefined) return;
  throw new InvalidArguments(
    `There is no Salesbot ${botId} in this account; Salesbot ids are shown in Kommo under Settings > Salesbot (Kommo's API cannot list them).`,
    [{ path: 'bot_id', message: `Unknown Salesbot ${botId}.` }],
  );
}

async function withRefresh<T>(
  reference: ReferenceData,
  kind: ReferenceKind,
  read: () => Promise<T>,
  known: (value: T) => boolean,
  signal: AbortSignal,
): Promise<T> {
  const cached = await read();
  if (known(cached)) return cached;
  await reference.refresh(kind, signal);
  return read();
}

function stageProblem(pipelines: Pipeline[], { status_id, pipeline_id }: StageTarget): InvalidArguments | undefined {
  const pipeline = pipeline_id === undefined ? undefined : pipelines.find((p) => p.id === pipeline_id);
  if (pipeline_id !== undefined && !pipeline) return invalid('pipeline_id', `There is no pipeline ${pipeline_id} in this account`, pipelines);
  if (status_id === undefined || isClosed(status_id)) return undefined;
  const candidates = pipeline ? [pipeline] : pipelines;
  if (candidates.some((p) => p._embedded?.statuses?.some((s) => s.id === status_id))) return undefined;
  const stages = candidates.flatMap((p) =>
    (p._embedded?.statuses ?? []).map((s) => ({ id: s.id, name: pipeline ? s.name : `${s.name} (pipeline ${p.name})` })),
  );
  const where = pipeline ? `pipeline ${pipeline.id} ${JSON.stringify(pipeline.name)}` : 'any pipeline of this account';
  return invalid('status_id', `There is no stage ${status_id} in ${where}`, stages);
}

function invalid(field: string, what: string, options: ReadonlyArray<{ id: number; name: string }>): InvalidArguments {
  const choices = options.slice(0, 100).map(({ id, name }) => ({ id, name }));
  const listed = choices.slice(0, MAX_LISTED).map((c) => `${c.id} ${JSON.stringify(c.name)}`);
  const more = options.length > MAX_LISTED ? ` and ${options.length - MAX_LISTED} more` : '';
  const valid = choices.length === 0 ? 'there are none to choose from' : `valid ${field} values: ${listed.join(', ')}${more}`;
  return new InvalidArguments(`${what}; ${valid}.`, [{ path: field, message: `${what}.`, choices }]);
}
