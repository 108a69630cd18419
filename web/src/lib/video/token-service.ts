// The district's video token service: MSC4195 `POST /get_token` for LiveKit tokens, and the teachers' moderation API.
import type { MatrixClient } from "matrix-js-sdk";
import type { FeatureClients } from "../api/clients.ts";
import { unwrap } from "../api/index.ts";
import type { VideoRole } from "./types.ts";

/** The typed client of the token service (from `apiClients().video`). */
export type VideoClient = FeatureClients["video"];

/** The MatrixRTC slot of a room's one call (MSC4143); the moderation API acts on this slot. */
export const CALL_SLOT_ID = "m.call#ROOM";

/** What the Matrix side must provide for a token. */
export type TokenMatrixClient = Pick<MatrixClient, "getOpenIdToken" | "getUserId" | "getDeviceId">;

/** A LiveKit token with what the client reads from it. */
export interface CallToken {
  /** The LiveKit WebSocket URL. */
  url: string;
  jwt: string;
  /** The LiveKit identity the token is bound to. */
  identity: string;
  role: VideoRole | null;
}

/** The MatrixRTC member id of this device: what the membership event carries and the token is requested for. */
export function memberIdOf(client: Pick<MatrixClient, "getUserId" | "getDeviceId">): string {
  return `${client.getUserId() ?? ""}:${client.getDeviceId() ?? ""}`;
}

/** Asks the token service for a LiveKit token for the room's call; throws ApiError (e.g. 403 not a member) or TypeError. */
export async function requestCallToken(video: VideoClient, client: TokenMatrixClient, roomId: string): Promise<CallToken> {
  const userId = client.getUserId();
  const deviceId = client.getDeviceId();
  if (userId === null || deviceId === null) throw new Error("requestCallToken() without a signed-in device");
  const openid = await client.getOpenIdToken();
  const { url, jwt } = unwrap(
    await video.POST("/get_token", {
      body: {
        room_id: roomId,
        slot_id: CALL_SLOT_ID,
        openid_token: openid,
        member: { id: memberIdOf(client), claimed_user_id: userId, claimed_device_id: deviceId },
      },
    }),
  );
  return { url, jwt, ...claimsOf(jwt) };
}

/** Identity and role from a LiveKit token's payload (read, not verified: LiveKit verifies it). */
export function claimsOf(jwt: string): { identity: string; role: VideoRole | null } {
  try {
    const payload = jwt.split(".")[1] ?? "";
    const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(payload.length / 4) * 4, "="));
    const claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0)))) as { sub?: unknown; metadata?: unknown };
    const meta = typeof claims.metadata === "string" ? (JSON.parse(claims.metadata) as { role?: unknown }) : {};
    const role = meta.role === "teacher" || meta.role === "student" || meta.role === "waiting" ? meta.role : null;
    return { identity: typeof claims.sub === "string" ? claims.sub : "", role };
  } catch {
    return { identity: "", role: null };
  }
}

/** What a teacher can do to a call (`POST /_schulhof/video/v1/moderate`). */
export type ModerationAction = "mute" | "mute_all" | "camera_off" | "screen_share_off" | "remove" | "admit" | "admit_all" | "end";

/** A teacher acts on a participant (by LiveKit identity) or, for `mute_all`, `admit_all` and `end`, on the whole call. */
export async function moderateCall(video: VideoClient, roomId: string, action: ModerationAction, identity?: string): Promise<void> {
  unwrap(await video.POST("/_schulhof/video/v1/moderate", { body: { room_id: roomId, action, ...(identity === undefined ? {} : { identity }) } }));
}
