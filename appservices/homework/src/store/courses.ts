// Course rooms and their members with power levels, as the bot sees them from room state.
import type { Queryable } from "@schulhof/core";

const UPSERT_ROOM = `
INSERT INTO course_rooms (room_id, name, is_course) VALUES ($1, $2, true) ON CONFLICT (room_id) DO UPDATE SET name = $2, is_course = true`;
const SELECT_ROOM = `SELECT room_id, name FROM course_rooms WHERE room_id = $1 AND is_course`;
const UPSERT_POWERS = `
INSERT INTO course_rooms (room_id, powers, users_default, state_levels) VALUES ($1, $2, $3, $4)
ON CONFLICT (room_id) DO UPDATE SET powers = $2, users_default = $3, state_levels = $4`;
const STATE_LEVELS = `SELECT state_levels FROM course_rooms WHERE room_id = $1`;
const POWER_OF = `
SELECT CASE WHEN creators ? $2 THEN 150 ELSE COALESCE((powers ->> $2)::int, users_default) END AS power
FROM course_rooms WHERE room_id = $1`;
const UPSERT_CREATORS = `
INSERT INTO course_rooms (room_id, creators) VALUES ($1, $2) ON CONFLICT (room_id) DO UPDATE SET creators = $2`;
const SET_CREATOR_POWER = `UPDATE course_members SET power = 150 WHERE room_id = $1 AND $2::jsonb ? user_id`;
const UPSERT_MEMBER = `
INSERT INTO course_members (room_id, user_id, power, joined) VALUES ($1, $2, $3, $4)
ON CONFLICT (room_id, user_id) DO UPDATE SET joined = $4`;
const SET_POWERS = `
UPDATE course_members m SET power = CASE WHEN r.creators ? m.user_id THEN 150 ELSE COALESCE(($2::jsonb ->> m.user_id)::int, $3) END
FROM course_rooms r WHERE r.room_id = m.room_id AND m.room_id = $1`;
const SELECT_MEMBERS = `SELECT user_id, power FROM course_members WHERE room_id = $1 AND joined ORDER BY user_id`;
const SELECT_MEMBER = `SELECT power, joined FROM course_members WHERE room_id = $1 AND user_id = $2`;
const COURSES_OF = `
SELECT m.room_id, r.name, m.power FROM course_members m JOIN course_rooms r ON r.room_id = m.room_id
WHERE m.user_id = $1 AND m.joined AND r.is_course ORDER BY r.name, m.room_id`;

/** A member of a course and their power level (50 and up: teacher). */
export interface CourseMember {
  userId: string;
  power: number;
}

export const TEACHER_POWER = 50;

/** Records a course room (one with `de.schulhof.course` state). */
export async function saveCourse(db: Queryable, roomId: string, name: string): Promise<void> {
  await db.query(UPSERT_ROOM, [roomId, name]);
}

/** The course's name, or null when the room is no course. */
export async function courseName(db: Queryable, roomId: string): Promise<string | null> {
  return (await db.query<{ name: string }>(SELECT_ROOM, [roomId])).rows[0]?.name ?? null;
}

const SPACE_OF = `SELECT submissions_space FROM course_rooms WHERE room_id = $1`;
const SET_SPACE = `UPDATE course_rooms SET submissions_space = $2 WHERE room_id = $1`;

/** The space holding a course's submission rooms, or null before the first one was made. */
export async function submissionsSpaceOf(db: Queryable, roomId: string): Promise<string | null> {
  return (await db.query<{ submissions_space: string | null }>(SPACE_OF, [roomId])).rows[0]?.submissions_space ?? null;
}

export async function saveSubmissionsSpace(db: Queryable, roomId: string, spaceId: string): Promise<void> {
  await db.query(SET_SPACE, [roomId, spaceId]);
}

/** Records a membership change (`joined` false for leave, kick, ban). */
export async function saveMembership(db: Queryable, roomId: string, userId: string, joined: boolean, power: number): Promise<void> {
  await db.query(UPSERT_MEMBER, [roomId, userId, power, joined]);
}

/** What a power-level event says about sending state: the level per event type, and the default for the rest. */
export interface StateLevels {
  stateDefault: number;
  events: Record<string, number>;
}

