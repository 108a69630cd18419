// Calendar events as the projection holds them: the valid content of each `de.schulhof.calendar.event`.
import { DateTime } from "luxon";
import type { Queryable } from "@schulhof/core";
import { expandEvent, type EventContent } from "../model/index.ts";
import { bumpRoom } from "./rooms.ts";

/**
 * Event-id markers of projected events whose state event is still on its way (written by a command or the API):
 * its echo is announced as a new event, or as a change.
 */
export const PENDING_NEW = "pending:";
export const PENDING_CHANGE = "pending-change:";

export interface StoredEvent {
  roomId: string;
  uid: string;
  content: EventContent;
  sender: string;
  eventId: string;
  originTs: number;
}

interface Raw {
  room_id: string;
  uid: string;
  content: unknown;
  sender: string;
  event_id: string;
  origin_ts: string | number;
}

const rowOf = (r: Raw): StoredEvent => ({
  roomId: r.room_id,
  uid: r.uid,
  content: (typeof r.content === "string" ? JSON.parse(r.content) : r.content) as EventContent,
  sender: r.sender,
  eventId: r.event_id,
  originTs: Number(r.origin_ts),
});

/** The local days an event spans, first to last (all its occurrences), for range queries. */
export function daySpan(uid: string, content: EventContent): { first: string; last: string } {
  const zone = content.tzid;
  const start = DateTime.fromISO(content.start, { zone });
  const first = start.minus({ days: 1 }).toISODate() ?? content.start.slice(0, 10);
  if (content.rrule === undefined && content.overrides === undefined) {
    const end = DateTime.fromISO(content.end, { zone });
    return { first, last: end.plus({ days: 1 }).toISODate() ?? content.end.slice(0, 10) };
  }
  const occ = expandEvent(uid, content, start.minus({ days: 400 }).toJSDate(), start.plus({ years: 11 }).toJSDate());
  let last = DateTime.fromISO(content.end, { zone });
  let earliest = start;
  for (const o of occ) {
    const e = DateTime.fromJSDate(o.end, { zone });
    const s = DateTime.fromJSDate(o.start, { zone });
    if (e > last) last = e;
    if (s < earliest) earliest = s;
  }
  return { first: earliest.minus({ days: 1 }).toISODate() ?? first, last: last.plus({ days: 1 }).toISODate() ?? content.end.slice(0, 10) };
}

/** Stores (or replaces) an event. */
export async function saveEvent(tx: Queryable, e: StoredEvent): Promise<void> {
  const span = daySpan(e.uid, e.content);
  // The same event again (a room read anew when a bot joins, a replayed transaction) changes nothing,
  // so it must not change the feeds' ETags either.
  const changed = await tx.query(
    `INSERT INTO events (room_id, uid, content, sender, event_id, origin_ts, category, first_day, last_day)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (room_id, uid) DO UPDATE SET content = $3, sender = $4, event_id = $5, origin_ts = $6, category = $7, first_day = $8, last_day = $9
     WHERE events.event_id <> $5 OR events.content <> $3::jsonb
     RETURNING uid`,
    [e.roomId, e.uid, JSON.stringify(e.content), e.sender, e.eventId, e.originTs, e.content.category, span.first, span.last],
  );
  if (changed.rows.length > 0) await bumpRoom(tx, e.roomId);
}

export async function deleteEvent(tx: Queryable, roomId: string, uid: string): Promise<void> {
  await tx.query(`DELETE FROM events WHERE room_id = $1 AND uid = $2`, [roomId, uid]);
  await bumpRoom(tx, roomId);
}

export async function getEvent(q: Queryable, roomId: string, uid: string): Promise<StoredEvent | null> {
  const r = (await q.query<Raw>(`SELECT * FROM events WHERE room_id = $1 AND uid = $2`, [roomId, uid])).rows[0];
  return r === undefined ? null : rowOf(r);
}

/** Events of the given rooms that may have occurrences between the local days `from` and `to` (inclusive). */
export async function eventsIn(q: Queryable, roomIds: readonly string[], from: string, to: string, categories?: readonly string[]): Promise<StoredEvent[]> {
  if (roomIds.length === 0) return [];
  const cat = categories === undefined ? "" : " AND category = ANY($4::text[])";
  const params: unknown[] = [roomIds, from, to];
  if (categories !== undefined) params.push(categories);
  const r = await q.query<Raw>(
    `SELECT room_id, uid, content, sender, event_id, origin_ts FROM events
     WHERE room_id = ANY($1::text[]) AND last_day >= $2 AND first_day <= $3${cat} ORDER BY room_id, uid`,
    params,
  );
  return r.rows.map(rowOf);
}

/** Every event of the given rooms (feeds). */
export async function allEventsOf(q: Queryable, roomIds: readonly string[]): Promise<StoredEvent[]> {
  if (roomIds.length === 0) return [];
  const r = await q.query<Raw>(`SELECT room_id, uid, content, sender, event_id, origin_ts FROM events WHERE room_id = ANY($1::text[]) ORDER BY room_id, uid`, [roomIds]);
  return r.rows.map(rowOf);
}
