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
  /**
   * UIDs of events the user deleted whose deletion the server has not shown yet (it reaches the calendar's
   * projection once the homeserver has the change): kept out of the views until the server's list drops them.
   */
  deleted = $state.raw<ReadonlySet<string>>(new Set());
}

/** The one view state of the session. */
export const calendarView = new CalendarViewState();

/** Called after deleting an event: it is not shown again while the server still lists it. */
export function markDeleted(uid: string): void {
  calendarView.deleted = new Set([...calendarView.deleted, uid]);
}

/** Forgets deletions the server's answer no longer lists (`uids`: every UID in a fresh answer). */
export function settleDeleted(uids: ReadonlySet<string>): void {
  const still = [...calendarView.deleted].filter((uid) => uids.has(uid));
  if (still.length !== calendarView.deleted.size) calendarView.deleted = new Set(still);
}

/** Shows or hides one calendar's events. */
export function toggleCalendar(roomId: string): void {
  const next = new Set(calendarView.hidden);
  if (next.has(roomId)) next.delete(roomId);
  else next.add(roomId);
  calendarView.hidden = next;
}
