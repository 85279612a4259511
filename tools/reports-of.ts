/**
 * The report services a call uses: the process-wide instance the server put in the context, or else
 * one per Kommo client (so caching still spans calls when a context was built without it).
 */
import type { KommoClient } from '../src/kommo/client.js';
import { ReportServices } from '../src/reports/services.js';
import type { ToolContext } from './define.js';

const fallback = new WeakMap<KommoClient, ReportServices>();

export function reportsOf(ctx: ToolContext): ReportServices {
  if (ctx.reports) return ctx.reports;
  let services = fallback.get(ctx.kommo);
  if (!services) {
    services = new ReportServices(ctx.kommo, ctx.reference, { now: ctx.now });
    fallback.set(ctx.kommo, services);
  }
  return services;
}
