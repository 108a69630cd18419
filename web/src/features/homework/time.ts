// Due dates at school: wall-clock times in the school's zone (Europe/Berlin) ↔ RFC 3339 with the offset in force, and display.

/** The zone assignments use when they name none (docs/homework.md). */
export const SCHOOL_ZONE = "Europe/Berlin";

/** Why a wall-clock time could not be turned into an instant. */
export type WallClockError = "invalid" | "nonexistent";

const WALL_CLOCK = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

const partsFormatters = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock fields of instant `ms` in `zone`. */
function wallParts(ms: number, zone: string): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  let f = partsFormatters.get(zone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" });
    partsFormatters.set(zone, f);
  }
  const get = (type: Intl.DateTimeFormatPartTypes): number => Number(f.formatToParts(new Date(ms)).find((p) => p.type === type)?.value ?? "0");
  return { year: get("year"), month: get("month"), day: get("day"), hour: get("hour") % 24, minute: get("minute"), second: get("second") };
}

/** The offset of `zone` from UTC at instant `ms`, in minutes (60 for CET, 120 for CEST). */
export function offsetMinutesAt(ms: number, zone: string): number {
  const p = wallParts(ms, zone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return Math.round((asUtc - Math.floor(ms / 1000) * 1000) / 60_000);
}

function pad(n: number, width = 2): string {
  return String(Math.abs(n)).padStart(width, "0");
}

function offsetText(minutes: number): string {
  if (minutes === 0) return "Z";
  return `${minutes < 0 ? "-" : "+"}${pad(Math.trunc(Math.abs(minutes) / 60))}:${pad(Math.abs(minutes) % 60)}`;
}

/**
 * A wall-clock time at school (`2026-03-24T18:00`, what `<input type="datetime-local">` gives) as RFC 3339 with the
 * offset in force then (`2026-03-24T18:00:00+01:00`). A time skipped by the clock change in March is refused
 * (`nonexistent`); in the repeated hour of October the first instance is meant, as the homework service does.
 */
export function wallClockToRfc3339(local: string, zone: string = SCHOOL_ZONE): string | { error: WallClockError } {
  const m = WALL_CLOCK.exec(local.trim());
  if (m === null) return { error: "invalid" };
  const [year, month, day, hour, minute, second] = m.slice(1).map((x) => Number(x ?? "0")) as [number, number, number, number, number, number];
  const wallUtc = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(wallUtc);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) return { error: "invalid" };
  let zoneValid = true;
  try {
    offsetMinutesAt(wallUtc, zone);
  } catch {
    zoneValid = false;
  }
  if (!zoneValid) return { error: "invalid" };
  // Every offset the zone had around that day; an instance is real when the zone has that offset at that instant.
  const offsets = new Set([offsetMinutesAt(wallUtc - 86_400_000, zone), offsetMinutesAt(wallUtc, zone), offsetMinutesAt(wallUtc + 86_400_000, zone)]);
  const instances = [...offsets].map((o) => ({ o, ms: wallUtc - o * 60_000 })).filter(({ o, ms }) => offsetMinutesAt(ms, zone) === o);
  if (instances.length === 0) return { error: "nonexistent" };
  instances.sort((a, b) => a.ms - b.ms);
  const first = instances[0]!;
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}T${pad(hour)}:${pad(minute)}:${pad(second)}${offsetText(first.o)}`;
}

/** An RFC 3339 timestamp as the wall-clock value of `<input type="datetime-local">` in `zone` (`2026-03-24T18:00`). */
export function rfc3339ToWallClock(rfc3339: string, zone: string = SCHOOL_ZONE): string {
  const ms = Date.parse(rfc3339);
  if (Number.isNaN(ms)) return "";
  const p = wallParts(ms, zone);
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}`;
}

/** Milliseconds since 1970 of an RFC 3339 timestamp (NaN when it is none). */
export function instantOf(rfc3339: string): number {
  return Date.parse(rfc3339);
}

/**
 * A time as people at school read it, in `zone`: `Di., 24.03.2026, 18:00` (de) or `Tue, 24/03/2026, 18:00` (en).
 * Accepts an RFC 3339 string or milliseconds since 1970.
 */
export function formatAtSchool(time: string | number, locale: "de" | "en", zone: string = SCHOOL_ZONE): string {
  const ms = typeof time === "number" ? time : Date.parse(time);
  if (Number.isNaN(ms)) return String(time);
  let safeZone = zone;
  try {
    new Intl.DateTimeFormat("de-DE", { timeZone: zone });
  } catch {
    safeZone = SCHOOL_ZONE;
  }
  return new Intl.DateTimeFormat(locale === "de" ? "de-DE" : "en-GB", {
    timeZone: safeZone,
    weekday: "short",
    day: "2-digit",
    month: "2-digit",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  }).format(new Date(ms));
}

/** The same time in the machine-readable form of `<time datetime>`. */
export function machineTime(time: string | number): string {
  const ms = typeof time === "number" ? time : Date.parse(time);
  return Number.isNaN(ms) ? "" : new Date(ms).toISOString();
}
