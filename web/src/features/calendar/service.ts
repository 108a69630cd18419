// Every call of the Kalender section to the calendar appservice (typed client), answers normalised; errors are thrown as ApiError.
import { apiClients, unwrap } from "../../lib/api/index.ts";
import type { EventContentBody } from "./event-form.ts";
import { toOccurrence, type Occurrence } from "./occurrences.ts";

/** Where a calendar lives: the school space, a class or year-group space, a course room, the Lehrerzimmer, or the user's own room. */
export type CalendarScope = "school" | "class" | "course" | "teachers" | "personal";

/** A calendar the user may read. `name` is untrusted text. */
export interface CalendarInfo {
  roomId: string;
  name: string;
  scope: CalendarScope;
  canWrite: boolean;
}

/** A secret feed URL of the user (of all their calendars when `roomId` is null). */
export interface FeedInfo {
  id: string;
  roomId: string | null;
  label: string;
  url: string;
  createdAt: string | null;
  lastUsedAt: string | null;
}

const SCOPES: readonly CalendarScope[] = ["school", "class", "course", "teachers", "personal"];

/** The calendars the user may read (personal first, then by name) and the room of their own calendar, if made. */
export async function loadCalendars(): Promise<{ calendars: CalendarInfo[]; personalRoom: string | null }> {
  const answer = unwrap(await apiClients().calendar.GET("/calendars"));
  const calendars: CalendarInfo[] = [];
  for (const c of answer.calendars ?? []) {
    if (typeof c.room_id !== "string") continue;
    calendars.push({
      roomId: c.room_id,
      name: typeof c.name === "string" && c.name.trim() !== "" ? c.name : c.room_id,
      scope: SCOPES.includes(c.scope as CalendarScope) ? (c.scope as CalendarScope) : "course",
      canWrite: c.can_write === true,
    });
  }
  calendars.sort((a, b) => (a.scope === "personal" ? -1 : b.scope === "personal" ? 1 : a.name.localeCompare(b.name)));
  return { calendars, personalRoom: answer.personal_room ?? null };
}

/** The user's occurrences from `from` to `to` (days, included), recurrences expanded, times in zone `tz`. */
export async function loadOccurrences(from: string, to: string, tz: string): Promise<Occurrence[]> {
  const answer = unwrap(await apiClients().calendar.GET("/events", { params: { query: { from, to, tz } } }));
  return (answer.occurrences ?? []).map(toOccurrence).filter((o): o is Occurrence => o !== null);
}

/** Asks for the user's own calendar room (made by `@kalender` shortly after); answers the room once it exists. */
export async function requestPersonalCalendar(): Promise<string | null> {
  return unwrap(await apiClients().calendar.POST("/personal")).room_id ?? null;
}

/** One event as stored (its content with local times in its own zone). */
export async function loadEvent(roomId: string, uid: string): Promise<Record<string, unknown>> {
  const answer = unwrap(await apiClients().calendar.GET("/calendars/{room}/events/{uid}", { params: { path: { room: roomId, uid } } }));
  return (answer.content ?? {}) as Record<string, unknown>;
}

/** Adds an event; answers its UID. */
export async function createEvent(roomId: string, content: EventContentBody): Promise<string> {
  const answer = unwrap(await apiClients().calendar.POST("/calendars/{room}/events", { params: { path: { room: roomId } }, body: content }));
  return answer.uid ?? "";
}

/** Replaces the event with this UID. */
export async function replaceEvent(roomId: string, uid: string, content: EventContentBody): Promise<void> {
  unwrap(await apiClients().calendar.PUT("/calendars/{room}/events/{uid}", { params: { path: { room: roomId, uid } }, body: content }));
}

/** Deletes an event (all its occurrences). */
export async function deleteEvent(roomId: string, uid: string): Promise<void> {
  unwrap(await apiClients().calendar.DELETE("/calendars/{room}/events/{uid}", { params: { path: { room: roomId, uid } } }));
}

/** The user's feed URLs. */
export async function loadFeeds(): Promise<FeedInfo[]> {
  const answer = unwrap(await apiClients().calendar.GET("/feeds"));
  const feeds: FeedInfo[] = [];
  for (const f of answer.feeds ?? []) {
    if (typeof f.id !== "string" || typeof f.url !== "string") continue;
    feeds.push({ id: f.id, roomId: f.room_id ?? null, label: f.label ?? "", url: f.url, createdAt: f.created_at ?? null, lastUsedAt: f.last_used_at ?? null });
  }
  return feeds;
}

/** A new secret feed URL, of every calendar (`roomId` null) or of one. */
export async function createFeed(roomId: string | null, label: string): Promise<{ id: string; url: string }> {
  const answer = unwrap(await apiClients().calendar.POST("/feeds", { body: { room_id: roomId, label } }));
  return { id: answer.id ?? "", url: answer.url ?? "" };
}

/** Revokes a feed URL; phones that use it get nothing from then on. */
export async function revokeFeed(id: string): Promise<void> {
  unwrap(await apiClients().calendar.DELETE("/feeds/{id}", { params: { path: { id } } }));
}
