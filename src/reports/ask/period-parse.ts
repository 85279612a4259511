/**
 * Periods in questions, in Portuguese, Spanish and English: today, yesterday, this/last week, month,
 * year, the last N days/weeks/months, a named month ("em março", "in March 2026"), a year ("em 2025"),
 * a day or a range of explicit dates (2026-03-01, 01/03/2026, "15 de março", "March 15, 2026"). The
 * words used are masked so they are not read again as anything else.
 */
import type { Language } from './language.js';
import { find, type Token } from './text.js';
import { addDays, addMonths, compareDates, isRealDate, type Calendar, type LocalDate, type Period } from '../period.js';

export type PeriodSpec =
  | { kind: 'today' | 'yesterday' | 'this_week' | 'last_week' | 'this_month' | 'last_month' | 'this_year' | 'last_year' }
  | { kind: 'last_n'; n: number; unit: 'days' | 'weeks' | 'months' }
  | { kind: 'month'; month: number; year?: number }
  | { kind: 'year'; year: number }
  | { kind: 'day'; date: LocalDate }
  | { kind: 'range'; from: LocalDate; to: LocalDate }
  | { kind: 'since'; from: LocalDate };

export type PeriodParse = { ok: true; spec: PeriodSpec | undefined } | { ok: false; reason: 'bad_date' | 'unsupported_period'; detail: string };

const MONTHS: Record<string, number> = {
  january: 1,
  february: 2,
  march: 3,
  april: 4,
  may: 5,
  june: 6,
  july: 7,
  august: 8,
  september: 9,
  october: 10,
  november: 11,
  december: 12,
  sept: 9,
  janeiro: 1,
  fevereiro: 2,
  marco: 3,
  abril: 4,
  maio: 5,
  junho: 6,
  julho: 7,
  agosto: 8,
  setembro: 9,
  outubro: 10,
  novembro: 11,
  dezembro: 12,
  enero: 1,
  febrero: 2,
  marzo: 3,
  mayo: 5,
  junio: 6,
  julio: 7,
  septiembre: 9,
  setiembre: 9,
  octubre: 10,
  noviembre: 11,
  diciembre: 12,
};
const MONTH_ALT = Object.keys(MONTHS)
  .sort((a, b) => b.length - a.length)
  .join('|');

const NUMBER_WORDS: Record<string, number> = {
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  ten: 10,
  fifteen: 15,
  thirty: 30,
  um: 1,
  uma: 1,
  dois: 2,
  duas: 2,
  tres: 3,
  quatro: 4,
  cinco: 5,
  seis: 6,
  sete: 7,
  dez: 10,
  quinze: 15,
  trinta: 30,
  uno: 1,
  dos: 2,
  cuatro: 4,
  siete: 7,
  diez: 10,
  quince: 15,
  treinta: 30,
};

/** Relative periods, most specific first. Each pattern is matched on the normalized, unmasked text. */
const RELATIVE: ReadonlyArray<[RegExp, PeriodSpec['kind']]> = [
  [/ (today|hoje|hoy)( so far| ate agora| hasta ahora)? /, 'today'],
  [/ (yesterday|ontem|ayer) /, 'yesterday'],
  [/ (last|previous|prior) week | (na |da )?semana (passada|anterior) | (na |da )?ultima semana | (la )?semana pasada | (la )?semana anterior /, 'last_week'],
  [/ (this|current) week | (n?esta|n?essa) semana | (da |de la )?semana (atual|actual|corrente|en curso) | (week to date) /, 'this_week'],
  [/ (last|previous|prior) month | (no |do )?mes (passado|anterior) | (no |do )?ultimo mes | (el )?mes pasado | (el )?mes anterior /, 'last_month'],
  [/ (this|current) month | month to date | (n?este|n?esse) mes | (do |del )?mes (atual|actual|corrente|en curso) /, 'this_month'],
  [/ (last|previous|prior) year | (no |do )?ano (passado|anterior) | (no |do )?ultimo ano | (el )?ano pasado | (el )?ano anterior /, 'last_year'],
  [/ (this|current) year | year to date | (n?este|n?esse) ano | (do |del )?ano (atual|actual|corrente|en curso) /, 'this_year'],
];

/** Lone words that still name a period ("vendas da semana" = this week), tried last. */
const LONE: ReadonlyArray<[RegExp, PeriodSpec['kind']]> = [
  [/ (d[oa] |del |de la |this )?(semana|week) /, 'this_week'],
  [/ (d[oa] |del |this )?(mes|month) /, 'this_month'],
  [/ (d[oa] |del |this )?(ano|year) /, 'this_year'],
  [/ (d[oa] |del )?dia /, 'today'],
];

/** Words that announce a period we do not support; better to say so than to answer for another one. */
const UNSUPPORTED =
  / (quarter|quarters|trimestre|trimestres|semestre|semestres|semester|bimestre|fortnight|quinzena|quincena|weekend|fim de semana|fin de semana) /;

