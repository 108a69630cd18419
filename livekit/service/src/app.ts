// The district's video token service: MSC4195 `/get_token` and legacy `/sfu/get`, tokens only for verified joined members,
// and the teachers' moderation API. It keeps no state of its own: LiveKit and the schools' homeservers hold it.
import type { Server } from "node:http";
import express, { type Request, type Response } from "express";
import { RoomServiceClient, TrackSource } from "livekit-server-sdk";
import { z } from "zod";
import { langOf, openIdRoutes, OpenIdVerifier, requireUser, sendError, serverOf, userOf, type Logger } from "@schulhof/core";
import type { VideoServiceConfig } from "./config.ts";
import { membershipOf, SchoolUnreachableError, type Membership } from "./schools.ts";
import {
  assertClaimedUser,
  DEFAULT_TEACHER_LEVEL,
  grantsFor,
  livekitNamesFor,
  livekitRoomName,
  LEGACY_SLOT_ID,
  mintToken,
  parseTokenRequest,
  RateLimiter,
  rateLimited,
  readVideoSettings,
  videoError,
  VideoTokenError,
  type TokenEndpoint,
} from "./token/index.ts";

/** A running token service. */
export interface RunningVideoService {
  port: number;
  app: express.Express;
  stop(): Promise<void>;
}

