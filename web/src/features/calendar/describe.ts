// What the event page shows of a stored event (local times in its own zone), for the whole series or one occurrence of it.
import { addDays } from "./dates.ts";
import { CATEGORIES, type Category } from "./occurrences.ts";

/** An event (or one occurrence) ready to show. Summary, location and description are untrusted text. */
export interface EventView {
  summary: string;
  allDay: boolean;
  firstDay: string;
  /** The last day (included). */
  lastDay: string;
  startTime: string;
  endTime: string;
  location: string;
  description: string;
  category: Category;
}

const LOCAL_RE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?/;

/** Minutes since 1970 of a local date or date-time, read as wall-clock time (no zone). */
function wallMinutes(local: string): number | null {
  const m = LOCAL_RE.exec(local);
  if (m === null) return null;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0)) / 60_000;
}

function localOf(minutes: number, allDay: boolean): string {
  const iso = new Date(minutes * 60_000).toISOString();
  return allDay ? iso.slice(0, 10) : iso.slice(0, 16);
}

const str = (v: unknown): string => (typeof v === "string" ? v : "");

/**
 * The event's series start, or with `at` (an occurrence's RECURRENCE-ID, its original local start) that occurrence:
 * moved by the same distance as its start, with what an override of it changes.
 */
export function describeEvent(content: Record<string, unknown>, at: string | null): EventView {
  const allDay = content.all_day === true;
  let start = str(content.start);
  let end = str(content.end);
  let summary = str(content.summary);
  let location = str(content.location);
  let description = str(content.description);
  if (at !== null) {
    const s = wallMinutes(start);
    const e = wallMinutes(end);
    const a = wallMinutes(at);
    if (s !== null && e !== null && a !== null) {
      start = localOf(a, allDay);
      end = localOf(a + (e - s), allDay);
    }
    const overrides = typeof content.overrides === "object" && content.overrides !== null ? (content.overrides as Record<string, Record<string, unknown>>) : {};
    const o = overrides[at];
    if (o !== undefined) {
      if (typeof o.start === "string") start = o.start;
      if (typeof o.end === "string") end = o.end;
      if (typeof o.summary === "string") summary = o.summary;
      if (typeof o.location === "string") location = o.location;
      if (typeof o.description === "string") description = o.description;
    }
  }
  const firstDay = start.slice(0, 10);
  let lastDay = end.slice(0, 10);
  if (allDay) lastDay = lastDay > firstDay ? addDays(lastDay, -1) : firstDay;
  if (lastDay < firstDay) lastDay = firstDay;
  const category = (CATEGORIES as readonly string[]).includes(str(content.category)) ? (str(content.category) as Category) : "other";
  return { summary, allDay, firstDay, lastDay, startTime: start.slice(11, 16), endTime: end.slice(11, 16), location, description, category };
}
