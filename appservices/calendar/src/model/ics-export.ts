// iCalendar feeds (RFC 5545) from event contents, written with ical-generator and VTIMEZONEs from
// @touch4it/ical-timezones. The output depends only on the input (fixed DTSTAMP, events sorted by UID), so
// an ETag over it is stable.
import { getVtimezoneComponent } from "@touch4it/ical-timezones";
import ical, { type ICalEventData, formatDate } from "ical-generator";
import { DateTime } from "luxon";
import type { EventContent } from "./content.ts";
import { addFloatingDays, floatingDaysBetween, floatingToInstant, formOf, localToFloating, parseLocal } from "./local.ts";
import { type ParsedRule, isSynchronized, iterateSeries, parseRule, untilToFloating } from "./rule.ts";
import { MAX_INSTANCES } from "./expand.ts";

/** Default refresh interval of a feed in minutes (REFRESH-INTERVAL and X-PUBLISHED-TTL). */
export const DEFAULT_TTL_MINUTES = 15;
/** Default PRODID. */
export const DEFAULT_PROD_ID = "-//Schulhof//Kalender//DE";

/** Options of buildIcs. */
export interface BuildIcsOptions {
  /** The calendar's name (X-WR-CALNAME). */
  name: string;
  description?: string;
  /** The calendar's time zone (X-WR-TIMEZONE); each event still carries its own TZID. */
  timezone: string;
  prodId?: string;
  ttlMinutes?: number;
  /** DTSTAMP of every event; default the epoch, so the same input gives the same bytes. */
  stamp?: Date;
  /** Valid contents; calendarName (when not empty) is put in front of the summary as "[name] ". */
  events: { uid: string; content: EventContent; calendarName?: string }[];
}

const vtimezoneIds = new Map<string, string | null>();

/**
 * The TZID the feed uses for a zone: the one of the VTIMEZONE the generator writes for it (aliases such as
 * "CET" or "Asia/Calcutta" come out under their canonical name), or null when there is none (then UTC).
 */
function exportZone(tzid: string): string | null {
  let id = vtimezoneIds.get(tzid);
  if (id === undefined) {
    const vtz = tzid === "UTC" ? null : getVtimezoneComponent(tzid);
    id = vtz === null ? null : (/^TZID:(.+)$/m.exec(vtz)?.[1]?.trim() ?? null);
    vtimezoneIds.set(tzid, id);
  }
  return id;
}

/** A floating time of the event as a luxon DateTime for ical-generator: the instant (timed) or the date (all-day). */
function at(floating: number, tzid: string, zone: string | null, allDay: boolean): DateTime {
  if (allDay) {
    const d = new Date(floating);
    return DateTime.fromObject(
      { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() },
      { zone: zone ?? "utc" },
    );
  }
  return floatingToInstant(floating, tzid).setZone(zone ?? "utc");
}

/** The RRULE line: UNTIL becomes UTC for timed events and a DATE for all-day events (RFC 5545 3.3.10). */
function ruleLine(rule: ParsedRule, tzid: string, allDay: boolean): string {
  const parts: string[] = [];
  for (const [k, v] of rule.parts) {
    if (k !== "UNTIL" || rule.until === null) {
      parts.push(`${k}=${v}`);
      continue;
    }
    const untilF = untilToFloating(rule.until, tzid);
    parts.push(`UNTIL=${allDay
      ? formatDate(null, DateTime.fromMillis(untilF, { zone: "utc" }), true)
      : formatDate(null, floatingToInstant(untilF, tzid).toUTC(), false)}`);
  }
  return `RRULE:${parts.join(";")}`;
}

/**
 * Builds an iCalendar feed of the given (valid) events: each master with DTSTART/DTEND in its zone (DATE values
 * for all-day events), RRULE and EXDATE (cancelled overrides included), each changed occurrence as its own
 * VEVENT with the same UID and RECURRENCE-ID. Limits: a wall time inside a spring-forward gap is written at
 * its shifted time (ical-generator converts instants), and the few zones without a VTIMEZONE in
 * @touch4it/ical-timezones (old aliases such as America/Buenos_Aires) are written in UTC.
 */
