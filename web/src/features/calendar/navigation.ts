// Which days each view shows, where the arrows and keys lead, and the links between the Kalender pages.
import { addDays, addMonths, endOfMonth, monthGrid, startOfMonth, startOfWeek } from "./dates.ts";

/** A hash link with encoded parameters, as the router's `href` makes them (kept here so this module needs no runes). */
function href(base: string, ...params: string[]): string {
  return `#${base}${params.map((p) => `/${encodeURIComponent(p)}`).join("")}`;
}

/** The three ways to look at the calendar (also in view-state.svelte.ts). */
type View = "month" | "week" | "agenda";

/** How many days the agenda shows at first, and how many more each "show more" adds. */
export const AGENDA_DAYS = 28;

/** The days a view shows around `day`: the month's full weeks, the week Monday–Sunday, or the agenda from `day` on. */
export function rangeOf(view: View, day: string, agendaDays = AGENDA_DAYS): { from: string; to: string } {
  if (view === "month") {
    const grid = monthGrid(day);
    return { from: grid[0]![0]!, to: grid[grid.length - 1]![6]! };
  }
  if (view === "week") {
    const monday = startOfWeek(day);
    return { from: monday, to: addDays(monday, 6) };
  }
  return { from: day, to: addDays(day, agendaDays - 1) };
}

/** The day the "back" (-1) or "next" (+1) button leads to: a month, a week, or the agenda's length away. */
export function stepDay(view: View, day: string, direction: -1 | 1, agendaDays = AGENDA_DAYS): string {
  if (view === "month") return addMonths(day, direction);
  if (view === "week") return addDays(day, 7 * direction);
  return addDays(day, agendaDays * direction);
}

/**
 * The day a key moves to in the month or week grid (arrows: a day or a week; Home/End: the week's first or last day;
 * Page Up/Down: a month in the month view, a week in the week view); null for other keys.
 */
export function dayAfterKey(day: string, key: string, view: "month" | "week"): string | null {
  switch (key) {
    case "ArrowLeft":
      return addDays(day, -1);
    case "ArrowRight":
      return addDays(day, 1);
    case "ArrowUp":
      return addDays(day, -7);
    case "ArrowDown":
      return addDays(day, 7);
    case "Home":
      return startOfWeek(day);
    case "End":
      return addDays(startOfWeek(day), 6);
    case "PageUp":
      return view === "month" ? addMonths(day, -1) : addDays(day, -7);
    case "PageDown":
      return view === "month" ? addMonths(day, 1) : addDays(day, 7);
    default:
      return null;
  }
}

/** Whether `day` lies in the month of `anchor`. */
export function inMonth(day: string, anchor: string): boolean {
  return day >= startOfMonth(anchor) && day <= endOfMonth(anchor);
}

/** The query of the current hash path (`#/calendar/new?date=…` → its parameters). */
export function queryOf(path: string): URLSearchParams {
  const i = path.indexOf("?");
  return new URLSearchParams(i < 0 ? "" : path.slice(i + 1));
}

/** The link to an event's page; `at` names one occurrence of a recurring event. */
export function eventHref(roomId: string, uid: string, at: string | null = null): string {
  return `${href("/calendar/event", roomId, uid)}${at === null ? "" : `?at=${encodeURIComponent(at)}`}`;
}

/** The link to the form for a new event on `day`, optionally in one calendar. */
export function newEventHref(day: string, calendar: string | null = null): string {
  const q = new URLSearchParams({ date: day });
  if (calendar !== null) q.set("calendar", calendar);
  return `${href("/calendar/new")}?${q.toString()}`;
}

/** The link to the form that edits an event. */
export function editEventHref(roomId: string, uid: string): string {
  return href("/calendar/edit", roomId, uid);
}
