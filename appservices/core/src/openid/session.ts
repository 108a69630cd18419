// Stateless session tokens (the user id and expiry, signed with HMAC-SHA256), so that a restart loses no sign-ins.
import { createHmac, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import type { UserId } from "../ids.ts";
import { openIdError } from "./errors.ts";

/** How long a session lasts unless the caller says otherwise: 12 hours. */
export const DEFAULT_SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/** The shortest secret accepted, in characters. */
export const MIN_SESSION_SECRET_LENGTH = 32;

const VERSION = "v1";
const MAX_TOKEN_LENGTH = 2048;
const ClaimsSchema = z.object({ sub: z.string().min(1).max(255), exp: z.number() });

/** A session token and when it expires (milliseconds since the epoch). */
export interface Session {
  token: string;
  expiresAt: number;
}

/** Throws (500) unless `secret` is long enough to sign sessions; call at start-up to fail early. */
export function assertSessionSecret(secret: string): void {
  if (secret.length < MIN_SESSION_SECRET_LENGTH) throw openIdError("weak_secret", `session secret must have at least ${MIN_SESSION_SECRET_LENGTH} characters`);
}

function signature(signed: string, secret: string): string {
  assertSessionSecret(secret);
  return createHmac("sha256", secret).update(signed).digest("base64url");
}

/** Issues a session token `v1.<base64url(JSON {sub, exp})>.<base64url(HMAC-SHA256)>` for a user who has proved who they are. */
export function issueSession(userId: string, secret: string, ttlMs = DEFAULT_SESSION_TTL_MS, now = Date.now()): Session {
  const expiresAt = now + ttlMs;
  const signed = `${VERSION}.${Buffer.from(JSON.stringify({ sub: userId, exp: expiresAt })).toString("base64url")}`;
  return { token: `${signed}.${signature(signed, secret)}`, expiresAt };
}

/**
 * The user id a session token was issued for. Throws 401 `M_UNKNOWN_TOKEN` for a malformed token, a bad signature
 * (compared in constant time) or an expired token; checks the signature before it reads anything else.
 */
export function verifySession(token: string, secret: string, now = Date.now()): UserId {
  const parts = token.length <= MAX_TOKEN_LENGTH ? token.split(".") : [];
  const [version, payload, given] = parts;
  if (parts.length !== 3 || version !== VERSION || payload === undefined || given === undefined) throw openIdError("invalid_session", "malformed session token");
  const expected = Buffer.from(signature(`${VERSION}.${payload}`, secret));
  const actual = Buffer.from(given);
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) throw openIdError("invalid_session", "session token with a bad signature");
  let claims: z.infer<typeof ClaimsSchema>;
  try {
    claims = ClaimsSchema.parse(JSON.parse(Buffer.from(payload, "base64url").toString("utf8")));
  } catch {
    throw openIdError("invalid_session", "session token with a malformed payload");
  }
  if (claims.exp <= now) throw openIdError("expired_session", `session of ${claims.sub} expired`);
  return claims.sub as UserId;
}
