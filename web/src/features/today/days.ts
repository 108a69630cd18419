// Pure helpers of the start page: local days, today's and tomorrow's entries, homework due soon, upcoming exams.

/** A calendar day `YYYY-MM-DD` as seen in time zone `tz` at `at`. */
export function localDay(at: Date, tz: string): string {
  // en-CA writes dates as YYYY-MM-DD.
  return new Intl.DateTimeFormat("en-CA", { timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit" }).format(at);
}

/** The day `n` days after `day` (`YYYY-MM-DD`, calendar arithmetic without time zones). */
export function addDays(day: string, n: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** One calendar entry as the start page shows it. Summary and location are untrusted text. */
export interface DayEntry {
  key: string;
  summary: string;
  allDay: boolean;
  /** "08:00" in the viewer's zone, null for all-day entries. */
  startTime: string | null;
  endTime: string | null;
  location: string | null;
  category: string;
}

const record = (v: unknown): Record<string, unknown> | null => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null);
const text = (v: unknown): string | null => (typeof v === "string" ? v : null);

/**
 * Sorts the occurrences of `GET /events` (start and end in the viewer's zone; dates for all-day entries, end exclusive)
 * into the given days: all-day entries on every day they cover, timed ones on their start day. All-day first, then by time.
 */
export function entriesByDay(occurrences: readonly unknown[], days: readonly string[]): Map<string, DayEntry[]> {
  const out = new Map<string, DayEntry[]>(days.map((d) => [d, []]));
  for (const [i, raw] of occurrences.entries()) {
    const o = record(raw);
    const start = text(o?.start);
    const end = text(o?.end);
    if (o === null || start === null || start.length < 10) continue;
    const allDay = o.all_day === true;
    const entry: DayEntry = {
      key: `${text(o.uid) ?? i}|${text(o.recurrence_id) ?? ""}|${start}`,
      summary: text(o.summary) ?? "",
      allDay,
      startTime: allDay ? null : start.slice(11, 16),
      endTime: allDay || end === null ? null : end.slice(11, 16),
      location: text(o.location),
      category: text(o.category) ?? "other",
    };
    for (const day of days) {
      const covers = allDay ? start.slice(0, 10) <= day && day < (end ?? addDays(start.slice(0, 10), 1)).slice(0, 10) : start.slice(0, 10) === day;
      if (covers) out.get(day)?.push(entry);
    }
  }
  for (const list of out.values()) {
    list.sort((a, b) => (a.allDay === b.allDay ? (a.startTime ?? "").localeCompare(b.startTime ?? "") : a.allDay ? -1 : 1));
  }
  return out;
}

/** An assignment as the to-do list gives it (`GET /todo`). */
export interface TodoLike {
  assignment_id: string;
  course_room: string;
  course: string;
  title: string;
  due: string;
  status: string;
}

/**
 * Homework to do soon: not handed in, due within `days` days from `now`, or already overdue (while the teacher still
 * accepts it). Soonest first.
 */
export function dueSoon<T extends TodoLike>(items: readonly T[], now: Date, days = 7): T[] {
  const limit = now.getTime() + days * 86_400_000;
  return items
    .filter((i) => (i.status === "new" || i.status === "started" || i.status === "overdue") && Date.parse(i.due) <= limit)
    .sort((a, b) => Date.parse(a.due) - Date.parse(b.due));
}

/** An exam of `GET /exams/upcoming`. Course and title are untrusted text. */
export interface UpcomingExam {
  id: string;
  course: string;
  kind: string;
  date: string;
  periods: number[];
  title: string | null;
}

/** Reads `GET /exams/upcoming` (`{days, exams}`); entries that do not fit are left out. Soonest first. */
export function parseUpcomingExams(value: unknown): UpcomingExam[] {
  const exams = record(value)?.exams;
  if (!Array.isArray(exams)) throw new Error("the calendar answered no exams");
  return exams
    .flatMap((raw) => {
      const e = record(raw);
      const id = text(e?.id);
      const date = text(e?.date);
      if (e === null || id === null || date === null) return [];
      const periods = Array.isArray(e.periods) ? e.periods.filter((p): p is number => typeof p === "number") : [];
      return [{ id, course: text(e.course) ?? "", kind: text(e.kind) ?? "", date, periods, title: text(e.title) }];
    })
    .sort((a, b) => a.date.localeCompare(b.date) || (a.periods[0] ?? 0) - (b.periods[0] ?? 0));
}

/** "3.", "3.–4." or "2., 5." for the periods of an exam (German and English write lesson numbers alike). */
export function periodsLabel(periods: readonly number[]): string {
  if (periods.length === 0) return "";
  const sorted = [...periods].sort((a, b) => a - b);
  const consecutive = sorted.every((p, i) => i === 0 || p === sorted[i - 1]! + 1);
  if (sorted.length > 1 && consecutive) return `${sorted[0]}.–${sorted.at(-1)}.`;
  return sorted.map((p) => `${p}.`).join(", ");
}
