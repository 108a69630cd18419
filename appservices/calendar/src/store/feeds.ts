// Secret feed URLs: 256-bit tokens, looked up by their hash, shown again only to their owner (stored encrypted).
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import type { Queryable } from "@schulhof/core";

export interface FeedRow {
  id: string;
  userId: string;
  /** A single calendar, or null: everything the user may see. */
  roomId: string | null;
  label: string;
  createdAt: string;
  lastUsedAt: string | null;
}

const hashOf = (token: string): string => createHash("sha256").update(token).digest("hex");
const keyOf = (secret: string): Buffer => createHash("sha256").update(`schulhof feed tokens\0${secret}`).digest();

function seal(token: string, secret: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv("aes-256-gcm", keyOf(secret), iv);
  const body = Buffer.concat([c.update(token, "utf8"), c.final()]);
  return Buffer.concat([iv, c.getAuthTag(), body]).toString("base64url");
}

function open(box: string, secret: string): string {
  const raw = Buffer.from(box, "base64url");
  const d = createDecipheriv("aes-256-gcm", keyOf(secret), raw.subarray(0, 12));
  d.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString("utf8");
}

/** Makes a feed; returns its id and the token (the secret part of the URL). */
export async function createFeed(tx: Queryable, userId: string, roomId: string | null, label: string, secret: string): Promise<{ id: string; token: string }> {
  const token = randomBytes(32).toString("base64url");
  const id = `f${randomBytes(6).toString("hex")}`;
  await tx.query(`INSERT INTO feeds (id, token_hash, token_box, user_id, room_id, label) VALUES ($1, $2, $3, $4, $5, $6)`, [
    id,
    hashOf(token),
    seal(token, secret),
    userId,
    roomId,
    label,
  ]);
  return { id, token };
}

/** The live feed of a token, or null (unknown or revoked: the caller answers 404 either way). */
export async function feedByToken(q: Queryable, token: string): Promise<FeedRow | null> {
  const r = await q.query<{ id: string; user_id: string; room_id: string | null; label: string; created_at: unknown; last_used_at: unknown }>(
    `SELECT id, user_id, room_id, label, created_at, last_used_at FROM feeds WHERE token_hash = $1 AND revoked_at IS NULL`,
    [hashOf(token)],
  );
  const f = r.rows[0];
  return f === undefined ? null : { id: f.id, userId: f.user_id, roomId: f.room_id, label: f.label, createdAt: String(f.created_at), lastUsedAt: f.last_used_at === null ? null : String(f.last_used_at) };
}

/** A user's live feeds, with their tokens (for the owner only). */
export async function feedsOf(q: Queryable, userId: string, secret: string): Promise<(FeedRow & { token: string })[]> {
  const r = await q.query<{ id: string; token_box: string; room_id: string | null; label: string; created_at: unknown; last_used_at: unknown }>(
    `SELECT id, token_box, room_id, label, created_at, last_used_at FROM feeds WHERE user_id = $1 AND revoked_at IS NULL ORDER BY created_at`,
    [userId],
  );
  return r.rows.map((f) => ({
    id: f.id,
    userId,
    roomId: f.room_id,
    label: f.label,
    createdAt: new Date(String(f.created_at)).toISOString(),
    lastUsedAt: f.last_used_at === null ? null : new Date(String(f.last_used_at)).toISOString(),
    token: open(f.token_box, secret),
  }));
}

/** Revokes a feed of `userId`; effective at once. Returns whether it existed. */
export async function revokeFeed(tx: Queryable, userId: string, id: string): Promise<boolean> {
  const r = await tx.query<{ id: string }>(`UPDATE feeds SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL RETURNING id`, [id, userId]);
  return r.rows.length > 0;
}

/** Notes a poll (at most once a minute per feed, to keep polling cheap). */
export async function touchFeed(q: Queryable, id: string): Promise<void> {
  await q.query(`UPDATE feeds SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`, [id]);
}
