/**
 * Configuration: command-line flags + environment (plus an explicitly named settings file), checked by
 * one zod schema. Any problem becomes a `ConfigError` whose message is one line naming the variable
 * and showing an example value; the entry point prints it to stderr and exits non-zero.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { fileURLToPath } from 'node:url';
import dotenv from 'dotenv';
import { z } from 'zod';
import { toAccountLanguage, type AccountLanguage } from './kommo/types.js';
import type { LogLevel } from './log.js';
import { LIMITER_MAX_KEYS, MAX_RETRIES, MAX_RPS, REFERENCE_TTL_S, REQUEST_TIMEOUT_MS } from './defaults.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export const DEFAULT_POLICY_PATH = fileURLToPath(new URL('../../policy/default.json', import.meta.url));

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/** 127.0.0.0/8, localhost and ::1: addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host) || (isIP(host) === 4 && host.startsWith('127.'));
}

const intFromEnv = (name: string, min: number, max: number, fallback: number, example: string) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return fallback;
      // Plain digits only: Number() would also take "0x10", "1e3" or "  7 ".
      const n = /^\d{1,12}$/.test(v.trim()) ? Number(v.trim()) : NaN;
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `${name} must be a whole number from ${min} to ${max}, e.g. ${name}=${example}` });
        return z.NEVER;
      }
      return n;
    });

const baseUrl = z
  .string()
  .trim()
  .transform((v, ctx) => {
    const example = 'KOMMO_BASE_URL=https://yourcompany.kommo.com';
    let url: URL;
    try {
      url = new URL(v);
    } catch {
      ctx.addIssue({ code: 'custom', message: `KOMMO_BASE_URL is not a URL; set it like ${example}` });
      return z.NEVER;
    }
    const loopback = isLoopbackHost(url.hostname);
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
      ctx.addIssue({
        code: 'custom',
        message: `KOMMO_BASE_URL must use https:// (plain http:// only for 127.0.0.1, localhost or ::1); set it like ${example}`,
      });
      return z.NEVER;
    }
    if (url.username || url.password || url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) {
      ctx.addIssue({ code: 'custom', message: `KOMMO_BASE_URL must be just the account address, without path or query; set it like ${example}` });
      return z.NEVER;
    }
    return url.origin;
  });

/** Key prefix on a shared Redis, so several deployments can share one. */
export const DEFAULT_REDIS_PREFIX = 'kommo-mcp:';
const REDIS_URL_EXAMPLE = 'KOMMO_REDIS_URL=redis://127.0.0.1:6379';
// The URL may carry a password: messages never repeat it.
const redisUrl = z
  .string()
  .trim()
  .transform((v, ctx) => {
    let url: URL | undefined;
    try {
      url = new URL(v);
    } catch {
      // reported below
    }
    if (!url || (url.protocol !== 'redis:' && url.protocol !== 'rediss:') || !url.hostname) {
      ctx.addIssue({ code: 'custom', message: `KOMMO_REDIS_URL must be a redis:// or rediss:// URL with a host, e.g. ${REDIS_URL_EXAMPLE}` });
      return z.NEVER;
    }
    if (url.port !== '' && !(Number(url.port) >= 1 && Number(url.port) <= 65535)) {
      ctx.addIssue({ code: 'custom', message: `KOMMO_REDIS_URL has an invalid port, e.g. ${REDIS_URL_EXAMPLE}` });
      return z.NEVER;
    }
    if (!/^\/?(\d{1,2})?$/.test(url.pathname) || url.search || url.hash) {
      ctx.addIssue({ code: 'custom', message: `KOMMO_REDIS_URL may end with a database number only, e.g. ${REDIS_URL_EXAMPLE}/0` });
      return z.NEVER;
    }
    return v;
  });

