// Minting LiveKit access tokens (room-bound, identity-bound, short-lived) with livekit-server-sdk, and reading them back.
import { AccessToken, TokenVerifier, type ClaimGrants, type VideoGrant } from "livekit-server-sdk";

/** Lifetime of a token unless asked otherwise: 5 minutes. */
export const DEFAULT_TTL_SECONDS = 300;
/** Longest lifetime a token may have: 1 hour (MSC4195 asks for short tokens while LiveKit cannot revoke them). */
export const MAX_TTL_SECONDS = 3600;

/** Input of {@link mintToken}. */
export interface MintOptions {
  apiKey: string;
  apiSecret: string;
  /** The LiveKit room name (see names.ts); the grant is bound to it. */
  room: string;
  /** The LiveKit identity (see names.ts), the token's `sub`. */
  identity: string;
  /** Display name shown to others in LiveKit. */
  name: string;
  /** Participant metadata, stored as JSON in the token. */
  metadata: Record<string, unknown>;
  /** The grant from grantsFor(); its `room`, if set, must equal `room`. */
  grant: VideoGrant;
  /** Lifetime in seconds, 1 to {@link MAX_TTL_SECONDS}; default {@link DEFAULT_TTL_SECONDS}. */
  ttlSeconds?: number;
}

/**
 * Signs a LiveKit access token (HS256) with `iss` = apiKey, `sub` = identity, `nbf` = now, `exp` = now + ttl, and the
 * grant bound to `room` with roomCreate forced off. Throws RangeError for a bad ttl, an empty room or identity, or a
 * grant for another room. The ttl bounds joining only: LiveKit keeps a connected participant in with its own refreshed
 * tokens, so removing someone needs RoomService.RemoveParticipant.
 */
export async function mintToken(opts: MintOptions): Promise<string> {
  const ttl = opts.ttlSeconds ?? DEFAULT_TTL_SECONDS;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TTL_SECONDS) throw new RangeError(`ttlSeconds must be a whole number from 1 to ${MAX_TTL_SECONDS}, got ${ttl}`);
  if (opts.room === "") throw new RangeError("room must not be empty");
  if (opts.identity === "") throw new RangeError("identity must not be empty");
  if (opts.grant.room !== undefined && opts.grant.room !== opts.room) throw new RangeError("the grant is for another room");
  const at = new AccessToken(opts.apiKey, opts.apiSecret, {
    identity: opts.identity,
    name: opts.name,
    metadata: JSON.stringify(opts.metadata),
    ttl,
  });
  at.addGrant({ ...opts.grant, room: opts.room, roomCreate: false });
  return at.toJwt();
}

/** Checks signature, issuer and expiry of a token and returns its claims (canPublishSources come back as strings). */
export async function verifyToken(token: string, apiKey: string, apiSecret: string): Promise<ClaimGrants> {
  return new TokenVerifier(apiKey, apiSecret).verify(token);
}
