// LiveKit room names and participant identities derived from Matrix ids exactly as lk-jwt-service does (MSC4195).
//
// hash(parts) = unpadded standard Base64 (alphabet A–Z a–z 0–9 + /, no "=") of SHA-256 over the UTF-8 bytes of the
// canonical JSON of the string array `parts` (no whitespace: `["a","b"]`). For arrays of strings canonical JSON is
// what JSON.stringify writes, and what lk-jwt-service writes with Go's json.Marshal / Rust's serde_json for Matrix ids.
//
//   room name (both endpoints)  = hash([room_id, slot_id])          `/sfu/get` uses slot_id "m.call#ROOM"
//   identity of `/get_token`    = hash([user_id, device_id, member_id])
//   identity of `/sfu/get`      = `${user_id}:${device_id}`          (raw, as lk-jwt-service; old clients expect it)
//
// Sources: lk-jwt-service helper.go `LiveKitRoomAliasFor` / `LiveKitIdentityFor` and handler.go
// `processLegacySFURequest`, src/helper.rs `livekit_room_alias_for` (MSC4195 "LiveKit room names", with test vector
// ["!roomid:example.com","slot1234"] → O8437W3+jmzMVjoIP3tNwbm+XxHQk2iKpOA7aqw3qSc), and matrix-js-sdk
// `computeRtcIdentityRaw` (vector ["@alice:example.com","DEVICE123","memberABC"] → J+T45tGruxc+HrUOqJJlyQSV33m728Cme4+vt8/SWrU).
// Element Call computes the identity itself to map LiveKit participants (and their E2EE keys) to Matrix members,
// so these formulas must not change. The JSON array keeps inputs apart (no delimiter injection), and SHA-256 keeps
// two rooms or slots from ever sharing a LiveKit room; the name reveals neither room id nor slot to LiveKit.
// (The homeserver-side MSC4195 endpoints hash only [user_id, member_id]; that is not what `/get_token` clients expect.)
import { createHash } from "node:crypto";
import type { TokenRequest } from "./requests.ts";

/** Unpadded standard Base64 of SHA-256 over the canonical JSON of a string array (the MSC4195 derivation). */
export function matrixRtcHash(parts: readonly string[]): string {
  return createHash("sha256").update(JSON.stringify(parts), "utf8").digest("base64").replace(/=+$/, "");
}

/** The LiveKit room name of a MatrixRTC slot in a Matrix room: `hash([roomId, slotId])`. */
export function livekitRoomName(roomId: string, slotId: string): string {
  return matrixRtcHash([roomId, slotId]);
}

/** The LiveKit identity of a `/get_token` member: `hash([userId, deviceId, memberId])`. */
export function livekitIdentity(userId: string, deviceId: string, memberId: string): string {
  return matrixRtcHash([userId, deviceId, memberId]);
}

/** The LiveKit identity of a `/sfu/get` caller: `${userId}:${deviceId}`, unhashed as lk-jwt-service and old clients have it. */
export function legacyLivekitIdentity(userId: string, deviceId: string): string {
  return `${userId}:${deviceId}`;
}

/**
 * Room name and identity for a request, given the user the OpenID token belongs to (never the claimed one).
 * A `/get_token` and a `/sfu/get` caller in the same room's `m.call#ROOM` slot meet in the same LiveKit room.
 */
export function livekitNamesFor(request: TokenRequest, verifiedUserId: string): { room: string; identity: string } {
  const room = livekitRoomName(request.roomId, request.slotId);
  const identity =
    request.memberId === null ? legacyLivekitIdentity(verifiedUserId, request.deviceId) : livekitIdentity(verifiedUserId, request.deviceId, request.memberId);
  return { room, identity };
}
