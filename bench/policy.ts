/**
 * What the policy firewall costs:
 *  1. tool-call latency through the real server and the official Client against the sandbox, with a
 *     realistic policy vs. allow-all.json (same run, same sandbox, calls interleaved);
 *  2. decisions per second of `evaluate` + `reserve` + `commit` alone;
 *  3. heap after 1,000,000 distinct scope keys, with the default key cap (new keys past it are refused,
 *     no live key is evicted) and with a cap above the flood.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { AuditSink } from '../policy/audit.js';
import { compilePolicy, type CompiledPolicy } from '../policy/compile.js';
import { toolArguments } from '../tools/index.js';
import { evaluate, type Admission } from '../policy/evaluate.js';
import { DEFAULT_LIMITER_MAX_KEYS, Limiter } from '../policy/limiter.js';
import { MemoryCounterStore } from '../policy/memory-counter-store.js';
import { PolicyMiddleware } from '../policy/middleware.js';
import { startSandbox } from '../src/sandbox/index.js';
import { startHarness, type Harness } from '../test/harness.js';

export const name = 'policy';
export const description = 'middleware cost per call, evaluate + reserve throughput, limiter memory';

const POLICY_DIR = fileURLToPath(new URL('../../policy/', import.meta.url));
const CALLS = 1_000;
const WARMUP = 200;
const DECISIONS = 1_000_000;
const KEYS = 1_000_000;

/**
 * default.json plus what a cautious team adds: a global cap, per-lead limits, require and deny_if
 * checks with a regex. Caps are high so that no call of the benchmark is refused.
 */
export function realisticPolicy(): CompiledPolicy {
  // biome-ignore lint/suspicious/noExplicitAny: the shipped policy is edited by path below.
  const base = JSON.parse(readFileSync(`${POLICY_DIR}default.json`, 'utf8')) as Record<string, any>;
  const huge = 1_000_000_000;
  for (const rule of Object.values(base.tools as Record<string, { limits?: Array<{ max: number }> }>)) {
    for (const limit of rule.limits ?? []) limit.max = huge;
  }
  base.hide = ['get_users'];
  base.all_tools = {
    limits: [
      { counter: 'all_calls', window: 'minute', max: huge, scope: 'grant' },
      { counter: 'session_calls', window: 'hour', max: huge, scope: 'session' },
    ],
  };
  base.tools.get_lead = {
    require: [{ path: 'args.id', op: 'gt', value: 0 }],
    deny_if: [{ conditions: [{ path: 'args.id', op: 'in', value: [1, 2, 3] }], on_deny: 'Those leads are off limits.' }],
    limits: [{ counter: 'per_lead_reads', window: 'minute', max: huge, scope: 'args.id' }],
  };
  base.tools.update_lead.deny_if = [
    { conditions: [{ path: 'args.price', op: 'gt', value: 100000 }], on_deny: 'Big price changes need a person.' },
    { conditions: [{ path: 'args.name', op: 'regex', value: '(?i).*(test|demo).*' }], on_deny: 'No test leads.' },
  ];
  base.tools.update_lead.limits.push({ counter: 'per_lead_writes', window: 'hour', max: huge, scope: 'args.id' });
  return compilePolicy(base, toolArguments, 'bench: realistic');
}

/** Serialises every line, as the file audit does, but writes nowhere: the same cost on both sides. */
export const jsonAudit: AuditSink = { write: (r) => void JSON.stringify(r), close: () => {} };

export function stats(samples: number[]): { mean: number; p50: number; p99: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { mean: samples.reduce((a, b) => a + b, 0) / samples.length, p50: at(0.5), p99: at(0.99) };
}

export const ms = (v: number) => `${v.toFixed(3)} ms`;

