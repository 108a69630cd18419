// Submission rooms: one private room per student (or team) and course, grouped in a per-course space; made by the bot.
import { createHash } from "node:crypto";
import { MatrixError, Preset, Visibility } from "matrix-js-sdk";
import type { AppserviceMatrix } from "@schulhof/core";
import { EXTENSION, FEEDBACK, SUBMISSION, SUBMISSION_ROOM } from "../domain/schema.ts";

/** Alias localparts (in the bot's own alias namespace) are hashed: they reveal neither course nor student. */
export function roomAliasFor(botLocalpart: string, kind: "space" | "room", ...parts: string[]): string {
  return `${botLocalpart}-${kind}-${createHash("sha256").update(parts.join("\0")).digest("hex").slice(0, 24)}`;
}

function powerLevels(teachers: readonly string[]): Record<string, unknown> {
  return {
    users: Object.fromEntries(teachers.map((t) => [t, 50])),
    users_default: 0,
    events_default: 0,
    state_default: 50,
    invite: 100,
    kick: 100,
    ban: 100,
    redact: 50,
    events: {
      [FEEDBACK]: 50,
      [EXTENSION]: 50,
      [SUBMISSION_ROOM]: 100,
      [SUBMISSION]: 0,
      "m.room.power_levels": 100,
      "m.room.join_rules": 100,
      "m.room.history_visibility": 100,
      "m.room.name": 100,
      "m.space.child": 100,
      "m.space.parent": 100,
    },
  };
}

/** Finds a room by alias, or creates it with `create`; adopts a room a crash left behind. */
async function createOrAdopt(matrix: AppserviceMatrix, aliasLocalpart: string, create: () => Promise<string>): Promise<string> {
  try {
    return await create();
  } catch (e) {
    if (!(e instanceof MatrixError && e.errcode === "M_ROOM_IN_USE")) throw e;
    return (await matrix.bot.getRoomIdForAlias(`#${aliasLocalpart}:${matrix.identity.serverName}`)).room_id;
  }
}

/** The per-course space that holds the submission rooms (members: the course's teachers and students, invited). */
export async function ensureCourseSpace(matrix: AppserviceMatrix, courseRoom: string, courseName: string, spaceName: string, teachers: readonly string[]): Promise<string> {
  const alias = roomAliasFor(matrix.identity.botLocalpart, "space", courseRoom);
  return createOrAdopt(matrix, alias, async () => {
    const r = await matrix.bot.createRoom({
      name: spaceName,
      room_alias_name: alias,
      visibility: Visibility.Private,
      preset: Preset.PrivateChat,
      creation_content: { type: "m.space" },
      invite: [...teachers],
      power_level_content_override: powerLevels(teachers),
      initial_state: [
        { type: "m.room.history_visibility", state_key: "", content: { history_visibility: "shared" } },
        { type: "m.room.guest_access", state_key: "", content: { guest_access: "forbidden" } },
        { type: "de.schulhof.room", state_key: "", content: { kind: "submissions", key: `submissions:${courseName}`, course_room: courseRoom } },
      ],
    });
    return r.room_id;
  });
}

/**
 * A private submission room for `students` (one student, or a team for `assignmentId`) in a
 * course: the students, the course's teachers (power 50) and the bot; invite-only, history shared.
 */
export async function createSubmissionRoom(
  matrix: AppserviceMatrix,
  opts: { courseRoom: string; spaceId: string; name: string; students: readonly string[]; teachers: readonly string[]; assignmentId: string | null; readers?: readonly string[] },
): Promise<string> {
  const readers = opts.readers ?? [];
  const alias = roomAliasFor(matrix.identity.botLocalpart, "room", opts.courseRoom, opts.assignmentId ?? "", ...[...opts.students].sort());
  const roomId = await createOrAdopt(matrix, alias, async () => {
    const r = await matrix.bot.createRoom({
      name: opts.name,
      room_alias_name: alias,
      visibility: Visibility.Private,
      preset: Preset.PrivateChat,
      invite: [...opts.students, ...opts.teachers, ...readers],
      power_level_content_override: powerLevels(opts.teachers),
      initial_state: [
        { type: "m.room.history_visibility", state_key: "", content: { history_visibility: "shared" } },
        { type: "m.room.guest_access", state_key: "", content: { guest_access: "forbidden" } },
        { type: SUBMISSION_ROOM, state_key: "", content: { course_room: opts.courseRoom, students: [...opts.students], assignment_id: opts.assignmentId } },
        { type: "m.space.parent", state_key: opts.spaceId, content: { via: [matrix.identity.serverName], canonical: true } },
      ],
    });
    return r.room_id;
  });
  await matrix.bot.sendStateEvent(opts.spaceId, "m.space.child" as never, { via: [matrix.identity.serverName] } as never, roomId);
  // Invite whoever belongs but is neither joined nor invited (after adopting a room a crash left behind).
  const { chunk } = (await matrix.bot.members(roomId)) as unknown as { chunk: { state_key: string; content: { membership?: string } }[] };
  const present = new Set(chunk.filter((m) => m.content.membership === "join" || m.content.membership === "invite").map((m) => m.state_key));
  for (const user of [...opts.students, ...opts.teachers, ...readers]) {
    if (present.has(user)) continue;
    await matrix.bot.invite(roomId, user).catch((e: unknown) => {
      if (!(e instanceof MatrixError && e.errcode === "M_FORBIDDEN")) throw e;
    });
  }
  return roomId;
}
