// Local wall-clock times as the event content stores them ("YYYY-MM-DD", "YYYY-MM-DDTHH:mm[:ss]"), their
// "floating" encoding (the wall time written as if it were UTC, in epoch milliseconds) and the conversion of
// a wall time in an IANA zone to an instant with the rules of RFC 5545 section 3.3.5.
import { DateTime, IANAZone } from "luxon";

/** How a local time is written: a date, a date-time with minutes, or a date-time with seconds. */
export type LocalForm = "date" | "minute" | "second";

/** The fields of a local time; hour, minute and second are 0 for a date. */
export interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  form: LocalForm;
}

/** The shape of a local time (not yet checked for a real calendar date). */
export const LOCAL_TIME_RE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?)?$/;
/** Years outside this range are refused as unrealistic for a school calendar. */
export const MIN_YEAR = 1900;
/** Last year accepted in a local time. */
export const MAX_YEAR = 2199;

const DAY_MS = 86_400_000;

/** Parses a local time; null when it has the wrong shape or is no real date/time (2026-02-30, 24:00). */
export function parseLocal(value: string): LocalParts | null {
  const m = LOCAL_TIME_RE.exec(value);
  if (!m) return null;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const timed = m[4] !== undefined;
  const hour = timed ? Number(m[4]) : 0;
  const minute = timed ? Number(m[5]) : 0;
  const second = m[6] !== undefined ? Number(m[6]) : 0;
  if (year < MIN_YEAR || year > MAX_YEAR) return null;
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const probe = new Date(Date.UTC(year, month - 1, day));
  if (probe.getUTCDate() !== day || probe.getUTCMonth() !== month - 1) return null;
  const form: LocalForm = !timed ? "date" : m[6] !== undefined ? "second" : "minute";
  return { year, month, day, hour, minute, second, form };
}

/** The form of a local time string by its shape alone, or null when it has none of the forms. */
export function formOf(value: string): LocalForm | null {
  const m = LOCAL_TIME_RE.exec(value);
  if (!m) return null;
  return m[4] === undefined ? "date" : m[6] === undefined ? "minute" : "second";
}

/** The floating encoding of local parts: the wall time read as UTC, in epoch milliseconds. */
export function partsToFloating(p: Pick<LocalParts, "year" | "month" | "day" | "hour" | "minute" | "second">): number {
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
}

/** The floating encoding of a local time string; throws on an invalid one (check with parseLocal first). */
export function localToFloating(value: string): number {
  const p = parseLocal(value);
  if (!p) throw new RangeError(`not a local time: ${value}`);
  return partsToFloating(p);
}

/** Writes a floating time in the given form; a "minute" form keeps the seconds when they are not zero. */
export function formatFloating(ms: number, form: LocalForm): string {
  const d = new Date(ms);
  const date =
    `${String(d.getUTCFullYear()).padStart(4, "0")}-${String(d.getUTCMonth() + 1).padStart(2, "0")}-` +
    String(d.getUTCDate()).padStart(2, "0");
  if (form === "date") return date;
  const hm = `${date}T${String(d.getUTCHours()).padStart(2, "0")}:${String(d.getUTCMinutes()).padStart(2, "0")}`;
  const s = d.getUTCSeconds();
  return form === "second" || s !== 0 ? `${hm}:${String(s).padStart(2, "0")}` : hm;
}

/** Adds whole days to a floating time. */
export function addFloatingDays(ms: number, days: number): number {
  return ms + days * DAY_MS;
}

/** Whole days between two floating dates (midnights). */
export function floatingDaysBetween(a: number, b: number): number {
  return Math.round((b - a) / DAY_MS);
}

/**
 * The instant of a wall time in an IANA zone, as RFC 5545 (3.3.5) reads it: a wall time in the
 * spring-forward gap (02:30 on the last Sunday of March in Europe/Berlin) does not exist and is read with the
 * offset before the gap, i.e. shifted forward by the gap (03:30 CEST) exactly as luxon does; a wall time in
 * the repeated autumn hour means its first occurrence (the earlier instant, still summer time).
 */
export function floatingToInstant(ms: number, tzid: string): DateTime {
  const d = new Date(ms);
  const dt = DateTime.fromObject(
    {
      year: d.getUTCFullYear(),
      month: d.getUTCMonth() + 1,
      day: d.getUTCDate(),
      hour: d.getUTCHours(),
      minute: d.getUTCMinutes(),
      second: d.getUTCSeconds(),
    },
    { zone: tzid },
  );
  if (!dt.isValid) return dt;
  const candidates = dt.getPossibleOffsets();
  let best = dt;
  for (const c of candidates) if (c.toMillis() < best.toMillis()) best = c;
  return best;
}

const constantOffsets = new Map<string, number | null>();

/**
 * The zone's UTC offset (ms) if it is the same from one day before to two days after the UTC day of
 * `ms`, else null. Cached per zone and day: a year of weekly lessons needs a few hundred zone lookups
 * instead of two per occurrence (luxon asks Intl for every offset, which dominated expansion time).
 */
function constantOffset(ms: number, tzid: string): number | null {
  const day = Math.floor(ms / DAY_MS);
  const key = `${tzid}\0${day}`;
  const hit = constantOffsets.get(key);
  if (hit !== undefined) return hit;
  const zone = IANAZone.create(tzid);
  const before = zone.offset((day - 1) * DAY_MS);
  const after = zone.offset((day + 3) * DAY_MS);
  const mid = zone.offset((day + 1) * DAY_MS);
  const value = zone.isValid && before === after && before === mid ? before * 60_000 : null;
  if (constantOffsets.size > 200_000) constantOffsets.clear();
  constantOffsets.set(key, value);
  return value;
}

/**
 * `floatingToInstant(ms, tzid).toMillis()`, fast: away from offset changes the wall time maps to one
 * instant by the zone's constant offset; near a change the exact (slow) rules of `floatingToInstant` apply.
 */
export function floatingToInstantMs(ms: number, tzid: string): number {
  const off = constantOffset(ms, tzid);
  return off === null ? floatingToInstant(ms, tzid).toMillis() : ms - off;
}

/** The floating encoding of the wall time an instant has in an IANA zone (fast path away from offset changes). */
export function instantToFloatingMs(instantMs: number, tzid: string): number {
  const off = constantOffset(instantMs, tzid);
  return off === null ? instantToFloating(instantMs, tzid) : instantMs + off;
}

/** The floating encoding of the wall time an instant has in an IANA zone. */
export function instantToFloating(instantMs: number, tzid: string): number {
  const dt = DateTime.fromMillis(instantMs, { zone: tzid });
  return Date.UTC(dt.year, dt.month - 1, dt.day, dt.hour, dt.minute, dt.second);
}

/** The calendar year of a floating time. */
export function floatingYear(ms: number): number {
  return new Date(ms).getUTCFullYear();
}

/** A floating time plus calendar years (29 February becomes 28 February in common years). */
export function addFloatingYears(ms: number, years: number): number {
  return DateTime.fromMillis(ms, { zone: "utc" }).plus({ years }).toMillis();
}
