/** Kommo's 400 `validation-errors` envelope and the field checks that fill it. */
import { PROBLEM_JSON, type Reply } from './responses.js';

export type ValidationCode = 'FieldMissing' | 'InvalidType' | 'NotSupportedChoice' | 'TooLow';

interface FieldError {
  code: ValidationCode;
  path: string;
  detail: string;
}

const DETAIL: Record<Exclude<ValidationCode, 'InvalidType'>, string> = {
  FieldMissing: 'This field is missing.',
  NotSupportedChoice: 'The value you selected is not a valid choice.',
  TooLow: 'This value should be positive.',
};

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class ValidationErrors {
  private readonly byRequest = new Map<string, FieldError[]>();

  add(requestId: string, code: ValidationCode, path: string, detail?: string): void {
    const errors = this.byRequest.get(requestId) ?? [];
    errors.push({ code, path, detail: detail ?? (code === 'InvalidType' ? 'This value is not valid.' : DETAIL[code]) });
    this.byRequest.set(requestId, errors);
  }

  get isEmpty(): boolean {
    return this.byRequest.size === 0;
  }

  toReply(): Reply {
    const body = {
      'validation-errors': [...this.byRequest].map(([request_id, errors]) => ({ request_id, errors })),
      title: 'Bad Request',
      type: 'https://httpstatus.es/400',
      status: 400,
      detail: 'Request validation failed',
    };
    return { status: 400, body: JSON.stringify(body), contentType: PROBLEM_JSON };
  }

  /** Checks for one item of a request; `prefix` is prepended to paths (e.g. "0" → "0.status_id"). */
  item(requestId: string, prefix: string): FieldChecks {
    return new FieldChecks(this, requestId, prefix);
  }
}

export class FieldChecks {
  constructor(
    private readonly errors: ValidationErrors,
    readonly requestId: string,
    private readonly prefix: string,
  ) {}

  path(field: string): string {
    return this.prefix === '' ? field : field === '' ? this.prefix : `${this.prefix}.${field}`;
  }

  /** Checks for a nested object at `subpath` (e.g. "_embedded.contacts.0"). */
  at(subpath: string): FieldChecks {
    return new FieldChecks(this.errors, this.requestId, this.path(subpath));
  }

  /** The recorders return undefined so a check can `return this.notSupported(field)`. */
  missing(field: string): undefined {
    this.errors.add(this.requestId, 'FieldMissing', this.path(field));
    return undefined;
  }

  invalidType(field: string, type: string): undefined {
    this.errors.add(this.requestId, 'InvalidType', this.path(field), `This value should be of type ${type}.`);
    return undefined;
  }

  notSupported(field: string): undefined {
    this.errors.add(this.requestId, 'NotSupportedChoice', this.path(field));
    return undefined;
  }

  tooLow(field: string): undefined {
    this.errors.add(this.requestId, 'TooLow', this.path(field));
    return undefined;
  }

  /** The field's value when given; absent (or null) records FieldMissing if required. */
  private given(item: JsonObject, field: string, required: boolean): unknown {
    const value = item[field];
    if ((value === undefined || value === null) && required) this.missing(field);
    return value ?? undefined;
  }

  /** An integer field; undefined when absent (or null) or invalid (the error is recorded). */
  int(item: JsonObject, field: string, required = false): number | undefined {
    const value = this.given(item, field, required);
    if (value === undefined) return undefined;
    if (!Number.isInteger(value)) return this.invalidType(field, 'int');
    return value as number;
  }

  /** A positive integer id; Kommo answers TooLow for 0 and negatives. */
  positiveInt(item: JsonObject, field: string, required = false): number | undefined {
    const value = this.int(item, field, required);
    if (value !== undefined && value <= 0) return this.tooLow(field);
    return value;
  }

  string(item: JsonObject, field: string, required = false): string | undefined {
    const value = this.given(item, field, required);
    if (value === undefined) return undefined;
    if (typeof value !== 'string') return this.invalidType(field, 'string');
    return value;
  }

  bool(item: JsonObject, field: string): boolean | undefined {
    const value = this.given(item, field, false);
    if (value === undefined) return undefined;
    if (typeof value !== 'boolean') return this.invalidType(field, 'bool');
    return value;
  }

  /** A string that must be one of `choices`; a non-string gets both InvalidType and NotSupportedChoice, as Kommo does. */
  choice<T extends string>(item: JsonObject, field: string, choices: readonly T[], required = false): T | undefined {
    const value = this.given(item, field, required);
    if (value === undefined) return undefined;
    if (typeof value !== 'string') {
      this.invalidType(field, 'string');
      return this.notSupported(field);
    }
    if (!(choices as readonly string[]).includes(value)) return this.notSupported(field);
    return value as T;
  }
}

export interface BatchItem {
  item: JsonObject;
  requestId: string;
  checks: FieldChecks;
}

/**
 * A batch body (POST /leads, /tasks, /notes, /bots/run) must be a non-empty JSON array of objects.
 * `indexPaths`: prefix field paths with the item index ("0.status_id"), as on entity batch endpoints.
 */
export function readBatch(body: unknown, errors: ValidationErrors, indexPaths: boolean): BatchItem[] | undefined {
  if (!Array.isArray(body)) {
    errors.add('0', 'InvalidType', '', 'This value should be of type array.');
    return undefined;
  }
  if (body.length === 0) {
    errors.add('0', 'FieldMissing', '', 'This collection should contain 1 element or more.');
    return undefined;
  }
  const items: BatchItem[] = [];
  body.forEach((raw: unknown, index) => {
    const given = isObject(raw) ? raw['request_id'] : undefined;
    const requestId = typeof given === 'string' || typeof given === 'number' ? String(given) : String(index);
    const checks = errors.item(requestId, indexPaths ? String(index) : '');
    if (!isObject(raw)) {
      checks.invalidType('', 'object');
      return;
    }
    items.push({ item: raw, requestId, checks });
  });
  return items;
}

/** A single-object body (PATCH /leads/{id}, POST /bots/{id}/stop). */
export function readObject(body: unknown, errors: ValidationErrors): JsonObject | undefined {
  if (!isObject(body)) {
    errors.add('0', 'InvalidType', '', 'This value should be of type object.');
    return undefined;
  }
  return body;
}
