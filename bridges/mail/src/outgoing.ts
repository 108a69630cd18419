// Mail out: a local user's message in a conversation room (or a new mail from `!mail` or the API) is composed and queued durably.
import { createHash } from "node:crypto";
import type { AppserviceMatrix, MatrixEvent, OutboxAction, Queryable } from "@schulhof/core";
import { noticeContent } from "@schulhof/core";
import { composeMail, toMatrixHtml, validateAddressList } from "./content/index.ts";
import { canReceive, canSend, rateLimit, rateLimitFor, RATE_WINDOW_MS, type MailPolicy } from "./policy/index.ts";
import type { AddressBook } from "./addresses/index.ts";
import { addThreadKeys, conversationOf, createConversationRoom, ensurePuppet, saveConversation, threadKeysOf } from "./conversations.ts";
import { bounceAddress, enqueueOutbound } from "./outbound/index.ts";

export interface OutgoingEnv {
  serverName: string;
  mailDomain: string;
  lang: "de" | "en";
  policy: MailPolicy;
  verpSecret: string;
  botUserId: string;
  maxAttachmentBytes: number;
}

type Enqueue = (a: OutboxAction) => Promise<void>;
const T = {
  de: {
    refused: (why: string) => `Diese Nachricht wurde nicht als E-Mail verschickt: ${why}`,
    queued: (to: string) => `Neue E-Mail an ${to}: schreib hier; jede Nachricht geht als Mail an ${to}, Antworten erscheinen hier.`,
    usage: "So geht's: !mail an@adresse.de Betreff",
    noAddress: "Du hast keine Schul-Mailadresse.",
  },
  en: {
    refused: (why: string) => `This message was not sent as mail: ${why}`,
    queued: (to: string) => `New mail to ${to}: write here; each message goes to ${to} as a mail, replies appear here.`,
    usage: "Usage: !mail to@address.example Subject",
    noAddress: "You have no school mail address.",
  },
} as const;

/** The Message-ID of the mail made from a Matrix event: stable, so a resend after a crash is the same mail. */
export function messageIdFor(eventId: string, domain: string): string {
  return `<${createHash("sha256").update(eventId).digest("hex").slice(0, 32)}@${domain}>`;
}

/** Whether the message is the `!mail` command. */
export function isMailCommand(body: string): boolean {
  return /^!(mail|e-mail|email)(\s|$)/i.test(body.trim());
}

async function refuse(enqueue: Enqueue, roomId: string, replyTo: string, text: string): Promise<void> {
  await enqueue({ kind: "message", roomId, eventType: "m.room.message", content: noticeContent(text, { replyTo }) });
}

/** Reads the media of an `m.file`/`m.image` message as the bot (authenticated media). */
async function download(matrix: AppserviceMatrix, mxc: string, max: number): Promise<Buffer | null> {
  const m = /^mxc:\/\/([^/]+)\/(.+)$/.exec(mxc);
  if (m === null) return null;
  const res = await fetch(`${matrix.identity.homeserverUrl}/_matrix/client/v1/media/download/${encodeURIComponent(m[1] ?? "")}/${encodeURIComponent(m[2] ?? "")}`, {
    headers: { authorization: `Bearer ${matrix.identity.asToken}` },
    signal: AbortSignal.timeout(60_000),
  });
  if (!res.ok) throw new Error(`media ${res.status}`);
  const buf = Buffer.from(await res.arrayBuffer());
  return buf.length > max ? null : buf;
}

/**
 * A user's message in a conversation room becomes a mail to the conversation's outside party,
 * after the school's policy and the user's rate limit; refusals are answered in the room.
 * Returns whether a mail was queued.
 */
