// Which courses the user may plan exams for, and whether they are a school admin in a cohort: read from the rooms' state (power levels), as the server decides.
import type { MatrixClient, Room } from "matrix-js-sdk";

/** A course the user teaches (power level 50 or more in its room). `name` is untrusted text. */
export interface PlannableCourse {
  roomId: string;
  name: string;
  /** The cohort's name from `de.schulhof.course` (`9a`, `Q1`), or null. */
  cohort: string | null;
}

const TEACHER = 50;
const ADMIN = 100;

/** The user's power level in a room (room version 12: its creators are above every level). */
export function powerLevelIn(room: Room, userId: string): number {
  const create = room.currentState.getStateEvents("m.room.create", "");
  const version = String(create?.getContent().room_version ?? "");
  const creators = [create?.getSender(), ...((create?.getContent().additional_creators as unknown[] | undefined) ?? [])];
  if ((version === "12" || version.startsWith("org.matrix.hydra")) && creators.includes(userId)) return Number.MAX_SAFE_INTEGER;
  const content = room.currentState.getStateEvents("m.room.power_levels", "")?.getContent() ?? {};
  const users = (content.users ?? {}) as Record<string, unknown>;
  const level = users[userId] ?? content.users_default ?? 0;
  return typeof level === "number" ? level : 0;
}

/** The joined course rooms where the user may plan exams. */
export function plannableCourses(client: Pick<MatrixClient, "getRooms">, userId: string): PlannableCourse[] {
  const out: PlannableCourse[] = [];
  for (const room of client.getRooms()) {
    if (room.getMyMembership() !== "join") continue;
    const course = room.currentState.getStateEvents("de.schulhof.course", "")?.getContent();
    if (course === undefined || Object.keys(course).length === 0) continue;
    if (powerLevelIn(room, userId) < TEACHER) continue;
    const cohort = (course.cohort as { name?: unknown } | null | undefined)?.name;
    out.push({ roomId: room.roomId, name: typeof course.name === "string" && course.name !== "" ? course.name : room.name, cohort: typeof cohort === "string" ? cohort : null });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** Whether the user is a school admin in the cohort's planning room (may approve and override). */
export function isAdminIn(client: Pick<MatrixClient, "getRoom">, roomId: string, userId: string): boolean {
  const room = client.getRoom(roomId);
  return room !== null && powerLevelIn(room, userId) >= ADMIN;
}
