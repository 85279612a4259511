#!/usr/bin/env node
/**
 * Entry point: flags + environment → config → Kommo client → policy → server → stdio transport.
 * stdout belongs to the MCP protocol; everything else goes to stderr.
 */
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { ConfigError, loadConfig, parseArgs, withEnvFile, type Config } from './config.js';
import { KommoClient } from './kommo/client.js';
import { Pacer } from './kommo/pacer.js';
import { ReferenceData } from './kommo/reference.js';
import { createLogger, redactSecrets } from './log.js';
import { createServer, SERVER_NAME, SERVER_VERSION, type CreatedServer } from './server.js';
import { ReportServices } from './reports/services.js';
import { startSandbox } from './sandbox/index.js';
import { kommoAttempts } from '../policy/attempts.js';
import { fileAudit, loggerAudit } from '../policy/audit.js';
import { runPolicyCheck } from '../policy/check.js';
import { Limiter } from '../policy/limiter.js';
import { PolicyMiddleware } from '../policy/middleware.js';
import { PolicyStore } from '../policy/store.js';
import { toolArguments } from '../tools/index.js';

const HELP = `${SERVER_NAME} ${SERVER_VERSION} — MCP server for the Kommo CRM with a policy firewall

Usage:
  kommo-mcp [--policy <file>]        serve MCP over stdio against KOMMO_BASE_URL with KOMMO_ACCESS_TOKEN
  kommo-mcp --sandbox [--policy <f>] serve MCP over stdio against an embedded Kommo sandbox (no account needed)
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
    const report = runPolicyCheck(command.file, toolArguments);
    await new Promise<void>((done) => process.stdout.write(report.stdout, () => done()));
    await new Promise<void>((done) => process.stderr.write(report.stderr, () => done()));
    return report.code;
  }
  const settings = withEnvFile(process.env, command.envFile);
  const config = loadConfig(settings.env, command);
  await serve(config, settings);
  return -1; // keep running until stdin closes or a signal arrives
}

async function serve(config: Config, settings: { file?: string; fromFile: string[] }): Promise<void> {
  // The policy first: an invalid one stops the server before anything starts (PolicyError names the
  // file and the JSON path). Policy log lines never carry the token.
  const policy = new PolicyStore(config.policyPath, toolArguments, { logger: createLogger(config.logLevel) });
  let kommoTarget = config.kommo;
  let stopSandbox: (() => Promise<void>) | undefined;
  if (config.sandbox) {
    const sandbox = await startSandbox();
    kommoTarget = { baseUrl: sandbox.url, token: sandbox.token };
    stopSandbox = () => sandbox.close();
    process.stderr.write(
      `kommo-mcp: SANDBOX MODE — serving a fake Kommo account with generated data at ${sandbox.url}; nothing here touches a real Kommo account.\n`,
    );
  }
  // Every log line is scrubbed of the token, whatever a caller hands the logger.
  const logger = createLogger(config.logLevel, undefined, { secrets: [kommoTarget!.token] });
  secrets.push(kommoTarget!.token);
  process.on('unhandledRejection', (reason) => {
    logger.error('unhandled rejection', { error: describeError(reason) });
  });
  const kommo = new KommoClient({
    baseUrl: kommoTarget!.baseUrl,
    token: kommoTarget!.token,
    pacer: new Pacer(config.maxRps),
    timeoutMs: config.timeoutMs,
    maxRetries: config.maxRetries,
    logger,
    onAttempt: kommoAttempts.observe,
  });
  const reference = new ReferenceData(kommo, {
    ttlMs: config.referenceTtlMs,
    ...(config.timezone && { timezone: config.timezone }),
  });
  const audit = config.auditLog ? fileAudit(config.auditLog) : loggerAudit(logger);
  const middleware = new PolicyMiddleware({
    policy,
    limiter: new Limiter({ maxKeys: config.limiterMaxKeys }),
    audit,
    logger,
  });
  // One set of report caches for the whole process, shared by every session.
  const reports = new ReportServices(kommo, reference);
  // The entry builds the instance once the client's opening message names its era (2025
  // `initialize` or 2026-07-28 `server/discover` / enveloped request) and pins it to the connection.
  let app: CreatedServer | undefined;
  const connection = serveStdio(
    ({ era }) => {
      app = createServer({ kommo, reference, middleware, logger, reports, era });
      return app.server;
    },
    { onerror: (error) => logger.debug('stdio protocol error', { error: describeError(error) }) },
  );
  // A valid edit of the policy file applies to the next call; clients are told the tool list changed.
  policy.onChange(() => void app?.notifyToolsChanged().catch(() => {}));
  policy.watch();
  const shutdown = async (): Promise<void> => {
    policy.close();
    await connection.close().catch(() => {});
    await stopSandbox?.().catch(() => {});
    audit.close();
    process.exit(0);
  };
  process.stdin.on('end', () => void shutdown());
  // The client went away (EPIPE on the protocol channel): nothing left to serve.
  process.stdout.on('error', () => void shutdown());
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
  if (settings.file !== undefined) logger.info('settings read from file', { file: settings.file, names: settings.fromFile });
  logger.info('kommo-mcp ready on stdio', { sandbox: config.sandbox, policy: config.policyPath, policySha256: policy.sha256 });
}

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
