/**
 * Shared assertions for the tool end-to-end tests: the Kommo requests a call made, a success result
 * that follows the contract (same object as text and structuredContent, no `_links`), and an
 * `invalid_arguments` refusal that names the field and reaches no Kommo endpoint.
 */
import assert from 'node:assert/strict';
import type { Harness } from './harness.js';

// biome-ignore lint/suspicious/noExplicitAny: test bodies are free-form JSON, read by path.
export type Json = Record<string, any>;

export interface KommoRequest {
  method: string;
  path: string;
  query: Record<string, unknown>;
  body: unknown;
}

/** The requests the sandbox received since the last reset, reduced to what a test pins. */
export function kommoRequests(h: Harness): KommoRequest[] {
  return h.requests().map((r) => ({
    method: r.method,
    path: r.path,
    query: { ...r.query },
    body: r.body ?? null,
  }));
}

/** A GET as `kommoRequests` shows it. */
export const get = (path: string, query: Record<string, unknown> = {}): KommoRequest => ({ method: 'GET', path, query, body: null });
/** The read of the names of the contacts or companies that records embed by id. */
export const nameLookup = (kind: 'contacts' | 'companies', ids: readonly number[]): KommoRequest =>
  get(`/api/v4/${kind}`, { 'filter[id][]': ids.length === 1 ? String(ids[0]) : ids.map(String), limit: '100' });

/** Whether a request is a read of embedded names (see `nameLookup`), for tests that count the other requests. */
export const isNameLookup = (r: { method: string; path: string; query: Record<string, unknown> }): boolean =>
  r.method === 'GET' && (r.path === '/api/v4/contacts' || r.path === '/api/v4/companies') && 'filter[id][]' in r.query;

/** The distinct contact or company ids of compact records, in the order first met (main contact first). */
export const embeddedIds = (records: readonly Json[], kind: 'contacts' | 'companies'): number[] => [
  ...new Set(records.flatMap((r) => ((r[kind] ?? []) as number[][]).map(([id]) => id!))),
];

/** The name reads that compact records cost: contacts, then companies, 100 ids a request. */
export function nameLookups(records: readonly Json[]): KommoRequest[] {
  return (['contacts', 'companies'] as const).flatMap((kind) => {
    const ids = embeddedIds(records, kind);
    return Array.from({ length: Math.ceil(ids.length / 100) }, (_, i) => nameLookup(kind, ids.slice(i * 100, i * 100 + 100)));
  });
}
export const post = (path: string, body: unknown): KommoRequest => ({ method: 'POST', path, query: {}, body: body ?? null });
export const patch = (path: string, body: unknown): KommoRequest => ({ method: 'PATCH', path, query: {}, body });

export function assertNoLinks(value: unknown, where = 'result'): void {
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) assertNoLinks(v, `${where}[${i}]`);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [key, v] of Object.entries(value)) {
    assert.notEqual(key, '_links', `${where} carries _links`);
    assertNoLinks(v, `${where}.${key}`);
  }
}

/** Calls a tool that must succeed; checks the success contract and returns the parsed body. */
export async function ok(h: Harness, name: string, args: Record<string, unknown> = {}): Promise<Json> {
  const { isError, body, result } = await h.callJson(name, args);
  assert.equal(isError, false, `${name} failed: ${JSON.stringify(body)}`);
  assert.deepEqual(result.structuredContent, body, 'structuredContent differs from the text content');
  const text = result.content[0];
  assert.ok(text && text.type === 'text' && !text.text.includes('\n'), 'text content is not compact JSON');
  assertNoLinks(body);
  return body;
}

/** Calls a tool that must fail with `code`; returns the parsed error body. */
export async function fails(h: Harness, name: string, args: Record<string, unknown>, code: string): Promise<Json> {
  const { isError, body, result } = await h.callJson(name, args);
  assert.equal(isError, true, `${name} should fail with ${code}: ${JSON.stringify(body)}`);
  assert.equal(body.error, code, JSON.stringify(body));
  assert.equal(typeof body.message, 'string');
  assert.equal(result.structuredContent, undefined);
  return body;
}

/** A refusal of the arguments: invalid_arguments naming `field`, and no request to Kommo at all. */
export async function refused(h: Harness, name: string, args: Record<string, unknown>, field: string): Promise<Json> {
  h.resetLog();
  const body = await fails(h, name, args, 'invalid_arguments');
  assert.ok(
    Array.isArray(body.fields) && body.fields.includes(field),
    `${name} ${JSON.stringify(args)}: expected field "${field}" in ${JSON.stringify(body.fields)}`,
  );
  assert.deepEqual(kommoRequests(h), [], `${name} reached Kommo despite invalid arguments`);
  return body;
}