const TOKEN_EXAMPLE = 'KOMMO_ACCESS_TOKEN=eyJ0eXAiOiJKV1Qi...';
const TOKEN_SHAPE = `KOMMO_ACCESS_TOKEN must be the long-lived token from your Kommo integration (one line, no spaces), e.g. ${TOKEN_EXAMPLE}`;
/** The value shipped in .env.example. */
const TOKEN_PLACEHOLDER = 'paste-your-long-lived-token-here';
const TOKEN_PLACEHOLDER_LEFT = `KOMMO_ACCESS_TOKEN still holds the placeholder from .env.example; paste the long-lived token of your Kommo integration, e.g. ${TOKEN_EXAMPLE}`;

const EnvSchema = z.object({
  KOMMO_BASE_URL: baseUrl.optional(),
  KOMMO_SUBDOMAIN: z
    .string()
    .trim()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/i, 'KOMMO_SUBDOMAIN must be the account subdomain only, e.g. KOMMO_SUBDOMAIN=yourcompany')
    .optional(),
  KOMMO_ACCESS_TOKEN: z
    .string()
    .trim()
    // A token copied together with its header prefix is still the token.
    .transform((v) => v.replace(/^Bearer\s+/i, ''))
    .refine((v) => /^\S{8,8192}$/.test(v), TOKEN_SHAPE)
    .refine((v) => v !== TOKEN_PLACEHOLDER, TOKEN_PLACEHOLDER_LEFT)
    .optional(),
  KOMMO_POLICY: z.string().trim().min(1).optional(),
  KOMMO_MAX_RPS: intFromEnv('KOMMO_MAX_RPS', 1, 50, MAX_RPS, String(MAX_RPS)),
  KOMMO_TIMEOUT_MS: intFromEnv('KOMMO_TIMEOUT_MS', 1000, 300_000, REQUEST_TIMEOUT_MS, String(REQUEST_TIMEOUT_MS)),
  KOMMO_MAX_RETRIES: intFromEnv('KOMMO_MAX_RETRIES', 0, 10, MAX_RETRIES, String(MAX_RETRIES)),
  KOMMO_REFERENCE_TTL_S: intFromEnv('KOMMO_REFERENCE_TTL_S', 0, 86_400, REFERENCE_TTL_S, String(REFERENCE_TTL_S)),
  KOMMO_LIMITER_MAX_KEYS: intFromEnv('KOMMO_LIMITER_MAX_KEYS', 100, 100_000_000, LIMITER_MAX_KEYS, String(LIMITER_MAX_KEYS)),
  KOMMO_REDIS_URL: redisUrl.optional(),
  KOMMO_REDIS_PREFIX: z
    .string()
    .trim()
    .regex(/^[\x21-\x7e]{1,64}$/, 'KOMMO_REDIS_PREFIX must be 1 to 64 printable characters without spaces, e.g. KOMMO_REDIS_PREFIX=kommo-mcp:')
    .optional(),
  KOMMO_REDIS_FAIL: z
    .string()
    .trim()
    .transform((v) => v.toLowerCase())
    .pipe(z.enum(['closed', 'open'], { message: 'KOMMO_REDIS_FAIL must be closed or open, e.g. KOMMO_REDIS_FAIL=closed' }))
    .optional(),
  KOMMO_TIMEZONE: z.string().trim().refine(isTimeZone, 'KOMMO_TIMEZONE must be an IANA timezone, e.g. KOMMO_TIMEZONE=America/Sao_Paulo').optional(),
  KOMMO_LANGUAGE: z
    .string()
    .trim()
    .transform((v) => (/^[a-z]{2}(?:[-_][a-z]{2,4})?$/i.test(v) ? toAccountLanguage(v) : undefined))
    .refine((v) => v !== undefined, 'KOMMO_LANGUAGE must be pt, es or en, e.g. KOMMO_LANGUAGE=pt')
    .optional(),
  KOMMO_AUDIT_LOG: z.string().trim().min(1).optional(),
  KOMMO_GRANTS: z.string().trim().min(1).optional(),
  KOMMO_STATE_KEY: z
    .string()
    .trim()
    .refine(
      (v) => Buffer.byteLength(v, 'utf8') >= 32,
      'KOMMO_STATE_KEY must be at least 32 bytes (the HMAC key of approval states), e.g. KOMMO_STATE_KEY=$(openssl rand -base64 48)',
    )
    .optional(),
  KOMMO_HTTP_ALLOWED_HOSTS: z
    .string()
    .trim()
    .transform((v) =>
      v
        .split(',')
        .map((h) => h.trim().toLowerCase())
        .filter((h) => h !== ''),
    )
    .refine(
      (hosts) => hosts.every((h) => /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)$/.test(h)),
      'KOMMO_HTTP_ALLOWED_HOSTS must be host names without scheme or port, comma-separated, e.g. KOMMO_HTTP_ALLOWED_HOSTS=mcp.example.com',
    )
    .optional(),
  KOMMO_LOG_LEVEL: z
    .string()
    .trim()
    .transform((v) => v.toLowerCase())
    .pipe(z.enum(['debug', 'info', 'warn', 'error'], { message: 'KOMMO_LOG_LEVEL must be debug, info, warn or error, e.g. KOMMO_LOG_LEVEL=info' }))
    .optional(),
});

