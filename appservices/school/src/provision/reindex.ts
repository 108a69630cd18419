// Rebuilds the school appservice's tables from the homeserver: the rooms are the truth, the tables their projection.
import { MatrixError } from "matrix-js-sdk";
import type { AppserviceMatrix, Db } from "@schulhof/core";
import { clearPeople, savePerson } from "../store/people.ts";
import { addMembership, clearRooms, saveRoom, type RoomRow } from "../store/rooms.ts";
import { loadPeopleSnapshot } from "./import.ts";
import { runPool } from "./pool.ts";
import { ROOM_KINDS, type RoomKind } from "./plan.ts";

/** Counts of what reindex found. */
export interface ReindexResult {
  people: number;
  rooms: number;
  memberships: number;
}

/**
 * Reads every room the bot is in that carries `de.schulhof.room` of a kind it provisions, its power levels and joined
 * members, and the people snapshot from the bot's account data; then replaces the tables in one
 * transaction. Run it when the database was lost or is suspect.
 */
export async function reindexSchool(db: Db, matrix: AppserviceMatrix): Promise<ReindexResult> {
  const bot = matrix.bot;
  const { joined_rooms: joined } = await bot.getJoinedRooms();
  const rooms: { row: RoomRow; members: string[]; viaRoomId: string | null }[] = [];
  await runPool(joined, 8, async (roomId) => {
    let marker: { kind?: RoomKind; key?: string; parent?: string | null };
    try {
      marker = (await bot.getStateEvent(roomId, "de.schulhof.room" as never, "")) as typeof marker;
    } catch (e) {
      if (e instanceof MatrixError && e.httpStatus === 404) return;
      throw e;
    }
    // Only the rooms this appservice provisions: the homework bot's submission spaces carry a marker too.
    if (marker.kind === undefined || marker.key === undefined || !ROOM_KINDS.includes(marker.kind)) return;
    const name = ((await bot.getStateEvent(roomId, "m.room.name" as never, "")) as { name?: string }).name ?? marker.key;
    const pl = (await bot.getStateEvent(roomId, "m.room.power_levels" as never, "")) as { users?: Record<string, number> };
    const powerUsers = Object.fromEntries(Object.entries(pl.users ?? {}).sort(([a], [b]) => a.localeCompare(b)));
    const members = Object.keys((await bot.getJoinedRoomMembers(roomId)).joined).filter((u) => u !== matrix.botUserId);
    const rules = (await bot.getStateEvent(roomId, "m.room.join_rules" as never, "")) as { join_rule?: string; allow?: { room_id?: string }[] };
    rooms.push({
      row: { key: marker.key, roomId, kind: marker.kind, name, parentKey: marker.parent ?? null, powerUsers, join: { rule: "invite" } },
      members,
      viaRoomId: rules.join_rule === "restricted" ? (rules.allow?.[0]?.room_id ?? null) : null,
    });
  });
  const keyOfRoom = new Map(rooms.map((r) => [r.row.roomId, r.row.key]));
  for (const r of rooms) {
    const viaKey = r.viaRoomId === null ? undefined : keyOfRoom.get(r.viaRoomId);
    if (viaKey !== undefined) r.row.join = { rule: "restricted", viaKey };
  }
  const people = await loadPeopleSnapshot(matrix);
  let memberships = 0;
  await db.transaction(async (tx) => {
    await clearRooms(tx);
    await clearPeople(tx);
    for (const p of people) await savePerson(tx, p);
    for (const r of rooms) {
      await saveRoom(tx, r.row);
      for (const u of r.members) {
        await addMembership(tx, r.row.key, u);
        memberships++;
      }
    }
  });
  return { people: people.length, rooms: rooms.length, memberships };
}
