/**
 * The layering rules of docs/architecture.md, checked on the TypeScript sources (import cycles are
 * refused by the linter's noImportCycles rule, which runs first in `npm test`).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SERVER_VERSION } from '../src/server.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Every .ts file under the given folders of the repository, as repository-relative paths. */
function sources(...folders: string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) out.push(relative(ROOT, path).split('\\').join('/'));
    }
  };
  for (const folder of folders) walk(join(ROOT, folder));
  return out.sort();
}

const read = (file: string): string => readFileSync(join(ROOT, file), 'utf8');

/** The repository files a source file imports (relative imports only), e.g. `tools/define.ts`. */
function importsOf(file: string): string[] {
  const out: string[] = [];
  for (const match of read(file).matchAll(/(?:from|import)\s+'(\.{1,2}\/[^']+)'/g)) {
    const target = normalize(join(dirname(file), match[1]!))
      .split('\\')
      .join('/');
    out.push(target.replace(/\.js$/, '.ts'));
  }
  return out;
}

/** Imports of `files` that reach into any of `forbidden` (folders end with "/"), as "from → to". */
function crossings(files: readonly string[], forbidden: readonly string[], allowed: readonly string[] = []): string[] {
  return files.flatMap((file) =>
    importsOf(file)
      .filter((target) => forbidden.some((f) => (f.endsWith('/') ? target.startsWith(f) : target === f)) && !allowed.includes(target))
      .map((target) => `${file} → ${target}`),
  );
}

/** The server's own code: what runs in production, the embedded sandbox (a fake Kommo) aside. */
const serverCode = sources('src', 'tools', 'policy').filter((f) => !f.startsWith('src/sandbox/'));

describe('architecture', () => {
  it('only src/kommo/api.ts knows Kommo API paths (/api/v4)', () => {
    const offenders = serverCode.filter((f) => f !== 'src/kommo/api.ts' && read(f).includes('/api/v4'));
    assert.deepEqual(offenders, []);
    assert.ok(read('src/kommo/api.ts').includes('/api/v4'), 'the API module is where the paths are');
  });

  it('nothing above the Kommo API takes the HTTP client: tools, reports and policy see the KommoApi interface', () => {
    const allowed = new Set(['src/kommo/client.ts', 'src/kommo/api.ts', 'src/index.ts']);
    const offenders = serverCode.filter((f) => !allowed.has(f) && /\bKommoClient\b/.test(read(f)));
    assert.deepEqual(offenders, []);
  });

  it('policy/ sees tools only through the defineTool types (tools/define.ts); tool names, kinds and arguments are passed in', () => {
    assert.deepEqual(crossings(sources('policy'), ['tools/'], ['tools/define.ts']), []);
  });

  it('layers point one way: tools do not import the policy or the server; the Kommo API and reports import neither tools nor policy', () => {
    const entry = ['src/index.ts', 'src/server.ts', 'src/http.ts', 'src/resources.ts', 'src/prompts.ts'];
    assert.deepEqual(crossings(sources('tools'), ['policy/', ...entry]), []);
    assert.deepEqual(crossings(sources('src/kommo'), ['tools/', 'policy/', 'src/reports/', ...entry]), []);
    assert.deepEqual(crossings(sources('src/reports'), ['tools/', 'policy/', ...entry]), []);
  });

  it('comments and docs cite only files of the repository (no design, style or API notes kept elsewhere)', () => {
    const outside = ['design', 'style', 'kommo-api'].map((name) => `${name}.md`);
    const files = [...sources('src', 'tools', 'policy', 'test', 'bench'), 'README.md', 'policy/README.md', 'docs/architecture.md'];
    const offenders = files.filter((f) => f !== 'test/architecture.test.ts' && outside.some((name) => read(f).includes(name)));
    assert.deepEqual(offenders, []);
  });

  it('ask_kommo: every sentence is in the wording module (src/reports/ask/render.ts); the answer modules hold no pt/es/en text', () => {
    const answerModules = ['answer.ts', 'answer-context.ts', 'current-figures.ts', 'lookup.ts', 'period-figures.ts', 'rankings.ts', 'task-answers.ts'].map(
      (f) => `src/reports/ask/${f}`,
    );
    for (const file of answerModules) assert.ok(sources('src/reports/ask').includes(file), `${file} exists`);
    const offenders = answerModules.filter((f) => /\bpt:\s*['`]|\.t\(\{/.test(read(f)));
    assert.deepEqual(offenders, []);
  });

  it('the server version is the one in package.json', () => {
    assert.equal(SERVER_VERSION, (JSON.parse(read('package.json')) as { version: string }).version);
  });

  it('tests fake the KommoApi interface, never the client class', () => {
    const offenders = sources('test').filter((f) => f !== 'test/architecture.test.ts' && /as unknown as KommoClient/.test(read(f)));
    assert.deepEqual(offenders, []);
  });
});
