/**
 * The README's sandbox command, `npm run -s sandbox`, pasted as an MCP client's command: it builds
 * (compiler output on stderr) and serves, and stdout carries nothing but JSON-RPC — no npm banner, no
 * compiler lines — so a client parses every line it reads.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { Client, type CallToolResult } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { parseText } from './harness.js';

// dist/test/ → the repository root, where package.json is.
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** npm as the running `npm test` found it, or the one on PATH. */
function npmCommand(): { command: string; args: string[] } {
  const cli = process.env.npm_execpath;
  return cli && /npm-cli\.c?js$/.test(cli) ? { command: process.execPath, args: [cli] } : { command: 'npm', args: [] };
}

/** The caller's environment without npm's own settings (a `--silent` outer run must not make the test pass) or Kommo settings. */
function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || /^npm_/i.test(key) || key.startsWith('KOMMO_')) continue;
    env[key] = value;
  }
  return env;
}

describe('README sandbox command as an MCP client command', () => {
  it('npm run -s sandbox: the official Client reads only JSON-RPC on stdout and calls get_account', { timeout: 120_000 }, async () => {
    const npm = npmCommand();
    const transport = new StdioClientTransport({ ...npm, args: [...npm.args, 'run', '-s', 'sandbox'], cwd: ROOT, env: cleanEnv(), stderr: 'pipe' });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    // The transport reports every stdout line that is not a JSON-RPC message here.
    const streamErrors: string[] = [];
    const client = new Client({ name: 'kommo-mcp-sandbox-command-test', version: '1.0.0' });
    client.onerror = (error) => streamErrors.push(error.message);
    try {
      await client.connect(transport);
      const result = (await client.callTool({ name: 'get_account', arguments: {} })) as CallToolResult;
      assert.notEqual(result.isError, true, JSON.stringify(result));
      assert.equal(typeof (parseText(result) as { account?: { id?: unknown } }).account?.id, 'number');
    } catch (err) {
      if (err instanceof Error) err.message += `\n--- stderr ---\n${stderr}`;
      throw err;
    } finally {
      await client.close();
    }
    assert.deepEqual(streamErrors, [], 'every stdout line was a JSON-RPC message');
    assert.match(stderr, /SANDBOX MODE/, 'the banner is on stderr');
  });
});
