/**
 * Lookups by name: leads (with one attribute asked for) and contacts.
 */
import { withoutEmpty } from '../../kommo/compact.js';
import type { Contact, Lead } from '../../kommo/types.js';
import { isoLocal } from '../period.js';
import { nameOfUser } from '../sales-report.js';
import type { Intent, LeadAttribute } from './intent.js';
import type { LeadItem } from './render.js';
import { type AnswerContext, MAX_LISTED } from './answer-context.js';

export async function lookup(ctx: AnswerContext, intent: Extract<Intent, { kind: 'lookup' }>): Promise<Record<string, unknown>> {
  const w = ctx.words;
  const page = await ctx.services.kommo[intent.entity].list({ query: intent.name, limit: MAX_LISTED, page: 1 }, { signal: ctx.call.signal });
  await ctx.progress.page(`search of ${intent.entity}`);
  const tz = ctx.calendar.timezone;
  const items =
    intent.entity === 'leads'
      ? (page.items as Lead[]).map((l) => {
          const pipeline = ctx.pipelines.find((p) => p.id === l.pipeline_id);
          const status = pipeline?._embedded?.statuses?.find((s) => s.id === l.status_id);
          return {
            id: l.id,
            name: l.name,
            price: l.price ?? 0,
            status_id: l.status_id,
            status_name: status?.name ?? null,
            pipeline_id: l.pipeline_id,
            pipeline_name: pipeline?.name ?? null,
            responsible_user_id: l.responsible_user_id,
            responsible_user_name: nameOfUser(ctx.users, l.responsible_user_id),
            created_at: isoLocal(tz, l.created_at),
            closed_at: l.closed_at ? isoLocal(tz, l.closed_at) : null,
          };
        })
      : (page.items as Contact[]).map((c) => ({
          id: c.id,
          name: c.name,
          responsible_user_id: c.responsible_user_id,
          responsible_user_name: nameOfUser(ctx.users, c.responsible_user_id),
          phones: fieldValues(c, 'PHONE'),
          emails: fieldValues(c, 'EMAIL'),
          created_at: isoLocal(tz, c.created_at),
        }));
  const head = w.lookupHead(intent.entity, intent.name, items.length, page.hasNext);
  const lines = items.map((item) => w.lookupLine(item));
  const interpretation = w.interpretation(intent);
  const attribute = intent.attribute;
  if (attribute && intent.entity === 'leads') {
    // One lead's attribute: the sentence that answers it, then the lead's other facts.
    const leads = items as LeadItem[];
    const sentences = leads.map((item) => w.leadAttribute(attribute, item));
    const value = leads.length === 1 ? attributeValue(attribute, leads[0]!) : null;
    const answered = leads.length === 0 ? head : sentences.join('\n');
    return {
      answer: `${answered}${lines.length ? '\n' + lines.join('\n') : ''}\n${interpretation}`,
      value,
      unit: attribute === 'value' ? 'currency' : attribute === 'created' || attribute === 'closed' ? 'date' : 'name',
      interpretation,
      data: { query: intent.name, attribute, leads: items.map(withoutEmpty), has_more: page.hasNext },
    };
  }
  return {
    answer: `${head}${lines.length ? '\n' + lines.join('\n') : ''}\n${interpretation}`,
    value: items.length,
    unit: intent.entity,
    interpretation,
    data: { query: intent.name, [intent.entity]: items.map(withoutEmpty), has_more: page.hasNext },
  };
}

/** The answer's `value`: the attribute itself (a local day YYYY-MM-DD for dates). */
export function attributeValue(attribute: LeadAttribute, item: LeadItem): string | number | null {
  switch (attribute) {
    case 'stage':
      return item.status_name;
    case 'pipeline':
      return item.pipeline_name;
    case 'value':
      return item.price;
    case 'responsible':
      return item.responsible_user_name;
    case 'created':
      return item.created_at.slice(0, 10);
    case 'closed':
      return item.closed_at ? item.closed_at.slice(0, 10) : null;
  }
}

export function fieldValues(contact: Contact, code: string): string[] {
  const field = contact.custom_fields_values?.find((f) => f.field_code === code);
  return (field?.values ?? []).map((v) => String(v.value));
}
