// Conversation rooms (one per local user and mail thread) and the puppets of outside senders.
import { createHash } from "node:crypto";
import { MatrixError } from "matrix-js-sdk";
import type { AppserviceMatrix, Queryable } from "@schulhof/core";
import { puppetLocalpart } from "./addresses/index.ts";

export const CONVERSATION = "de.schulhof.mail.conversation";

export interface Conversation {
  roomId: string;
  localUser: string;
  external: string[];
  subject: string;
  lastMessageId: string | null;
}

const parse = (v: unknown): string[] => (typeof v === "string" ? (JSON.parse(v) as string[]) : (v as string[]));

export async function conversationOf(q: Queryable, roomId: string): Promise<Conversation | null> {
  const r = (await q.query<{ room_id: string; local_user: string; external: unknown; subject: string; last_message_id: string | null }>(`SELECT * FROM conversations WHERE room_id = $1`, [roomId])).rows[0];
  return r === undefined ? null : { roomId: r.room_id, localUser: r.local_user, external: parse(r.external), subject: r.subject, lastMessageId: r.last_message_id };
}

/** The room of a thread for a local user, by any message id of the thread. */
export async function roomForThread(q: Queryable, localUser: string, keys: readonly string[]): Promise<string | null> {
  if (keys.length === 0) return null;
  const r = await q.query<{ room_id: string }>(`SELECT room_id FROM thread_keys WHERE local_user = $1 AND message_id = ANY($2::text[]) LIMIT 1`, [localUser, keys]);
  return r.rows[0]?.room_id ?? null;
}