export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export interface HttpFlags {
  host: string;
  port: number;
}

export const DEFAULT_HTTP_HOST = '127.0.0.1';
export const DEFAULT_HTTP_PORT = 8765;

export interface ServeFlags {
  sandbox: boolean;
  policyFlag?: string;
  /** Present with --http: serve Streamable HTTP instead of stdio. */
  http?: HttpFlags;
  grantsFlag?: string;
  envFile?: string;
}

export type Command =
  | ({ kind: 'serve' } & ServeFlags)
  | { kind: 'policy-check'; file: string }
  | { kind: 'grant-add'; name: string; grantsFlag?: string }
  | { kind: 'help' }
  | { kind: 'version' };

export function parseArgs(argv: readonly string[]): Command {
  if (argv[0] === 'policy') {
    if (argv[1] !== 'check' || argv.length !== 3) throw new ConfigError('usage: kommo-mcp policy check <file>');
    return { kind: 'policy-check', file: argv[2]! };
  }
  if (argv[0] === 'grant') {
    const usage = 'usage: kommo-mcp grant add <name> [--grants <file>]';
    if (argv[1] !== 'add' || !argv[2] || argv[2].startsWith('-')) throw new ConfigError(usage);
    const rest = argv.slice(3);
    if (rest.length === 0) return { kind: 'grant-add', name: argv[2] };
    const file = rest[0] === '--grants' && rest.length === 2 ? rest[1] : rest.length === 1 && rest[0]!.startsWith('--grants=') ? rest[0]!.slice(9) : undefined;
    if (!file) throw new ConfigError(usage);
    return { kind: 'grant-add', name: argv[2], grantsFlag: file };
  }
  let sandbox = false;
  let policyFlag: string | undefined;
  let envFile: string | undefined;
  let grantsFlag: string | undefined;
  let http = false;
  let host: string | undefined;
  let port: number | undefined;
  /** The value of `--name value` or `--name=value`. */
  const flagValue = (arg: string, name: string, i: number, example: string): [string, number] => {
    const value = arg === name ? argv[i + 1] : arg.slice(name.length + 1);
    if (!value || value.startsWith('--')) throw new ConfigError(`${name} needs a value, e.g. ${name} ${example}`);
    return [value, arg === name ? i + 1 : i];
  };
  const isFlag = (arg: string, name: string): boolean => arg === name || arg.startsWith(`${name}=`);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--sandbox') sandbox = true;
    else if (arg === '--env-file') {
      envFile = argv[++i];
      if (!envFile) throw new ConfigError('--env-file needs a file path, e.g. --env-file /etc/kommo-mcp.env');
    } else if (arg.startsWith('--env-file=')) envFile = arg.slice('--env-file='.length);
    else if (arg === '--http') http = true;
    else if (isFlag(arg, '--host')) [host, i] = flagValue(arg, '--host', i, '127.0.0.1');
    else if (isFlag(arg, '--port')) {
      let text: string;
      [text, i] = flagValue(arg, '--port', i, '8765');
      port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
      if (!(port >= 0 && port <= 65535)) throw new ConfigError(`--port must be a port number from 0 to 65535 (0: the system chooses), e.g. --port 8765`);
    } else if (isFlag(arg, '--grants')) [grantsFlag, i] = flagValue(arg, '--grants', i, 'grants.json');
    else if (arg === '--help' || arg === '-h') return { kind: 'help' };
    else if (arg === '--version' || arg === '-v') return { kind: 'version' };
    else if (arg === '--policy') {
      policyFlag = argv[++i];
      if (!policyFlag) throw new ConfigError('--policy needs a file path, e.g. --policy policy/read-only.json');
    } else if (arg.startsWith('--policy=')) policyFlag = arg.slice('--policy='.length);
    else throw new ConfigError(`unknown argument "${arg}"; run kommo-mcp --help`);
  }
  if (!http && (host !== undefined || port !== undefined)) throw new ConfigError('--host and --port apply to --http; add --http to serve over HTTP');
  return {
    kind: 'serve',
    sandbox,
    ...(policyFlag !== undefined && { policyFlag }),
    ...(envFile !== undefined && { envFile }),
    ...(grantsFlag !== undefined && { grantsFlag }),
    ...(http && { http: { host: host ?? DEFAULT_HTTP_HOST, port: port ?? DEFAULT_HTTP_PORT } }),
  };
}

