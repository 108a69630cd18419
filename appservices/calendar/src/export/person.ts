// Auskunft (DSGVO Art. 15): what the calendar appservice holds about one person, from its own database only:
// the calendars they belong to, the entries they wrote, their own calendar's entries, their feeds (without the
// secret token) and the reminders sent for their calendar.
import type { Queryable } from "@schulhof/core";

export interface CalendarPersonExport {
  memberships: { room_id: string; name: string; kind: string | null; joined: boolean }[];
  personal: { room_id: string | null; send_feed: boolean; requested_at: string } | null;
  /** Entries the person wrote, in any calendar, and every entry of their own (personal) calendar. */
  entries: { room_id: string; calendar: string; uid: string; event_id: string; sender: string; created_at: string; category: string; first_day: string; last_day: string; content: Record<string, unknown> }[];
  /** Feed subscriptions: id, label and dates. The secret address itself is not exported (it would let anyone read the calendar). */
  feeds: { id: string; room_id: string | null; label: string; created_at: string; last_used_at: string | null; revoked_at: string | null }[];
}

const isoTs = (v: unknown): string | null => (v === null || v === undefined ? null : v instanceof Date ? v.toISOString() : String(v));

/** The person's rows of the calendar database (one schema), as plain JSON. */
export async function exportCalendarPerson(db: Queryable, userId: string): Promise<CalendarPersonExport> {
  const q = async <T>(sql: string): Promise<T[]> => (await db.query<T>(sql, [userId])).rows;
  const personal = (await q<{ room_id: string | null; send_feed: boolean; requested_at: unknown }>(`SELECT room_id, send_feed, requested_at FROM personal WHERE user_id = $1`))[0];
  const entries = await q<{ room_id: string; calendar: string | null; uid: string; event_id: string; sender: string; origin_ts: string; category: string; first_day: string; last_day: string; content: Record<string, unknown> }>(
    `SELECT e.room_id, r.name AS calendar, e.uid, e.event_id, e.sender, e.origin_ts, e.category, e.first_day, e.last_day, e.content
       FROM events e LEFT JOIN rooms r ON r.room_id = e.room_id
      WHERE e.sender = $1 OR e.room_id = (SELECT room_id FROM personal WHERE user_id = $1)
      ORDER BY e.first_day, e.uid`,
  );
  return {
    memberships: (await q<{ room_id: string; name: string | null; kind: string | null; joined: boolean }>(
      `SELECT m.room_id, r.name, r.kind, m.joined FROM members m LEFT JOIN rooms r ON r.room_id = m.room_id WHERE m.user_id = $1 ORDER BY r.name, m.room_id`,
    )).map((m) => ({ ...m, name: m.name ?? "" })),
    personal: personal === undefined ? null : { room_id: personal.room_id, send_feed: personal.send_feed, requested_at: isoTs(personal.requested_at) ?? "" },
    entries: entries.map((e) => ({ ...e, calendar: e.calendar ?? "", created_at: new Date(Number(e.origin_ts)).toISOString() })).map(({ origin_ts: _o, ...rest }) => rest),
    feeds: (await q<{ id: string; room_id: string | null; label: string; created_at: unknown; last_used_at: unknown; revoked_at: unknown }>(
      `SELECT id, room_id, label, created_at, last_used_at, revoked_at FROM feeds WHERE user_id = $1 ORDER BY created_at`,
    )).map((f) => ({ id: f.id, room_id: f.room_id, label: f.label, created_at: isoTs(f.created_at) ?? "", last_used_at: isoTs(f.last_used_at), revoked_at: isoTs(f.revoked_at) })),
  };
}
