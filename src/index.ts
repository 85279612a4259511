#!/usr/bin/env node
/**
 * Entry point: flags + environment → config → Kommo client → policy → server → stdio transport.
 * stdout belongs to the MCP protocol; everything else goes to stderr.
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import dotenv from 'dotenv';
import { ConfigError, loadConfig, parseArgs, type Config } from './config.js';
import { KommoClient } from './kommo/client.js';
import { Pacer } from './kommo/pacer.js';
import { ReferenceData } from './kommo/reference.js';
import { createLogger } from './log.js';
import { createServer, SERVER_NAME, SERVER_VERSION } from './server.js';
import { ReportServices } from './reports/services.js';
import { startSandbox } from './sandbox/index.js';
import { PolicyMiddleware } from '../policy/middleware.js';

const HELP = `${SERVER_NAME} ${SERVER_VERSION} — MCP server for the Kommo CRM with a policy firewall

Usage:
  kommo-mcp [--policy <file>]        serve MCP over stdio against KOMMO_BASE_URL with KOMMO_ACCESS_TOKEN
  kommo-mcp --sandbox [--policy <f>] serve MCP over stdio against an embedded Kommo sandbox (no account needed)
  kommo-mcp policy check <file>      validate a policy file and print each tool's effective decision
  kommo-mcp --help | --version

Settings come from the environment (or a .env file): see README.md for the full table.
`;

async function main(): Promise<number> {
  // quiet: dotenv would otherwise announce itself on stdout, which is the protocol channel.
  dotenv.config({ quiet: true });
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
    throw new ConfigError('policy check is not available yet');
  }
  const config = loadConfig(process.env, command);
  await serve(config);
  return -1; // keep running until stdin closes or a signal arrives
}

async function serve(config: Config): Promise<void> {
  const logger = createLogger(config.logLevel);
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
  const kommo = new KommoClient({
    baseUrl: kommoTarget!.baseUrl,
    token: kommoTarget!.token,
    pacer: new Pacer(config.maxRps),
    timeoutMs: config.timeoutMs,
    maxRetries: config.maxRetries,
    logger,
  });
  const reference = new ReferenceData(kommo, {
    ttlMs: config.referenceTtlMs,
    ...(config.timezone && { timezone: config.timezone }),
  });
  const middleware = new PolicyMiddleware();
  // One set of report caches for the whole process, shared by every session.
  const reports = new ReportServices(kommo, reference);
  const app = createServer({ kommo, reference, middleware, logger, reports });
  const transport = new StdioServerTransport();
  const shutdown = async (): Promise<void> => {
    await app.close().catch(() => {});
    await stopSandbox?.().catch(() => {});
    process.exit(0);
  };
  process.stdin.on('end', () => void shutdown());
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
  await app.server.connect(transport);
  logger.info('kommo-mcp ready on stdio', { sandbox: config.sandbox, policy: config.policyPath });
}

main().then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    const message = err instanceof ConfigError ? err.message : 'failed to start: ' + (err instanceof Error ? err.message : String(err));
    process.stderr.write(`kommo-mcp: ${message}\n`);
    process.exit(err instanceof ConfigError ? 2 : 1);
  },
);
