// The user's own calendar ("Mein Kalender"): asked for once, then waited for while `@kalender` makes the room.
import { loadCalendars, requestPersonalCalendar, type CalendarInfo } from "./service.ts";

/** How long to wait for the room: the appservice makes personal rooms in its background work (every 30 s by default). */
const WAIT_MS = 60_000;
const POLL_MS = 2_000;

/**
 * Asks for the personal calendar and polls the calendar list until it is there (or a minute passed, or `stopped()`).
 * Answers the last list; its `personalRoom` is null when the room did not come in time.
 */
export async function ensurePersonalCalendar(stopped: () => boolean): Promise<{ calendars: CalendarInfo[]; personalRoom: string | null }> {
  const room = await requestPersonalCalendar();
  let answer = await loadCalendars();
  const deadline = Date.now() + WAIT_MS;
  while (room === null && answer.personalRoom === null && Date.now() < deadline && !stopped()) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    answer = await loadCalendars();
  }
  return answer;
}
