// Occurrences as the API sends them (times in the viewer's zone), made into plain values the views lay out by day.
import { addDays, eachDay } from "./dates.ts";

/** The categories of a calendar event (RFC 5545 CATEGORIES as Schulhof uses them). */
export const CATEGORIES = ["lesson", "exam", "holiday", "trip", "meeting", "other"] as const;
export type Category = (typeof CATEGORIES)[number];

/** One occurrence of an event, as `GET /events` answers it (every field may be missing in a broken answer). */
export interface RawOccurrence {
  uid?: string;
  recurrence_id?: string | null;
  calendars?: string[];
  summary?: string;
  start?: string;
  end?: string;
  all_day?: boolean;
  location?: string | null;
  description?: string | null;
  category?: string;
  recurring?: boolean;
  exam_id?: string | null;
}

/** One occurrence, ready to show. Summary, location and description are untrusted text. */
export interface Occurrence {
  /** Unique in a list: uid and recurrence id. */
  key: string;
  uid: string;
  /** The original local start of this occurrence of a recurring event (RECURRENCE-ID), else null. */
  recurrenceId: string | null;
  /** Room ids of the calendars holding it (an exam is in its course and its class calendar). */
  calendars: string[];
  summary: string;
  allDay: boolean;
  /** First and last day it touches, in the viewer's zone (the last day is included). */
  firstDay: string;
  lastDay: string;
  /** `HH:MM` in the viewer's zone; null for all-day events. */
  startTime: string | null;
  endTime: string | null;
  location: string | null;
  description: string | null;
  category: Category;
  recurring: boolean;
  examId: string | null;
}

const TIMED_RE = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/;
const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

/** Makes an API occurrence a value to show; null when it lacks what every view needs (uid, start, end). */
export function toOccurrence(raw: RawOccurrence): Occurrence | null {
  if (typeof raw.uid !== "string" || typeof raw.start !== "string" || typeof raw.end !== "string") return null;
  const category = (CATEGORIES as readonly string[]).includes(raw.category ?? "") ? (raw.category as Category) : "other";
  const base = {
    key: `${raw.uid}|${raw.recurrence_id ?? ""}`,
    uid: raw.uid,
    recurrenceId: raw.recurrence_id ?? null,
    calendars: Array.isArray(raw.calendars) ? raw.calendars : [],
    summary: typeof raw.summary === "string" ? raw.summary : "",
    location: typeof raw.location === "string" && raw.location.trim() !== "" ? raw.location : null,
    description: typeof raw.description === "string" && raw.description.trim() !== "" ? raw.description : null,
    category,
    recurring: raw.recurring === true,
    examId: typeof raw.exam_id === "string" ? raw.exam_id : null,
  };
  if (raw.all_day === true) {
    const first = raw.start.slice(0, 10);
    const endExclusive = raw.end.slice(0, 10);
    if (!DAY_RE.test(first) || !DAY_RE.test(endExclusive)) return null;
    const last = endExclusive > first ? addDays(endExclusive, -1) : first;
    return { ...base, allDay: true, firstDay: first, lastDay: last, startTime: null, endTime: null };
  }
  const s = TIMED_RE.exec(raw.start);
  const e = TIMED_RE.exec(raw.end);
  if (s === null || e === null) return null;
  const first = s[1]!;
  let last = e[1]! < first ? first : e[1]!;
  // An event ending at midnight does not touch the next day.
  if (last > first && e[2] === "00:00") last = addDays(last, -1);
  return { ...base, allDay: false, firstDay: first, lastDay: last, startTime: s[2]!, endTime: e[2]! };
}

/** Where an occurrence sits on one day: all of it, its beginning, its middle or its end. */
export type DayPart = "whole" | "starts" | "continues" | "ends";

/** One occurrence on one day. */
export interface DayEntry {
  occurrence: Occurrence;
  part: DayPart;
}

/** The occurrences of one day: all-day (and whole middle days of long events) first, then by time. */
export interface DayList {
  day: string;
  entries: DayEntry[];
}

function partOn(o: Occurrence, day: string): DayPart {
  if (o.firstDay === o.lastDay) return "whole";
  if (day === o.firstDay) return "starts";
  if (day === o.lastDay) return "ends";
  return "continues";
}

/** The sort key of an entry within its day: all-day and middle days first, then by the time it shows. */
function sortTime(entry: DayEntry): string {
  const o = entry.occurrence;
  if (o.allDay || entry.part === "continues") return "";
  if (entry.part === "ends") return "00:00";
  return o.startTime ?? "";
}

/**
 * The days from `from` to `to` (included), each with the occurrences that touch it, in the order they are shown.
 * Occurrences whose calendars are all in `hidden` are left out.
 */
export function layoutDays(occurrences: readonly Occurrence[], from: string, to: string, hidden: ReadonlySet<string> = new Set()): DayList[] {
  const byDay = new Map<string, DayEntry[]>(eachDay(from, to).map((d) => [d, []]));
  for (const o of occurrences) {
    if (o.calendars.length > 0 && o.calendars.every((c) => hidden.has(c))) continue;
    const start = o.firstDay < from ? from : o.firstDay;
    const end = o.lastDay > to ? to : o.lastDay;
    for (const day of eachDay(start, end)) byDay.get(day)?.push({ occurrence: o, part: partOn(o, day) });
  }
  return [...byDay.entries()].map(([day, entries]) => ({
    day,
    entries: entries.sort((a, b) => {
      const ta = sortTime(a);
      const tb = sortTime(b);
      if (ta !== tb) return ta < tb ? -1 : 1;
      return a.occurrence.summary.localeCompare(b.occurrence.summary);
    }),
  }));
}
