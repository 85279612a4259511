/**
 * `npm run bench`: runs every benchmark module in order, or only those named on the command line
 * (`node dist/bench/run.js policy`). A module exports `name`, a one-line `description`, and
 * `run(): Promise<void>`, which prints its own figures to stdout. To add one, write
 * `bench/<name>.ts` with those exports and list it below.
 */
import * as counters from './counter-stores.js';
import * as lean from './lean.js';
import * as policy from './policy.js';
import * as reports from './reports.js';
import * as startup from './startup.js';

export interface BenchModule {
  name: string;
  description: string;
  run(): Promise<void>;
}

const MODULES: readonly BenchModule[] = [policy, counters, reports, lean, startup];

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((w) => !MODULES.some((m) => m.name === w));
  if (unknown.length) {
    process.stderr.write(`unknown benchmark ${unknown.join(', ')}; known: ${MODULES.map((m) => m.name).join(', ')}\n`);
    process.exitCode = 2;
    return;
  }
  for (const module of MODULES.filter((m) => wanted.length === 0 || wanted.includes(m.name))) {
    process.stdout.write(`\n## ${module.name}: ${module.description}\n\n`);
    await module.run();
  }
}

await main();
