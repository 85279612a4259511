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
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { toolListEntry } from '../src/server.js';
import { catalogue } from '../tools/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OUT_DIR = `${ROOT}dist/bin`;
const BUNDLED_ENTRY = `${OUT_DIR}/kommo-mcp.js`;
const BUNDLE_META = fileURLToPath(new URL('./bundle-meta.json', import.meta.url));

// Chunk names carry content hashes: stale ones from an earlier build would pile up.
rmSync(OUT_DIR, { recursive: true, force: true });
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
  metafile: true,
  // tools/list as the compiled catalogue describes it, worked out once here instead of at every start
  // (src/server.ts reads it; a string literal, so it stays inline where it is read).
  define: { BUILT_TOOL_LIST: JSON.stringify(JSON.stringify(Object.fromEntries(catalogue.map((tool) => [tool.name, toolListEntry(tool)])))) },
});
chmodSync(BUNDLED_ENTRY, 0o755);
writeFileSync(BUNDLE_META, JSON.stringify(bundled.metafile));
