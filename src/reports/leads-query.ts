/**
 * The filtered lead fetches reports are built from. Each is a stream of pages narrowed by Kommo's
 * server-side filters, so a report costs the pages of matching leads, never a crawl of the account:
 *   - new leads: `filter[created_at][from|to]`;
 *   - won / lost: one `filter[closed_at][from|to]` stream over every pipeline, split into won (142)
 *     and lost (143) on our side, so a period costs the same however many pipelines the account has
 *     (a stage filter per pipeline and status would cost a stream each);
 *   - leads in a stage: `filter[statuses][0]` = (pipeline, stage).
 * Kommo's `[to]` bound is inclusive, so it is sent as the period's last second; results are
 * checked against the period again on our side.
 */
import type { KommoApi } from '../kommo/api.js';
import type { Query } from '../kommo/query.js';
import { LOST_STATUS_ID, WON_STATUS_ID, type Lead } from '../kommo/types.js';
import { type PageProgress, throwIfCancelled, type ReportCall } from './context.js';
import { contains, type Period } from './period.js';

/** Upper bound per stream: 400 pages × 250 = 100,000 leads in one answer. */
const MAX_PAGES = 400;
/** Streams in flight at once; the shared pacer still keeps the process under Kommo's rate. */
const CONCURRENCY = 3;

export interface LeadStream {
  label: string;
  query: Query;
  /** Extra check on each lead (the period, re-applied on our side). */
  keep?: (lead: Lead) => boolean;
}

export interface StreamContext {
  kommo: KommoApi;
  call: ReportCall;
  progress: PageProgress;
}

export function rangeFilter(field: 'created_at' | 'closed_at' | 'updated_at', period: Period): Query {
  return { [`filter[${field}][from]`]: period.start, [`filter[${field}][to]`]: period.end - 1 };
}

export function statusFilter(pipelineId: number, statusId: number): Query {
  return { 'filter[statuses][0][pipeline_id]': pipelineId, 'filter[statuses][0][status_id]': statusId };
}

export function createdInStream(period: Period): LeadStream {
  return {
    label: `new leads ${period.from}..${period.to}`,
    query: rangeFilter('created_at', period),
    keep: (lead) => contains(period, lead.created_at),
  };
}

/** Leads closed in the period, won or lost (a lead reopened since keeps no place in won/lost figures). */
export function closedInStream(period: Period): LeadStream {
  return {
    label: `leads closed ${period.from}..${period.to}`,
    query: rangeFilter('closed_at', period),
    keep: (lead) => (lead.status_id === WON_STATUS_ID || lead.status_id === LOST_STATUS_ID) && contains(period, lead.closed_at),
  };
}

export function inStageStream(pipelineId: number, statusId: number): LeadStream {
  return {
    label: `leads in stage ${statusId} of pipeline ${pipelineId}`,
    query: statusFilter(pipelineId, statusId),
    keep: (lead) => lead.status_id === statusId && lead.pipeline_id === pipelineId,
  };
}

/** Reads every page of one stream, reporting each page and stopping as soon as the call is cancelled. */
export async function readStream(ctx: StreamContext, stream: LeadStream, stop?: { failed: boolean }): Promise<Lead[]> {
  const out: Lead[] = [];
  for await (const items of ctx.kommo.leads.pages(stream.query, { signal: ctx.call.signal, maxPages: MAX_PAGES })) {
    throwIfCancelled(ctx.call.signal);
    if (stop?.failed) break;
    for (const lead of items) if (!stream.keep || stream.keep(lead)) out.push(lead);
    await ctx.progress.page(`${stream.label}: ${out.length} leads so far`);
  }
  throwIfCancelled(ctx.call.signal);
  return out;
}

/**
 * Reads several streams, a few at a time, and returns their results in the same order. When one
 * fails, the others stop at their next page instead of spending requests on an answer that is lost.
 */
export async function readStreams(ctx: StreamContext, streams: readonly LeadStream[]): Promise<Lead[][]> {
  const results: Lead[][] = new Array(streams.length);
  const stop = { failed: false };
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < streams.length && !stop.failed) {
      const index = next++;
      try {
        results[index] = await readStream(ctx, streams[index]!, stop);
      } catch (err) {
        stop.failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, streams.length) }, worker));
  return results;
}
