// Calendar-day arithmetic for exam planning: plain dates as day numbers, ISO weeks (Monday–Sunday), German and English labels. No time zones: exam dates are school days, not instants.

const DAY_MS = 86_400_000;
const WEEK_RE = /^(\d{4})-W(\d{2})$/;

const WEEKDAY_DE = ["Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa.", "So."];
const WEEKDAY_EN = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTH_EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function digits(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** Days since 1970-01-01 of a `YYYY-MM-DD` date, or NaN when it is not a calendar date (`2026-02-30`). Plain arithmetic: checks parse hundreds of dates. */
export function dayNumber(date: string): number {
  if (date.length !== 10 || date.charCodeAt(4) !== 45 || date.charCodeAt(7) !== 45) return Number.NaN;
  let y = digits(date, 0, 4);
  const m = digits(date, 5, 7);
  const d = digits(date, 8, 10);
  if (y < 0 || m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m)) return Number.NaN;
  // Days from civil (H. Hinnant), in 400-year eras of 146097 days.
  if (m <= 2) y -= 1;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  return era * 146097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719468;
}

/** True for a real calendar date written `YYYY-MM-DD`. */
export function isIsoDate(date: string): boolean {
  return !Number.isNaN(dayNumber(date));
}

/** Like {@link dayNumber}, but throws a RangeError for anything that is not a calendar date. */
export function requireDay(date: string): number {
  const n = dayNumber(date);
  if (Number.isNaN(n)) throw new RangeError(`not a date (YYYY-MM-DD): ${date}`);
  return n;
}

/** The `YYYY-MM-DD` date of a day number. */
export function isoDate(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** ISO weekday of a day number: 1 = Monday … 7 = Sunday. */
export function isoWeekday(day: number): number {
  return ((((day + 3) % 7) + 7) % 7) + 1;
}

/** Day number of the Monday of the ISO week (Monday–Sunday) that contains `day`. */
export function mondayOf(day: number): number {
  return day - isoWeekday(day) + 1;
}

/** ISO year and week number of a day (`2027-01-01` is in 2026-W53). */
export function isoWeekOf(day: number): { year: number; week: number } {
  const thursday = mondayOf(day) + 3;
  const year = new Date(thursday * DAY_MS).getUTCFullYear();
  const jan1 = Date.UTC(year, 0, 1) / DAY_MS;
  return { year, week: Math.floor((thursday - jan1) / 7) + 1 };
}

/** The ISO week label of a day: `2026-W49`. */
export function isoWeekLabel(day: number): string {
  const { year, week } = isoWeekOf(day);
  return `${year}-W${String(week).padStart(2, "0")}`;
}

/** Day number of the Monday of an ISO week label (`2026-W49`), or NaN when there is no such week. */
export function mondayOfWeekLabel(label: string): number {
  const m = WEEK_RE.exec(label);
  if (!m) return Number.NaN;
  const year = Number(m[1]);
  const week = Number(m[2]);
  // 4 January is always in week 1.
  const monday = mondayOf(Date.UTC(year, 0, 4) / DAY_MS) + (week - 1) * 7;
  return week >= 1 && isoWeekOf(monday).year === year ? monday : Number.NaN;
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

/** `Do., 03.12.2026` */
export function formatDayDe(day: number): string {
  const d = new Date(day * DAY_MS);
  return `${WEEKDAY_DE[isoWeekday(day) - 1]}, ${pad(d.getUTCDate())}.${pad(d.getUTCMonth() + 1)}.${d.getUTCFullYear()}`;
}

/** `Thu, 3 Dec 2026` */
export function formatDayEn(day: number): string {
  const d = new Date(day * DAY_MS);
  return `${WEEKDAY_EN[isoWeekday(day) - 1]}, ${d.getUTCDate()} ${MONTH_EN[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
}

/** A week for people: `KW 49 (30.11.–06.12.2026)` and `week 49 (30 Nov – 6 Dec 2026)`. */
export function formatWeek(monday: number): { de: string; en: string } {
  const a = new Date(monday * DAY_MS);
  const b = new Date((monday + 6) * DAY_MS);
  const { week } = isoWeekOf(monday);
  return {
    de: `KW ${week} (${pad(a.getUTCDate())}.${pad(a.getUTCMonth() + 1)}.–${pad(b.getUTCDate())}.${pad(b.getUTCMonth() + 1)}.${b.getUTCFullYear()})`,
    en: `week ${week} (${a.getUTCDate()} ${MONTH_EN[a.getUTCMonth()]} – ${b.getUTCDate()} ${MONTH_EN[b.getUTCMonth()]} ${b.getUTCFullYear()})`,
  };
}

/** A date range for people: `22.06.–26.06.2027` and `22 Jun – 26 Jun 2027` (one date when from = to). */
export function formatRange(from: number, to: number): { de: string; en: string } {
  if (from === to) {
    const d = new Date(from * DAY_MS);
    return { de: `${pad(d.getUTCDate())}.${pad(d.getUTCMonth() + 1)}.${d.getUTCFullYear()}`, en: `${d.getUTCDate()} ${MONTH_EN[d.getUTCMonth()]} ${d.getUTCFullYear()}` };
  }
  const a = new Date(from * DAY_MS);
  const b = new Date(to * DAY_MS);
  const sameYear = a.getUTCFullYear() === b.getUTCFullYear();
  return {
    de: `${pad(a.getUTCDate())}.${pad(a.getUTCMonth() + 1)}.${sameYear ? "" : a.getUTCFullYear()}–${pad(b.getUTCDate())}.${pad(b.getUTCMonth() + 1)}.${b.getUTCFullYear()}`,
    en: `${a.getUTCDate()} ${MONTH_EN[a.getUTCMonth()]}${sameYear ? "" : ` ${a.getUTCFullYear()}`} – ${b.getUTCDate()} ${MONTH_EN[b.getUTCMonth()]} ${b.getUTCFullYear()}`,
  };
}
