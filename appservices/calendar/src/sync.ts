// Reading rooms' state into the projection: when a bot joins a room, and for a full reindex.
import type { AppserviceMatrix, Db, MatrixEvent, Queryable } from "@schulhof/core";
import { CAL_EVENT, EXAM, STATE_TYPES, type CalendarEnv } from "./domain.ts";
import { onCalendarEvent, onRoomState } from "./handlers.ts";
import { saveExamFromState } from "./store/exams.ts";

const ORDER = ["m.room.create", "m.room.power_levels", "de.schulhof.room", "de.schulhof.school", "de.schulhof.course", "de.schulhof.calendar", "de.schulhof.exam.cohort", "de.schulhof.exam.rules", "m.space.parent", "m.room.name", "m.room.member", CAL_EVENT, EXAM];

/** Projects a room's current state, read as `asUser` (the bot that is in the room), without announcing anything. */
export async function syncRoomState(roomId: string, matrix: AppserviceMatrix, tx: Queryable, env: CalendarEnv, asUser: string = env.botUserId): Promise<void> {
  const client = asUser === env.botUserId ? matrix.bot : matrix.as(asUser);
  const state = (await client.roomState(roomId)) as unknown as MatrixEvent[];
  const sorted = state.filter((e) => STATE_TYPES.has(e.type)).sort((a, b) => ORDER.indexOf(a.type) - ORDER.indexOf(b.type));
  const quiet = { tx, enqueue: async (): Promise<void> => undefined };
  for (const raw of sorted) {
    const ev = { ...raw, room_id: roomId };
    if (ev.type === CAL_EVENT) await onCalendarEvent(ev, quiet, env, { announce: false });
    else if (ev.type === EXAM) {
      if (ev.state_key !== undefined && ev.state_key !== "") await saveExamFromState(tx, roomId, ev.state_key, ev.content);
    } else await onRoomState(ev, tx);
  }
}

/** Rebuilds the projection from the rooms both bots are in (feeds, personal rooms and sent reminders stay). */
export async function reindexCalendar(db: Db, matrix: AppserviceMatrix, env: CalendarEnv): Promise<number> {
  const rooms = new Map<string, string>();
  for (const bot of [env.examBotUserId, env.botUserId]) {
    const client = bot === env.botUserId ? matrix.bot : matrix.as(bot);
    const joined = (await client.getJoinedRooms()).joined_rooms;
    for (const r of joined) rooms.set(r, bot);
  }
  await db.transaction(async (tx) => {
    for (const t of ["events", "members", "exams", "rooms"]) await tx.query(`DELETE FROM ${t}`);
  });
  for (const [roomId, bot] of rooms) await db.transaction((tx) => syncRoomState(roomId, matrix, tx, env, bot));
  return rooms.size;
}
