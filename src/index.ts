#!/usr/bin/env node
/**
 * Entry point: flags + environment → config → Kommo client → policy → server → stdio transport.
 * stdout belongs to the MCP protocol; everything else goes to stderr.
 */
import { randomBytes } from 'node:crypto';
import { serveStdio, StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import { ConfigError, grantsPathFrom, loadConfig, parseArgs, withEnvFile, type Config } from './config.js';
import { kommoApi } from './kommo/api.js';
import { KommoClient } from './kommo/client.js';
import { Pacer } from './kommo/pacer.js';
import { ReferenceData } from './kommo/reference.js';
import { createLogger, redactSecrets } from './log.js';
import { screenedLines } from './protocol-guard.js';
import { addGrant, grantForAuthorization, loadGrants, LOCAL_GRANT, STDIO_GRANT } from './grants.js';
import { createServer, SERVER_NAME, SERVER_VERSION, type CreatedServer } from './server.js';
import { reportsOnFirstUse } from './on-first-use.js';
import { kommoAttempts } from '../policy/attempts.js';
import { fileAudit, loggerAudit } from '../policy/audit.js';
import { ApprovalStates, MIN_STATE_KEY_BYTES } from '../policy/approval-state.js';
import { Limiter } from '../policy/limiter.js';
import { createCounterStore } from '../policy/shared-counters.js';
import { PolicyMiddleware } from '../policy/middleware.js';
import { PolicyStore } from '../policy/store.js';
import { toolArguments, toolKinds } from '../tools/index.js';

const HELP = `${SERVER_NAME} ${SERVER_VERSION} — MCP server for the Kommo CRM with a policy firewall

Usage:
  kommo-mcp [--policy <file>]        serve MCP over stdio against KOMMO_BASE_URL with KOMMO_ACCESS_TOKEN
  kommo-mcp --sandbox [--policy <f>] serve MCP over stdio against an embedded Kommo sandbox (no account needed)
  kommo-mcp --http [--host 127.0.0.1] [--port 8765] [--grants <file>]
                                     serve Streamable HTTP at /mcp (--port 0: the system chooses);
                                     a non-loopback --host needs grants (KOMMO_GRANTS or --grants)
  kommo-mcp grant add <name> [--grants <file>]
                                     add a grant; prints its new bearer token once
  kommo-mcp policy check <file>      validate a policy file and print each tool's effective decision
  kommo-mcp --help | --version

Options:
  --env-file <file>                  also read settings from this file (or KOMMO_ENV_FILE=<file>);
                                     the real environment wins; no .env is read unless named

Settings come from the environment: see README.md for the full table.
`;

async function main(): Promise<number> {
  const command = parseArgs(process.argv.slice(2));
  if (command.kind === 'help') {
    process.stderr.write(HELP);
    return 0;
  }
  if (command.kind === 'version') {
    process.stderr.write(`${SERVER_VERSION}\n`);
    return 0;
  }
  if (command.kind === 'policy-check') {
    // Not the MCP stdio mode: the report is for a person, on stdout.
    const { runPolicyCheck } = await import('../policy/check.js');
    const report = runPolicyCheck(command.file, toolArguments, toolKinds);
    await new Promise<void>((done) => process.stdout.write(report.stdout, () => done()));
    await new Promise<void>((done) => process.stderr.write(report.stderr, () => done()));
    return report.code;
  }
  if (command.kind === 'grant-add') {
    const file = grantsPathFrom(process.env, command.grantsFlag);
    if (!file) throw new ConfigError('grant add needs the grants file: --grants <file> or KOMMO_GRANTS=<file>');
    const token = addGrant(file, command.name);
    // The token is shown once, on stdout (so it can be piped); only its hash is stored.
    process.stderr.write(`kommo-mcp: grant "${command.name}" added to ${file}; its token (shown once, store it now):\n`);
    await new Promise<void>((done) => process.stdout.write(`${token}\n`, () => done()));
    return 0;
  }
  const settings = withEnvFile(process.env, command.envFile);
  const config = loadConfig(settings.env, command);
  await serve(config, settings);
  return -1; // keep running until stdin closes (stdio) or a signal arrives
}

async function serve(config: Config, settings: { file?: string; fromFile: string[] }): Promise<void> {
  // The policy first: an invalid one stops the server before anything starts (PolicyError names the
  // file and the JSON path). Policy log lines never carry the token.
  const policy = new PolicyStore(config.policyPath, toolArguments, { logger: createLogger(config.logLevel) });
  let kommoTarget: { baseUrl: string | Promise<string>; token: string } | undefined = config.kommo;
  let stopSandbox: (() => Promise<void>) | undefined;
  if (config.sandbox) {
    // The sandbox (its modules and its seed) starts beside the transport, not before it: tools/list
    // needs no Kommo, and the first Kommo request waits for the sandbox's address.
    const starting = import('./sandbox/index.js').then(({ startSandbox }) => startSandbox({ token: SANDBOX_TOKEN }));
    kommoTarget = { baseUrl: starting.then((sandbox) => sandbox.url), token: SANDBOX_TOKEN };
    stopSandbox = async () => (await starting).close();
    starting.then(
      (sandbox) =>
        process.stderr.write(
          `kommo-mcp: SANDBOX MODE — serving a fake Kommo account with generated data at ${sandbox.url}; nothing here touches a real Kommo account.\n`,
        ),
      (err: unknown) => fail('the sandbox did not start: ' + describeError(err, false), 1),
    );
  }
  // Every log line is scrubbed of the token, whatever a caller hands the logger.
  const redisPassword = config.redis ? redisUrlPassword(config.redis.url) : '';
  const logger = createLogger(config.logLevel, undefined, { secrets: [kommoTarget!.token, redisPassword] });
  secrets.push(kommoTarget!.token, redisPassword);
  process.on('unhandledRejection', (reason) => {
    logger.error('unhandled rejection', { error: describeError(reason) });
  });
  const kommo = kommoApi(
    new KommoClient({
      baseUrl: kommoTarget!.baseUrl,
      token: kommoTarget!.token,
      pacer: new Pacer(config.maxRps),
      timeoutMs: config.timeoutMs,
      maxRetries: config.maxRetries,
      logger,
      onAttempt: kommoAttempts.observe,
    }),
  );
  const reference = new ReferenceData(kommo, {
    ttlMs: config.referenceTtlMs,
    ...(config.timezone && { timezone: config.timezone }),
    ...(config.language && { language: config.language }),
  });
  const audit = config.auditLog ? fileAudit(config.auditLog) : loggerAudit(logger);
  // Counters (and approval markers) in memory, or on Redis shared by every replica; one limiter for
  // the whole process: `grant` and `global` budgets span every session and grant.
  const counters = await createCounterStore({ maxKeys: config.limiterMaxKeys, ...(config.redis && { redis: config.redis }) }, logger);
  // Not awaited: the transport connects at once (tools/list needs no counter), and a call that needs
  // one waits for the store's first connection itself, as briefly.
  void counters.whenReady?.(REDIS_STARTUP_WAIT_MS).then((ready) => {
    if (!ready) logger.warn('Redis is not reachable yet; calls with rate limits follow KOMMO_REDIS_FAIL until it is', { fail: config.redis?.fail });
  });
  const limiter = new Limiter({ store: counters });
  const middlewareFor = (holder: PolicyStore): PolicyMiddleware => new PolicyMiddleware({ policy: holder, limiter, audit, logger, secrets });
  const middleware = middlewareFor(policy);
  // One set of report caches for the whole process, shared by every session; it and the report code
  // load with the first report call, not at start-up.
  const reports = reportsOnFirstUse(kommo, reference, logger);
  // 2026-07-28 approvals: states sealed with one key per deployment, single-use markers in the counter store.
  if (!config.stateKey && config.http) {
    logger.warn(
      'KOMMO_STATE_KEY is not set: approval states are sealed with a random key of this process; several replicas behind one address need one shared KOMMO_STATE_KEY (at least 32 bytes)',
    );
  }
  const approvalStates = new ApprovalStates({ key: config.stateKey ?? randomBytes(MIN_STATE_KEY_BYTES), store: counters });
  const build = (era: 'legacy' | 'modern', grant: string, through = middleware): CreatedServer =>
    createServer({ kommo, reference, middleware: through, logger, reports, era, grant, approvalStates });
  const closers: Array<() => Promise<void>> = [];
  const stores = [policy];
  let notifyToolsChanged: () => void;
  let ready: string;

  if (config.http) {
    const grants = config.grantsPath ? loadGrants(config.grantsPath) : undefined;
    // A grant with its own policy file gets its own pipeline (same limiter, same audit trail).
    const grantMiddleware = new Map<string, PolicyMiddleware>();
    for (const grant of grants ?? []) {
      if (!grant.policyPath) continue;
      const store = new PolicyStore(grant.policyPath, toolArguments, { logger });
      stores.push(store);
      grantMiddleware.set(grant.name, middlewareFor(store));
    }
    const { startHttpServer } = await import('./http.js');
    const http = await startHttpServer({
      host: config.http.host,
      port: config.http.port,
      allowedHosts: config.http.allowedHosts,
      logger,
      build: ({ era, grant }) => build(era, grant, grantMiddleware.get(grant)),
      authenticate: grants ? (authorization) => grantForAuthorization(grants, authorization) : () => LOCAL_GRANT,
    });
    closers.push(() => http.close());
    notifyToolsChanged = () => http.notifyToolsChanged();
    process.stderr.write(`kommo-mcp: serving MCP over Streamable HTTP at ${http.url}\n`);
    ready = 'kommo-mcp ready on Streamable HTTP';
  } else {
    // The entry builds the instance once the client's opening message names its era (2025
    // `initialize` or 2026-07-28 `server/discover` / enveloped request) and pins it to the connection.
    let app: CreatedServer | undefined;
    // Odd shapes and oversized lines are answered before the SDK reads them (src/protocol-guard.ts);
    // a reply is one whole line on stdout, like every message the SDK writes.
    const wire = new StdioServerTransport(
      screenedLines(process.stdin, (reply) => process.stdout.write(`${JSON.stringify(reply)}\n`)),
      process.stdout,
    );
    const connection = serveStdio(
      ({ era }) => {
        app = build(era, STDIO_GRANT);
        return app.server;
      },
      { transport: wire, onerror: (error) => logger.debug('stdio protocol error', { error: describeError(error) }) },
    );
    closers.push(() => connection.close());
    notifyToolsChanged = () => void app?.notifyToolsChanged().catch(() => {});
    ready = 'kommo-mcp ready on stdio';
  }
  // A valid edit of a policy file applies to the next call; clients are told the tool list changed.
  for (const store of stores) {
    store.onChange(() => notifyToolsChanged());
    store.watch();
  }
  let stopping = false;
  const shutdown = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    for (const store of stores) store.close();
    // HTTP: stop accepting, let the calls in flight finish, then close sessions.
    for (const close of closers) await close().catch(() => {});
    await stopSandbox?.().catch(() => {});
    await Promise.resolve(counters.close()).catch(() => {});
    audit.close();
    process.exit(0);
  };
  if (!config.http) {
    process.stdin.on('end', () => void shutdown());
    // The client went away (EPIPE on the protocol channel): nothing left to serve.
    process.stdout.on('error', () => void shutdown());
  }
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
  if (settings.file !== undefined) logger.info('settings read from file', { file: settings.file, names: settings.fromFile });
  logger.info(ready, {
    sandbox: config.sandbox,
    policy: config.policyPath,
    policySha256: policy.sha256,
    ...(config.grantsPath && { grants: config.grantsPath }),
  });
}