async function latency(): Promise<void> {
  const sandbox = await startSandbox({ rps: 0, leads: 500 });
  const realistic = await startHarness({ sharedSandbox: sandbox, middleware: new PolicyMiddleware({ policy: realisticPolicy(), audit: jsonAudit }) });
  const allowAll = await startHarness({
    sharedSandbox: sandbox,
    middleware: new PolicyMiddleware({
      policy: compilePolicy(JSON.parse(readFileSync(`${POLICY_DIR}allow-all.json`, 'utf8')), toolArguments),
      audit: jsonAudit,
    }),
  });
  try {
    const ids = sandbox.store.leads.slice(0, 100).map((l) => l.id);
    const time = async (h: Harness, i: number): Promise<number> => {
      const started = performance.now();
      const result = await h.call('get_lead', { id: ids[i % ids.length]! });
      const elapsed = performance.now() - started;
      if (result.isError) throw new Error(`benchmark call failed: ${JSON.stringify(result.content)}`);
      return elapsed;
    };
    for (let i = 0; i < WARMUP; i++) {
      await time(realistic, i);
      await time(allowAll, i);
    }
    const a: number[] = [];
    const b: number[] = [];
    // Interleaved, alternating who goes first, so drift (GC, JIT, sandbox state) hits both alike.
    for (let i = 0; i < CALLS; i++) {
      if (i % 2 === 0) {
        a.push(await time(realistic, i));
        b.push(await time(allowAll, i));
      } else {
        b.push(await time(allowAll, i));
        a.push(await time(realistic, i));
      }
    }
    const sa = stats(a);
    const sb = stats(b);
    process.stdout.write(`get_lead through the MCP Client → server → sandbox, ${CALLS} calls each, interleaved:\n`);
    process.stdout.write(`  realistic policy : mean ${ms(sa.mean)}  p50 ${ms(sa.p50)}  p99 ${ms(sa.p99)}\n`);
    process.stdout.write(`  allow-all.json   : mean ${ms(sb.mean)}  p50 ${ms(sb.p50)}  p99 ${ms(sb.p99)}\n`);
    process.stdout.write(`  ratio realistic / allow-all: mean ${(sa.mean / sb.mean).toFixed(3)}  p50 ${(sa.p50 / sb.p50).toFixed(3)}\n`);
  } finally {
    await realistic.close();
    await allowAll.close();
    await sandbox.close();
  }
}

function decisions(): void {
  const policy = realisticPolicy();
  const limiter = new Limiter();
  const scope = { grant: 'bench-grant', session: 'bench-session' };
  const args = Array.from({ length: 1_000 }, (_, i) => ({ id: 1_000 + i, price: 5_000 + i, name: `Lead ${i}` }));
  const step = (i: number) => {
    const decision = evaluate(policy, 'update_lead', args[i % args.length]!, scope) as Admission;
    const reserved = limiter.reserve(decision.limits);
    if (reserved instanceof Promise || !reserved.ok) throw new Error('the memory store must answer at once, and admit every call here');
    limiter.commit(reserved.reservation);
  };
  for (let i = 0; i < 50_000; i++) step(i);
  const started = performance.now();
  for (let i = 0; i < DECISIONS; i++) step(i);
  const seconds = (performance.now() - started) / 1000;
  const limits = (evaluate(policy, 'update_lead', args[0]!, scope) as Admission).limits.length;
  process.stdout.write(
    `evaluate + reserve + commit (update_lead: require/deny_if checks, ${limits} counters incl. per-lead): ` +
      `${Math.round(DECISIONS / seconds).toLocaleString('en-US')} decisions/s (${((seconds * 1e6) / DECISIONS).toFixed(2)} µs each)\n`,
  );
}

function collectGarbage(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  return () => {
    gc();
    gc();
  };
}

function memory(): void {
  const gc = collectGarbage();
  const policy = compilePolicy(
    {
      version: '1',
      default: 'allow',
      tools: { move_lead: { limits: [{ counter: 'per_lead', window: 'hour', max: 10, scope: 'args.lead_id' }] } },
    },
    toolArguments,
  );
  const scope = { grant: 'g', session: 's' };
  for (const maxKeys of [DEFAULT_LIMITER_MAX_KEYS, KEYS]) {
    gc();
    const before = process.memoryUsage().heapUsed;
    const store = new MemoryCounterStore({ maxKeys });
    let refused = 0;
    for (let i = 0; i < KEYS; i++) {
      const decision = evaluate(policy, 'move_lead', { lead_id: 10_000_000 + i, status_id: 142 }, scope) as Admission;
      const reserved = store.reserve(decision.limits);
      if (reserved.ok) store.commit(reserved.hold);
      else refused++;
    }
    gc();
    const grown = (process.memoryUsage().heapUsed - before) / 1024 / 1024;
    process.stdout.write(
      `${KEYS.toLocaleString('en-US')} distinct scope keys, maxKeys ${maxKeys.toLocaleString('en-US')}: ` +
        `${store.size.args.toLocaleString('en-US')} keys held, ${refused.toLocaleString('en-US')} new keys refused (limiter full), heap +${grown.toFixed(1)} MB` +
        (maxKeys === DEFAULT_LIMITER_MAX_KEYS ? ' (the default cap, KOMMO_LIMITER_MAX_KEYS)' : ' (cap above the flood: for comparison)') +
        '\n',
    );
  }
}

export async function run(): Promise<void> {
  await latency();
  decisions();
  memory();
}
