/**
 * What reports cost, against a sandbox of 20,000 leads over two years at Kommo's real pace
 * (7 requests/second, enforced by the sandbox and kept by the server's pacer), measured through the
 * official MCP Client → server → sandbox:
 *   - a one-month sales report, and the same report again within five minutes;
 *   - a dashboard: the first of the process (won leads read, everything else counted from paging;
 *     the server waits for its whole-account counts here), and one six minutes later after 40 leads
 *     changed (both parts counted again);
 *   - ten ask_kommo questions in Portuguese, Spanish and English, on a fresh server and then on the
 *     server that answered the calls above;
 * each beside a full crawl of the account measured in the same run — what the original server does
 * for every report (all leads), dashboard (all leads and all tasks) and question (all leads).
 */
import { performance } from 'node:perf_hooks';
import { Pacer } from '../src/kommo/pacer.js';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { startHarness, type Harness } from '../test/harness.js';

export const name = 'reports';
export const description = 'Kommo requests and wall time of reports, dashboard and ask_kommo vs a full crawl (20,000 leads, 7 rps)';

const LEADS = 20_000;
const RPS = 7;

interface Cost {
  requests: number;
  ms: number;
}

async function measure(sandbox: Sandbox, work: () => Promise<unknown>): Promise<Cost> {
  const before = sandbox.requests.length;
  const started = performance.now();
  await work();
  return { requests: sandbox.requests.length - before, ms: performance.now() - started };
}

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function row(label: string, ours: Cost, crawl: Cost, crawls = 1): string {
  const c = { requests: crawl.requests * crawls, ms: crawl.ms * crawls };
  const times = crawls > 1 ? ` (${crawls} × crawl)` : '';
  return (
    `  ${label.padEnd(58)} ${String(ours.requests).padStart(5)} req ${seconds(ours.ms).padStart(9)}   |  full crawl${times}: ` +
    `${String(c.requests).padStart(4)} req ${seconds(c.ms).padStart(8)}\n`
  );
}

async function ok(h: Harness, tool: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const { isError, body } = await h.callJson(tool, args);
  if (isError) throw new Error(`${tool} failed: ${JSON.stringify(body)}`);
  return body;
}

/** Reads every page of a list and drops it: the cost of a crawl is what is measured. */
async function walk(pages: AsyncIterable<unknown[]>): Promise<void> {
  for await (const _page of pages);
}

