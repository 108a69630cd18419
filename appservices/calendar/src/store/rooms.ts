// The projection of rooms the calendar bots are in: markers, power levels, members.
import type { Queryable } from "@schulhof/core";

/** What the calendar appservice knows of a room. */
export interface RoomRow {
  roomId: string;
  kind: string | null;
  name: string;
  calendar: CalendarMarker | null;
  school: { name?: string; state?: string; timezone?: string } | null;
  course: { name?: string; cohort?: { kind: string; name: string } | null; teachers?: string[] } | null;
  examCohort: { kind: string; name: string; stage?: "sek1" | "sek2"; grade?: number | null } | null;
  examRules: unknown;
  parent: string | null;
  powers: Record<string, number>;
  usersDefault: number;
  stateDefault: number;
  eventLevels: Record<string, number>;
  creators: string[];
  version: number;
}

/** The `de.schulhof.calendar` content. */
export interface CalendarMarker {
  name: string;
  colour?: string;
  scope: "school" | "class" | "course" | "teachers" | "personal";
  owner?: string;
  /** Reminders: categories reminded of, how many days before, at what local time. */
  reminders?: { categories: string[]; days_before: number; at: string } | null;
}

const json = <T>(v: unknown): T => (typeof v === "string" ? (JSON.parse(v) as T) : (v as T));

interface RawRoom {
  room_id: string;
  kind: string | null;
  name: string;
  calendar: unknown;
  school: unknown;
  course: unknown;
  exam_cohort: unknown;
  exam_rules: unknown;
  parent: string | null;
  powers: unknown;
  users_default: number;
  state_default: number;
  event_levels: unknown;
  creators: unknown;
  version: string | number;
}

function rowOf(r: RawRoom): RoomRow {
  return {
    roomId: r.room_id,
    kind: r.kind,
    name: r.name,
    calendar: json<CalendarMarker | null>(r.calendar),
    school: json(r.school),
    course: json(r.course),
    examCohort: json(r.exam_cohort),
    examRules: json(r.exam_rules),
    parent: r.parent,
    powers: json<Record<string, number>>(r.powers),
    usersDefault: r.users_default,
    stateDefault: r.state_default,
    eventLevels: json<Record<string, number>>(r.event_levels),
    creators: json<string[]>(r.creators),
    version: Number(r.version),
  };
}

/** Columns a state event may set. */
export type RoomField = "kind" | "name" | "calendar" | "school" | "course" | "exam_cohort" | "exam_rules" | "parent" | "creators";

/** Sets one column of a room (creating the row), and bumps its version. */
export async function setRoomField(tx: Queryable, roomId: string, field: RoomField, value: unknown): Promise<void> {
  const v = value === null || typeof value === "string" ? value : JSON.stringify(value);
  // Only a real change moves the version (it is part of the feeds' ETags): reading a room again changes nothing.
  const same = field === "kind" || field === "name" || field === "parent" ? `rooms.${field} IS NOT DISTINCT FROM $2` : `rooms.${field} IS NOT DISTINCT FROM $2::jsonb`;
  await tx.query(
    `INSERT INTO rooms (room_id, ${field}, version) VALUES ($1, $2, nextval('change_seq'))
     ON CONFLICT (room_id) DO UPDATE SET ${field} = $2, version = nextval('change_seq') WHERE NOT (${same})`,
    [roomId, v],
  );
}

/** Saves a room's power levels. */
export async function savePowerLevels(tx: Queryable, roomId: string, content: Record<string, unknown>): Promise<void> {
  const num = (v: unknown, d: number): number => (typeof v === "number" ? v : d);
  await tx.query(
    `INSERT INTO rooms (room_id, powers, users_default, state_default, event_levels) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (room_id) DO UPDATE SET powers = $2, users_default = $3, state_default = $4, event_levels = $5`,
    [roomId, JSON.stringify(content.users ?? {}), num(content.users_default, 0), num(content.state_default, 50), JSON.stringify(content.events ?? {})],
  );
}

/** Records a membership; a room's version changes so that feeds of its members change their ETag. */
export async function saveMember(tx: Queryable, roomId: string, userId: string, joined: boolean): Promise<void> {
  await tx.query(
    `INSERT INTO members (room_id, user_id, joined) VALUES ($1, $2, $3) ON CONFLICT (room_id, user_id) DO UPDATE SET joined = $3`,
    [roomId, userId, joined],
  );
}

export async function getRoom(q: Queryable, roomId: string): Promise<RoomRow | null> {
  const r = (await q.query<RawRoom>(`SELECT * FROM rooms WHERE room_id = $1`, [roomId])).rows[0];
  return r === undefined ? null : rowOf(r);
}

