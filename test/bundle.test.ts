/**
 * The shipped entry point is the bundle (dist/bin/kommo-mcp.js, built by build/bundle.ts): every test
 * that spawns the server drives it (ENTRY is package.json's `bin`). Here: it stands on its own, with
 * only package.json and the policy files beside it, and its lazily loaded parts (the sandbox, the
 * Kommo HTTP client, `policy check`) load from its own chunks.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { ENTRY, parseText } from './harness.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string>; files: string[] };

describe('the bundled entry point', () => {
  // A copy with no node_modules and no compiled modules around it: what it needs, it carries.
  const copy = mkdtempSync(join(tmpdir(), 'kommo-bundle-'));
  cpSync(dirname(ENTRY), join(copy, 'dist', 'bin'), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(copy, 'package.json'));
  cpSync(join(ROOT, 'policy', 'default.json'), join(copy, 'policy', 'default.json'));
  const entry = join(copy, 'dist', 'bin', 'kommo-mcp.js');
  const run = (args: string[]) =>
    spawnSync(process.execPath, [entry, ...args], { cwd: copy, env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8', input: '', timeout: 20_000 });

  test('is what package.json ships as the kommo-mcp command, and what the tests spawn', () => {
    assert.equal(ENTRY, join(ROOT, PACKAGE.bin['kommo-mcp']!));
    assert.equal(PACKAGE.bin['kommo-mcp'], 'dist/bin/kommo-mcp.js');
    assert.ok(PACKAGE.files.includes('dist/bin'));
    assert.match(readFileSync(ENTRY, 'utf8'), /^#!\/usr\/bin\/env node\n/);
  });

  test('--version reads the version from package.json', () => {
    const out = run(['--version']);
    assert.equal(out.status, 0, out.stderr);
    assert.equal(out.stderr.trim(), PACKAGE.version);
  });

  test('policy check loads its chunk and finds the default policy', () => {
    const out = run(['policy', 'check', join(copy, 'policy', 'default.json')]);
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, /valid policy/);
  });

  test('--sandbox: tools/list, then a tool call through the lazily loaded sandbox and Kommo client', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [entry, '--sandbox'],
      cwd: copy,
      env: { PATH: process.env.PATH ?? '' },
      stderr: 'pipe',
    });
    const client = new Client({ name: 'bundle-test', version: '1.0.0' });
    await client.connect(transport);
    after(() => client.close());
    const { tools } = await client.listTools();
    assert.ok(tools.some((t) => t.name === 'get_account'));
    const result = await client.callTool({ name: 'get_account', arguments: {} });
    assert.notEqual(result.isError, true, JSON.stringify(result.content));
    assert.equal(typeof (parseText(result as Parameters<typeof parseText>[0])['account'] as { name?: unknown }).name, 'string');
  });
});
