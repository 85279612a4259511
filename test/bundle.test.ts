/**
 * The shipped entry point is the bundle (dist/bin/kommo-mcp.js, built by build/bundle.ts): every test
 * that spawns the server drives it (ENTRY is package.json's `bin`). Here: it stands on its own, with
 * only package.json and the policy files beside it; its lazily loaded parts (the sandbox, the Kommo
 * HTTP client, `policy check`, the report and ask_kommo code) load from their own chunks, and
 * start-up loads none of the sandbox or report code.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as pause } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { toolListEntry } from '../src/server.js';
import { catalogue } from '../tools/index.js';
import { ENTRY, parseText } from './harness.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string>; files: string[] };

/** The part of esbuild's metafile read here: each output file, the modules in it and the files it imports. */
interface BundleMeta {
  outputs: Record<string, { inputs: Record<string, unknown>; imports: Array<{ path: string; kind: string; external?: boolean }> }>;
}

/** Written by build/bundle.ts at every build. */
const META = JSON.parse(readFileSync(join(ROOT, 'dist', 'build', 'bundle-meta.json'), 'utf8')) as BundleMeta;
const ENTRY_OUTPUT = `dist/bin/${basename(ENTRY)}`;

/** Output files loaded when `from` is: it and every chunk it imports, except through `import()`. */
function loadedWith(from: string): string[] {
  const loaded = new Set([from]);
  for (const file of loaded) {
    for (const imported of META.outputs[file]!.imports) if (!imported.external && imported.kind !== 'dynamic-import') loaded.add(imported.path);
  }
  return [...loaded];
}

const modulesOf = (files: readonly string[]): string[] => files.flatMap((file) => Object.keys(META.outputs[file]!.inputs));
const LOADED_ON_FIRST_USE = /^dist\/src\/(reports|sandbox)\//;

