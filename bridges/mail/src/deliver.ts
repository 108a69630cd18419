// Inbound delivery: stored mail becomes Matrix messages, in the order it arrived, once per recipient, even across crashes.
import type { AppserviceContext, OutboxAction } from "@schulhof/core";
import { noticeContent } from "@schulhof/core";
import { parseMail, threadKeys, normaliseSubject, toMatrixMessage, type ParsedMail, type DmarcResult } from "./content/index.ts";
import type { AddressBook } from "./addresses/index.ts";
import { addThreadKeys, createConversationRoom, ensurePuppet, noteActivity, roomForThread, saveConversation } from "./conversations.ts";
import type { Directory } from "./directory.ts";
import { markDelivered, markInboundRetry, nextInbound, type InboundRow } from "./inbound/index.ts";

/** Mail of one conversation: the same envelope sender and recipients. */
function conversationKey(mailFrom: string, rcptTo: readonly string[]): string {
  return `${mailFrom.toLowerCase()}\0${rcptTo.map((r) => r.toLowerCase()).sort().join(",")}`;
}

export interface DeliverEnv {
  serverName: string;
  mailDomain: string;
  lang: "de" | "en";
  /** Answers a DSN sent to a VERP bounce address; true when it was one of ours. */
  onBounceRcpt: (raw: Buffer, rcpt: string) => Promise<boolean>;
  isBounceAddress: (rcpt: string) => boolean;
  backoffBaseMs: number;
  maxUploadBytes: number;
}

/** The local users a message goes to: people, members of groups, admins for postmaster/abuse. */
export function localRecipients(book: AddressBook, admins: readonly string[], rcpts: readonly string[]): string[] {
  const out = new Set<string>();
  for (const r of rcpts) {
    const res = book.resolve(r);
    if (res === null) continue;
    if (res.kind === "person") out.add(res.userId);
    else if (res.kind === "group") for (const m of res.members) out.add(m);
    else for (const a of admins) out.add(a);
  }
  return [...out].sort();
}

const DMARC: Record<string, DmarcResult> = { pass: "pass", fail: "fail", none: "none" };

/**
 * Delivers what is due. Mail of one conversation (same envelope sender and recipients) goes in the
 * order it arrived, one at a time; different conversations go in parallel. A failure stops only its
 * own conversation until the retry. Returns how many were delivered.
 */
export async function runInbound(ctx: AppserviceContext, env: DeliverEnv, directory: Directory, concurrency = 8): Promise<number> {
  const rows = await nextInbound(ctx.db, 400);
  if (rows.length === 0) return 0;
  const groups = new Map<string, InboundRow[]>();
  for (const row of rows) groups.set(conversationKey(row.mailFrom, row.rcptTo), [...(groups.get(conversationKey(row.mailFrom, row.rcptTo)) ?? []), row]);
  // Later mail of a conversation that has earlier mail still waiting for a retry must wait too.
  const waiting = await ctx.db.query<{ mail_from: string; rcpt_to: unknown }>(`SELECT DISTINCT mail_from, rcpt_to FROM inbound WHERE state = 'queued' AND next_attempt_at > now()`);
  for (const w of waiting.rows) groups.delete(conversationKey(w.mail_from, (typeof w.rcpt_to === "string" ? JSON.parse(w.rcpt_to) : w.rcpt_to) as string[]));
  const book = await directory.get();
  let done = 0;
  const queue = [...groups.values()];
  await Promise.all(
    Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
      for (let group = queue.shift(); group !== undefined; group = queue.shift()) {
        for (const row of group) {
          try {
            await deliverOne(ctx, env, book, directory.admins(), row);
            done++;
          } catch (e) {
            await markInboundRetry(ctx.db, row.id, String((e as Error).message ?? e), Math.min(env.backoffBaseMs * 2 ** Math.min(row.attempts, 10), 300_000));
            ctx.log.warn({ err: e, inbound: row.id }, "mail delivery to Matrix failed; retried later (later mail of the conversation waits)");
            break;
          }
        }
      }
    }),
  );
  if (done > 0) ctx.outbox.kick();
  return done;
}

