// The event form's values and the `de.schulhof.calendar.event` content they stand for, both ways, with the form's checks.
import { addDays, isDay } from "./dates.ts";
import { CATEGORIES, type Category } from "./occurrences.ts";

/** Longest summary, location and description the server accepts. */
export const MAX_SUMMARY = 200;
export const MAX_LOCATION = 500;
export const MAX_DESCRIPTION = 10_000;

/** How an event repeats in the form; `custom` keeps a rule the form cannot show (made elsewhere) untouched. */
export type Repeat = "none" | "daily" | "weekly" | "custom";

/** What the form edits. Days are `YYYY-MM-DD`, times `HH:MM`; for all-day events `endDate` is the last day (included). */
export interface EventFormValues {
  calendar: string;
  summary: string;
  allDay: boolean;
  startDate: string;
  startTime: string;
  endDate: string;
  endTime: string;
  location: string;
  description: string;
  category: Category;
  repeat: Repeat;
  /** The last day of the repetition (included). */
  repeatUntil: string;
}

/** The content sent to the API (`EventContent` plus what an edited event already had, such as exdates). */
export interface EventContentBody {
  summary: string;
  start: string;
  end: string;
  all_day: boolean;
  tzid: string;
  category: Category;
  rrule?: string;
  location?: string;
  description?: string;
  [extra: string]: unknown;
}

/** Something the form refuses before anything is sent; each has a text `calendar.form.problem.<code>`. */
export type FormProblem =
  | "calendar_missing"
  | "summary_missing"
  | "summary_too_long"
  | "start_missing"
  | "end_missing"
  | "end_before_start"
  | "until_missing"
  | "until_before_start"
  | "location_too_long"
  | "description_too_long";

const TIME_RE = /^\d{2}:\d{2}$/;

/** A new event on `day`: a one-hour appointment at `startTime`, in `calendar`. */
export function newEventValues(day: string, calendar: string, startTime = "08:00"): EventFormValues {
  const [h = 8, m = 0] = startTime.split(":").map(Number);
  const endTime = h >= 23 ? "23:59" : `${String(h + 1).padStart(2, "0")}:${String(m).padStart(2, "0")}`;
  return {
    calendar,
    summary: "",
    allDay: false,
    startDate: day,
    startTime,
    endDate: day,
    endTime,
    location: "",
    description: "",
    category: "other",
    repeat: "none",
    repeatUntil: addDays(day, 7 * 12),
  };
}

/** Every problem of the values, in the order of the form's fields (empty: the values can be sent). */
export function formProblems(v: EventFormValues): FormProblem[] {
  const out: FormProblem[] = [];
  if (v.calendar === "") out.push("calendar_missing");
  if (v.summary.trim() === "") out.push("summary_missing");
  else if (v.summary.trim().length > MAX_SUMMARY) out.push("summary_too_long");
  const startOk = isDay(v.startDate) && (v.allDay || TIME_RE.test(v.startTime));
  const endOk = isDay(v.endDate) && (v.allDay || TIME_RE.test(v.endTime));
  if (!startOk) out.push("start_missing");
  if (!endOk) out.push("end_missing");
  if (startOk && endOk) {
    const start = v.allDay ? v.startDate : `${v.startDate}T${v.startTime}`;
    const end = v.allDay ? v.endDate : `${v.endDate}T${v.endTime}`;
    if (v.allDay ? end < start : end <= start) out.push("end_before_start");
  }
  if (v.repeat === "daily" || v.repeat === "weekly") {
    if (!isDay(v.repeatUntil)) out.push("until_missing");
    else if (isDay(v.startDate) && v.repeatUntil < v.startDate) out.push("until_before_start");
  }
  if (v.location.length > MAX_LOCATION) out.push("location_too_long");
  if (v.description.length > MAX_DESCRIPTION) out.push("description_too_long");
  return out;
}