export function parsePeriod(tokens: Token[], language: Language): PeriodParse {
  const dates = explicitDates(tokens, language);
  if (!dates.ok) return dates;
  if (dates.dates.length > 0) {
    const sorted = [...dates.dates].sort(compareDates);
    if (sorted.length >= 2) return { ok: true, spec: { kind: 'range', from: sorted[0]!, to: sorted[sorted.length - 1]! } };
    if (dates.since) return { ok: true, spec: { kind: 'since', from: sorted[0]! } };
    return { ok: true, spec: { kind: 'day', date: sorted[0]! } };
  }

  const lastN = find(
    tokens,
    / (?:the |in the |over the |nos |nas |en los |en las |los |las |os |as )?(?:last|past|previous|ultim[oa]s|pasad[oa]s) (\d{1,3}|[a-z]+) (days?|dias|weeks?|semanas|months?|meses) /,
    true,
  );
  if (lastN) {
    const n = /^\d+$/.test(lastN[1]!) ? Number(lastN[1]) : NUMBER_WORDS[lastN[1]!];
    if (n === undefined || n < 1 || n > 730) return { ok: false, reason: 'unsupported_period', detail: lastN[0].trim() };
    const unit = /^(days?|dias)$/.test(lastN[2]!) ? 'days' : /^(weeks?|semanas)$/.test(lastN[2]!) ? 'weeks' : 'months';
    return { ok: true, spec: { kind: 'last_n', n, unit } };
  }
  const pastWeek = find(tokens, / (?:the )?past (week|month|year) /, true);
  if (pastWeek) {
    return { ok: true, spec: { kind: 'last_n', n: pastWeek[1] === 'week' ? 7 : pastWeek[1] === 'month' ? 30 : 365, unit: 'days' } };
  }

  const unsupported = find(tokens, UNSUPPORTED);
  if (unsupported) return { ok: false, reason: 'unsupported_period', detail: unsupported[0].trim() };

  for (const [pattern, kind] of RELATIVE) {
    const m = find(tokens, pattern, true);
    if (!m) continue;
    // Two periods ("this month and last month") ask for a comparison, which is not supported.
    const other = RELATIVE.find(([p]) => find(tokens, p));
    if (other) return { ok: false, reason: 'unsupported_period', detail: m[0].trim() };
    return { ok: true, spec: { kind } as PeriodSpec };
  }

  const month = namedMonth(tokens);
  if (month) return { ok: true, spec: month };

  const year =
    find(tokens, / (?:in|em|en|no|during|durante|for|of|de|del|year|ano|el ano|o ano) ((?:19|20)\d\d) /, true) ?? find(tokens, / ((?:19|20)\d\d) /, true);
  if (year) return { ok: true, spec: { kind: 'year', year: Number(year[1]) } };

  for (const [pattern, kind] of LONE) {
    if (find(tokens, pattern, true)) return { ok: true, spec: { kind } as PeriodSpec };
  }
  return { ok: true, spec: undefined };
}

function namedMonth(tokens: Token[]): PeriodSpec | undefined {
  const re = new RegExp(` (?:(in|em|en|no|during|durante|for|of|de|del|mes de|month of) )?(${MONTH_ALT})(?: (?:de |del |of )?((?:19|20)\\d\\d))? `);
  // "may" is a month only with a year or after "in/during/of" (otherwise it is the English verb).
  const m = find(tokens, re, true, (m) => m[2] !== 'may' || m[1] !== undefined || m[3] !== undefined);
  if (!m) return undefined;
  return { kind: 'month', month: MONTHS[m[2]!]!, ...(m[3] && { year: Number(m[3]) }) };
}

interface DateScan {
  ok: true;
  dates: LocalDate[];
  since: boolean;
}

