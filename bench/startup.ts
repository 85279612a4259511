/**
 * Start-up: from spawning the process to the answer to tools/list (initialize, initialized,
 * tools/list written at once, as a client does), median of interleaved runs, for kommo-mcp --sandbox,
 * kommo-mcp against a real account URL (nothing is asked of Kommo before tools/list), and the floor:
 * a one-tool server on the same SDK (bench/one-tool-server.ts). Goals: ≤ 1.2× the floor with
 * --sandbox, ≤ 1.1× in real-account mode.
 */
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { ENTRY } from '../test/harness.js';

export const name = 'startup';
export const description = 'spawn → tools/list answered: --sandbox and real-account mode beside a one-tool server on the same SDK';

const RUNS = 9;
const ONE_TOOL = fileURLToPath(new URL('./one-tool-server.js', import.meta.url));
const MESSAGES = [
  { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'bench', version: '1' } } },
  { jsonrpc: '2.0', method: 'notifications/initialized' },
  { jsonrpc: '2.0', id: 2, method: 'tools/list' },
]
  .map((m) => JSON.stringify(m))
  .join('\n');

/**
 * Resolves once the child has exited, not at the answer: a server still shutting down (the sandbox
 * finishes its seed first) must not take CPU from the next start being measured.
 */
function startToList(args: string[], env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { cwd: tmpdir(), env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['pipe', 'pipe', 'ignore'] });
    let out = '';
    let answeredAfter: number | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (answeredAfter === undefined && /"id":2[,}]/.test(out)) {
        answeredAfter = performance.now() - started;
        child.kill();
      }
    });
    child.on('exit', (code) => {
      if (answeredAfter === undefined) reject(new Error(`${args.join(' ')} exited (${code}) before answering tools/list`));
      else resolve(answeredAfter);
    });
    child.stdin.write(`${MESSAGES}\n`);
  });
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export async function run(): Promise<void> {
  const real = { KOMMO_BASE_URL: 'http://127.0.0.1:9', KOMMO_ACCESS_TOKEN: 'eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.bench.token' };
  const times = { floor: [] as number[], sandbox: [] as number[], real: [] as number[] };
  // Interleaved, so a busy moment of the machine falls on all three alike.
  for (let i = 0; i < RUNS; i++) {
    times.floor.push(await startToList([ONE_TOOL], {}));
    times.sandbox.push(await startToList([ENTRY, '--sandbox'], {}));
    times.real.push(await startToList([ENTRY], real));
  }
  const floor = median(times.floor);
  const line = (label: string, ms: number, goal?: number): string =>
    `  ${label.padEnd(36)} ${String(Math.round(ms)).padStart(5)} ms  ${(ms / floor).toFixed(2)}×` +
    (goal ? `   goal ≤ ${goal}×: ${ms / floor <= goal ? 'goal met' : 'GOAL MISSED'}` : '') +
    '\n';
  process.stdout.write(`median of ${RUNS} interleaved starts, spawn → tools/list answered\n`);
  process.stdout.write(line('one-tool server, same SDK (floor)', floor));
  process.stdout.write(line('kommo-mcp --sandbox', median(times.sandbox), 1.2));
  process.stdout.write(line('kommo-mcp, real-account mode', median(times.real), 1.1));
}
