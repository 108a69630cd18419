// Plain calendar days (`YYYY-MM-DD`) without time zones: arithmetic, ISO weeks, month grids, and their names in a language.

const DAY_MS = 86_400_000;
const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Whether `s` is a real day in the form `YYYY-MM-DD` (no 30 February). */
export function isDay(s: string): boolean {
  const m = DAY_RE.exec(s);
  if (m === null) return false;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return new Date(ms).toISOString().slice(0, 10) === s;
}

/** Midnight UTC of a day, in milliseconds (for arithmetic and for Intl with `timeZone: "UTC"`). */
export function dayToUtcMs(day: string): number {
  const m = DAY_RE.exec(day);
  if (m === null) throw new RangeError(`not a day: ${day}`);
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
}

function dayOfUtcMs(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The day `n` days after `day` (before, when negative). */
export function addDays(day: string, n: number): string {
  return dayOfUtcMs(dayToUtcMs(day) + n * DAY_MS);
}

/** The same day of the month `n` months later, moved back to the month's last day where it has none (31 → 30). */
export function addMonths(day: string, n: number): string {
  const d = new Date(dayToUtcMs(day));
  const first = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n, 1));
  const lastOfMonth = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0)).getUTCDate();
  return dayOfUtcMs(Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), Math.min(d.getUTCDate(), lastOfMonth)));
}

/** How many days `b` is after `a` (negative when before). */
export function daysBetween(a: string, b: string): number {
  return Math.round((dayToUtcMs(b) - dayToUtcMs(a)) / DAY_MS);
}

/** 1 = Monday … 7 = Sunday. */
export function weekday(day: string): number {
  const w = new Date(dayToUtcMs(day)).getUTCDay();
  return w === 0 ? 7 : w;
}

/** The Monday of the day's week (weeks run Monday to Sunday, as in Germany). */
export function startOfWeek(day: string): string {
  return addDays(day, 1 - weekday(day));
}

/** The first day of the day's month. */
export function startOfMonth(day: string): string {
  return `${day.slice(0, 7)}-01`;
}

/** The last day of the day's month. */
export function endOfMonth(day: string): string {
  return addDays(addMonths(startOfMonth(day), 1), -1);
}

/** Every day from `from` to `to`, both included (empty when `to` is before `from`). */
export function eachDay(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) out.push(d);
  return out;
}

/** The weeks (Monday to Sunday) that show the day's month, as rows of seven days. */
export function monthGrid(day: string): string[][] {
  const first = startOfWeek(startOfMonth(day));
  const last = addDays(startOfWeek(endOfMonth(day)), 6);
  const rows: string[][] = [];
  for (let d = first; d <= last; d = addDays(d, 7)) rows.push(eachDay(d, addDays(d, 6)));
  return rows;
}

/** The ISO 8601 week of a day: the week belongs to the year of its Thursday. */
export function isoWeek(day: string): { year: number; week: number } {
  const thursday = addDays(day, 4 - weekday(day));
  const year = Number(thursday.slice(0, 4));
  const week = Math.floor(daysBetween(`${year}-01-01`, thursday) / 7) + 1;
  return { year, week };
}

/** The ISO week label `2026-W49` of a day. */
export function isoWeekLabel(day: string): string {
  const { year, week } = isoWeek(day);
  return `${year}-W${String(week).padStart(2, "0")}`;
}

/** The Monday of an ISO week label (`2026-W49`), or null when the label is not one. */
export function mondayOfIsoWeek(label: string): string | null {
  const m = /^(\d{4})-W(\d{2})$/.exec(label);
  if (m === null) return null;
  // 4 January is always in week 1.
  const week1 = startOfWeek(`${m[1]}-01-04`);
  return addDays(week1, (Number(m[2]) - 1) * 7);
}

/** Today in the browser's time zone (the viewer's zone). */
export function today(now: Date = new Date()): string {
  const pad = (n: number): string => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/** The viewer's IANA time zone (`Europe/Berlin`), as the browser reports it. */
export function viewerZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

/** A day in words in `locale`, e.g. `Di., 1. Dez. 2026` with `{ weekday: "short", day: "numeric", month: "short", year: "numeric" }`. */
export function formatDay(day: string, locale: string, options: Intl.DateTimeFormatOptions): string {
  return new Intl.DateTimeFormat(locale, { ...options, timeZone: "UTC" }).format(new Date(dayToUtcMs(day)));
}

/** A range of days in words (`30. Nov. – 6. Dez. 2026`), with Intl's range formatting. */
export function formatDayRange(from: string, to: string, locale: string, options: Intl.DateTimeFormatOptions): string {
  const format = new Intl.DateTimeFormat(locale, { ...options, timeZone: "UTC" });
  return format.formatRange(new Date(dayToUtcMs(from)), new Date(dayToUtcMs(to)));
}

/** The short names of the weekdays Monday … Sunday in `locale`. */
export function weekdayNames(locale: string, width: "short" | "long"): string[] {
  // 2024-01-01 was a Monday.
  return eachDay("2024-01-01", "2024-01-07").map((d) => formatDay(d, locale, { weekday: width }));
}
