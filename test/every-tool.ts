/**
 * Valid arguments for each of the 23 tools against a sandbox store: enough to show every tool can
 * be called end to end (transport and era tests), not what each tool does (its own tests).
 */
import type { SandboxStore } from '../src/sandbox/store.js';

export function argumentsForEveryTool(store: SandboxStore): Record<string, Record<string, unknown>> {
  const lead = store.leads.find((l) => l.status_id !== 142 && l.status_id !== 143 && !l.is_deleted)!;
  const pipeline = store.pipelines[0]!;
  const stage = pipeline._embedded.statuses.find((s) => s.id !== 142 && s.id !== 143 && s.id !== lead.status_id)!;
  const note = store.notes.find((n) => !n.is_pinned)!;
  const bot = store.bots[0]!;
  const due = Math.floor(Date.parse('2026-12-31T12:00:00Z') / 1000);
  return {
    get_account: {},
    get_leads: { limit: 5 },
    get_lead: { id: lead.id },
    create_lead: { name: 'Pedido de teste', price: 100 },
    update_lead: { id: lead.id, price: 1234 },
    move_lead: { lead_id: lead.id, status_id: stage.id, pipeline_id: pipeline.id },
    get_pipelines: {},
    get_sales_report: { dateFrom: '2026-01-01', dateTo: '2026-01-31' },
    get_dashboard: {},
    get_contacts: { limit: 5 },
    get_companies: { limit: 5 },
    get_tasks: { limit: 5 },
    create_task: { text: 'Ligar para o cliente', entity_id: lead.id, entity_type: 'leads', complete_till: due },
    get_users: {},
    get_loss_reasons: {},
    get_loss_reason: { id: store.lossReasons[0]!.id },
    get_notes: { entity_type: note.entity_type, entity_id: note.entity_id },
    add_note: { entity_type: 'leads', entity_id: lead.id, text: 'Nota de teste' },
    pin_note: { entity_type: note.entity_type, note_id: note.id },
    unpin_note: { entity_type: note.entity_type, note_id: note.id },
    run_salesbot: { bot_id: bot.id, entity_id: lead.id, entity_type: 'leads' },
    stop_salesbot: { bot_id: bot.id, entity_id: lead.id, entity_type: 'leads' },
    ask_kommo: { question: 'quantos leads novos este mês?' },
  };
}
