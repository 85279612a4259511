/**
 * `npm run build`, second step: bundles the compiled entry point (dist/src/index.js) into
 * dist/bin/kommo-mcp.js, the shipped `bin`. Node then reads a few large files instead of hundreds of
 * small modules (zod, the SDK), which is most of the start-up time. Code the server loads on first use
 * (the sandbox, Streamable HTTP, `policy check`, the Kommo HTTP client) stays in chunks of its own, loaded
 * only when asked for, and so does the report and ask_kommo code (src/reports/). Identifiers are kept
 * (no renaming), so stack traces stay readable. esbuild's account of what went where (its metafile)
 * is written beside this script, outside the shipped files: test/bundle.test.ts reads from it what
 * start-up loads.
 */
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { toolListEntry } from '../src/server.js';
import { catalogue } from '../tools/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OUT_DIR = `${ROOT}dist/bin`;
const BUNDLED_ENTRY = `${OUT_DIR}/kommo-mcp.js`;
const BUNDLE_META = fileURLToPath(new URL('./bundle-meta.json', import.meta.url));

/**
 * Writes a file in one step (beside it, then renamed over it): a server started while a build runs
 * (the test of `npm run sandbox` rebuilds during the suite) reads the old file or the new, never half
 * of one or none.
 */
function replaceFile(path: string, contents: string | Uint8Array, mode = 0o644): void {
  const next = `${path}.${process.pid}.next`;
  writeFileSync(next, contents, { mode });
  renameSync(next, path);
}

const bundled = await build({
  absWorkingDir: ROOT,
  entryPoints: { 'kommo-mcp': 'dist/src/index.js' },
  outdir: 'dist/bin',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // The Redis client loads only when KOMMO_REDIS_URL is set; it stays the installed package.
  external: ['redis'],
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: 'linked',
  // CommonJS dependencies bundled into ES modules still call require() for Node's own modules.
  banner: { js: "import { createRequire as bundleRequire } from 'node:module'; const require = bundleRequire(import.meta.url);" },
  logLevel: 'warning',
  write: false,
  metafile: true,
  // tools/list as the compiled catalogue describes it, worked out once here instead of at every start
  // (src/server.ts reads it; a string literal, so it stays inline where it is read).
  define: { BUILT_TOOL_LIST: JSON.stringify(JSON.stringify(Object.fromEntries(catalogue.map((tool) => [tool.name, toolListEntry(tool)])))) },
});
mkdirSync(OUT_DIR, { recursive: true });
// The entry last, once every chunk it names is in place.
const outputs = [...bundled.outputFiles].sort((a, b) => Number(a.path === BUNDLED_ENTRY) - Number(b.path === BUNDLED_ENTRY));
for (const file of outputs) replaceFile(file.path, file.contents, file.path === BUNDLED_ENTRY ? 0o755 : 0o644);
// Chunk names carry content hashes: files of an earlier build that this one did not write are stale.
const written = new Set(outputs.map((file) => basename(file.path)));
for (const name of readdirSync(OUT_DIR)) if (!written.has(name)) rmSync(join(OUT_DIR, name), { force: true });
replaceFile(BUNDLE_META, JSON.stringify(bundled.metafile));
