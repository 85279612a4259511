/**
 * Calendar periods cut in an IANA timezone (the Kommo account's), with no date library: the local
 * wall clock comes from `Intl.DateTimeFormat`, and a local midnight is found by correcting a UTC guess
 * with the zone's offset (twice, so days that start inside a DST change land on their first instant).
 */

/** A calendar day; `month` is 1–12. */
export interface LocalDate {
  year: number;
  month: number;
  day: number;
}

/** Whole local days `[from, to]` and the unix-second instants `[start, end)` they cover. */
export interface Period {
  /** First day, YYYY-MM-DD. */
  from: string;
  /** Last day (inclusive), YYYY-MM-DD. */
  to: string;
  timezone: string;
  /** Unix seconds of the first instant of `from`. */
  start: number;
  /** Unix seconds of the first instant after `to` (exclusive). */
  end: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

interface WallClock extends LocalDate {
  hour: number;
  minute: number;
  second: number;
}

function wallClock(timeZone: string, unixSeconds: number): WallClock {
  const parts = formatter(timeZone).formatToParts(new Date(unixSeconds * 1000));
  const get = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return { year: get('year'), month: get('month'), day: get('day'), hour: get('hour'), minute: get('minute'), second: get('second') };
}

/** Offset of local time from UTC, in seconds, at that instant (e.g. -10800 for America/Sao_Paulo). */
export function offsetSeconds(timeZone: string, unixSeconds: number): number {
  const t = Math.floor(unixSeconds);
  const w = wallClock(timeZone, t);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) / 1000 - t;
}

/** The local calendar day containing the instant. */
export function localDateAt(timeZone: string, unixSeconds: number): LocalDate {
  const { year, month, day } = wallClock(timeZone, Math.floor(unixSeconds));
  return { year, month, day };
}

/** Unix seconds of the first instant of the local day. */
export function startOfDay(timeZone: string, date: LocalDate): number {
  const guess = Date.UTC(date.year, date.month - 1, date.day) / 1000;
  const first = guess - offsetSeconds(timeZone, guess);
  const second = guess - offsetSeconds(timeZone, first);
  // Of the candidates, the earliest instant that still falls on the wanted day.
  const candidates = [first, second].filter((t) => sameDate(localDateAt(timeZone, t), date)).sort((a, b) => a - b);
  return candidates[0] ?? Math.max(first, second);
}

export function sameDate(a: LocalDate, b: LocalDate): boolean {
  return a.year === b.year && a.month === b.month && a.day === b.day;
}

export function addDays(date: LocalDate, days: number): LocalDate {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** Same day-of-month clamped, `months` later (negative: earlier); used only for month starts. */
export function addMonths(date: LocalDate, months: number): LocalDate {
  const index = date.year * 12 + (date.month - 1) + months;
  const year = Math.floor(index / 12);
  const month = (index % 12) + 1;
  return { year, month, day: Math.min(date.day, daysInMonth(year, month)) };
}

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** 1 = Monday … 7 = Sunday (ISO 8601). */
export function isoWeekday(date: LocalDate): number {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay();
  return d === 0 ? 7 : d;
}

export function compareDates(a: LocalDate, b: LocalDate): number {
  return a.year - b.year || a.month - b.month || a.day - b.day;
}

export function formatDate(date: LocalDate): string {
  return `${String(date.year).padStart(4, '0')}-${String(date.month).padStart(2, '0')}-${String(date.day).padStart(2, '0')}`;
}

/** Parses YYYY-MM-DD; undefined when it is not a real calendar day. */
export function parseDate(text: string): LocalDate | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return undefined;
  const date = { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
  return isRealDate(date) ? date : undefined;
}

export function isRealDate(date: LocalDate): boolean {
  return (
    Number.isInteger(date.year) &&
    date.year >= 1970 &&
    date.year <= 9999 &&
    date.month >= 1 &&
    date.month <= 12 &&
    date.day >= 1 &&
    date.day <= daysInMonth(date.year, date.month)
  );
}

/** The whole local days from `from` to `to`, both inclusive. */
export function periodOf(timeZone: string, from: LocalDate, to: LocalDate): Period {
  return {
    from: formatDate(from),
    to: formatDate(to),
    timezone: timeZone,
    start: startOfDay(timeZone, from),
    end: startOfDay(timeZone, addDays(to, 1)),
  };
}

export function contains(period: Period, unixSeconds: number | null | undefined): boolean {
  return typeof unixSeconds === 'number' && unixSeconds >= period.start && unixSeconds < period.end;
}

/** ISO 8601 local time with the zone's offset at that instant, e.g. 2026-03-01T00:00:00-03:00. */
export function isoLocal(timeZone: string, unixSeconds: number): string {
  const w = wallClock(timeZone, unixSeconds);
  const off = offsetSeconds(timeZone, unixSeconds);
  const sign = off < 0 ? '-' : '+';
  const abs = Math.abs(off);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${formatDate(w)}T${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}` + `${sign}${pad(Math.floor(abs / 3600))}:${pad(Math.floor((abs % 3600) / 60))}`;
}

/** How a period is shown in results: days, zone and the exact instants (end inclusive, to the second). */
export function describePeriod(period: Period): Record<string, unknown> {
  return {
    from: period.from,
    to: period.to,
    timezone: period.timezone,
    starts_at: isoLocal(period.timezone, period.start),
    ends_at: isoLocal(period.timezone, period.end - 1),
    start_unix: period.start,
    end_unix: period.end - 1,
  };
}

/** Named calendar periods relative to "now" in the zone. Weeks start on Monday (ISO 8601). */
export class Calendar {
  readonly today: LocalDate;

  constructor(
    readonly timezone: string,
    readonly nowMs: number,
  ) {
    this.today = localDateAt(timezone, Math.floor(nowMs / 1000));
  }

  day(date: LocalDate): Period {
    return periodOf(this.timezone, date, date);
  }

  range(from: LocalDate, to: LocalDate): Period {
    return periodOf(this.timezone, from, to);
  }

  todayPeriod(): Period {
    return this.day(this.today);
  }

  yesterday(): Period {
    return this.day(addDays(this.today, -1));
  }

  /** Monday of this week to Sunday. */
  thisWeek(): Period {
    const monday = addDays(this.today, 1 - isoWeekday(this.today));
    return this.range(monday, addDays(monday, 6));
  }

  lastWeek(): Period {
    const monday = addDays(this.today, 1 - isoWeekday(this.today) - 7);
    return this.range(monday, addDays(monday, 6));
  }

  month(year: number, month: number): Period {
    return this.range({ year, month, day: 1 }, { year, month, day: daysInMonth(year, month) });
  }

  thisMonth(): Period {
    return this.month(this.today.year, this.today.month);
  }

  lastMonth(): Period {
    const d = addMonths({ ...this.today, day: 1 }, -1);
    return this.month(d.year, d.month);
  }

  year(year: number): Period {
    return this.range({ year, month: 1, day: 1 }, { year, month: 12, day: 31 });
  }

  thisYear(): Period {
    return this.year(this.today.year);
  }

  lastYear(): Period {
    return this.year(this.today.year - 1);
  }

  /** The last `n` days including today. */
  lastDays(n: number): Period {
    return this.range(addDays(this.today, 1 - n), this.today);
  }
}