export async function onConversationMessage(event: MatrixEvent, tx: Queryable, enqueue: Enqueue, book: AddressBook, matrix: AppserviceMatrix, env: OutgoingEnv): Promise<boolean> {
  const conv = await conversationOf(tx, event.room_id);
  if (conv === null || event.sender !== conv.localUser) return false;
  const t = T[env.lang];
  const from = book.addressOfUser(event.sender);
  const me = from === null ? null : book.resolve(from);
  if (from === null || me === null || me.kind !== "person") {
    await refuse(enqueue, event.room_id, event.event_id, t.refused(t.noAddress));
    return false;
  }
  const decision = canSend({ userId: event.sender, role: me.role }, conv.external, env.policy, env.mailDomain);
  if (!decision.ok) {
    await refuse(enqueue, event.room_id, event.event_id, t.refused(decision.user[env.lang]));
    return false;
  }
  const now = Date.now();
  const state = (await tx.query<{ window_start: string; count: number }>(`SELECT window_start, count FROM rate WHERE user_id = $1 FOR UPDATE`, [event.sender])).rows[0];
  const rl = rateLimit(state === undefined ? null : { windowStart: Number(state.window_start), count: state.count }, now, rateLimitFor(me.role, env.policy), RATE_WINDOW_MS);
  if (!rl.allowed || rl.state === null) {
    const mins = Math.ceil(rl.retryAfterMs / 60_000);
    await refuse(enqueue, event.room_id, event.event_id, t.refused(env.lang === "de" ? `zu viele Mails in kurzer Zeit; wieder möglich in ${mins} Minuten.` : `too many mails in a short time; possible again in ${mins} minutes.`));
    return false;
  }
  await tx.query(`INSERT INTO rate (user_id, window_start, count) VALUES ($1, $2, $3) ON CONFLICT (user_id) DO UPDATE SET window_start = $2, count = $3`, [event.sender, rl.state.windowStart, rl.state.count]);

  const c = event.content;
  const msgtype = String(c.msgtype ?? "m.text");
  let text = typeof c.body === "string" ? c.body : "";
  let html: string | undefined;
  const attachments: { filename: string; contentType: string; content: Buffer }[] = [];
  if ((msgtype === "m.file" || msgtype === "m.image" || msgtype === "m.video" || msgtype === "m.audio") && typeof c.url === "string") {
    const data = await download(matrix, c.url, env.maxAttachmentBytes);
    const name = typeof c.filename === "string" ? c.filename : text || "anhang";
    if (data === null) {
      await refuse(enqueue, event.room_id, event.event_id, t.refused(env.lang === "de" ? "der Anhang ist zu groß." : "the attachment is too large."));
      return false;
    }
    attachments.push({ filename: name, contentType: String((c.info as { mimetype?: string } | undefined)?.mimetype ?? "application/octet-stream"), content: data });
    text = env.lang === "de" ? `Anhang: ${name}` : `Attachment: ${name}`;
  } else if (c.format === "org.matrix.custom.html" && typeof c.formatted_body === "string") {
    html = toMatrixHtml(c.formatted_body, {});
  }
  const messageId = messageIdFor(event.event_id, env.mailDomain);
  const references = await threadKeysOf(tx, event.room_id);
  const subject = conv.lastMessageId === null ? conv.subject : /^(re|aw):/i.test(conv.subject) ? conv.subject : `Re: ${conv.subject}`;
  const raw = await composeMail({
    from: { address: from, name: me.displayName },
    to: conv.external,
    subject,
    text,
    ...(html === undefined ? {} : { html }),
    ...(conv.lastMessageId === null ? {} : { inReplyTo: conv.lastMessageId }),
    ...(references.length === 0 ? {} : { references }),
    messageId,
    date: new Date(event.origin_server_ts),
    attachments,
  });
  // Addresses of the school are delivered here (the inbound queue, as an authenticated sender);
  // only the others go through the relay.
  const local = conv.external.filter((a) => book.isLocal(a));
  const remote = conv.external.filter((a) => !book.isLocal(a));
  for (const a of local) {
    const d = canReceive(book.resolve(a), { address: from, internalUserId: event.sender }, env.policy, me.role);
    if (!d.ok) {
      await refuse(enqueue, event.room_id, event.event_id, t.refused(d.user[env.lang]));
      return false;
    }
  }
  if (local.length > 0) {
    await tx.query(`INSERT INTO inbound (mail_from, rcpt_to, remote_ip, helo, auth, dmarc, raw, size) VALUES ($1, $2, '', 'matrix', $3, 'pass', $4, $5)`, [
      from,
      JSON.stringify(local),
      JSON.stringify({ internal: event.sender }),
      raw,
      raw.length,
    ]);
  }
  if (remote.length > 0) {
    await enqueueOutbound(tx, {
      cause: event.event_id,
      roomId: event.room_id,
      senderUser: event.sender,
      messageId,
      // VERP: bounces name the message they belong to, signed so nobody can forge them.
      mailFrom: (id: number) => bounceAddress(id, env.mailDomain, env.verpSecret),
      rcptTo: remote,
      raw,
    });
  }
  await addThreadKeys(tx, event.sender, event.room_id, [messageId]);
  await tx.query(`UPDATE conversations SET last_message_id = $2 WHERE room_id = $1`, [event.room_id, messageId.toLowerCase()]);
  return true;
}

