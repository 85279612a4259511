/**
 * The audit trail: one JSON line per policy decision, to the file named by KOMMO_AUDIT_LOG, else to
 * the stderr logger at info level. A line names the arguments' keys and a SHA-256 of their canonical
 * JSON, never their values (they can hold customer data) and never the token.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { ConfigError } from '../src/config.js';
import type { Logger } from '../src/log.js';

/** Who, what and which rule: common to every line. */
export interface AuditFields {
  time: string;
  /** The grant the call acted under (an HTTP bearer token's name; `stdio` over stdio), never the token. */
  grant: string;
  session: string;
  tool: string;
  /** What the policy decided: allow, approval, deny, rate_limited, invalid_arguments. */
  decision: string;
  /** The policy rule (JSON path) that decided, e.g. `tools.run_salesbot.limits[0]`. */
  rule?: string;
  mode: 'enforce' | 'dry_run';
  argKeys: string[];
  argsSha256: string;
}

export interface AuditRecord extends AuditFields {
  /** The result: "ok" or the error code returned to the agent. */
  code: string;
  /** HTTP status of Kommo's last answer (0: no answer), absent when no request was made. */
  kommoStatus?: number;
  kommoRequests: number;
  durationMs: number;
  /** For approval events: proposed, approved, declined, expired, cancelled. */
  event?: string;
  [extra: string]: unknown;
}

export interface AuditSink {
  write(record: AuditRecord): void;
  close(): void;
}

export function loggerAudit(logger: Logger): AuditSink {
  return { write: (record) => logger.info('audit', { ...record }), close: () => {} };
}

/** Appends synchronously, so a line is on disk before the result reaches the agent. */
export function fileAudit(path: string): AuditSink {
  let fd: number;
  try {
    fd = openSync(path, 'a', 0o600);
  } catch (err) {
    const reason = err instanceof Error && 'code' in err ? String((err as NodeJS.ErrnoException).code) : 'error';
    throw new ConfigError(
      `KOMMO_AUDIT_LOG=${path} cannot be opened for appending (${reason}); point it at a writable file, e.g. KOMMO_AUDIT_LOG=./kommo-audit.log`,
    );
  }
  let open = true;
  return {
    write(record) {
      if (open) writeSync(fd, JSON.stringify(record) + '\n');
    },
    close() {
      if (open) closeSync(fd);
      open = false;
    },
  };
}

export const noAudit: AuditSink = { write: () => {}, close: () => {} };

/** JSON with object keys sorted at every depth: equal arguments give equal text, hence equal hashes. */
export function canonicalJson(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.keys(value)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}

export function argsSha256(args: unknown): string {
  return createHash('sha256')
    .update(canonicalJson(args ?? {}))
    .digest('hex');
}
