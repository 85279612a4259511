/**
 * Conditions over the validated arguments: `{path: "args.<dotted path>", op, value}`.
 *
 * A missing argument makes eq / in / lt / lte / gt / gte / regex / contains false and neq / not_in
 * true; `exists` tests presence. Numbers and numeric strings compare equal ("42" eq 42), as in
 * PolicyLayer. `regex` is a full match and reads at most MAX_REGEX_INPUT characters: a longer input
 * cannot be judged, and the call is refused rather than waved through.
 */
import type { CompiledCondition } from './compile.js';

export const MAX_REGEX_INPUT = 10_000;

const MISSING = Symbol('missing');
type Resolved = unknown | typeof MISSING;

/** Raised when a value cannot be judged; the caller refuses the call (fail closed). */
export class UnjudgeableInput extends Error {
  constructor(
    readonly condition: CompiledCondition,
    message: string,
  ) {
    super(message);
    this.name = 'UnjudgeableInput';
  }
}

export function resolvePath(args: Record<string, unknown>, path: readonly string[]): Resolved {
  let current: unknown = args;
  for (const seg of path) {
    if (Array.isArray(current)) {
      if (!/^\d+$/.test(seg)) return MISSING;
      current = current[Number(seg)];
    } else if (current !== null && typeof current === 'object' && Object.hasOwn(current, seg)) {
      current = (current as Record<string, unknown>)[seg];
    } else {
      return MISSING;
    }
    if (current === undefined) return MISSING;
  }
  return current;
}

export function matches(condition: CompiledCondition, args: Record<string, unknown>): boolean {
  const actual = resolvePath(args, condition.path);
  const present = actual !== MISSING;
  const expected = condition.value;
  switch (condition.op) {
    case 'exists':
      return present === expected;
    case 'eq':
      return present && looseEquals(actual, expected);
    case 'neq':
      return !(present && looseEquals(actual, expected));
    case 'in':
      return present && (expected as unknown[]).some((v) => looseEquals(actual, v));
    case 'not_in':
      return !(present && (expected as unknown[]).some((v) => looseEquals(actual, v)));
    case 'lt':
    case 'lte':
    case 'gt':
    case 'gte': {
      const n = toNumber(actual);
      if (n === undefined) return false;
      const limit = expected as number;
      return condition.op === 'lt' ? n < limit : condition.op === 'lte' ? n <= limit : condition.op === 'gt' ? n > limit : n >= limit;
    }
    case 'regex': {
      if (!present || (typeof actual !== 'string' && typeof actual !== 'number')) return false;
      const input = String(actual);
      if (input.length > MAX_REGEX_INPUT) {
        throw new UnjudgeableInput(
          condition,
          `${condition.pathText} is longer than the ${MAX_REGEX_INPUT} characters the policy's pattern checks read, so the call cannot be judged`,
        );
      }
      return condition.regex!.test(input);
    }
    case 'contains':
      if (typeof actual === 'string') return actual.includes(String(expected));
      if (Array.isArray(actual)) return actual.some((v) => looseEquals(v, expected));
      return false;
  }
}

function looseEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'string') return b.trim() !== '' && Number(b) === a;
  if (typeof a === 'string' && typeof b === 'number') return a.trim() !== '' && Number(a) === b;
  return false;
}

function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  return undefined;
}

/** "args.price is more than 100000": for messages written to the agent. */
export function describeCondition(c: CompiledCondition): string {
  const v = JSON.stringify(c.value);
  const list = Array.isArray(c.value) ? c.value.map((x) => JSON.stringify(x)).join(', ') : v;
  switch (c.op) {
    case 'eq':
      return `${c.pathText} is ${v}`;
    case 'neq':
      return `${c.pathText} is not ${v}`;
    case 'in':
      return `${c.pathText} is one of ${list}`;
    case 'not_in':
      return `${c.pathText} is none of ${list}`;
    case 'lt':
      return `${c.pathText} is less than ${v}`;
    case 'lte':
      return `${c.pathText} is at most ${v}`;
    case 'gt':
      return `${c.pathText} is more than ${v}`;
    case 'gte':
      return `${c.pathText} is at least ${v}`;
    case 'regex':
      return `${c.pathText} matches the pattern ${v}`;
    case 'contains':
      return `${c.pathText} contains ${v}`;
    case 'exists':
      return c.value ? `${c.pathText} is given` : `${c.pathText} is not given`;
  }
}