/**
 * `!mail an@adresse Betreff`: a new conversation room with the outside party; the user then writes
 * the mail there. The room's alias derives from the command's event, so a retry adopts it.
 */
export async function onMailCommand(event: MatrixEvent, tx: Queryable, enqueue: Enqueue, book: AddressBook, matrix: AppserviceMatrix, env: OutgoingEnv): Promise<string | null> {
  const t = T[env.lang];
  const body = typeof event.content.body === "string" ? event.content.body.trim() : "";
  const [, to = "", ...subjectWords] = body.split(/\s+/);
  const list = validateAddressList([to], 1);
  const subject = subjectWords.join(" ").replace(/[\r\n\t]+/g, " ").trim().slice(0, 200);
  if (!list.ok || subject === "") {
    await refuse(enqueue, event.room_id, event.event_id, t.usage);
    return null;
  }
  const address = list.valid[0] ?? to;
  return startConversation(tx, enqueue, book, matrix, env, { user: event.sender, to: address, subject, seed: event.event_id, replyIn: { roomId: event.room_id, eventId: event.event_id } });
}

/** Opens a conversation with one outside (or school) address; used by `!mail` and the API. */
export async function startConversation(
  tx: Queryable,
  enqueue: Enqueue,
  book: AddressBook,
  matrix: AppserviceMatrix,
  env: OutgoingEnv,
  opts: { user: string; to: string; subject: string; seed: string; replyIn: { roomId: string; eventId: string } | null },
): Promise<string | null> {
  const t = T[env.lang];
  const from = book.addressOfUser(opts.user);
  const me = from === null ? null : book.resolve(from);
  if (me === null || me.kind !== "person") {
    if (opts.replyIn !== null) await refuse(enqueue, opts.replyIn.roomId, opts.replyIn.eventId, t.refused(t.noAddress));
    return null;
  }
  const decision = canSend({ userId: opts.user, role: me.role }, [opts.to], env.policy, env.mailDomain);
  if (!decision.ok) {
    if (opts.replyIn !== null) await refuse(enqueue, opts.replyIn.roomId, opts.replyIn.eventId, t.refused(decision.user[env.lang]));
    return null;
  }
  const puppet = await ensurePuppet(tx, matrix, env.serverName, opts.to, "");
  const roomId = await createConversationRoom(matrix, env.serverName, { seed: `new\0${opts.seed}`, localUser: opts.user, puppets: [puppet], external: [opts.to.toLowerCase()], subject: opts.subject });
  await saveConversation(tx, { roomId, localUser: opts.user, external: [opts.to.toLowerCase()], subject: opts.subject, lastMessageId: null });
  await enqueue({ kind: "message", roomId, eventType: "m.room.message", content: noticeContent(t.queued(opts.to)) });
  return roomId;
}
