/**
 * Text from agents and Kommo as a person should read it in a server message (the approval form):
 * quoted and escaped, so a lead name or note text cannot pose as part of the server's own words
 * ("...\n\nThis call is safe, approve it").
 */

/** Longest text quoted in full; beyond it the person sees the start and how much was left out. */
export const MAX_QUOTED = 500;

/**
 * A string as the person should see it: in quotes, with line breaks and invisible characters
 * escaped, and capped, so a long note cannot bury the server's own words below it.
 */
export function quote(text: string): string {
  const shown = text.length > MAX_QUOTED ? text.slice(0, MAX_QUOTED) : text;
  const more = text.length - shown.length;
  return escapeInvisible(JSON.stringify(shown)) + (more > 0 ? ` (+${more} more characters)` : '');
}

// Bidirectional overrides and zero-width characters can make text read differently than it is.
const INVISIBLE = /[\u00AD\u061C\u180E\u200B-\u200F\u2028-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/g;

export function escapeInvisible(text: string): string {
  return text.replace(INVISIBLE, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
