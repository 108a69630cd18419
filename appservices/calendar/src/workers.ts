// Background work of the calendar appservice: public holidays into the school calendar, reminders, personal rooms.
import { DateTime } from "luxon";
import type { AppserviceContext } from "@schulhof/core";
import { noticeContent } from "@schulhof/core";
import { describeOccurrence, occurrencesBetween, publicHolidays } from "./model/index.ts";
import { CAL_EVENT, type CalendarEnv } from "./domain.ts";
import { schoolRoom } from "./planning/context.ts";
import { roomsWhere, type CalendarMarker } from "./store/rooms.ts";
import type { StoredEvent } from "./store/events.ts";
import { T } from "./bot/texts.ts";

/** Reminders when a calendar says nothing: the evening before an exam or a trip. */
export const DEFAULT_REMINDERS: NonNullable<CalendarMarker["reminders"]> = { categories: ["exam", "trip"], days_before: 1, at: "18:00" };

/** Writes the public holidays of this and next year into the school calendar, once per year. */
export async function runHolidays(ctx: AppserviceContext, env: CalendarEnv, now: DateTime = DateTime.now()): Promise<number> {
  const school = await schoolRoom(ctx.db);
  if (school === null || school.calendar === null) return 0;
  const state = school.school?.state ?? env.state;
  let written = 0;
  for (const year of [now.year, now.year + 1]) {
    await ctx.db.transaction(async (tx) => {
      const done = await tx.query(`INSERT INTO holiday_years (room_id, year) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING year`, [school.roomId, year]);
      if (done.rows.length === 0) return;
      for (const h of publicHolidays(state, year, env.timezone)) {
        await ctx.outbox.enqueue(tx, `holidays:${year}`, {
          kind: "state",
          roomId: school.roomId,
          eventType: CAL_EVENT,
          stateKey: h.uid,
          content: { ...h.content, import_id: `feiertage-${state}-${year}` } as Record<string, unknown>,
        });
        written++;
      }
    });
  }
  if (written > 0) ctx.outbox.kick();
  return written;
}

/** When a reminder for an occurrence starting at `startLocal` is due, in the calendar's rule. */
export function reminderTime(startLocal: string, zone: string, rule: NonNullable<CalendarMarker["reminders"]>): DateTime {
  const [h, m] = rule.at.split(":").map(Number);
  return DateTime.fromISO(startLocal.slice(0, 10), { zone })
    .minus({ days: rule.days_before })
    .set({ hour: h ?? 18, minute: m ?? 0 });
}

/**
 * Sends due reminders: one query for the candidate events of every calendar, occurrences expanded
 * for the next days only; each reminder is recorded so that it is sent once.
 */
export async function runReminders(ctx: AppserviceContext, env: CalendarEnv, now: DateTime = DateTime.now().setZone(env.timezone)): Promise<number> {
  const calendars = await roomsWhere(ctx.db, `calendar IS NOT NULL AND calendar->>'scope' <> 'personal'`);
  const rules = new Map<string, NonNullable<CalendarMarker["reminders"]>>();
  for (const c of calendars) {
    const r = c.calendar?.reminders === undefined ? DEFAULT_REMINDERS : c.calendar.reminders;
    if (r !== null && r.categories.length > 0) rules.set(c.roomId, r);
  }
  if (rules.size === 0) return 0;
  const maxDays = Math.max(...[...rules.values()].map((r) => r.days_before)) + 1;
  const categories = [...new Set([...rules.values()].flatMap((r) => r.categories))];
  const from = now.toISODate()!;
  const to = now.plus({ days: maxDays }).toISODate()!;
  const raw = await ctx.db.query<{ room_id: string; uid: string; content: unknown }>(
    `SELECT room_id, uid, content FROM events WHERE room_id = ANY($1::text[]) AND category = ANY($2::text[]) AND last_day >= $3 AND first_day <= $4`,
    [[...rules.keys()], categories, from, to],
  );
  let sent = 0;
  for (const row of raw.rows) {
    const rule = rules.get(row.room_id);
    if (rule === undefined) continue;
    const content = (typeof row.content === "string" ? JSON.parse(row.content) : row.content) as StoredEvent["content"];
    if (!rule.categories.includes(content.category)) continue;
    for (const o of occurrencesBetween([{ uid: row.uid, content }], now.toJSDate(), now.plus({ days: maxDays + 1 }).toJSDate())) {
      const at = reminderTime(o.startLocal, env.timezone, rule);
      if (at > now || o.start.getTime() <= now.toMillis()) continue;
      const key = o.recurrenceId ?? o.startLocal;
      await ctx.db.transaction(async (tx) => {
        const fresh = await tx.query(`INSERT INTO reminders_sent (room_id, uid, occurrence) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING uid`, [row.room_id, row.uid, key]);
        if (fresh.rows.length === 0) return;
        await ctx.outbox.enqueue(tx, `reminder:${row.room_id}:${row.uid}:${key}`, {
          kind: "message",
          roomId: row.room_id,
          eventType: "m.room.message",
          content: noticeContent(T[env.lang].reminder(describeOccurrence(o, env.lang, env.timezone))),
        });
        sent++;
      });
    }
  }
  if (sent > 0) ctx.outbox.kick();
  return sent;
}