async function deliverOne(ctx: AppserviceContext, env: DeliverEnv, book: AddressBook, admins: readonly string[], row: InboundRow): Promise<void> {
  const raw = row.raw;
  const rcpts = row.rcptTo;
  const bounces = rcpts.filter((r) => env.isBounceAddress(r));
  for (const b of bounces) await env.onBounceRcpt(raw, b);
  const others = rcpts.filter((r) => !env.isBounceAddress(r));
  if (others.length === 0) {
    await markDelivered(ctx.db, row.id);
    return;
  }
  const mail = await parseMail(raw);
  const fromAddr = (mail.from?.address ?? row.mailFrom).toLowerCase() || `mailer-daemon@${env.mailDomain}`;
  // Mail written in Matrix to school addresses: its author gets no copy.
  const auth = row.auth as unknown as { internal?: string };
  const users = localRecipients(book, admins, others).filter((u) => u !== auth.internal);
  const puppet = await ensurePuppet(ctx.db, ctx.matrix, env.serverName, fromAddr, mail.from?.name ?? "");
  const keys = threadKeys(mail);
  const rooms = new Map<string, string>();
  for (const user of users) {
    const done = (await ctx.db.query<{ room_id: string }>(`SELECT room_id FROM deliveries WHERE inbound_id = $1 AND local_user = $2`, [row.id, user])).rows[0];
    if (done !== undefined) continue;
    // The same mail sent again (the sender did not see our 250): once per person is enough.
    const again = await ctx.db.query(`SELECT 1 FROM delivered_ids WHERE local_user = $1 AND message_id = $2`, [user, mail.messageId.toLowerCase()]);
    if (again.rows.length > 0) continue;
    let roomId = await roomForThread(ctx.db, user, keys);
    if (roomId === null) {
      roomId = await createConversationRoom(ctx.matrix, env.serverName, {
        seed: `${user}\0${keys[keys.length - 1] ?? mail.messageId}`,
        localUser: user,
        puppets: [puppet],
        external: [fromAddr],
        subject: normaliseSubject(mail.subject),
      });
      await ctx.db.transaction((tx) => saveConversation(tx, { roomId: roomId ?? "", localUser: user, external: [fromAddr], subject: normaliseSubject(mail.subject), lastMessageId: null }, row.receivedAt.getTime()));
    }
    rooms.set(user, roomId);
  }
  const media = await uploads(ctx, row, mail, env.maxUploadBytes);
  await ctx.db.transaction(async (tx) => {
    for (const [user, roomId] of rooms) {
      const cause = `inbound:${row.id}:${user}`;
      const q = (a: OutboxAction): Promise<void> => ctx.outbox.enqueue(tx, cause, a);
      // The puppet joins a room once (recorded), not before every message.
      const joined = await tx.query(`INSERT INTO room_puppets (room_id, puppet) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING room_id`, [roomId, puppet]);
      if (joined.rows.length > 0) await q({ kind: "join", roomId, asUser: puppet });
      const { content } = toMatrixMessage(mail, { lang: env.lang, cidMap: media.cid, dmarc: DMARC[row.dmarc] ?? "unknown" });
      await q({ kind: "message", roomId, eventType: "m.room.message", content, asUser: puppet });
      for (const f of media.files) await q({ kind: "message", roomId, eventType: "m.room.message", content: f, asUser: puppet });
      if (media.dropped > 0) {
        await q({ kind: "message", roomId, eventType: "m.room.message", content: noticeContent(env.lang === "de" ? `${media.dropped} Anhang/Anhänge waren zu groß und fehlen.` : `${media.dropped} attachment(s) were too large and are missing.`) });
      }
      await addThreadKeys(tx, user, roomId, keys);
      await noteActivity(tx, roomId, row.receivedAt.getTime(), mail.messageId);
      await tx.query(`INSERT INTO deliveries (inbound_id, local_user, room_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [row.id, user, roomId]);
      await tx.query(`INSERT INTO delivered_ids (local_user, message_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [user, mail.messageId.toLowerCase()]);
    }
    await markDelivered(tx, row.id);
  });
}

/** Uploads the attachments once (recorded per part), inline images for the HTML, the rest as file messages. */
async function uploads(ctx: AppserviceContext, row: InboundRow, mail: ParsedMail, maxBytes: number): Promise<{ cid: Record<string, string>; files: Record<string, unknown>[]; dropped: number }> {
  const cid: Record<string, string> = {};
  const files: Record<string, unknown>[] = [];
  let dropped = 0;
  const known = new Map((await ctx.db.query<{ part: number; mxc: string }>(`SELECT part, mxc FROM uploads WHERE inbound_id = $1`, [row.id])).rows.map((r) => [r.part, r.mxc]));
  for (const [i, a] of mail.attachments.entries()) {
    if (a.contentType === "message/delivery-status" || a.contentType === "text/rfc822-headers") continue;
    if (a.size > maxBytes) {
      dropped++;
      continue;
    }
    let mxc = known.get(i);
    if (mxc === undefined) {
      const up = await ctx.matrix.bot.uploadContent(a.content, { name: a.filename, type: a.contentType, includeFilename: true });
      mxc = up.content_uri;
      await ctx.db.query(`INSERT INTO uploads (inbound_id, part, mxc) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [row.id, i, mxc]);
    }
    if (a.inline && a.contentId !== null) cid[a.contentId] = mxc;
    else {
      const image = a.contentType.startsWith("image/");
      files.push({ msgtype: image ? "m.image" : "m.file", body: a.filename, filename: a.filename, url: mxc, info: { mimetype: a.contentType, size: a.size } });
    }
  }
  return { cid, files, dropped };
}
