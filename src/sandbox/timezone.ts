/** Wall-clock arithmetic in the account's IANA timezone (Kommo cuts days in the account timezone). */

interface WallClock {
  /** Offset of local time from UTC in seconds (e.g. -10800 for America/Sao_Paulo). */
  offsetSeconds: number;
  /** Seconds elapsed since local midnight. */
  secondsIntoDay: number;
}

function wallClock(timeZone: string, atMs: number): WallClock {
  const atSecondMs = Math.floor(atMs / 1000) * 1000;
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(atSecondMs));
  const field = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const hour = field('hour');
  const minute = field('minute');
  const second = field('second');
  const localAsUtc = Date.UTC(field('year'), field('month') - 1, field('day'), hour, minute, second);
  return {
    offsetSeconds: Math.round((localAsUtc - atSecondMs) / 1000),
    secondsIntoDay: hour * 3600 + minute * 60 + second,
  };
}

/** "-03:00" style offset, as in Kommo's `datetime_settings.timezone_offset`. */
export function timezoneOffset(timeZone: string, atMs: number): string {
  const { offsetSeconds } = wallClock(timeZone, atMs);
  const sign = offsetSeconds < 0 ? '-' : '+';
  const abs = Math.abs(offsetSeconds);
  const hh = String(Math.floor(abs / 3600)).padStart(2, '0');
  const mm = String(Math.floor((abs % 3600) / 60)).padStart(2, '0');
  return `${sign}${hh}:${mm}`;
}

/** Unix seconds of the local midnight that starts the day containing `atMs`. */
export function startOfLocalDay(timeZone: string, atMs: number): number {
  return Math.floor(atMs / 1000) - wallClock(timeZone, atMs).secondsIntoDay;
}
