// What the district's video token service asks a school: is this person a joined member of this room, with what power?
import type { Express } from "express";
import { requireBearer, serverOf, type AppserviceContext, type SynapseAdmin } from "@schulhof/core";

export const VIDEO_MEMBERSHIP_PATH = "/_schulhof/school/v1/video/membership";

/** The answer: membership, power level (room creators of room version 12 above every level), the room's video settings. */
export interface VideoMembership {
  known: boolean;
  joined: boolean;
  banned: boolean;
  power: number;
  settings: Record<string, unknown>;
  room_name: string | null;
}

/** Reads the answer from the room's current state on this school's homeserver (the person's own server, which is in the room). */
export async function videoMembership(admin: SynapseAdmin, roomId: string, userId: string): Promise<VideoMembership> {
  const state = await admin.roomState(roomId);
  if (state === null) return { known: false, joined: false, banned: false, power: 0, settings: {}, room_name: null };
  const get = (type: string, key = ""): Record<string, unknown> | undefined => state.find((e) => e.type === type && e.state_key === key)?.content;
  const membership = get("m.room.member", userId)?.membership;
  const create = state.find((e) => e.type === "m.room.create" && e.state_key === "");
  const version = Number(String(create?.content.room_version ?? "1"));
  const creators = version >= 12 && create !== undefined ? [create.sender, ...((create.content.additional_creators as string[] | undefined) ?? [])] : [];
  const pl = get("m.room.power_levels") ?? {};
  const users = (pl.users ?? {}) as Record<string, number>;
  const power = creators.includes(userId) ? 1_000_000 : (users[userId] ?? (typeof pl.users_default === "number" ? pl.users_default : 0));
  const name = get("m.room.name")?.name;
  return {
    known: true,
    joined: membership === "join",
    banned: membership === "ban",
    power,
    settings: get("de.schulhof.video.settings") ?? {},
    room_name: typeof name === "string" ? name : null,
  };
}

/** Mounts the endpoint; the token service authenticates with the school's video secret. */
export function videoRoutes(app: Express, ctx: AppserviceContext, opts: { secret: string; serverName: string; admin: SynapseAdmin }): void {
  app.get(VIDEO_MEMBERSHIP_PATH, requireBearer(opts.secret), async (req, res) => {
    const roomId = typeof req.query.room_id === "string" ? req.query.room_id : "";
    const userId = typeof req.query.user_id === "string" ? req.query.user_id : "";
    if (!/^![^\s]+$/.test(roomId) || !/^@[^\s:]+:\S+$/.test(userId)) {
      res.status(400).json({ errcode: "M_BAD_JSON", error: "room_id und user_id angeben / give room_id and user_id" });
      return;
    }
    if (serverOf(userId) !== opts.serverName) {
      res.status(400).json({ errcode: "M_FORBIDDEN", error: "Nicht unsere Nutzerin / not our user" });
      return;
    }
    try {
      res.set("cache-control", "no-store").json(await videoMembership(opts.admin, roomId, userId));
    } catch (e) {
      ctx.log.warn({ err: e }, "video membership lookup failed");
      res.status(503).json({ errcode: "M_UNKNOWN", error: "Homeserver nicht erreichbar / homeserver unreachable" });
    }
  });
}