/**
 * Settings from a file named on purpose (`--env-file <path>`, else `KOMMO_ENV_FILE`), never an
 * implicit `.env`: MCP clients start the server in the user's project, a directory the agent can
 * write, and a file there must not be able to redirect the token or swap the policy. A variable set
 * in the real environment wins over the file. Returns the merged environment and the names (never
 * the values) taken from the file, for the startup log.
 */
export function withEnvFile(env: NodeJS.ProcessEnv, flag: string | undefined): { env: NodeJS.ProcessEnv; file?: string; fromFile: string[] } {
  const file = flag ?? (env.KOMMO_ENV_FILE?.trim() || undefined);
  if (file === undefined) return { env, fromFile: [] };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    const source = flag !== undefined ? '--env-file' : 'KOMMO_ENV_FILE';
    throw new ConfigError(
      `${source} ${file} cannot be read (${code}); name an existing settings file, e.g. ${source === '--env-file' ? '--env-file ' : 'KOMMO_ENV_FILE='}/etc/kommo-mcp.env`,
    );
  }
  const parsed = dotenv.parse(text);
  const fromFile = Object.keys(parsed).filter((name) => env[name] === undefined);
  return { env: { ...Object.fromEntries(fromFile.map((name) => [name, parsed[name]])), ...env }, file, fromFile };
}

export interface Config {
  /** Unset in sandbox mode: the sandbox supplies both. */
  kommo?: { baseUrl: string; token: string };
  sandbox: boolean;
  policyPath: string;
  maxRps: number;
  timeoutMs: number;
  maxRetries: number;
  referenceTtlMs: number;
  limiterMaxKeys: number;
  /** Shared counters and approval markers on Redis (KOMMO_REDIS_URL); absent: in memory. */
  redis?: RedisConfig;
  timezone?: string;
  /** The language approval forms are written in (KOMMO_LANGUAGE); default: the Kommo account's. */
  language?: AccountLanguage;
  auditLog?: string;
  logLevel: LogLevel;
  /** Present in --http mode. */
  http?: HttpFlags & { allowedHosts: string[] };
  /** The grants file (KOMMO_GRANTS or --grants, the flag wins). */
  grantsPath?: string;
  /** HMAC key of 2026-07-28 approval states (KOMMO_STATE_KEY); absent: a random key per process. */
  stateKey?: string;
}

/** The grants file named by --grants or KOMMO_GRANTS (the flag wins), for `grant add` as for serving. */
export function grantsPathFrom(env: NodeJS.ProcessEnv, flag: string | undefined): string | undefined {
  return flag ?? (env.KOMMO_GRANTS?.trim() || undefined);
}

