/**
 * The one logger. In stdio mode stdout carries the MCP protocol, so every log line goes to stderr
 * (or to a sink a test injects). Lines are single JSON objects so they can be grepped and parsed.
 *
 * Defence in depth: callers should never log secrets, but if one slips in (say an axios error, whose
 * JSON carries the request headers), every line is scrubbed of `Authorization` values and of the
 * secrets the logger was given before it leaves. Logging never throws.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export type LogSink = (line: string) => void;

export interface LoggerOptions {
  /** Values that must never appear in a line (the Kommo token); each is replaced by `[redacted]`. */
  secrets?: readonly string[];
}

export const REDACTED = '[redacted]';

const stderrSink: LogSink = (line) => {
  process.stderr.write(line + '\n');
};

/** Keys whose values are credentials wherever they appear (axios configs, raw header objects). */
const SECRET_KEYS = /^(authorization|proxy-authorization|cookie|set-cookie|x-api-key|access_token|token)$/i;

/** Secrets shorter than this are not scrubbed: replacing "a" everywhere would mangle every line. */
const MIN_SECRET_LENGTH = 6;

/** Replaces every occurrence of each secret (raw and as it looks inside a JSON string) in `text`. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  // Any bearer credential, even one the logger was not told about.
  return replaceSecrets(text, secrets).replace(/\b(Bearer)\s+[^\s"'\\,;]+/gi, `$1 ${REDACTED}`);
}

function replaceSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length < MIN_SECRET_LENGTH) continue;
    out = out.split(secret).join(REDACTED);
    const escaped = JSON.stringify(secret).slice(1, -1);
    if (escaped !== secret) out = out.split(escaped).join(REDACTED);
  }
  return out;
}

/**
 * Every string in `value` (keys included, at any depth) with each secret replaced: for tool results,
 * whatever Kommo or a proxy echoed back. Unlike log lines, CRM text is left alone otherwise.
 */
export function scrubSecrets<T>(value: T, secrets: readonly string[]): T {
  const live = secrets.filter((s) => s.length >= MIN_SECRET_LENGTH);
  if (live.length === 0) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return live.some((s) => v.includes(s) || v.includes(JSON.stringify(s).slice(1, -1))) ? replaceSecrets(v, live) : v;
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== 'object') return v;
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [walk(k) as string, walk(x)]));
  };
  return walk(value) as T;
}

function safeStringify(value: Record<string, unknown>): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(value, (key, v: unknown) => {
    if (key && SECRET_KEYS.test(key) && v !== undefined && v !== null && v !== '') return REDACTED;
    if (typeof v === 'bigint') return v.toString();
    if (v instanceof Error) return { name: v.name, message: v.message };
    if (v !== null && typeof v === 'object') {
      if (seen.has(v)) return '[circular]';
      seen.add(v);
    }
    return v;
  });
}

export function createLogger(level: LogLevel = 'info', sink: LogSink = stderrSink, options: LoggerOptions = {}): Logger {
  const secrets = [...(options.secrets ?? [])];
  const emit = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (ORDER[lvl] < ORDER[level]) return;
    try {
      let line: string;
      try {
        line = safeStringify({ time: new Date().toISOString(), level: lvl, msg, ...fields });
      } catch {
        line = JSON.stringify({ time: new Date().toISOString(), level: lvl, msg, note: 'fields could not be serialised' });
      }
      sink(redactSecrets(line, secrets));
    } catch {
      // A broken sink (closed stderr) must not turn a log call into a failed tool call.
    }
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}

export const silentLogger: Logger = createLogger('error', () => {});
