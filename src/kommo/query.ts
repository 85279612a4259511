/**
 * Kommo takes PHP-style bracket parameters (`filter[created_at][from]=…`, `filter[id][]=1`).
 * Queries are written as flat records whose keys already carry the brackets; arrays repeat the key.
 */
export type QueryValue = string | number | boolean | undefined | null | Array<string | number>;
export type Query = Record<string, QueryValue>;

export function serializeQuery(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) for (const v of value) params.append(key, String(v));
    else params.append(key, String(value));
  }
  return params.toString();
}
