// The district's video token service: MSC4195 `/get_token` and legacy `/sfu/get`, tokens only for verified joined members,
// and the teachers' moderation API. It keeps no state of its own: LiveKit and the schools' homeservers hold it.
import type { Server } from "node:http";
import express, { type Request, type Response } from "express";
import { createHash, timingSafeEqual } from "node:crypto";
import { RoomServiceClient } from "livekit-server-sdk";
import { z } from "zod";
import { langOf, matrixErrorHandler, openIdRoutes, OpenIdVerifier, requireUser, sendError, serverOf, userOf, type Logger } from "@schulhof/core";
import type { VideoServiceConfig } from "./config.ts";
import { moderateCall, ModerationRequestSchema, roleOfParticipant, userOfParticipant } from "./moderation.ts";
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

/** The school whose video secret `authorization` carries (compared in constant time), or null. */
export function schoolOfSecret(config: Pick<VideoServiceConfig, "schools">, authorization: string): string | null {
  const m = /^Bearer (\S+)$/.exec(authorization);
  if (m === null) return null;
  const given = createHash("sha256").update(m[1] ?? "").digest();
  let found: string | null = null;
  for (const [name, school] of Object.entries(config.schools)) {
    if (timingSafeEqual(given, createHash("sha256").update(school.secret).digest())) found = name;
  }
  return found;
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
        // A school whose homeserver is down: its users are refused with 503 (try later), nobody else notices.
        if ((e as { code?: string }).code === "SCHULHOF_OPENID_HOMESERVER_UNREACHABLE") throw videoError("homeserver_unreachable", String((e as Error).message), e);
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
  /** Refuses unless the actor is a teacher (power ≥ 50) and a joined member of the room. */
  const assertTeacher = async (roomId: string, actor: string): Promise<void> => {
    const m = await member(serverOf(actor), roomId, actor);
    if (m.power < DEFAULT_TEACHER_LEVEL) throw videoError("not_teacher", `${actor} is no teacher in ${roomId}`);
  };
  router.post("/moderate", auth, json, async (req, res) => {
    try {
      const body = ModerationRequestSchema.safeParse(req.body);
      if (!body.success) throw videoError("bad_json", "moderation request");
      await assertTeacher(body.data.room_id, userOf(res));
      res.json({ ok: true, action: body.data.action, ...(await moderateCall(rooms, body.data)) });
    } catch (e) {
      sendError(res, e, langOf(req), log);
    }
  });
  // The same for a school's `!video` chat commands: the school (its video secret) vouches for who asked (`actor`).
  router.post("/school/moderate", json, async (req, res) => {
    try {
      const school = schoolOfSecret(config, req.get("authorization") ?? "");
      if (school === null) {
        res.status(401).json({ errcode: "M_UNKNOWN_TOKEN", error: "Unbekannte Schule / unknown school" });
        return;
      }
      const body = ModerationRequestSchema.extend({ actor: z.string().regex(/^@[^\s:]+:\S+$/) }).safeParse(req.body);
      if (!body.success) throw videoError("bad_json", "moderation request");
      if (serverOf(body.data.actor) !== school) throw videoError("foreign_server", `${body.data.actor} is not of ${school}`);
      await assertTeacher(body.data.room_id, body.data.actor);
      res.json({ ok: true, action: body.data.action, ...(await moderateCall(rooms, body.data)) });
    } catch (e) {
      sendError(res, e, langOf(req), log);
    }
  });
  router.post("/participants", auth, json, async (req, res) => {
    try {
      const roomId = String((req.body as { room_id?: unknown } | undefined)?.room_id ?? "");
      if (!/^!\S+$/.test(roomId)) throw videoError("bad_json", "room_id");
      const userId = userOf(res);
      await member(serverOf(userId), roomId, userId);
      const ps = await rooms.listParticipants(livekitRoomName(roomId, LEGACY_SLOT_ID)).catch(() => []);
      res.json({ participants: ps.map((p) => ({ identity: p.identity, user_id: userOfParticipant(p), role: roleOfParticipant(p), waiting: roleOfParticipant(p) === "waiting" && p.permission?.canSubscribe !== true })) });
    } catch (e) {
      sendError(res, e, langOf(req), log);
    }
  });
  app.use("/_schulhof/video/v1", router);
  app.use(matrixErrorHandler(log));
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
