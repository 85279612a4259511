import { findById, linkedIds, type Company } from '../store.js';
import { readOrder, sortByOrder, withSet } from '../query.js';
import { hal, noContent, type Reply } from '../responses.js';
import { matchesCommon, readCommonFilters } from './contacts.js';
import { idParam, links, type RequestContext } from './context.js';
import { isReply, pagedReply, readPaging } from './paging.js';

interface CompanyEmbeds {
  leadIds?: Map<number, number[]>;
  contactIds?: Map<number, number[]>;
}

function embedsFor(ctx: RequestContext): CompanyEmbeds {
  const extras = withSet(ctx.query);
  const embeds: CompanyEmbeds = {};
  if (extras.has('leads')) embeds.leadIds = linkedIds(ctx.store.leads, (l) => l._embedded.companies);
  if (extras.has('contacts')) embeds.contactIds = linkedIds(ctx.store.contacts, (c) => c._embedded.companies);
  return embeds;
}

function renderCompany(ctx: RequestContext, company: Company, embeds: CompanyEmbeds): unknown {
  const { _embedded, ...fields } = company;
  const refs = (kind: 'leads' | 'contacts', ids: number[] | undefined): unknown[] =>
    (ids ?? []).map((id) => ({ id, _links: links(ctx, `/api/v4/${kind}/${id}`) }));
  return {
    ...fields,
    _links: links(ctx, `/api/v4/companies/${company.id}`),
    _embedded: {
      tags: _embedded.tags,
      ...(embeds.contactIds ? { contacts: refs('contacts', embeds.contactIds.get(company.id)) } : {}),
      ...(embeds.leadIds ? { leads: refs('leads', embeds.leadIds.get(company.id)) } : {}),
    },
  };
}

/** GET /api/v4/companies */
export function listCompanies(ctx: RequestContext): Reply {
  const paging = readPaging(ctx);
  if (isReply(paging)) return paging;
  const filters = readCommonFilters(ctx.query);
  const companies = ctx.store.companies.filter((c) => matchesCommon(c, filters, [c.name]));
  sortByOrder(companies, readOrder(ctx.query, ['updated_at', 'id', 'created_at']));
  const embeds = embedsFor(ctx);
  return pagedReply(ctx, paging, 'companies', companies, (c) => renderCompany(ctx, c, embeds));
}

/** GET /api/v4/companies/{id} — 204 when missing. */
export function getCompany(ctx: RequestContext): Reply {
  const company = findById(ctx.store.companies, idParam(ctx));
  return company ? hal(renderCompany(ctx, company, embedsFor(ctx))) : noContent();
}
