/**
 * Argument fields shared by several tools, each with its description written once. Inputs are
 * strict objects: an unknown or misspelt argument is an `invalid_arguments` error, never ignored.
 */
import { z } from 'zod';

export const MAX_NAME = 255;
export const MAX_TEXT = 10_000;

/** A Kommo id; the JSON Schema says "integer, minimum 1", so the description only says whose id. */
export const recordId = (what: string) => z.number().int().positive().max(Number.MAX_SAFE_INTEGER).describe(what);

export const entityType = z.enum(['leads', 'contacts', 'companies']).describe('Record type');

export const limit = z.number().int().min(1).max(250).optional().describe('Default 50');

export const page = z.number().int().min(1).optional().describe('Default 1');

export const price = z.number().int().min(0).max(1_000_000_000_000).describe('Account currency');

export const leadName = z.string().trim().min(1).max(MAX_NAME);

/** Free text such as a note or task body. */
export const longText = (what: string) => z.string().trim().min(1).max(MAX_TEXT).describe(what);

/** Free-text search as Kommo's `query` parameter understands it. */
export const searchQuery = (what: string) => z.string().trim().min(1).max(MAX_NAME).optional().describe(what);

export const pipelineId = recordId('From get_pipelines');
export const statusId = recordId('From get_pipelines');
export const botId = recordId('Settings > Salesbot');
export const responsibleUserId = recordId('From get_users');
export const lossReasonId = recordId('From get_loss_reasons');
/** The record a note, task or Salesbot run belongs to, of the kind `entity_type` names. */
export const entityId = recordId('Record id');

/** A calendar date written YYYY-MM-DD that really exists (no 2026-02-30). */
export const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'Use the format YYYY-MM-DD.')
  .refine((s) => {
    const d = new Date(`${s}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
  }, 'Not a real calendar date.')
  .meta({ format: 'date' });

/** First and last second (unix seconds) of a YYYY-MM-DD day in UTC. */
export function utcDayBounds(day: string): { from: number; to: number } {
  const from = Date.parse(`${day}T00:00:00Z`) / 1000;
  return { from, to: from + 86_399 };
}

const YEAR_2000 = 946_684_800;
const YEAR_2100 = 4_102_444_800;
const isoDateTime = z.iso.datetime({ offset: true });

/**
 * A moment as Kommo stores it (unix seconds). Also takes an ISO 8601 date-time with a zone
 * ("2026-03-01T15:00:00-03:00" or "...Z") and converts it; a bare local time is refused because its
 * zone would be a guess. Milliseconds and out-of-range numbers are refused with a message that says
 * which mistake it looks like.
 */
export const unixTime = (what: string) =>
  z
    .union([z.number().int(), z.string().trim()], {
      error: 'Use unix seconds (an integer) or an ISO 8601 date-time with a zone, e.g. "2026-03-01T15:00:00-03:00".',
    })
    .transform((value, ctx): number => {
      let seconds: number;
      if (typeof value === 'string') {
        if (!isoDateTime.safeParse(value).success) {
          ctx.addIssue({
            code: 'custom',
            message: 'Not an ISO 8601 date-time with a zone; write e.g. "2026-03-01T15:00:00Z" or "2026-03-01T15:00:00-03:00", or pass unix seconds.',
          });
          return z.NEVER;
        }
        seconds = Math.floor(Date.parse(value) / 1000);
      } else {
        seconds = value;
      }
      if (seconds > YEAR_2100) {
        ctx.addIssue({
          code: 'custom',
          message:
            seconds > 100_000_000_000
              ? 'This looks like milliseconds; Kommo takes unix seconds (divide by 1000).'
              : 'The time is after the year 2100; check the value (unix seconds).',
        });
        return z.NEVER;
      }
      if (seconds < YEAR_2000) {
        ctx.addIssue({ code: 'custom', message: 'The time is before the year 2000; pass unix seconds (e.g. 1767225600 = 2026-01-01) or an ISO date-time.' });
        return z.NEVER;
      }
      return seconds;
    })
    .describe(`${what}: unix s or ISO 8601 with zone`);

export const paging = { limit, page };
