// What the district's video token service asks a school: is this person a joined member of this room, with what power?
import type { Express } from "express";
import { requireBearer, serverOf, type AppserviceContext } from "@schulhof/core";
import type { RoomFactsCache } from "./room-cache.ts";

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

/** Answers from the room's current state on this school's homeserver (the person's own server, which is in the room). */
export async function videoMembership(rooms: Pick<RoomFactsCache, "get">, roomId: string, userId: string): Promise<VideoMembership> {
  const facts = await rooms.get(roomId);
  if (facts === null) return { known: false, joined: false, banned: false, power: 0, settings: {}, room_name: null };
  const membership = facts.membership.get(userId);
  const power = facts.creators.includes(userId) ? 1_000_000 : (facts.users[userId] ?? facts.usersDefault);
  return { known: true, joined: membership === "join", banned: membership === "ban", power, settings: facts.settings, room_name: facts.name };
}

/** Mounts the endpoint; the token service authenticates with the school's video secret. */
export function videoRoutes(app: Express, ctx: AppserviceContext, opts: { secret: string; serverName: string; rooms: Pick<RoomFactsCache, "get"> }): void {
  app.get(VIDEO_MEMBERSHIP_PATH, requireBearer(opts.secret), async (req, res) => {
    const roomId = typeof req.query.room_id === "string" ? req.query.room_id : "";
    const userId = typeof req.query.user_id === "string" ? req.query.user_id : "";
    if (!/^![^\s]+$/.test(roomId) || !/^@[^\s:]+:\S+$/.test(userId)) {
      res.status(400).json({ errcode: "M_BAD_JSON", error: "room_id und user_id angeben / give room_id and user_id" });
      return;
    }
    if (serverOf(userId) !== opts.serverName) {
      res.status(403).json({ errcode: "M_FORBIDDEN", error: "Nicht unsere Nutzerin / not our user" });
      return;
    }
    try {
      res.set("cache-control", "no-store").json(await videoMembership(opts.rooms, roomId, userId));
    } catch (e) {
      ctx.log.warn({ err: e }, "video membership lookup failed");
      res.status(503).json({ errcode: "M_UNKNOWN", error: "Homeserver nicht erreichbar / homeserver unreachable" });
    }
  });
}