/** Records message ids as belonging to the room's thread (for the replies that will refer to them). */
export async function addThreadKeys(tx: Queryable, localUser: string, roomId: string, keys: readonly string[]): Promise<void> {
  for (const k of keys) {
    await tx.query(`INSERT INTO thread_keys (local_user, message_id, room_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [localUser, k.toLowerCase(), roomId]);
  }
}

export async function threadKeysOf(q: Queryable, roomId: string, limit = 20): Promise<string[]> {
  return (await q.query<{ message_id: string }>(`SELECT message_id FROM thread_keys WHERE room_id = $1 ORDER BY message_id LIMIT $2`, [roomId, limit])).rows.map((r) => r.message_id);
}

export async function saveConversation(tx: Queryable, c: Conversation, now = Date.now()): Promise<void> {
  await tx.query(
    `INSERT INTO conversations (room_id, local_user, external, subject, last_message_id, last_activity) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (room_id) DO UPDATE SET external = $3, subject = $4, last_message_id = COALESCE($5, conversations.last_message_id)`,
    [c.roomId, c.localUser, JSON.stringify(c.external), c.subject, c.lastMessageId, now],
  );
}

/** A mail of the conversation came in or went out at `ts` (ms): its Message-ID is what the next reply answers. */
export async function noteActivity(tx: Queryable, roomId: string, ts: number, messageId: string): Promise<void> {
  await tx.query(`UPDATE conversations SET last_message_id = $2, last_activity = GREATEST(last_activity, $3) WHERE room_id = $1`, [roomId, messageId.toLowerCase(), Math.trunc(ts)]);
}

/** One line of `GET /conversations`. */
export interface ConversationSummary {
  room_id: string;
  with: string[];
  subject: string;
  /** When the newest mail came in or went out (ms since 1970); the conversation's creation before the first. */
  last_activity: number;
}

/** Where a page of conversations continues: after this activity and room (the order is activity, then room id, both descending). */
interface Cursor {
  activity: number;
  roomId: string;
}

/** An opaque cursor for the next page. */
export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.activity, c.roomId]), "utf8").toString("base64url");
}

/** The cursor's position, or null when it is not one of ours. */
export function decodeCursor(s: string): Cursor | null {
  try {
    const v = JSON.parse(Buffer.from(s, "base64url").toString("utf8")) as unknown;
    if (!Array.isArray(v) || v.length !== 2 || !Number.isSafeInteger(v[0]) || typeof v[1] !== "string") return null;
    return { activity: v[0] as number, roomId: v[1] };
  } catch {
    return null;
  }
}

/**
 * A user's conversations, newest activity first, `limit` at a time (keyset paging: a conversation that gets new
 * mail while the client pages moves to the front and is seen on the next read of the first page).
 */
export async function listConversations(q: Queryable, user: string, limit: number, after: Cursor | null): Promise<{ conversations: ConversationSummary[]; next: string | null }> {
  const rows = (
    await q.query<{ room_id: string; external: unknown; subject: string; last_activity: string | number }>(
      after === null
        ? `SELECT room_id, external, subject, last_activity FROM conversations WHERE local_user = $1 ORDER BY last_activity DESC, room_id DESC LIMIT $2`
        : `SELECT room_id, external, subject, last_activity FROM conversations WHERE local_user = $1 AND (last_activity < $3 OR (last_activity = $3 AND room_id < $4))
           ORDER BY last_activity DESC, room_id DESC LIMIT $2`,
      after === null ? [user, limit + 1] : [user, limit + 1, after.activity, after.roomId],
    )
  ).rows;
  const page = rows.slice(0, limit).map((r) => ({ room_id: r.room_id, with: parse(r.external), subject: r.subject, last_activity: Number(r.last_activity) }));
  const last = page.at(-1);
  return { conversations: page, next: rows.length > limit && last !== undefined ? encodeCursor({ activity: last.last_activity, roomId: last.room_id }) : null };
}

/** The puppet of an outside address: registered once, with the sender's name. */
export async function ensurePuppet(q: Queryable, matrix: AppserviceMatrix, serverName: string, address: string, name: string): Promise<string> {
  const addr = address.toLowerCase();
  const known = (await q.query<{ user_id: string; display_name: string }>(`SELECT user_id, display_name FROM puppets WHERE address = $1`, [addr])).rows[0];
  const display = name.trim() === "" ? addr : `${name.trim()} (${addr})`;
  if (known !== undefined && known.display_name === display) return known.user_id;
  const userId = await matrix.ensureRegistered(puppetLocalpart(addr, serverName));
  await matrix.as(userId).setDisplayName(display.slice(0, 200));
  await q.query(`INSERT INTO puppets (address, user_id, display_name) VALUES ($1, $2, $3) ON CONFLICT (address) DO UPDATE SET display_name = $3`, [addr, userId, display]);
  return userId;
}

/**
 * Creates a conversation room (or adopts it after a crash: the alias derives from `seed`), with the
 * local user invited and the puppets joined. Only the bot may change the room; the user writes.
 */
export async function createConversationRoom(
  matrix: AppserviceMatrix,
  serverName: string,
  opts: { seed: string; localUser: string; puppets: string[]; external: string[]; subject: string },
): Promise<string> {
  const alias = `mail-${createHash("sha256").update(opts.seed).digest("hex").slice(0, 24)}`;
  try {
    const { room_id: roomId } = await matrix.bot.createRoom({
      name: opts.subject === "" ? "(ohne Betreff)" : opts.subject.slice(0, 200),
      topic: `E-Mail mit ${opts.external.join(", ")}`,
      room_alias_name: alias,
      invite: [opts.localUser, ...opts.puppets],
      is_direct: true,
      preset: "private_chat" as never,
      initial_state: [
        { type: CONVERSATION, state_key: "", content: { local_user: opts.localUser, external: opts.external } },
        { type: "m.room.history_visibility", state_key: "", content: { history_visibility: "shared" } },
      ],
      power_level_content_override: {
        // The bot created the room: in room version 12 creators stand above all levels and are not listed.
        users: { [opts.localUser]: 50 },
        events_default: 0,
        state_default: 100,
        invite: 100,
      },
    });
    for (const p of opts.puppets) await matrix.as(p).joinRoom(roomId);
    return roomId;
  } catch (e) {
    if (!(e instanceof MatrixError && e.errcode === "M_ROOM_IN_USE")) throw e;
    const roomId = (await matrix.bot.getRoomIdForAlias(`#${alias}:${serverName}`)).room_id;
    for (const p of opts.puppets) await matrix.as(p).joinRoom(roomId).catch(() => undefined);
    return roomId;
  }
}
