// The district directory: a school that shares it keeps a room with its teachers in it, which the district's other schools'
// `@schule` bots join. Their homeservers then know these teachers, and their user directories find them (and nobody else
// of this school: students never enter the room). A school that stops sharing empties the room.
import { MatrixError } from "matrix-js-sdk";
import type { AppserviceContext } from "@schulhof/core";
import { allPeople } from "./store/people.ts";

export const DIRECTORY_ALIAS_LOCALPART = "schule-bezirk-lehrkraefte";
export const DIRECTORY_KIND = "district-directory";

export interface DirectoryConfig {
  serverName: string;
  schoolName: string;
  /** The district's other schools (their server names). */
  districtServers: string[];
  shareDirectory: boolean;
  language: "de" | "en";
}

/** Who should be in the directory room: the school's active teachers (and admins), when the school shares. */
async function directoryMembers(ctx: Pick<AppserviceContext, "db">, share: boolean): Promise<Set<string>> {
  if (!share) return new Set();
  return new Set((await allPeople(ctx.db)).filter((p) => p.active && p.userId !== null && (p.role === "teacher" || p.role === "admin")).map((p) => p.userId as string));
}

/** Makes the directory room match the roster and the district: teachers in, everybody else out, district bots invited. */
export async function syncDistrictDirectory(ctx: AppserviceContext, config: DirectoryConfig): Promise<{ roomId: string | null; joined: number; left: number }> {
  const bot = ctx.matrix.bot;
  const alias = `#${DIRECTORY_ALIAS_LOCALPART}:${config.serverName}`;
  let roomId: string | null = null;
  try {
    roomId = (await bot.getRoomIdForAlias(alias)).room_id;
  } catch (e) {
    if (!(e instanceof MatrixError && e.errcode === "M_NOT_FOUND")) throw e;
  }
  const want = await directoryMembers(ctx, config.shareDirectory);
  if (roomId === null) {
    if (!config.shareDirectory) return { roomId: null, joined: 0, left: 0 };
    const de = config.language === "de";
    roomId = (
      await bot.createRoom({
        room_alias_name: DIRECTORY_ALIAS_LOCALPART,
        name: de ? `Lehrkräfte · ${config.schoolName}` : `Teachers · ${config.schoolName}`,
        topic: de
          ? "Verzeichnis der Lehrkräfte für die Schulen des Bezirks. Hier schreibt niemand; schreibt euch direkt."
          : "Directory of this school's teachers for the district's schools. Nobody writes here; message each other directly.",
        // Public within the federation, which is the district only: the directory of district servers includes public rooms' members.
        preset: "public_chat" as never,
        initial_state: [
          { type: "de.schulhof.room", state_key: "", content: { kind: DIRECTORY_KIND } },
          { type: "m.room.history_visibility", state_key: "", content: { history_visibility: "joined" } },
          { type: "m.room.guest_access", state_key: "", content: { guest_access: "forbidden" } },
        ],
        power_level_content_override: { events_default: 100, state_default: 100, invite: 100, kick: 100, ban: 100, redact: 100 },
      })
    ).room_id;
  }
  const members = (await bot.getJoinedRoomMembers(roomId)).joined;
  let joined = 0;
  let left = 0;
  for (const userId of want) {
    if (userId in members) continue;
    await ctx.matrix.as(userId).joinRoom(roomId);
    joined++;
  }
  for (const userId of Object.keys(members)) {
    if (userId === ctx.matrix.botUserId || want.has(userId) || !userId.endsWith(`:${config.serverName}`)) continue;
    await bot.kick(roomId, userId, config.language === "de" ? "nicht mehr im Verzeichnis" : "no longer in the directory");
    left++;
  }
  if (config.shareDirectory) {
    for (const server of config.districtServers) {
      const peer = `@schule:${server}`;
      if (peer in members) continue;
      // A school that is down is invited the next time; the others are not held up.
      await bot.invite(roomId, peer).catch((e: unknown) => ctx.log.warn({ err: e, server }, "district directory: invite not delivered"));
    }
  }
  return { roomId, joined, left };
}
