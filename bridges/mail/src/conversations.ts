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

export async function saveConversation(tx: Queryable, c: Conversation): Promise<void> {
  await tx.query(
    `INSERT INTO conversations (room_id, local_user, external, subject, last_message_id) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (room_id) DO UPDATE SET external = $3, subject = $4, last_message_id = COALESCE($5, conversations.last_message_id)`,
    [c.roomId, c.localUser, JSON.stringify(c.external), c.subject, c.lastMessageId],
  );
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