/** A copy of the bundle with no node_modules and no compiled modules around it: what it needs, it carries. */
function bundleCopy(): { dir: string; entry: string } {
  const dir = mkdtempSync(join(tmpdir(), 'kommo-bundle-'));
  cpSync(dirname(ENTRY), join(dir, 'dist', 'bin'), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  cpSync(join(ROOT, 'policy', 'default.json'), join(dir, 'policy', 'default.json'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return { dir, entry: join(dir, 'dist', 'bin', basename(ENTRY)) };
}

/** `--sandbox` from a copy, with the official Client; stderr is collected. */
async function connectSandbox(copy: { dir: string; entry: string }): Promise<{ client: Client; stderr: () => string }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [copy.entry, '--sandbox'],
    cwd: copy.dir,
    env: { PATH: process.env.PATH ?? '' },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const client = new Client({ name: 'bundle-test', version: '1.0.0' });
  await client.connect(transport);
  after(() => client.close());
  return { client, stderr: () => stderr };
}

async function callJson(client: Client, name: string, args: Record<string, unknown> = {}): Promise<{ isError: boolean; body: Record<string, unknown> }> {
  const result = (await client.callTool({ name, arguments: args })) as Parameters<typeof parseText>[0];
  return { isError: result.isError === true, body: parseText(result) };
}

describe('the bundled entry point', () => {
  const copy = bundleCopy();
  const run = (args: string[]) =>
    spawnSync(process.execPath, [copy.entry, ...args], { cwd: copy.dir, env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8', input: '', timeout: 20_000 });

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
    const out = run(['policy', 'check', join(copy.dir, 'policy', 'default.json')]);
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, /valid policy/);
  });

  test('start-up loads no report or sandbox code: the entry and the chunks it imports statically hold nothing of src/reports/ or src/sandbox/', () => {
    const atStart = modulesOf(loadedWith(ENTRY_OUTPUT));
    assert.ok(atStart.includes('dist/src/server.js') && atStart.includes('dist/tools/get-dashboard.js'), 'the metafile names compiled modules as read here');
    assert.deepEqual(
      atStart.filter((module) => LOADED_ON_FIRST_USE.test(module)),
      [],
    );
    // They are in the bundle all the same, in chunks loaded on first use.
    const bundled = modulesOf(Object.keys(META.outputs));
    for (const module of ['dist/src/reports/services.js', 'dist/src/reports/dashboard.js', 'dist/src/reports/ask/answer.js', 'dist/src/sandbox/index.js']) {
      assert.ok(bundled.includes(module), `${module} is bundled`);
    }
  });

  test('a rebuild (the suite runs one: npm run sandbox) never leaves the entry or a chunk it loads missing, and removes files of an earlier build', async () => {
    const stale = join(dirname(ENTRY), 'chunk-STALE000.js');
    writeFileSync(stale, '');
    const atStart = loadedWith(ENTRY_OUTPUT).map((file) => join(ROOT, file));
    const rebuild = spawn(process.execPath, [join(ROOT, 'dist', 'build', 'bundle.js')], { stdio: 'ignore' });
    let exitCode: number | null | undefined;
    rebuild.on('exit', (code) => (exitCode = code));
    const missing = new Set<string>();
    // Looked at every millisecond or so until the build exits: a server may start at any of them.
    while (exitCode === undefined) {
      for (const file of atStart) if (!existsSync(file)) missing.add(file);
      await pause(1);
    }
    assert.equal(exitCode, 0);
    assert.deepEqual([...missing], []);
    assert.equal(existsSync(stale), false, 'a file no build wrote is removed');
    assert.ok(statSync(ENTRY).mode & 0o100, 'the entry stays executable');
  });

  test('--sandbox: tools/list, then tool calls through the lazily loaded sandbox, Kommo client and report code', async () => {
    const { client } = await connectSandbox(copy);
    const { tools } = await client.listTools();
    assert.ok(tools.some((t) => t.name === 'get_account'));
    // Its tools/list, written in at build time, is what the catalogue's definitions say.
    for (const listed of tools) assert.deepEqual(listed, toolListEntry(catalogue.find((tool) => tool.name === listed.name)!));
    const account = await callJson(client, 'get_account');
    assert.equal(account.isError, false, JSON.stringify(account.body));
    assert.equal(typeof (account.body['account'] as { name?: unknown }).name, 'string');
    // The three report tools at once: their first calls share one set of report services.
    const [dashboard, report, answer] = await Promise.all([
      callJson(client, 'get_dashboard'),
      callJson(client, 'get_sales_report', { days: 7 }),
      callJson(client, 'ask_kommo', { question: 'Quantos leads ganhamos este mês?' }),
    ]);
    assert.equal(dashboard.isError, false, JSON.stringify(dashboard.body));
    assert.equal(typeof dashboard.body['today'], 'object');
    assert.equal(report.isError, false, JSON.stringify(report.body));
    assert.equal(typeof report.body['period'], 'object');
    assert.equal(answer.isError, false, JSON.stringify(answer.body));
    assert.equal(answer.body['intent'], 'count_won');
  });

  test('with the report chunks missing, it starts and serves, and each report tool answers internal_error (code_unavailable) without a Kommo request', async () => {
    const damaged = bundleCopy();
    const reportChunks = Object.keys(META.outputs).filter(
      (file) => file.endsWith('.js') && Object.keys(META.outputs[file]!.inputs).some((m) => m.startsWith('dist/src/reports/')),
    );
    assert.ok(reportChunks.length > 0);
    for (const file of reportChunks) rmSync(join(damaged.dir, file));
    const { client, stderr } = await connectSandbox(damaged);
    assert.ok((await client.listTools()).tools.some((t) => t.name === 'get_dashboard'));
    for (const [name, args] of [
      ['get_dashboard', {}],
      ['get_sales_report', { days: 7 }],
      ['ask_kommo', { question: 'Quantos leads ganhamos este mês?' }],
    ] as const) {
      const { isError, body } = await callJson(client, name, args);
      assert.equal(isError, true, name);
      assert.equal(body['error'], 'internal_error', name);
      assert.equal(body['reason'], 'code_unavailable', name);
      assert.match(String(body['message']), /report code failed to load.*reinstall kommo-mcp/);
    }
    // The server goes on; the log says which file was missing (the agent is not told paths).
    const account = await callJson(client, 'get_account');
    assert.equal(account.isError, false, JSON.stringify(account.body));
    assert.match(stderr(), /"msg":"code failed to load","part":"report"[^\n]*ERR_MODULE_NOT_FOUND/);
    const audit = stderr()
      .split('\n')
      .filter((line) => line.includes('"msg":"audit"') && line.includes('"tool":"get_dashboard"'));
    assert.equal(audit.length, 1);
    assert.match(audit[0]!, /"kommoRequests":0/);
  });
});
