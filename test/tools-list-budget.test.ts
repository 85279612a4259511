/**
 * tools/list is sent to the model at the start of every session, so its size is pinned: at most 1.5×
 * the 8,393 bytes of the original Kommo-MCP's list, measured as the JSON of what the official Client
 * receives under the shipped default policy, and free of the noise that crept in before (safe-integer
 * bounds, `exclusiveMinimum`, titles repeated inside annotations).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ListToolsResult } from '@modelcontextprotocol/client';
import { startHarness, type Harness } from './harness.js';

export const ORIGINAL_TOOLS_LIST_BYTES = 8_393;
export const TOOLS_LIST_BUDGET_BYTES = Math.floor(ORIGINAL_TOOLS_LIST_BYTES * 1.5);

const DEFAULT_POLICY = fileURLToPath(new URL('../../policy/default.json', import.meta.url));

let h: Harness;
let list: ListToolsResult;
let json: string;

before(async () => {
  h = await startHarness({ policy: JSON.parse(readFileSync(DEFAULT_POLICY, 'utf8')) as object });
  list = await h.client.listTools();
  json = JSON.stringify(list);
});
after(() => h.close());

test(`tools/list under policy/default.json is at most ${TOOLS_LIST_BUDGET_BYTES} bytes (1.5 × the original's ${ORIGINAL_TOOLS_LIST_BYTES})`, () => {
  assert.equal(list.tools.length, 23, 'the default policy lists every tool');
  const bytes = Buffer.byteLength(json);
  assert.ok(bytes <= TOOLS_LIST_BUDGET_BYTES, `tools/list is ${bytes} bytes`);
});

test('no schema noise: safe-integer bounds, exclusiveMinimum, date regexes, titles inside annotations', () => {
  assert.doesNotMatch(json, /9007199254740991/);
  assert.doesNotMatch(json, /exclusiveMinimum/);
  assert.doesNotMatch(json, /"pattern"/);
  for (const tool of list.tools) assert.equal(tool.annotations?.title, undefined, tool.name);
});

test('ids are integers from 1 and dates say format "date"', () => {
  const props = (name: string) => list.tools.find((t) => t.name === name)!.inputSchema.properties as Record<string, Record<string, unknown>>;
  assert.deepEqual({ type: props('get_lead')['id']!['type'], minimum: props('get_lead')['id']!['minimum'] }, { type: 'integer', minimum: 1 });
  assert.equal(props('get_sales_report')['dateFrom']!['format'], 'date');
  assert.equal(props('get_leads')['created_from']!['format'], 'date');
});

test('every tool still says what it does, and every argument has a description', () => {
  for (const tool of list.tools) {
    assert.ok(tool.title, `${tool.name} has a title`);
    assert.ok((tool.description ?? '').length > 80, `${tool.name} says what it does and when to use it`);
    for (const [arg, schema] of Object.entries(tool.inputSchema.properties ?? {})) {
      assert.ok((schema as { description?: string }).description, `${tool.name}.${arg} has a description`);
    }
  }
});