function explicitDates(tokens: Token[], language: Language): DateScan | { ok: false; reason: 'bad_date'; detail: string } {
  const dates: LocalDate[] = [];
  const since = find(tokens, / (since|desde|a partir de) /) !== undefined;
  const take = (date: LocalDate, text: string): { ok: false; reason: 'bad_date'; detail: string } | undefined => {
    if (!isRealDate(date)) return { ok: false, reason: 'bad_date', detail: text.trim() };
    dates.push(date);
    return undefined;
  };
  const patterns: Array<[RegExp, (m: RegExpExecArray) => LocalDate]> = [
    [/ (\d{4})-(\d{1,2})-(\d{1,2}) /, (m) => ({ year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) })],
    [/ (\d{1,2})\/(\d{1,2})\/(\d{4}) /, (m) => slashDate(Number(m[1]), Number(m[2]), Number(m[3]), language)],
    [
      new RegExp(` (\\d{1,2}) de (${MONTH_ALT})(?: de(?:l)? ((?:19|20)\\d\\d))? `),
      (m) => ({ year: m[3] ? Number(m[3]) : Number.NaN, month: MONTHS[m[2]!]!, day: Number(m[1]) }),
    ],
    [
      new RegExp(` (${MONTH_ALT}) (\\d{1,2})(?:st|nd|rd|th)?(?: ((?:19|20)\\d\\d))? `),
      (m) => ({ year: m[3] ? Number(m[3]) : Number.NaN, month: MONTHS[m[1]!]!, day: Number(m[2]) }),
    ],
    [
      new RegExp(` (\\d{1,2})(?:st|nd|rd|th)? (?:of )?(${MONTH_ALT})(?: ((?:19|20)\\d\\d))? `),
      (m) => ({ year: m[3] ? Number(m[3]) : Number.NaN, month: MONTHS[m[2]!]!, day: Number(m[1]) }),
    ],
  ];
  for (const [pattern, build] of patterns) {
    for (let m = find(tokens, pattern, true); m; m = find(tokens, pattern, true)) {
      const date = build(m);
      // A day without a year ("15 de março") is completed later, against today.
      if (Number.isNaN(date.year)) {
        dates.push({ ...date, year: 0 });
        continue;
      }
      const bad = take(date, m[0]);
      if (bad) return bad;
    }
  }
  return { ok: true, dates, since };
}

/** dd/mm/yyyy in Portuguese and Spanish, mm/dd/yyyy in English, unless one part cannot be a month. */
function slashDate(a: number, b: number, year: number, language: Language): LocalDate {
  if (a > 12 && b <= 12) return { year, month: b, day: a };
  if (b > 12 && a <= 12) return { year, month: a, day: b };
  return language === 'en' ? { year, month: a, day: b } : { year, month: b, day: a };
}

/** The most recent occurrence (not after today) of a day or month given without a year. */
function completeYear(date: LocalDate, today: LocalDate): LocalDate {
  if (date.year !== 0) return date;
  const thisYear = { ...date, year: today.year };
  return compareDates(thisYear, today) <= 0 ? thisYear : { ...date, year: today.year - 1 };
}

export type Resolved = { ok: true; period: Period; spec: PeriodSpec } | { ok: false; reason: 'bad_date'; detail: string };

/** Turns a spec into whole days of the calendar's zone, completing missing years. */
export function resolvePeriod(spec: PeriodSpec, calendar: Calendar): Resolved {
  const today = calendar.today;
  switch (spec.kind) {
    case 'today':
      return ok(calendar.todayPeriod(), spec);
    case 'yesterday':
      return ok(calendar.yesterday(), spec);
    case 'this_week':
      return ok(calendar.thisWeek(), spec);
    case 'last_week':
      return ok(calendar.lastWeek(), spec);
    case 'this_month':
      return ok(calendar.thisMonth(), spec);
    case 'last_month':
      return ok(calendar.lastMonth(), spec);
    case 'this_year':
      return ok(calendar.thisYear(), spec);
    case 'last_year':
      return ok(calendar.lastYear(), spec);
    case 'last_n': {
      if (spec.unit === 'days') return ok(calendar.lastDays(spec.n), spec);
      if (spec.unit === 'weeks') return ok(calendar.lastDays(spec.n * 7), spec);
      return ok(calendar.range(addDays(addMonths(today, -spec.n), 1), today), spec);
    }
    case 'month': {
      const year = spec.year ?? (spec.month <= today.month ? today.year : today.year - 1);
      return ok(calendar.month(year, spec.month), { ...spec, year });
    }
    case 'year':
      return ok(calendar.year(spec.year), spec);
    case 'day': {
      const date = completeYear(spec.date, today);
      if (!isRealDate(date)) return { ok: false, reason: 'bad_date', detail: `${date.day}/${date.month}` };
      return ok(calendar.day(date), { kind: 'day', date });
    }
    case 'since': {
      const from = completeYear(spec.from, today);
      if (!isRealDate(from)) return { ok: false, reason: 'bad_date', detail: `${from.day}/${from.month}` };
      return ok(calendar.range(from, compareDates(from, today) > 0 ? from : today), { kind: 'since', from });
    }
    case 'range': {
      const from = completeYear(spec.from, today);
      let to = spec.to.year === 0 ? { ...spec.to, year: from.year } : spec.to;
      if (compareDates(to, from) < 0 && spec.to.year === 0) to = { ...to, year: from.year + 1 };
      if (!isRealDate(from) || !isRealDate(to)) return { ok: false, reason: 'bad_date', detail: `${from.day}/${from.month}` };
      const [a, b] = compareDates(from, to) <= 0 ? [from, to] : [to, from];
      return ok(calendar.range(a, b), { kind: 'range', from: a, to: b });
    }
  }
}

function ok(period: Period, spec: PeriodSpec): Resolved {
  return { ok: true, period, spec };
}
