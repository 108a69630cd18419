// Projection of room state (markers, power levels, members, calendar events, exams) and the checks on calendar events.
import type { HandlerContext, MatrixEvent, Queryable } from "@schulhof/core";
import { noticeContent } from "@schulhof/core";
import { describeEvent, validateEvent, type EventContent } from "./model/index.ts";
import { CAL_EVENT, CALENDAR, EXAM_COHORT, EXAM_RULES, isGuestRoom, isOurBot, type CalendarEnv } from "./domain.ts";
import { deleteEvent, getEvent, PENDING_CHANGE, PENDING_NEW, saveEvent } from "./store/events.ts";
import { getRoom, levelFor, powerIn, saveMember, savePowerLevels, setRoomField } from "./store/rooms.ts";
import { saveExamFromState } from "./store/exams.ts";
import { T } from "./bot/texts.ts";

type Hctx = Pick<HandlerContext, "tx" | "enqueue">;

/** Room state other than calendar events and exams: markers, power levels, members. */
export async function onRoomState(event: MatrixEvent, tx: Queryable): Promise<void> {
  const c = event.content;
  const empty = Object.keys(c).length === 0;
  switch (event.type) {
    case "m.room.member":
      if (event.state_key !== undefined) await saveMember(tx, event.room_id, event.state_key, c.membership === "join");
      return;
    case "m.room.power_levels":
      return savePowerLevels(tx, event.room_id, c);
    case "m.room.create": {
      const version = Number(String(c.room_version ?? "1"));
      const extra = Array.isArray(c.additional_creators) ? (c.additional_creators as string[]) : [];
      if (version >= 12) await setRoomField(tx, event.room_id, "creators", [event.sender, ...extra]);
      return;
    }
    case "m.room.name":
      return setRoomField(tx, event.room_id, "name", typeof c.name === "string" ? c.name : "");
    case "m.space.parent":
      if (c.canonical === true && event.state_key !== undefined) await setRoomField(tx, event.room_id, "parent", event.state_key);
      return;
    case "de.schulhof.room":
      return setRoomField(tx, event.room_id, "kind", typeof c.kind === "string" ? c.kind : null);
    case "de.schulhof.school":
      return setRoomField(tx, event.room_id, "school", empty ? null : c);
    case "de.schulhof.course":
      return setRoomField(tx, event.room_id, "course", empty ? null : c);
    case CALENDAR:
      return setRoomField(tx, event.room_id, "calendar", empty || typeof c.name !== "string" ? null : c);
    case EXAM_COHORT:
      return setRoomField(tx, event.room_id, "exam_cohort", empty ? null : c);
    case EXAM_RULES:
      return setRoomField(tx, event.room_id, "exam_rules", empty ? null : c);
  }
}

/** A message the calendar bot posts. */
async function notice(ctx: Hctx, roomId: string, text: string, replyTo?: string, asUser?: string): Promise<void> {
  await ctx.enqueue({ kind: "message", roomId, eventType: "m.room.message", content: noticeContent(text, replyTo === undefined ? {} : { replyTo }), ...(asUser === undefined ? {} : { asUser }) });
}

/** Whether an event is announced on its own (imports and exams announce themselves). */
export function announced(content: Record<string, unknown>): boolean {
  return content.import_id === undefined && content.exam_id === undefined && content["de.schulhof.silent"] !== true;
}

/**
 * A `de.schulhof.calendar.event`: checked (the sender's power, RFC 5545 sense), stored and
 * announced. An invalid one is answered with every reason and undone: the bot writes back the last
 * valid version (or deletes it), so that no client and no feed ever shows a broken event.
 */
export async function onCalendarEvent(event: MatrixEvent, ctx: Hctx, env: CalendarEnv, optsIn: { announce: boolean } = { announce: true }): Promise<void> {
  const uid = event.state_key ?? "";
  const room = await getRoom(ctx.tx, event.room_id);
  if (room?.calendar === null || room === null || uid === "") return;
  // A shared course hosted by another school: its bot announces and corrects; here the events only enter the projection.
  const opts = isGuestRoom(room, env) ? { announce: false } : optsIn;
  const before = await getEvent(ctx.tx, event.room_id, uid);
  if (before !== null && before.originTs > event.origin_server_ts) return;
  if (!isOurBot(env, event.sender) && powerIn(room, event.sender) < levelFor(room, CAL_EVENT)) return;
  const t = T[env.lang];
  if (Object.keys(event.content).length === 0) {
    if (before === null) return;
    await deleteEvent(ctx.tx, event.room_id, uid);
    if (opts.announce && announced(before.content as unknown as Record<string, unknown>)) await notice(ctx, event.room_id, t.deleted(before.content.summary));
    return;
  }
  const checked = validateEvent(event.content);
  if (!checked.ok) {
    if (!opts.announce) return;
    await notice(ctx, event.room_id, t.invalidEvent(checked.reasons.map((r) => r[env.lang])), event.event_id);
    const restore: EventContent | Record<string, never> = before === null ? {} : before.content;
    await ctx.enqueue({ kind: "state", roomId: event.room_id, eventType: CAL_EVENT, stateKey: uid, content: restore as Record<string, unknown> });
    return;
  }
  await saveEvent(ctx.tx, { roomId: event.room_id, uid, content: checked.content, sender: event.sender, eventId: event.event_id, originTs: event.origin_server_ts });
  if (!opts.announce || !announced(checked.content as unknown as Record<string, unknown>)) return;
  // Written through the bot or the API: the projection already holds the content, and the marker says what to announce.
  const isNew = before === null || before.eventId.startsWith(PENDING_NEW);
  const ourChange = before?.eventId.startsWith(PENDING_CHANGE) === true;
  if (before !== null && !isNew && !ourChange && (before.eventId === event.event_id || sameContent(before.content, checked.content))) return;
  await notice(ctx, event.room_id, (isNew ? t.newEvent : t.changedEvent)(describeEvent(uid, checked.content, env.lang)));
}

/** Whether two contents say the same, whatever the order of their keys (the database's JSONB keeps its own order). */
function sameContent(a: unknown, b: unknown): boolean {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(canonical) : typeof v === "object" && v !== null ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])])) : v;
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

/** A `de.schulhof.exam` state event: ours are projected when decided; an admin's own edit is taken as it is. */
export async function onExamState(event: MatrixEvent, tx: Queryable, env: CalendarEnv): Promise<void> {
  if (event.sender === env.examBotUserId || event.state_key === undefined || event.state_key === "") return;
  const room = await getRoom(tx, event.room_id);
  if (room === null || isGuestRoom(room, env) || powerIn(room, event.sender) < 100) return;
  await saveExamFromState(tx, event.room_id, event.state_key, event.content);
}
