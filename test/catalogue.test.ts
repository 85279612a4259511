/**
 * The public contract (README, "Tools"): exactly these 23 tools, with these argument names and
 * required arguments, as served by tools/list. Extra optional arguments are allowed; a rename or a
 * newly required argument breaks existing agents and fails here.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Tool } from '@modelcontextprotocol/client';
import { startHarness, type Harness } from './harness.js';

const CONTRACT: Record<string, { args: string[]; required: string[]; kind: 'read' | 'write' | 'execute' }> = {
  get_account: { args: [], required: [], kind: 'read' },
  get_leads: { args: ['limit', 'page', 'query'], required: [], kind: 'read' },
  get_lead: { args: ['id'], required: ['id'], kind: 'read' },
  create_lead: { args: ['name', 'price', 'status_id', 'pipeline_id'], required: ['name'], kind: 'write' },
  update_lead: { args: ['id', 'name', 'price', 'status_id', 'pipeline_id', 'loss_reason_id'], required: ['id'], kind: 'write' },
  move_lead: { args: ['lead_id', 'status_id', 'pipeline_id'], required: ['lead_id', 'status_id'], kind: 'write' },
  get_pipelines: { args: ['pipeline_id'], required: [], kind: 'read' },
  get_sales_report: { args: ['dateFrom', 'dateTo'], required: [], kind: 'read' },
  get_dashboard: { args: [], required: [], kind: 'read' },
  get_contacts: { args: ['limit', 'page'], required: [], kind: 'read' },
  get_companies: { args: ['limit', 'page'], required: [], kind: 'read' },
  get_tasks: { args: ['limit', 'page'], required: [], kind: 'read' },
  create_task: {
    args: ['text', 'entity_id', 'entity_type', 'complete_till', 'responsible_user_id'],
    required: ['text', 'entity_id', 'entity_type', 'complete_till'],
    kind: 'write',
  },
  get_users: { args: [], required: [], kind: 'read' },
  get_loss_reasons: { args: [], required: [], kind: 'read' },
  get_loss_reason: { args: ['id'], required: ['id'], kind: 'read' },
  get_notes: { args: ['entity_type', 'entity_id', 'limit', 'page'], required: ['entity_type', 'entity_id'], kind: 'read' },
  add_note: { args: ['entity_type', 'entity_id', 'text', 'note_type'], required: ['entity_type', 'entity_id', 'text'], kind: 'write' },
  pin_note: { args: ['entity_type', 'note_id'], required: ['entity_type', 'note_id'], kind: 'write' },
  unpin_note: { args: ['entity_type', 'note_id'], required: ['entity_type', 'note_id'], kind: 'write' },
  run_salesbot: { args: ['bot_id', 'entity_id', 'entity_type'], required: ['bot_id', 'entity_id', 'entity_type'], kind: 'execute' },
  stop_salesbot: { args: ['bot_id', 'entity_id', 'entity_type'], required: ['bot_id', 'entity_id', 'entity_type'], kind: 'execute' },
  ask_kommo: { args: ['question'], required: ['question'], kind: 'read' },
};

let h: Harness;
let tools: Tool[];

before(async () => {
  h = await startHarness();
  tools = (await h.client.listTools()).tools;
});
after(() => h.close());

test('tools/list serves exactly the 23 tools of the contract', () => {
  assert.deepEqual(tools.map((t) => t.name).sort(), Object.keys(CONTRACT).sort());
});

for (const [name, contract] of Object.entries(CONTRACT)) {
  test(`${name} keeps its argument names and required arguments`, () => {
    const tool = tools.find((t) => t.name === name);
    assert.ok(tool, `${name} is listed`);
    const properties = Object.keys(tool.inputSchema.properties ?? {});
    for (const arg of contract.args) assert.ok(properties.includes(arg), `${name} has argument ${arg}`);
    assert.deepEqual([...(tool.inputSchema.required ?? [])].sort(), [...contract.required].sort());
    assert.equal((tool.inputSchema as { additionalProperties?: unknown }).additionalProperties, false, 'unknown arguments are refused');
    assert.ok(tool.description && tool.description.length > 40, 'has a description written for an LLM');
    assert.equal(tool.annotations?.readOnlyHint, contract.kind === 'read');
    // openWorldHint is left to the spec's default, true; nothing may say false.
    assert.notEqual(tool.annotations?.openWorldHint, false);
    if (contract.kind === 'execute') assert.equal(tool.annotations?.destructiveHint, true);
  });
}
