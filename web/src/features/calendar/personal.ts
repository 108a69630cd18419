// The user's own calendar ("Mein Kalender"): asked for once; `@kalender` makes the room before the server answers.
import { loadCalendars, requestPersonalCalendar, type CalendarInfo } from "./service.ts";

/**
 * Asks for the personal calendar and answers the calendar list that then holds it. Its `personalRoom` is null only
 * when the homeserver failed to make the room (the appservice tries again in its background work).
 */
export async function ensurePersonalCalendar(): Promise<{ calendars: CalendarInfo[]; personalRoom: string | null }> {
  await requestPersonalCalendar();
  return loadCalendars();
}