export interface RedisConfig {
  url: string;
  prefix: string;
  /** `closed`: calls that need a counter are refused while Redis is away; `open`: counted in memory meanwhile. */
  fail: 'closed' | 'open';
}

export function loadConfig(env: NodeJS.ProcessEnv, command: ServeFlags): Config {
  // An empty `KOMMO_X=` line (as left from .env.example) means "not set".
  const present = Object.fromEntries(Object.entries(env).filter(([k, v]) => !(k.startsWith('KOMMO_') && v?.trim() === '')));
  const parsed = EnvSchema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    // Our messages name their variable; make sure any other (zod's own) does too, on one line.
    const name = String(issue.path[0] ?? 'configuration');
    const message = issue.message.replace(/\s+/g, ' ').trim();
    throw new ConfigError(message.startsWith(name) ? message : `${name}: ${message}`);
  }
  const e = parsed.data;
  let kommo: Config['kommo'];
  if (!command.sandbox) {
    const url = e.KOMMO_BASE_URL ?? (e.KOMMO_SUBDOMAIN ? `https://${e.KOMMO_SUBDOMAIN.toLowerCase()}.kommo.com` : undefined);
    if (!url) {
      throw new ConfigError(
        'KOMMO_BASE_URL is not set; set it to your account address, e.g. KOMMO_BASE_URL=https://yourcompany.kommo.com (or run with --sandbox to try without an account)',
      );
    }
    if (!e.KOMMO_ACCESS_TOKEN) {
      throw new ConfigError(`KOMMO_ACCESS_TOKEN is not set; set it to the long-lived token of your Kommo integration, e.g. ${TOKEN_EXAMPLE}`);
    }
    kommo = { baseUrl: url, token: e.KOMMO_ACCESS_TOKEN };
  }
  const grantsPath = command.grantsFlag ?? e.KOMMO_GRANTS;
  if (command.http && !grantsPath && !isLoopbackHost(command.http.host)) {
    throw new ConfigError(
      `refusing to serve HTTP on ${command.http.host} without grants: anyone who can reach it could use the Kommo account; set KOMMO_GRANTS=<file> (kommo-mcp grant add <name> creates one) or use --host 127.0.0.1`,
    );
  }
  return {
    ...(kommo && { kommo }),
    sandbox: command.sandbox,
    policyPath: command.policyFlag ?? e.KOMMO_POLICY ?? DEFAULT_POLICY_PATH,
    maxRps: e.KOMMO_MAX_RPS,
    timeoutMs: e.KOMMO_TIMEOUT_MS,
    maxRetries: e.KOMMO_MAX_RETRIES,
    referenceTtlMs: e.KOMMO_REFERENCE_TTL_S * 1000,
    limiterMaxKeys: e.KOMMO_LIMITER_MAX_KEYS,
    ...(e.KOMMO_REDIS_URL && {
      redis: { url: e.KOMMO_REDIS_URL, prefix: e.KOMMO_REDIS_PREFIX ?? DEFAULT_REDIS_PREFIX, fail: e.KOMMO_REDIS_FAIL ?? 'closed' },
    }),
    ...(e.KOMMO_TIMEZONE && { timezone: e.KOMMO_TIMEZONE }),
    ...(e.KOMMO_LANGUAGE && { language: e.KOMMO_LANGUAGE as AccountLanguage }),
    ...(e.KOMMO_AUDIT_LOG && { auditLog: e.KOMMO_AUDIT_LOG }),
    logLevel: e.KOMMO_LOG_LEVEL ?? 'info',
    ...(command.http && { http: { ...command.http, allowedHosts: e.KOMMO_HTTP_ALLOWED_HOSTS ?? [] } }),
    ...(grantsPath && { grantsPath }),
    ...(e.KOMMO_STATE_KEY && { stateKey: e.KOMMO_STATE_KEY }),
  };
}