export async function run(): Promise<void> {
  const out = (s: string): void => void process.stdout.write(s);
  const seedStarted = performance.now();
  const sandbox = await startSandbox({ leads: LEADS, seed: 2026, rps: RPS });
  out(
    `sandbox: ${sandbox.store.leads.length} leads, ${sandbox.store.tasks.length} tasks, ${sandbox.store.pipelines.length} pipelines over two years ` +
      `(seeded in ${seconds(performance.now() - seedStarted)}); sandbox limit and server pace: ${RPS} requests/second\n\n`,
  );
  // The server's clock can be moved forward to show what happens minutes later.
  let skew = 0;
  const now = (): number => Date.now() + skew;
  const h = await startHarness({ sharedSandbox: sandbox, now, client: { pacer: new Pacer(RPS) } });
  try {
    // The original's way, with the same client and pace: every page of leads (and of tasks), plus reference data.
    const crawlLeads = await measure(sandbox, async () => {
      await Promise.all([h.kommo.account(), h.kommo.pipelines.list(), h.kommo.users.all()]);
      await walk(h.kommo.leads.pages({}));
    });
    const crawlDashboard = await measure(sandbox, async () => {
      await Promise.all([h.kommo.account(), h.kommo.pipelines.list()]);
      await walk(h.kommo.leads.pages({}));
      await walk(h.kommo.tasks.pages({}));
    });

    const today = new Date(now());
    const month = `${today.getUTCFullYear()}-${String(today.getUTCMonth() + 1).padStart(2, '0')}`;
    const [y, m] = month.split('-').map(Number) as [number, number];
    const prev = m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
    const lastDay = new Date(Date.UTC(Number(prev.slice(0, 4)), Number(prev.slice(5, 7)), 0)).getUTCDate();
    const reportArgs = { dateFrom: `${prev}-01`, dateTo: `${prev}-${lastDay}` };

    let report: Record<string, unknown> = {};
    const reportCold = await measure(sandbox, async () => (report = await ok(h, 'get_sales_report', reportArgs)));
    skew += 2 * 60_000;
    let again: Record<string, unknown> = {};
    const reportAgain = await measure(sandbox, async () => (again = await ok(h, 'get_sales_report', reportArgs)));

    const dashCold = await measure(sandbox, () => ok(h, 'get_dashboard', {}));
    // Forty leads change in Kommo; six minutes later the period figures have expired and the copies are refreshed.
    const nowSec = Math.floor(Date.now() / 1000);
    for (const lead of sandbox.store.leads.slice(-40)) lead.updated_at = nowSec;
    skew += 6 * 60_000;
    let dash: Record<string, unknown> = {};
    const dashLater = await measure(sandbox, async () => (dash = await ok(h, 'get_dashboard', {})));

    const questions = [
      'Quantos leads ganhamos no mês passado?',
      'Qual foi a receita deste mês?',
      '¿Cuál es el ticket promedio del mes pasado?',
      'What is the conversion rate in the last 30 days?',
      'Who sold the most last month?',
      '¿Cuántos leads nuevos hoy?',
      'Quantas tarefas estão atrasadas?',
      'How many open leads are in the Renewals pipeline?',
      '¿Cuántos leads hay en la etapa Negociación?',
      'Encontre o contato Maria',
    ];
    const ask = async (server: Harness, log: Array<{ q: string; cost: Cost; answer: string }>): Promise<Cost> =>
      measure(sandbox, async () => {
        for (const question of questions) {
          let body: Record<string, unknown> = {};
          const cost = await measure(sandbox, async () => (body = await ok(server, 'ask_kommo', { question })));
          log.push({ q: question, cost, answer: String(body['answer']).split('\n')[0]! });
        }
      });
    // A server that has answered nothing yet (no cached period, no copy), then this one.
    const coldLog: Array<{ q: string; cost: Cost; answer: string }> = [];
    const fresh = await startHarness({ sharedSandbox: sandbox, now, client: { pacer: new Pacer(RPS) } });
    let askCold: Cost;
    try {
      askCold = await ask(fresh, coldLog);
    } finally {
      await fresh.close();
    }
    const perQuestion: Array<{ q: string; cost: Cost; answer: string }> = [];
    const askAll = await ask(h, perQuestion);

    out(`${'  operation'.padEnd(60)} ours                |  the original's way, measured in this run\n`);
    out(row(`sales report ${reportArgs.dateFrom}..${reportArgs.dateTo}`, reportCold, crawlLeads));
    out(row(`same report again, 2 minutes later (cached: ${String(again['cached'])})`, reportAgain, crawlLeads));
    out(row('dashboard, first of the process (with its account counts)', dashCold, crawlDashboard));
    out(row('dashboard, 6 minutes later, 40 leads changed', dashLater, crawlDashboard));
    out(row('ten ask_kommo questions, fresh server (nothing cached)', askCold, crawlLeads, questions.length));
    out(row('ten ask_kommo questions, after the calls above', askAll, crawlLeads, questions.length));
    out('\nask_kommo per question: fresh server | after the calls above\n');
    for (const [i, { q, cost, answer }] of coldLog.entries()) {
      const warm = perQuestion[i]!.cost;
      out(
        `  ${String(cost.requests).padStart(3)} req ${seconds(cost.ms).padStart(8)} | ${String(warm.requests).padStart(3)} req ${seconds(warm.ms).padStart(8)}  ` +
          `${q}\n        → ${answer}\n`,
      );
    }
    const leads = report['leads'] as Record<string, number>;
    const freshness = (dash['freshness'] as Record<string, Record<string, unknown>>)['account_figures']!;
    out(
      `\nreport figures: ${leads['new']} new, ${leads['won']} won, ${leads['lost']} lost; dashboard account counts: ${String(freshness['status'])}, ` +
        `${String(freshness['requests'])} request(s), ${String(freshness['age_seconds'])} s old\n`,
    );
  } finally {
    await h.close();
    await sandbox.close();
  }
}