export function buildIcs(opts: BuildIcsOptions): string {
  const stamp = opts.stamp ?? new Date(0);
  const calendar = ical({
    name: opts.name,
    prodId: (opts.prodId ?? DEFAULT_PROD_ID).replace(/^-/, ""),
    ttl: (opts.ttlMinutes ?? DEFAULT_TTL_MINUTES) * 60,
  });
  if (opts.description !== undefined && opts.description !== "") calendar.description(opts.description);
  // No calendar-wide zone name: ical-generator would then write DTSTAMP in local time instead of UTC.
  calendar.timezone({ name: null, generator: getVtimezoneComponent });
  calendar.x([["X-WR-TIMEZONE", opts.timezone]]);

  const events = [...opts.events].sort((a, b) => (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0));
  for (const { uid, content, calendarName } of events) {
    const allDay = formOf(content.start) === "date";
    const tzid = content.tzid;
    const zone = exportZone(tzid);
    const startF = localToFloating(content.start);
    const endF = localToFloating(content.end);
    const when = (f: number): DateTime => at(f, tzid, zone, allDay);
    const summaryOf = (s: string): string => (calendarName ? `[${calendarName}] ${s}` : s);
    const base: Omit<ICalEventData, "start"> = {
      id: uid,
      sequence: content.sequence ?? 0,
      stamp,
      timezone: zone ?? "UTC",
      allDay,
      categories: [{ name: content.category }],
    };
    const master: ICalEventData = {
      ...base,
      start: when(startF),
      end: when(endF),
      summary: summaryOf(content.summary),
      location: content.location || null,
      description: content.description || null,
    };

    const parsed = content.rrule ? parseRule(content.rrule) : null;
    const rule = parsed?.ok && isSynchronized(parsed.rule, startF) ? parsed.rule : null;
    const changed: ICalEventData[] = [];
    if (rule !== null) {
      // Only exceptions of real occurrences are written (a RECURRENCE-ID must name one).
      const instances = new Set(iterateSeries(rule, startF, tzid, Number.MAX_SAFE_INTEGER, MAX_INSTANCES));
      const excluded = new Set<number>();
      for (const x of content.exdates ?? []) if (parseLocal(x)) excluded.add(localToFloating(x));
      const durDays = floatingDaysBetween(startF, endF);
      const durMs = when(endF).toMillis() - when(startF).toMillis();
      const overrides = Object.entries(content.overrides ?? {})
        .filter(([key]) => parseLocal(key) !== null)
        .map(([key, ov]) => [localToFloating(key), ov] as const)
        .sort(([a], [b]) => a - b);
      for (const [keyF, ov] of overrides) {
        if (!instances.has(keyF) || excluded.has(keyF)) continue;
        if (ov.cancelled === true) {
          excluded.add(keyF);
          continue;
        }
        const start = when(ov.start !== undefined ? localToFloating(ov.start) : keyF);
        const end = ov.end !== undefined
          ? when(localToFloating(ov.end))
          : allDay
            ? when(addFloatingDays(ov.start !== undefined ? localToFloating(ov.start) : keyF, durDays))
            : start.plus({ milliseconds: durMs });
        changed.push({
          ...base,
          start,
          end,
          recurrenceId: when(keyF),
          summary: summaryOf(ov.summary ?? content.summary),
          location: (ov.location ?? content.location) || null,
          description: (ov.description ?? content.description) || null,
        });
      }
      let repeating = ruleLine(rule, tzid, allDay);
      const exdates = [...excluded].filter((f) => instances.has(f)).sort((a, b) => a - b);
      if (exdates.length > 0) {
        repeating += allDay
          ? `\nEXDATE;VALUE=DATE:${exdates.map((f) => formatDate(null, when(f), true)).join(",")}`
          : zone === null
            ? `\nEXDATE:${exdates.map((f) => formatDate(null, when(f), false)).join(",")}`
            : `\nEXDATE;TZID=${zone}:${exdates.map((f) => formatDate(zone, when(f), false, true)).join(",")}`;
      }
      master.repeating = repeating;
    }
    calendar.createEvent(master);
    for (const c of changed) calendar.createEvent(c);
  }

  // ical-generator writes every RECURRENCE-ID as a date-time; in an all-day event (DTSTART;VALUE=DATE) it
  // must be a DATE (RFC 5545 3.8.4.4), so those lines are rewritten.
  const text = calendar.toString().replace(/BEGIN:VEVENT\r\n[\s\S]*?END:VEVENT\r\n/g, (block) =>
    block.includes("\r\nDTSTART;VALUE=DATE:")
      ? block.replace(/^RECURRENCE-ID[^:\r\n]*:(\d{8})T\d{6}Z?\r$/m, "RECURRENCE-ID;VALUE=DATE:$1\r")
      : block);
  return text;
}
