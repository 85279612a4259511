/**
 * Argument fields shared by several tools, each with its description written once. Inputs are
 * strict objects: an unknown or misspelt argument is an `invalid_arguments` error, never ignored.
 */
import { z } from 'zod';

export const MAX_NAME = 255;
export const MAX_TEXT = 10_000;

export const recordId = (what: string) =>
  z.number().int().positive().max(Number.MAX_SAFE_INTEGER).describe(`${what} (positive integer id from Kommo).`);

export const entityType = z
  .enum(['leads', 'contacts', 'companies'])
  .describe('Kind of record: "leads", "contacts" or "companies".');

export const limit = z
  .number()
  .int()
  .min(1)
  .max(250)
  .optional()
  .describe('Records per page, 1 to 250 (Kommo maximum). Default 50.');

export const page = z.number().int().min(1).max(10_000).optional().describe('Page number, starting at 1. Default 1.');

export const price = z
  .number()
  .int()
  .min(0)
  .max(1_000_000_000_000)
  .describe("Deal value as a whole number in the account's currency (no cents).");

export const leadName = z.string().trim().min(1).max(MAX_NAME);

/** A calendar date written YYYY-MM-DD that really exists (no 2026-02-30). */
export const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'Use the format YYYY-MM-DD.')
  .refine((s) => {
    const d = new Date(`${s}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
  }, 'Not a real calendar date.');

export const paging = { limit, page };
