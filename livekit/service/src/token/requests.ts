// The request bodies of `POST /get_token` and the legacy `POST /sfu/get` (MSC4195 / lk-jwt-service) and their one normalised form.
//
// Wire format, as lk-jwt-service reads it (requests.go / src/requests.rs) and Element Call sends it (src/livekit/openIDSFU.ts):
//   POST /get_token  {room_id, slot_id, openid_token: {access_token, token_type, matrix_server_name, expires_in},
//                     member: {id, claimed_user_id, claimed_device_id}, delay_id?, delay_timeout?, delay_cs_api_url?}
//   POST /sfu/get    {room, openid_token: {...}, device_id, delay_id?, delay_timeout?, delay_cs_api_url?}
// Both answer `{url, jwt}`. Element Call tries `/get_token` first and falls back to `/sfu/get` when it fails.
// lk-jwt-service requires room_id, slot_id, member.id, member.claimed_user_id, member.claimed_device_id,
// openid_token.access_token and openid_token.matrix_server_name (legacy: room and the two token fields), and delay_id
// with delay_timeout all or none; delay_cs_api_url is deprecated and ignored. Unlike lk-jwt-service (which refuses
// unknown fields) unknown fields are dropped here, so newer clients that send more still get a token; the legacy
// `device_id` is required here (lk-jwt-service would build the identity `@user:server:` from an empty one).
import { OpenIdTokenSchema, type OpenIdToken } from "@schulhof/core";
import { z } from "zod";
import { badJson, VideoTokenError } from "./errors.ts";

/** The slot of a room's one call, which the legacy endpoint always means (MSC4143 `m.call#ROOM`). */
export const LEGACY_SLOT_ID = "m.call#ROOM";

/** A room id: `!` then printable ASCII (`!opaque:server`, or just `!hash` in room version 12), at most 255 characters. */
const RoomIdSchema = z.string().max(255).regex(/^![\x21-\x7e]+$/, "not a Matrix room id");
/** `@localpart:server`; the localpart may hold any printable ASCII but `:` (historical user ids). */
const UserIdSchema = z.string().max(255).regex(/^@[\x21-\x39\x3b-\x7e]+:[A-Za-z0-9.\-:[\]]+$/, "not a Matrix user id");
/** Slot, member and device ids: opaque, non-empty, no control characters, at most 255 characters. */
const OpaqueIdSchema = z.string().min(1).max(255).regex(/^\P{Cc}+$/u, "contains control characters");

/** `member` of a `/get_token` request: the caller's MatrixRTC membership (`m.rtc.member`). */
export const RtcMemberSchema = z.object({
  id: OpaqueIdSchema,
  claimed_user_id: UserIdSchema,
  claimed_device_id: OpaqueIdSchema,
});

/** The optional delegation of a delayed leave event (an earlier MSC4195 revision); accepted all or none. */
const delayFields = {
  delay_id: z.string().max(255).optional(),
  /** Milliseconds; 0 counts as absent, as in lk-jwt-service. */
  delay_timeout: z.number().int().nonnegative().optional(),
};

/** Body of `POST /get_token` (current). Unknown fields are dropped. */
export const GetTokenRequestSchema = z.object({
  room_id: RoomIdSchema,
  slot_id: OpaqueIdSchema,
  openid_token: OpenIdTokenSchema,
  member: RtcMemberSchema,
  ...delayFields,
});

/** Body of `POST /sfu/get` (legacy, pre-Matrix-2.0). Unknown fields are dropped. */
export const LegacySfuRequestSchema = z.object({
  room: RoomIdSchema,
  openid_token: OpenIdTokenSchema,
  device_id: OpaqueIdSchema,
  ...delayFields,
});

/** A parsed `/get_token` body. */
export type GetTokenRequest = z.infer<typeof GetTokenRequestSchema>;
/** A parsed `/sfu/get` body. */
export type LegacySfuRequest = z.infer<typeof LegacySfuRequestSchema>;

/** The answer of both endpoints. */
export interface TokenResponse {
  /** The LiveKit WebSocket URL (ws:// or wss://). */
  url: string;
  jwt: string;
}

/** Which endpoint a body came to. */
export type TokenEndpoint = "get_token" | "sfu_get";