/** Applies a power-level event to the room and every member of it. */
export async function savePowers(db: Queryable, roomId: string, users: Record<string, number>, usersDefault: number, levels: StateLevels): Promise<void> {
  await db.query(UPSERT_POWERS, [roomId, JSON.stringify(users), usersDefault, JSON.stringify(levels)]);
  await db.query(SET_POWERS, [roomId, JSON.stringify(users), usersDefault]);
}

/**
 * The power level a state event of `eventType` needs in the room, as last seen: its entry in `events`, else
 * `state_default`. 50 (the Matrix default) when the room's levels were projected before they were kept (reindex fills them).
 */
export async function stateLevelFor(db: Queryable, roomId: string, eventType: string): Promise<number> {
  const raw = (await db.query<{ state_levels: StateLevels | string | null }>(STATE_LEVELS, [roomId])).rows[0]?.state_levels ?? null;
  const levels = typeof raw === "string" ? (JSON.parse(raw) as StateLevels) : raw;
  if (levels === null) return TEACHER_POWER;
  return levels.events[eventType] ?? levels.stateDefault;
}

/**
 * Whether `userId` (the bot) may write state `eventType` into the room by the projection: joined, and its power
 * at least the level the room asks for. Checked before the API promises a write it would only find refused later.
 */
export async function mayWriteState(db: Queryable, roomId: string, userId: string, eventType: string): Promise<boolean> {
  const member = (await db.query<{ power: number; joined: boolean }>(SELECT_MEMBER, [roomId, userId])).rows[0];
  if (member === undefined || !member.joined) return false;
  return (await powerOf(db, roomId, userId)) >= (await stateLevelFor(db, roomId, eventType));
}

/** Room creators (room version 12 ranks them above every power level). */
export async function saveCreators(db: Queryable, roomId: string, creators: string[]): Promise<void> {
  await db.query(UPSERT_CREATORS, [roomId, JSON.stringify(creators)]);
  await db.query(SET_CREATOR_POWER, [roomId, JSON.stringify(creators)]);
}

/** A user's power level in a room as last seen (0 when the room's levels are not known). */
export async function powerOf(db: Queryable, roomId: string, userId: string): Promise<number> {
  return (await db.query<{ power: number }>(POWER_OF, [roomId, userId])).rows[0]?.power ?? 0;
}

/** Joined members of a course. */
export async function membersOf(db: Queryable, roomId: string): Promise<CourseMember[]> {
  return (await db.query<{ user_id: string; power: number }>(SELECT_MEMBERS, [roomId])).rows.map((r) => ({ userId: r.user_id, power: r.power }));
}

/** The students of a course (joined, below power 50), without `bot`. */
export async function studentsOf(db: Queryable, roomId: string, bot: string): Promise<string[]> {
  return (await membersOf(db, roomId)).filter((m) => m.power < TEACHER_POWER && m.userId !== bot).map((m) => m.userId);
}

/** The teachers of a course (joined, power 50 and up), without `bot`. */
export async function teachersOf(db: Queryable, roomId: string, bot: string): Promise<string[]> {
  return (await membersOf(db, roomId)).filter((m) => m.power >= TEACHER_POWER && m.userId !== bot).map((m) => m.userId);
}

/** A person's role in a course: teacher (power ≥ 50), student (joined, below 50) or null (not a member). */
export async function roleIn(db: Queryable, roomId: string, userId: string): Promise<"teacher" | "student" | null> {
  const r = (await db.query<{ power: number; joined: boolean }>(SELECT_MEMBER, [roomId, userId])).rows[0];
  if (r === undefined || !r.joined) return null;
  return r.power >= TEACHER_POWER ? "teacher" : "student";
}

/** The courses a person is a joined member of, with their role there. */
export async function coursesOf(db: Queryable, userId: string): Promise<{ roomId: string; name: string; role: "teacher" | "student" }[]> {
  const rows = (await db.query<{ room_id: string; name: string; power: number }>(COURSES_OF, [userId])).rows;
  return rows.map((r) => ({ roomId: r.room_id, name: r.name, role: r.power >= TEACHER_POWER ? "teacher" : "student" }));
}