/** How long after start an unreachable Redis is reported in the log (calls follow KOMMO_REDIS_FAIL meanwhile). */
const REDIS_STARTUP_WAIT_MS = 2000;

/** The password of a Redis URL, as the client sends it (never to be logged). */
function redisUrlPassword(url: string): string {
  try {
    return decodeURIComponent(new URL(url).password);
  } catch {
    return '';
  }
}

/** The embedded sandbox's bearer token: not a secret, but scrubbed from logs like any token. */
const SANDBOX_TOKEN = 'sandbox-token';

/** Secrets known so far; a fatal message is scrubbed of them before it is printed. */
const secrets: string[] = [];

/** Name and message only: a raw error (an axios one above all) can carry the request headers. */
function describeError(err: unknown, withName = true): string {
  const text = err instanceof Error ? (withName ? `${err.name}: ${err.message}` : err.message) : String(err);
  return redactSecrets(text, secrets).replace(/\s+/g, ' ').slice(0, 500);
}

/** One line on stderr, then exit once it has been written (stderr may be an asynchronous pipe). */
function fail(message: string, code: number): void {
  process.stderr.write(`kommo-mcp: ${redactSecrets(message, secrets).replace(/\s+/g, ' ').trim()}\n`, () => process.exit(code));
}

process.on('uncaughtException', (err) => fail('stopped after an unexpected error: ' + describeError(err), 1));

main().then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    if (err instanceof ConfigError) fail(err.message, 2);
    else fail('failed to start: ' + describeError(err, false), 1);
  },
);
