// Rebuilds the homework tables from the rooms: state of every room the bot is in, and the history of submission rooms.
import type { AppserviceMatrix, Db } from "@schulhof/core";
import type { HomeworkEnv } from "./handlers.ts";
import { syncRoomHistory, syncRoomState } from "./sync.ts";

const TABLES = ["course_rooms", "course_members", "assignments", "submission_rooms", "submissions", "feedback", "extensions"];

/**
 * Replaces the projection with what the rooms say. Data that lives only here (started marks,
 * reminders already sent, pending room jobs) is kept. Returns the number of rooms read.
 */
export async function reindexHomework(db: Db, matrix: AppserviceMatrix, env: HomeworkEnv): Promise<number> {
  const { joined_rooms: rooms } = await matrix.bot.getJoinedRooms();
  await db.transaction(async (tx) => {
    for (const t of TABLES) await tx.query(`DELETE FROM ${t}`);
    // Course rooms and markers first, so that submissions find their course and assignment.
    for (const r of rooms) await syncRoomState(r, matrix, tx, env);
    for (const r of rooms) await syncRoomState(r, matrix, tx, env);
    const subRooms = (await tx.query<{ room_id: string }>("SELECT room_id FROM submission_rooms")).rows.map((x) => x.room_id);
    for (const r of subRooms) await syncRoomHistory(r, matrix, tx, env);
  });
  return rooms.length;
}
