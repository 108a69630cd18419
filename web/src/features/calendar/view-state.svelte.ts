// What the Kalender page shows (view, the day it is around, hidden calendars), kept while the user visits other pages.
import { today } from "./dates.ts";

/** The three ways to look at the calendar. */
export type CalendarView = "month" | "week" | "agenda";

export const VIEWS: readonly CalendarView[] = ["month", "week", "agenda"];

/** Phones (the shell's own breakpoint) start with the agenda, wider screens with the week. */
function initialView(): CalendarView {
  return typeof matchMedia === "function" && matchMedia("(max-width: 48rem)").matches ? "agenda" : "week";
}

class CalendarViewState {
  view = $state<CalendarView>(initialView());
  /** The selected day: the views show the month or week around it, the agenda starts there. */
  day = $state(today());
  /** Room ids of calendars the user hid. */
  hidden = $state.raw<ReadonlySet<string>>(new Set());
}

/** The one view state of the session. */
export const calendarView = new CalendarViewState();

/** Shows or hides one calendar's events. */
export function toggleCalendar(roomId: string): void {
  const next = new Set(calendarView.hidden);
  if (next.has(roomId)) next.delete(roomId);
  else next.add(roomId);
  calendarView.hidden = next;
}
