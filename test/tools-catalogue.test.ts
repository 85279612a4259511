/**
 * tools/list as an agent sees the 20 Kommo tools: annotations that follow each tool's kind (with the
 * per-tool exceptions), and JSON schemas with the required arguments, the optional extras, enums for
 * record types and no room for unknown arguments.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Tool } from '@modelcontextprotocol/client';
import { startHarness, type Harness } from './harness.js';

type Hints = { readOnlyHint: boolean; destructiveHint: boolean; idempotentHint: boolean };
const READ: Hints = { readOnlyHint: true, destructiveHint: false, idempotentHint: true };
const WRITE: Hints = { readOnlyHint: false, destructiveHint: false, idempotentHint: false };
const EXECUTE: Hints = { readOnlyHint: false, destructiveHint: true, idempotentHint: false };

const EXPECTED: Record<string, { hints: Hints; required: string[]; optional: string[] }> = {
  get_account: { hints: READ, required: [], optional: [] },
  get_leads: {
    hints: READ,
    required: [],
    optional: [
      'limit',
      'page',
      'query',
      'order_by',
      'order_dir',
      'created_from',
      'created_to',
      'updated_from',
      'updated_to',
      'pipeline_id',
      'status_id',
      'responsible_user_id',
    ],
  },
  get_lead: { hints: READ, required: ['id'], optional: [] },
  create_lead: { hints: WRITE, required: ['name'], optional: ['price', 'status_id', 'pipeline_id', 'responsible_user_id'] },
  update_lead: {
    hints: { ...WRITE, destructiveHint: true },
    required: ['id'],
    optional: ['name', 'price', 'status_id', 'pipeline_id', 'loss_reason_id', 'responsible_user_id'],
  },
  move_lead: { hints: WRITE, required: ['lead_id', 'status_id'], optional: ['pipeline_id', 'loss_reason_id'] },
  get_pipelines: { hints: READ, required: [], optional: ['pipeline_id'] },
  get_contacts: { hints: READ, required: [], optional: ['limit', 'page', 'query'] },
  get_companies: { hints: READ, required: [], optional: ['limit', 'page', 'query'] },
  get_tasks: { hints: READ, required: [], optional: ['limit', 'page', 'is_completed', 'responsible_user_id', 'entity_type', 'entity_id'] },
  create_task: {
    hints: WRITE,
    required: ['text', 'entity_id', 'entity_type', 'complete_till'],
    optional: ['responsible_user_id', 'task_type_id'],
  },
  get_users: { hints: READ, required: [], optional: [] },
  get_loss_reasons: { hints: READ, required: [], optional: [] },
  get_loss_reason: { hints: READ, required: ['id'], optional: [] },
  get_notes: { hints: READ, required: ['entity_type', 'entity_id'], optional: ['limit', 'page'] },
  add_note: { hints: WRITE, required: ['entity_type', 'entity_id', 'text'], optional: ['note_type', 'service'] },
  pin_note: { hints: { ...WRITE, idempotentHint: true }, required: ['entity_type', 'note_id'], optional: [] },
  unpin_note: { hints: { ...WRITE, idempotentHint: true }, required: ['entity_type', 'note_id'], optional: [] },
  run_salesbot: { hints: EXECUTE, required: ['bot_id', 'entity_id', 'entity_type'], optional: [] },
  stop_salesbot: { hints: EXECUTE, required: ['bot_id', 'entity_id', 'entity_type'], optional: [] },
};

interface Schema {
  properties?: Record<string, { enum?: unknown[]; type?: unknown; minimum?: number; maximum?: number; default?: unknown; anyOf?: unknown[] }>;
  required?: string[];
  additionalProperties?: unknown;
}

/**
 * The hints as a client reads them: a hint left out takes the spec's default (readOnlyHint false,
 * destructiveHint true, idempotentHint false, openWorldHint true), and destructiveHint and
 * idempotentHint mean nothing for a read-only tool (read here as false and true).
 */
function effectiveHints(tool: Tool): Hints & { openWorldHint: boolean } {
  const a = tool.annotations ?? {};
  const readOnlyHint = a.readOnlyHint ?? false;
  return {
    readOnlyHint,
    destructiveHint: readOnlyHint ? false : (a.destructiveHint ?? true),
    idempotentHint: readOnlyHint ? true : (a.idempotentHint ?? false),
    openWorldHint: a.openWorldHint ?? true,
  };
}

let h: Harness;
let tools: Map<string, Tool>;

before(async () => {
  h = await startHarness();
  tools = new Map((await h.client.listTools()).tools.map((t) => [t.name, t]));
});
after(() => h.close());

for (const [name, expected] of Object.entries(EXPECTED)) {
  test(`${name}: annotations and input schema`, () => {
    const tool = tools.get(name);
    assert.ok(tool, `${name} is listed`);
    assert.deepEqual(effectiveHints(tool), { ...expected.hints, openWorldHint: true });
    assert.equal(typeof tool.annotations?.readOnlyHint, 'boolean', 'readOnlyHint is always written');
    if (!expected.hints.readOnlyHint) assert.equal(typeof tool.annotations?.destructiveHint, 'boolean', 'destructiveHint is written for changes');
    assert.equal(tool.annotations?.title, undefined, 'the top-level title is the display name');
    assert.ok(tool.title);
    const schema = tool.inputSchema as Schema;
    assert.equal(schema.additionalProperties, false);
    assert.deepEqual([...(schema.required ?? [])].sort(), [...expected.required].sort());
    assert.deepEqual(Object.keys(schema.properties ?? {}).sort(), [...expected.required, ...expected.optional].sort());
    for (const [arg, property] of Object.entries(schema.properties ?? {})) {
      assert.ok((property as { description?: string }).description, `${name}.${arg} has a description`);
    }
    assert.ok(tool.description && tool.description.length > 80);
  });
}

test('limits are 1..250 wherever there is paging', () => {
  for (const name of ['get_leads', 'get_contacts', 'get_companies', 'get_tasks', 'get_notes']) {
    const limit = (tools.get(name)!.inputSchema as Schema).properties!.limit!;
    assert.equal(limit.type, 'integer', name);
    assert.equal(limit.minimum, 1, name);
    assert.equal(limit.maximum, 250, name);
  }
});

test('record types are enums, and stop_salesbot admits only leads', () => {
  const enumOf = (tool: string, arg: string) => (tools.get(tool)!.inputSchema as Schema).properties![arg]!.enum;
  for (const tool of ['create_task', 'get_notes', 'add_note', 'pin_note', 'unpin_note', 'get_tasks']) {
    assert.deepEqual(enumOf(tool, 'entity_type'), ['leads', 'contacts', 'companies'], tool);
  }
  assert.deepEqual(enumOf('run_salesbot', 'entity_type'), ['leads', 'contacts']);
  assert.deepEqual(enumOf('stop_salesbot', 'entity_type'), ['leads']);
  assert.deepEqual(enumOf('add_note', 'note_type'), ['common', 'service_message']);
  assert.equal((tools.get('add_note')!.inputSchema as Schema).properties!.note_type!.default, 'common');
});

test('complete_till takes unix seconds or an ISO date-time', () => {
  const property = (tools.get('create_task')!.inputSchema as Schema).properties!.complete_till!;
  assert.deepEqual(
    (property.anyOf as Array<{ type: string }>).map((s) => s.type),
    ['integer', 'string'],
  );
});