/** The same row, locked until the transaction ends (serialises exam requests of one cohort). */
export async function lockRoom(tx: Queryable, roomId: string): Promise<void> {
  await tx.query(`SELECT room_id FROM rooms WHERE room_id = $1 FOR UPDATE`, [roomId]);
}

/** Rooms with a given kind or marker. */
export async function roomsWhere(q: Queryable, where: string, params: unknown[] = []): Promise<RoomRow[]> {
  return (await q.query<RawRoom>(`SELECT * FROM rooms WHERE ${where}`, params)).rows.map(rowOf);
}

/** The power level of `userId` in a room (creators of room version 12 rooms are above every level). */
export function powerIn(room: RoomRow, userId: string): number {
  if (room.creators.includes(userId)) return Number.MAX_SAFE_INTEGER;
  return room.powers[userId] ?? room.usersDefault;
}

/** The level a state event of `type` needs in the room. */
export function levelFor(room: RoomRow, type: string): number {
  return room.eventLevels[type] ?? room.stateDefault;
}

/** Whether `userId` is a joined member. */
export async function isJoined(q: Queryable, roomId: string, userId: string): Promise<boolean> {
  return (await q.query(`SELECT 1 FROM members WHERE room_id = $1 AND user_id = $2 AND joined`, [roomId, userId])).rows.length > 0;
}

/** The server part of a Matrix id: `@anna:schule.example` → `schule.example`. */
const serverOf = (id: string): string => id.slice(id.indexOf(":") + 1);

/**
 * The calendars a user may read: calendar rooms they joined, and the school calendar of their own school. Students
 * are not members of the school space; it is world-readable on the homeserver, so every account of the school reads
 * its state without joining (docs/provisioning.md, "Who is a member of what"). The same holds here for people of the
 * school's own server who still belong to one of its rooms: a deactivated person has left them all, and a guest from
 * another school of the district is on another server.
 */
export async function calendarsOf(q: Queryable, userId: string): Promise<RoomRow[]> {
  // One query: the joined calendars, and (when the user is in any room at all) the school-wide ones, marked.
  const r = await q.query<RawRoom & { joined: boolean }>(
    `SELECT r.*, m.room_id IS NOT NULL AS joined FROM rooms r
     LEFT JOIN members m ON m.room_id = r.room_id AND m.user_id = $1 AND m.joined
     WHERE r.calendar IS NOT NULL AND (m.room_id IS NOT NULL OR (r.school IS NOT NULL AND r.calendar ->> 'scope' = 'school'
       AND EXISTS (SELECT 1 FROM members x WHERE x.user_id = $1 AND x.joined)))
     ORDER BY r.room_id`,
    [userId],
  );
  return r.rows.filter((row) => row.joined || madeOnServerOf(row, userId)).map(rowOf);
}

/** Whether the school space `row` was made on the server of `userId`: its creators (room version 12), else its id's server. */
function madeOnServerOf(row: RawRoom, userId: string): boolean {
  const creators = json<string[]>(row.creators);
  const made = creators.length > 0 ? creators.map(serverOf) : row.room_id.includes(":") ? [serverOf(row.room_id)] : [];
  return made.length > 0 && made.every((server) => server === serverOf(userId));
}

/** Whether `userId` may read the calendar of `roomId` (a member, or the school calendar of their school: `calendarsOf`). */
export async function mayReadCalendar(q: Queryable, roomId: string, userId: string): Promise<boolean> {
  return (await isJoined(q, roomId, userId)) || (await calendarsOf(q, userId)).some((r) => r.roomId === roomId);
}

/** Joined members of a room. */
export async function membersOf(q: Queryable, roomId: string): Promise<string[]> {
  return (await q.query<{ user_id: string }>(`SELECT user_id FROM members WHERE room_id = $1 AND joined ORDER BY user_id`, [roomId])).rows.map((r) => r.user_id);
}

/** Bumps a room's version (an event in it changed). */
export async function bumpRoom(tx: Queryable, roomId: string): Promise<void> {
  await tx.query(`UPDATE rooms SET version = nextval('change_seq') WHERE room_id = $1`, [roomId]);
}

/** Which of `roomIds` the user has joined. */
export async function joinedOf(q: Queryable, userId: string, roomIds: readonly string[]): Promise<Set<string>> {
  if (roomIds.length === 0) return new Set();
  const r = await q.query<{ room_id: string }>(`SELECT room_id FROM members WHERE user_id = $1 AND joined AND room_id = ANY($2::text[])`, [userId, roomIds]);
  return new Set(r.rows.map((x) => x.room_id));
}
