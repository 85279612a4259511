/**
 * PHP-style bracket query strings as Kommo reads them: `filter[id][]=1&filter[id][]=2`,
 * `filter[statuses][0][pipeline_id]=7`, `filter[created_at][from]=...`.
 */

/** Decoded keys as sent; a repeated key becomes an array. This is what the request log shows. */
export type RawQuery = Record<string, string | string[]>;
export type QueryNode = string | string[] | QueryObject;
export interface QueryObject {
  [key: string]: QueryNode;
}

/** Own-property write that is safe for keys like `__proto__`. */
function setOwn(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function getOwn<T>(target: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(target, key) ? target[key] : undefined;
}

export function readRawQuery(params: URLSearchParams): RawQuery {
  const out: RawQuery = {};
  for (const [key, value] of params) {
    const prev = getOwn(out, key);
    if (prev === undefined) setOwn(out, key, value);
    else if (Array.isArray(prev)) prev.push(value);
    else setOwn(out, key, [prev, value]);
  }
  return out;
}

/** Turns the flat bracket keys into a tree; `[]` appends to a list. */
export function nestQuery(raw: RawQuery): QueryObject {
  const root: QueryObject = {};
  for (const [key, value] of Object.entries(raw)) {
    const match = /^([^[\]]+)((?:\[[^\]]*\])*)$/.exec(key);
    const segments = match ? [match[1]!, ...[...match[2]!.matchAll(/\[([^\]]*)\]/g)].map((m) => m[1]!)] : [key];
    for (const v of Array.isArray(value) ? value : [value]) insert(root, segments, v);
  }
  return root;
}

function insert(root: QueryObject, segments: string[], value: string): void {
  const append = segments.length > 1 && segments[segments.length - 1] === '';
  const path = append ? segments.slice(0, -1) : segments;
  let node = root;
  for (const seg of path.slice(0, -1)) {
    let next = getOwn(node, seg);
    if (next === undefined || typeof next === 'string' || Array.isArray(next)) {
      next = {};
      setOwn(node, seg, next);
    }
    node = next;
  }
  const last = path[path.length - 1]!;
  const prev = getOwn(node, last);
  if (prev === undefined) setOwn(node, last, append ? [value] : value);
  else if (Array.isArray(prev)) prev.push(value);
  else if (typeof prev === 'string') setOwn(node, last, [prev, value]);
  else setOwn(node, last, value);
}

export function child(node: QueryNode | undefined, key: string): QueryNode | undefined {
  return node !== undefined && typeof node === 'object' && !Array.isArray(node) ? getOwn(node, key) : undefined;
}

/** Every leaf string under a node (a scalar, a list, or an indexed object like `[0]=..&[1]=..`). */
export function leafValues(node: QueryNode | undefined): string[] {
  if (node === undefined) return [];
  if (typeof node === 'string') return [node];
  if (Array.isArray(node)) return node;
  return Object.values(node).flatMap(leafValues);
}

export function parseIntStrict(text: string): number | undefined {
  return /^-?\d+$/.test(text.trim()) ? Number(text.trim()) : undefined;
}

/** A set of accepted ids, or undefined when the filter is absent. Unparsable values match nothing. */
export function intSet(node: QueryNode | undefined): Set<number> | undefined {
  if (node === undefined) return undefined;
  const out = new Set<number>();
  for (const text of leafValues(node)) {
    for (const part of text.split(',')) {
      const n = parseIntStrict(part);
      if (n !== undefined) out.add(n);
    }
  }
  return out;
}

export function stringSet(node: QueryNode | undefined): Set<string> | undefined {
  if (node === undefined) return undefined;
  return new Set(
    leafValues(node)
      .flatMap((v) => v.split(','))
      .map((v) => v.trim()),
  );
}

export interface Range {
  from?: number;
  to?: number;
}

/**
 * `[from]`/`[to]` (inclusive). A bare value means "from" (Kommo's `filter[updated_at]=ts` on tasks and notes).
 * An unparsable bound matches nothing.
 */
export function rangeFilter(node: QueryNode | undefined): Range | undefined {
  if (node === undefined) return undefined;
  const bound = (text: string | undefined): number | undefined => (text === undefined ? undefined : (parseIntStrict(text) ?? Number.NaN));
  if (typeof node === 'string') return { from: bound(node) };
  if (Array.isArray(node)) return { from: bound(node[0]) };
  const from = child(node, 'from');
  const to = child(node, 'to');
  return { from: bound(leafValues(from)[0]), to: bound(leafValues(to)[0]) };
}

export function inRange(value: number | null, range: Range): boolean {
  if (value === null) return false;
  if (range.from !== undefined && !(value >= range.from)) return false;
  if (range.to !== undefined && !(value <= range.to)) return false;
  return true;
}

/** `with=contacts,loss_reason` (also repeated `with` keys). */
export function withSet(query: QueryObject): Set<string> {
  return stringSet(child(query, 'with')) ?? new Set();
}

export interface Order {
  field: string;
  direction: 1 | -1;
}

/** `order[<field>]=asc|desc`; the first allowed field wins; unknown fields are ignored like Kommo does. */
export function readOrder(query: QueryObject, allowed: readonly string[]): Order | undefined {
  const node = child(query, 'order');
  if (node === undefined || typeof node !== 'object' || Array.isArray(node)) return undefined;
  for (const [field, value] of Object.entries(node)) {
    const direction = leafValues(value)[0]?.toLowerCase();
    if (allowed.includes(field) && (direction === 'asc' || direction === 'desc')) {
      return { field, direction: direction === 'asc' ? 1 : -1 };
    }
  }
  return undefined;
}

/** Sorts in place by the order (ties by id ascending); default is id ascending. */
export function sortByOrder<T extends { id: number }>(items: T[], order: Order | undefined): T[] {
  if (!order) return items.sort((a, b) => a.id - b.id);
  const field = order.field as keyof T;
  return items.sort((a, b) => {
    const av = a[field] as unknown as number | null;
    const bv = b[field] as unknown as number | null;
    const diff = (av ?? 0) - (bv ?? 0);
    return diff !== 0 ? diff * order.direction : a.id - b.id;
  });
}

/** Case-insensitive substring search text from `query=`, or undefined when absent/blank. */
export function searchText(query: QueryObject): string | undefined {
  const text = leafValues(child(query, 'query'))[0]?.trim().toLowerCase();
  return text ? text : undefined;
}
