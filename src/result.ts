/**
 * Success results: compact JSON text (no pretty-printing, no HAL `_links`) and the same object as
 * structuredContent, so a client reading either sees the same data.
 */
import type { CallToolResult } from '@modelcontextprotocol/server';

/** Drops every `_links` key, at any depth; Kommo's HAL links only cost the model tokens. */
export function stripLinks(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripLinks);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (key !== '_links') out[key] = stripLinks(v);
  }
  return out;
}

export function toSuccessResult(data: Record<string, unknown>): CallToolResult {
  const compact = stripLinks(data) as Record<string, unknown>;
  return { content: [{ type: 'text', text: JSON.stringify(compact) }], structuredContent: compact };
}