/** Both request kinds in one shape. */
export interface TokenRequest {
  /** True for `/sfu/get`. */
  legacy: boolean;
  roomId: string;
  /** The MatrixRTC slot; {@link LEGACY_SLOT_ID} for `/sfu/get`. */
  slotId: string;
  /** The OpenID token as sent (snake_case), ready for `OpenIdVerifier.verify()` of `@schulhof/core`. */
  openid: OpenIdToken;
  /** `member.claimed_device_id`, or `device_id` of `/sfu/get`. */
  deviceId: string;
  /** `member.id` (the MatrixRTC member id); null for `/sfu/get`, which has none. */
  memberId: string | null;
  /** `member.claimed_user_id`, to be compared with the OpenID token's user ({@link assertClaimedUser}); null for `/sfu/get`. */
  claimedUserId: string | null;
  /** Set when the client asks the service to manage its delayed leave event; this service may refuse or ignore it. */
  delayedLeave: { delayId: string; delayTimeoutMs: number } | null;
}

/** Normalises a parsed `/get_token` body. Throws 400 `M_BAD_JSON` when only half of the delayed-leave fields are set. */
export function normaliseGetToken(body: GetTokenRequest): TokenRequest {
  return {
    legacy: false,
    roomId: body.room_id,
    slotId: body.slot_id,
    openid: body.openid_token,
    deviceId: body.member.claimed_device_id,
    memberId: body.member.id,
    claimedUserId: body.member.claimed_user_id,
    delayedLeave: delayedLeaveOf(body),
  };
}

/** Normalises a parsed `/sfu/get` body; its slot is always {@link LEGACY_SLOT_ID}, as in lk-jwt-service. */
export function normaliseLegacy(body: LegacySfuRequest): TokenRequest {
  return {
    legacy: true,
    roomId: body.room,
    slotId: LEGACY_SLOT_ID,
    openid: body.openid_token,
    deviceId: body.device_id,
    memberId: null,
    claimedUserId: null,
    delayedLeave: delayedLeaveOf(body),
  };
}

/**
 * Validates and normalises the body of either endpoint. Throws a {@link VideoTokenError} 400 `M_BAD_JSON` whose
 * `field` names the first offending field (dotted path, e.g. `openid_token.access_token`; `""` if the body is no object).
 */
export function parseTokenRequest(endpoint: TokenEndpoint, body: unknown): TokenRequest {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw badJson("", "invalid", "body is not a JSON object");
  if (endpoint === "get_token") {
    const parsed = GetTokenRequestSchema.safeParse(body);
    if (!parsed.success) throw fieldError(parsed.error, body);
    return normaliseGetToken(parsed.data);
  }
  const parsed = LegacySfuRequestSchema.safeParse(body);
  if (!parsed.success) throw fieldError(parsed.error, body);
  return normaliseLegacy(parsed.data);
}

/**
 * Throws 401 `M_UNAUTHORIZED` (`user_mismatch`) when `/get_token` claimed another user than the one the OpenID token
 * belongs to (`verifiedUserId`, from the homeserver), as lk-jwt-service does. No-op for `/sfu/get`.
 */
export function assertClaimedUser(request: TokenRequest, verifiedUserId: string): void {
  if (request.claimedUserId !== null && request.claimedUserId !== verifiedUserId) {
    throw new VideoTokenError("user_mismatch", `member.claimed_user_id ${request.claimedUserId} is not the OpenID token's user ${verifiedUserId}`);
  }
}

function delayedLeaveOf(body: { delay_id?: string | undefined; delay_timeout?: number | undefined }): TokenRequest["delayedLeave"] {
  const id = body.delay_id ?? "";
  const timeout = body.delay_timeout ?? 0;
  if (id === "" && timeout === 0) return null;
  if (id === "") throw badJson("delay_id", "missing", "delay_timeout without delay_id");
  if (timeout === 0) throw badJson("delay_timeout", "missing", "delay_id without delay_timeout");
  return { delayId: id, delayTimeoutMs: timeout };
}

/** The first issue of a failed parse as a refusal naming its field; "missing" when the body has nothing (or `""`) there. */
function fieldError(error: z.ZodError, body: unknown): VideoTokenError {
  const issue = error.issues[0];
  const path = (issue?.path ?? []).map(String);
  let at: unknown = body;
  for (const key of path) at = typeof at === "object" && at !== null ? (at as Record<string, unknown>)[key] : undefined;
  return badJson(path.join("."), at === undefined || at === null || at === "" ? "missing" : "invalid", issue?.message ?? "invalid");
}