/** Builds the service's HTTP app. */
export function videoServiceApp(config: VideoServiceConfig, log: Logger): express.Express {
  const homeservers = Object.fromEntries(Object.entries(config.schools).map(([name, s]) => [name, s.homeserverUrl]));
  const verifier = new OpenIdVerifier({ homeservers, cacheTtlMs: config.openidCacheMs });
  const perUser = new RateLimiter({ capacity: config.rateLimit.perUser.capacity, refillPerSecond: config.rateLimit.perUser.perSecond });
  const perSchool = new RateLimiter({ capacity: config.rateLimit.perSchool.capacity, refillPerSecond: config.rateLimit.perSchool.perSecond });
  const rooms = new RoomServiceClient(config.livekit.apiUrl, config.livekit.apiKey, config.livekit.apiSecret);
  const app = express();
  app.disable("x-powered-by");
  app.use((req, res, next) => {
    // Element Call calls from the browser.
    res.set({ "access-control-allow-origin": "*", "access-control-allow-headers": "authorization, content-type", "access-control-allow-methods": "GET, POST, OPTIONS", "cache-control": "no-store" });
    if (req.method === "OPTIONS") {
      res.status(204).end();
      return;
    }
    next();
  });
  const json = express.json({ limit: "16kb" });

  /** Who the membership says this is, or the refusal. */
  const member = async (serverName: string, roomId: string, userId: string): Promise<Membership> => {
    let m: Membership;
    try {
      m = await membershipOf(config, serverName, roomId, userId);
    } catch (e) {
      if (e instanceof SchoolUnreachableError) throw videoError("homeserver_unreachable", e.message, e);
      throw e;
    }
    if (m.banned) throw videoError("banned", `${userId} is banned from ${roomId}`);
    if (!m.joined) throw videoError("not_member", `${userId} is not a joined member of ${roomId}`);
    return m;
  };

  /** Whether the user was let in from the lobby (kept in the LiveKit room's metadata, so a restart of this service loses nothing). */
  const admittedIn = async (room: string, userId: string): Promise<boolean> => {
    try {
      const [r] = await rooms.listRooms([room]);
      const meta = r?.metadata ? (JSON.parse(r.metadata) as { admitted?: string[] }) : {};
      return meta.admitted?.includes(userId) === true;
    } catch {
      return false;
    }
  };

  const token = (endpoint: TokenEndpoint) => async (req: Request, res: Response): Promise<void> => {
    try {
      const request = parseTokenRequest(endpoint, req.body);
      const serverName = request.openid.matrix_server_name;
      if (config.schools[serverName] === undefined) throw videoError("foreign_server", `${serverName} is not in the district`);
      const school = perSchool.take(serverName);
      if (!school.ok) throw rateLimited(school.retryAfterMs, `school ${serverName}`);
      const claimed = request.claimedUserId ?? `${serverName}:${request.deviceId}`;
      const user = perUser.take(claimed);
      if (!user.ok) throw rateLimited(user.retryAfterMs, `user ${claimed}`);
      let userId: string;
      try {
        userId = await verifier.verify(request.openid);
      } catch (e) {
        throw videoError("invalid_openid_token", `OpenID token refused: ${String((e as Error).message ?? e)}`, e);
      }
      if (serverOf(userId) !== serverName) throw videoError("invalid_openid_token", "OpenID token of another server");
      assertClaimedUser(request, userId);
      const m = await member(serverName, request.roomId, userId);
      const settings = readVideoSettings(m.settings);
      const names = livekitNamesFor(request, userId);
      const admitted = settings.lobby ? await admittedIn(names.room, userId) : true;
      const { grant, role } = grantsFor({ power: m.power, settings, admitted });
      try {
        // Rooms are made here, never by a token: nobody can open a LiveKit room for a room they are not in.
        await rooms.createRoom({ name: names.room, emptyTimeout: 300, maxParticipants: 100 });
      } catch (e) {
        throw videoError("sfu_unavailable", `LiveKit: ${String((e as Error).message ?? e)}`, e);
      }
      const jwt = await mintToken({
        apiKey: config.livekit.apiKey,
        apiSecret: config.livekit.apiSecret,
        room: names.room,
        identity: names.identity,
        name: userId,
        metadata: { user_id: userId, role, room_id: request.roomId },
        grant,
        ttlSeconds: config.tokenTtlSeconds,
      });
      res.json({ url: config.livekit.url, jwt });
    } catch (e) {
      if (e instanceof VideoTokenError && e.retryAfterMs !== undefined && e.retryAfterMs !== null) res.set("retry-after", String(Math.ceil(e.retryAfterMs / 1000)));
      sendError(res, e, langOf(req), log);
    }
  };
  app.post("/get_token", json, token("get_token"));
  app.post("/sfu/get", json, token("sfu_get"));
  app.get("/healthz", (_req, res) => void res.json({ ok: true }));

  // Moderation: teachers (power ≥ 50 in the Matrix room) act on the room's call.
  const router = express.Router();
  openIdRoutes(router, { verifier, secret: config.sessionSecret, prefix: "", log });
  const auth = requireUser(config.sessionSecret);
  const Action = z.object({
    room_id: z.string().regex(/^!\S+$/),
    action: z.enum(["mute", "mute_all", "camera_off", "screen_share_off", "remove", "admit", "end"]),
    identity: z.string().optional(),
  });
  router.post("/moderate", auth, json, async (req, res) => {
    try {
      const body = Action.safeParse(req.body);
      if (!body.success) throw videoError("bad_json", "moderation request");
      const userId = userOf(res);
      const m = await member(serverOf(userId), body.data.room_id, userId);
      if (m.power < DEFAULT_TEACHER_LEVEL) throw videoError("not_member", `${userId} is no teacher in ${body.data.room_id}`);
      const room = livekitRoomName(body.data.room_id, LEGACY_SLOT_ID);
      const participants = await rooms.listParticipants(room).catch(() => []);
      const target = participants.find((p) => p.identity === body.data.identity);
      const need = (): NonNullable<typeof target> => {
        if (target === undefined) throw videoError("not_member", "no such participant in the call");
        return target;
      };
      const muteSources = async (p: NonNullable<typeof target>, sources: TrackSource[]): Promise<void> => {
        for (const t of p.tracks) if (sources.includes(t.source) && !t.muted) await rooms.mutePublishedTrack(room, p.identity, t.sid, true);
      };
      switch (body.data.action) {
        case "mute":
          await muteSources(need(), [TrackSource.MICROPHONE]);
          break;
        case "mute_all":
          for (const p of participants) if ((JSON.parse(p.metadata || "{}") as { role?: string }).role !== "teacher") await muteSources(p, [TrackSource.MICROPHONE]);
          break;
        case "camera_off":
        case "screen_share_off": {
          const p = need();
          const off = body.data.action === "camera_off" ? TrackSource.CAMERA : TrackSource.SCREEN_SHARE;
          await muteSources(p, [off]);
          const allowed = (p.permission?.canPublishSources ?? []).filter((s) => s !== off);
          await rooms.updateParticipant(room, p.identity, { permission: { canPublish: true, canSubscribe: true, canPublishData: true, canPublishSources: allowed } });
          break;
        }
        case "remove":
          await rooms.removeParticipant(room, need().identity);
          break;
        case "admit": {
          const p = need();
          const admittedUser = (JSON.parse(p.metadata || "{}") as { user_id?: string }).user_id ?? p.name;
          const [r] = await rooms.listRooms([room]);
          const meta = r?.metadata ? (JSON.parse(r.metadata) as { admitted?: string[] }) : {};
          await rooms.updateRoomMetadata(room, JSON.stringify({ ...meta, admitted: [...new Set([...(meta.admitted ?? []), admittedUser])] }));
          await rooms.updateParticipant(room, p.identity, { permission: { canPublish: true, canSubscribe: true, canPublishData: true, canPublishSources: [TrackSource.CAMERA, TrackSource.MICROPHONE] } });
          break;
        }
        case "end":
          await rooms.deleteRoom(room);
          break;
      }
      res.json({ ok: true, action: body.data.action });
    } catch (e) {
      sendError(res, e, langOf(req), log);
    }
  });
  router.post("/participants", auth, json, async (req, res) => {
    try {
      const roomId = String((req.body as { room_id?: unknown } | undefined)?.room_id ?? "");
      const userId = userOf(res);
      await member(serverOf(userId), roomId, userId);
      const ps = await rooms.listParticipants(livekitRoomName(roomId, LEGACY_SLOT_ID)).catch(() => []);
      res.json({ participants: ps.map((p) => ({ identity: p.identity, user_id: (JSON.parse(p.metadata || "{}") as { user_id?: string }).user_id ?? p.name, role: (JSON.parse(p.metadata || "{}") as { role?: string }).role ?? null })) });
    } catch (e) {
      sendError(res, e, langOf(req), log);
    }
  });
  app.use("/_schulhof/video/v1", router);
  return app;
}

/** Starts the service on its port (loopback in the demo). */
export async function startVideoService(config: VideoServiceConfig, log: Logger): Promise<RunningVideoService> {
  const app = videoServiceApp(config, log);
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(config.port, config.bind, () => resolve(s));
    s.once("error", reject);
  });
  const addr = server.address();
  const port = typeof addr === "object" && addr !== null ? addr.port : config.port;
  log.info({ port, bind: config.bind }, "video token service listening");
  return {
    port,
    app,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
