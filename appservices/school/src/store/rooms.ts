// The rooms and memberships tables: which Matrix room serves which part of the school, and who is in it.
import type { Queryable } from "@schulhof/core";
import type { RoomKind, RoomSpec } from "../provision/plan.ts";

/** A provisioned room. */
export interface RoomRow {
  key: string;
  roomId: string;
  kind: RoomKind;
  name: string;
  parentKey: string | null;
  powerUsers: Record<string, number>;
  join: RoomSpec["join"];
}

const SELECT_ROOMS = `SELECT key, room_id, kind, name, parent_key, power_users, join_rule FROM rooms`;
const UPSERT_ROOM = `
INSERT INTO rooms (key, room_id, kind, name, parent_key, power_users, join_rule) VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (key) DO UPDATE SET room_id = $2, kind = $3, name = $4, parent_key = $5, power_users = $6, join_rule = $7`;
const SET_JOIN = `UPDATE rooms SET join_rule = $2 WHERE key = $1`;
const SET_POWER = `UPDATE rooms SET power_users = $2 WHERE key = $1`;
const SELECT_MEMBERS = `SELECT room_key, user_id FROM memberships`;
const ADD_MEMBER = `INSERT INTO memberships (room_key, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`;
const REMOVE_MEMBER = `DELETE FROM memberships WHERE room_key = $1 AND user_id = $2`;
const ROOMS_OF_USER = `
SELECT r.name, r.room_id FROM memberships m JOIN rooms r ON r.key = m.room_key
WHERE m.user_id = $1 AND r.kind <> 'school' ORDER BY r.name`;
const CLEAR = [`DELETE FROM memberships`, `DELETE FROM rooms`];

interface Raw {
  key: string;
  room_id: string;
  kind: RoomKind;
  name: string;
  parent_key: string | null;
  power_users: Record<string, number> | string;
  join_rule: RoomSpec["join"] | string;
}

/** Every provisioned room, by key. */
export async function allRooms(db: Queryable): Promise<Map<string, RoomRow>> {
  const r = await db.query<Raw>(SELECT_ROOMS);
  return new Map(
    r.rows.map((x) => [
      x.key,
      {
        key: x.key,
        roomId: x.room_id,
        kind: x.kind,
        name: x.name,
        parentKey: x.parent_key,
        powerUsers: typeof x.power_users === "string" ? (JSON.parse(x.power_users) as Record<string, number>) : x.power_users,
        join: typeof x.join_rule === "string" ? (JSON.parse(x.join_rule) as RoomSpec["join"]) : x.join_rule,
      },
    ]),
  );
}

/** Records a room. */
export async function saveRoom(db: Queryable, room: RoomRow): Promise<void> {
  await db.query(UPSERT_ROOM, [room.key, room.roomId, room.kind, room.name, room.parentKey, JSON.stringify(room.powerUsers), JSON.stringify(room.join)]);
}

/** Records the join rule last sent to a room. */
export async function saveJoinRule(db: Queryable, key: string, join: RoomSpec["join"]): Promise<void> {
  await db.query(SET_JOIN, [key, JSON.stringify(join)]);
}

/** Records the power levels last sent to a room. */
export async function savePowerUsers(db: Queryable, key: string, users: Record<string, number>): Promise<void> {
  await db.query(SET_POWER, [key, JSON.stringify(users)]);
}

/** Every membership provisioning made, as room key → user ids. */
export async function allMemberships(db: Queryable): Promise<Map<string, Set<string>>> {
  const r = await db.query<{ room_key: string; user_id: string }>(SELECT_MEMBERS);
  const m = new Map<string, Set<string>>();
  for (const row of r.rows) {
    const s = m.get(row.room_key) ?? new Set<string>();
    s.add(row.user_id);
    m.set(row.room_key, s);
  }
  return m;
}

/** The provisioned rooms a user is in (not the school space), by name. */
export async function roomsOfUser(db: Queryable, userId: string): Promise<{ name: string; roomId: string }[]> {
  const rows = (await db.query<{ name: string; room_id: string }>(ROOMS_OF_USER, [userId])).rows;
  return rows.map((r) => ({ name: r.name, roomId: r.room_id })).sort((a, b) => a.name.localeCompare(b.name, "de"));
}

/** Records that `userId` is joined to the room. */
export async function addMembership(db: Queryable, roomKey: string, userId: string): Promise<void> {
  await db.query(ADD_MEMBER, [roomKey, userId]);
}

/** Records that `userId` left the room. */
export async function removeMembership(db: Queryable, roomKey: string, userId: string): Promise<void> {
  await db.query(REMOVE_MEMBER, [roomKey, userId]);
}

/** Empties rooms and memberships (reindex). */
export async function clearRooms(db: Queryable): Promise<void> {
  for (const sql of CLEAR) await db.query(sql);
}
