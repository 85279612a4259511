/**
 * Grants: one bearer token per agent. The file holds only each token's SHA-256, never the token:
 *
 *   {"grants": {"<name>": {"token_sha256": "<hex>", "policy": "<optional path>"}}}
 *
 * A relative policy path is read from the grants file's directory. A presented token is hashed and
 * compared with every grant's hash in constant time, so neither a match nor its position leaks
 * through timing. Audit lines and logs name the grant, never the token.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from './config.js';

/** Over stdio there is one client, acting under this grant. */
export const STDIO_GRANT = 'stdio';
/** Over HTTP without a grants file (loopback only), every request acts under this grant. */
export const LOCAL_GRANT = 'local';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const NAME_RULE = 'a grant name is 1-64 letters, digits, "_", "." or "-", starting with a letter or digit';

const GrantsFileSchema = z
  .object({
    grants: z.record(
      z.string(),
      z
        .object({
          token_sha256: z
            .string()
            .regex(/^[0-9a-fA-F]{64}$/, 'token_sha256 must be the 64-hex-digit SHA-256 of the token')
            .transform((hex) => hex.toLowerCase()),
          policy: z.string().trim().min(1).optional(),
        })
        .strict(),
    ),
  })
  .strict();

export interface Grant {
  name: string;
  tokenSha256: Buffer;
  /** Absolute path of the grant's own policy file; absent: the main policy applies. */
  policyPath?: string;
}

export function sha256Hex(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Reads and checks a grants file; any problem is one ConfigError line naming the file and the field. */
export function loadGrants(path: string): Grant[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'is not valid JSON';
    throw new ConfigError(`grants file ${path} ${reason}; create it with: kommo-mcp grant add <name> --grants ${path}`);
  }
  const parsed = GrantsFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const at = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
    throw new ConfigError(
      `grants file ${path}: ${at}: ${issue.message.replace(/\s+/g, ' ')}; expected {"grants": {"<name>": {"token_sha256": "<hex>", "policy": "<optional path>"}}}`,
    );
  }
  const badName = Object.keys(parsed.data.grants).find((name) => !NAME.test(name));
  if (badName !== undefined) throw new ConfigError(`grants file ${path}: grants.${badName}: ${NAME_RULE}`);
  const base = dirname(resolve(path));
  return Object.entries(parsed.data.grants).map(([name, grant]) => ({
    name,
    tokenSha256: Buffer.from(grant.token_sha256, 'hex'),
    ...(grant.policy !== undefined && { policyPath: resolve(base, grant.policy) }),
  }));
}

/**
 * The grant an `Authorization` header proves, or undefined. Every grant's hash is compared (no early
 * exit), each comparison in constant time.
 */
export function grantForAuthorization(grants: readonly Grant[], authorization: string | undefined): string | undefined {
  const match = /^Bearer +(\S+) *$/i.exec(authorization ?? '');
  if (!match) return undefined;
  const presented = createHash('sha256').update(match[1]!, 'utf8').digest();
  let found: string | undefined;
  for (const grant of grants) {
    if (timingSafeEqual(presented, grant.tokenSha256) && found === undefined) found = grant.name;
  }
  return found;
}

/**
 * `kommo-mcp grant add <name>`: a new random token whose hash goes into the file (created when
 * missing). Returns the token, which is shown once and stored nowhere.
 */
export function addGrant(path: string, name: string): string {
  if (!NAME.test(name)) throw new ConfigError(`"${name}" cannot be a grant name: ${NAME_RULE}`);
  let document: { grants: Record<string, unknown> } = { grants: {} };
  if (existsSync(path)) {
    loadGrants(path); // a broken file is reported, not overwritten
    document = JSON.parse(readFileSync(path, 'utf8')) as typeof document;
  }
  if (Object.hasOwn(document.grants, name)) {
    throw new ConfigError(`grant "${name}" already exists in ${path}; pick another name, or remove it from the file first`);
  }
  const token = randomBytes(32).toString('base64url');
  document.grants[name] = { token_sha256: sha256Hex(token) };
  // Write then rename: a running server reading the file never sees half of it.
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(document, null, 2) + '\n', { mode: 0o600 });
  renameSync(temporary, path);
  return token;
}