/** The RRULE of a daily or weekly repetition up to a day (included): floating local end of that day, or a date for all-day events. */
export function repeatRule(repeat: "daily" | "weekly", until: string, allDay: boolean): string {
  const compact = until.replaceAll("-", "");
  return `FREQ=${repeat === "daily" ? "DAILY" : "WEEKLY"};UNTIL=${allDay ? compact : `${compact}T235959`}`;
}

/** Reads a rule the form can show (`FREQ=DAILY|WEEKLY` with UNTIL, nothing else); null for any other rule. */
export function readRule(rrule: string): { repeat: "daily" | "weekly"; until: string } | null {
  const parts = new Map(rrule.split(";").map((p) => [p.split("=")[0]?.trim().toUpperCase() ?? "", p.split("=")[1]?.trim().toUpperCase() ?? ""] as const));
  const freq = parts.get("FREQ");
  const until = /^(\d{4})(\d{2})(\d{2})(T\d{6}Z?)?$/.exec(parts.get("UNTIL") ?? "");
  const known = [...parts.keys()].every((k) => k === "FREQ" || k === "UNTIL" || (k === "INTERVAL" && parts.get(k) === "1"));
  if ((freq !== "DAILY" && freq !== "WEEKLY") || until === null || !known) return null;
  return { repeat: freq === "DAILY" ? "daily" : "weekly", until: `${until[1]}-${until[2]}-${until[3]}` };
}

/**
 * The content for the API. `before` is the stored content of an edited event: what the form does not show
 * (exdates, overrides, exam id, unknown keys) is kept, unless the repetition is removed, and `sequence` goes up.
 */
export function formToContent(v: EventFormValues, tzid: string, before: Record<string, unknown> | null = null): EventContentBody {
  const { rrule: oldRule, exdates, overrides, location: _l, description: _d, created_by: _c, ...kept } = before ?? {};
  const content: EventContentBody = {
    ...kept,
    summary: v.summary.trim(),
    start: v.allDay ? v.startDate : `${v.startDate}T${v.startTime}`,
    end: v.allDay ? addDays(v.endDate, 1) : `${v.endDate}T${v.endTime}`,
    all_day: v.allDay,
    tzid,
    category: v.category,
  };
  if (v.repeat === "daily" || v.repeat === "weekly") content.rrule = repeatRule(v.repeat, v.repeatUntil, v.allDay);
  else if (v.repeat === "custom" && typeof oldRule === "string") content.rrule = oldRule;
  if (content.rrule !== undefined) {
    if (exdates !== undefined) content.exdates = exdates;
    if (overrides !== undefined) content.overrides = overrides;
  }
  if (v.location.trim() !== "") content.location = v.location.trim();
  if (v.description.trim() !== "") content.description = v.description.trim();
  if (before !== null) content.sequence = (typeof before.sequence === "number" ? before.sequence : 0) + 1;
  return content;
}

/** The form's values of a stored event (local times in its own zone, `tzid`). */
export function contentToForm(content: Record<string, unknown>, calendar: string): EventFormValues {
  const str = (k: string): string => (typeof content[k] === "string" ? (content[k] as string) : "");
  const allDay = content.all_day === true;
  const start = str("start");
  const end = str("end");
  const startDate = start.slice(0, 10);
  let endDate = end.slice(0, 10);
  if (allDay) endDate = endDate > startDate ? addDays(endDate, -1) : startDate;
  const rule = str("rrule");
  const read = rule === "" ? null : readRule(rule);
  const category = (CATEGORIES as readonly string[]).includes(str("category")) ? (str("category") as Category) : "other";
  return {
    calendar,
    summary: str("summary"),
    allDay,
    startDate,
    startTime: allDay ? "08:00" : start.slice(11, 16),
    endDate,
    endTime: allDay ? "09:00" : end.slice(11, 16),
    location: str("location"),
    description: str("description"),
    category,
    repeat: rule === "" ? "none" : (read?.repeat ?? "custom"),
    repeatUntil: read?.until ?? addDays(startDate === "" ? "2000-01-01" : startDate, 7 * 12),
  };
}
