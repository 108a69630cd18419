// Mail out: a local user's message in a conversation room (or a new mail of the API), with its attachments, is composed as one mail and queued durably.
import { createHash } from "node:crypto";
import type { AppserviceMatrix, MatrixEvent, OutboxAction, Queryable } from "@schulhof/core";
import { noticeContent, RetryableError } from "@schulhof/core";
import { AttachmentError, attachmentRefsOf, fetchAttachments, type AttachmentRef } from "./attachments.ts";
import { composeMail, sanitizeFilename, toMatrixHtml, validateAddressList, type OutboundAttachment } from "./content/index.ts";
import { canReceive, canSend, rateLimit, rateLimitFor, RATE_WINDOW_MS, type MailPolicy } from "./policy/index.ts";
import type { AddressBook } from "./addresses/index.ts";
import { addThreadKeys, conversationOf, createConversationRoom, ensurePuppet, noteActivity, saveConversation, threadKeysOf, type Conversation } from "./conversations.ts";
import { bounceAddress, enqueueOutbound } from "./outbound/index.ts";

export interface OutgoingEnv {
  serverName: string;
  mailDomain: string;
  lang: "de" | "en";
  policy: MailPolicy;
  verpSecret: string;
  botUserId: string;
  /** All attachments of one mail together (the school's `max_message_mb`). */
  maxAttachmentBytes: number;
}

const FILE_TYPES = new Set(["m.file", "m.image", "m.video", "m.audio"]);

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

/** Why a mail was not queued, in both languages (for the room's notice or the API's answer). */
export interface Refusal {
  de: string;
  en: string;
}

/** One mail written in a conversation: a room event, or a new mail of the API. */
export interface ConversationMail {
  /** The Matrix event it came from (`$api-…` for the API): the Message-ID derives from it. */
  eventId: string;
  sender: string;
  ts: number;
  text: string;
  html?: string;
  /**
   * Reads the attachments; called only after the school's rules and the rate limit let the mail pass.
   * Throws AttachmentError when they cannot be sent.
   */
  attachments: () => Promise<OutboundAttachment[]>;
}

/** The room's notice for a refused mail, in the bridge's language. */
export function refusedText(r: Refusal, lang: "de" | "en"): string {
  return T[lang].refused(r[lang]);
}

const NO_ADDRESS: Refusal = { de: T.de.noAddress, en: T.en.noAddress };

/**
 * Composes one mail of a conversation (text, HTML, all attachments in one MIME message) and queues it: addresses of
 * the school into the inbound queue, the others through the relay. Checks the school's policy and the sender's
 * rate limit first. Answers the refusal, or null when queued. Must run in `tx`; throws what the attachments throw
 * when that is not a refusal (AttachmentError `unreachable`).
 */
export async function queueConversationMail(conv: Conversation, mail: ConversationMail, tx: Queryable, book: AddressBook, env: OutgoingEnv): Promise<Refusal | null> {
  const from = book.addressOfUser(mail.sender);
  const me = from === null ? null : book.resolve(from);
  if (from === null || me === null || me.kind !== "person") return NO_ADDRESS;
  const decision = canSend({ userId: mail.sender, role: me.role }, conv.external, env.policy, env.mailDomain);
  if (!decision.ok) return decision.user;
  const now = Date.now();
  const state = (await tx.query<{ window_start: string; count: number }>(`SELECT window_start, count FROM rate WHERE user_id = $1 FOR UPDATE`, [mail.sender])).rows[0];
  const rl = rateLimit(state === undefined ? null : { windowStart: Number(state.window_start), count: state.count }, now, rateLimitFor(me.role, env.policy), RATE_WINDOW_MS);
  if (!rl.allowed || rl.state === null) {
    const mins = Math.ceil(rl.retryAfterMs / 60_000);
    return { de: `zu viele Mails in kurzer Zeit; wieder möglich in ${mins} Minuten.`, en: `too many mails in a short time; possible again in ${mins} minutes.` };
  }
  await tx.query(`INSERT INTO rate (user_id, window_start, count) VALUES ($1, $2, $3) ON CONFLICT (user_id) DO UPDATE SET window_start = $2, count = $3`, [mail.sender, rl.state.windowStart, rl.state.count]);
  // Addresses of the school are delivered here (the inbound queue, as an authenticated sender);
  // only the others go through the relay.
  const local = conv.external.filter((a) => book.isLocal(a));
  const remote = conv.external.filter((a) => !book.isLocal(a));
  for (const a of local) {
    const d = canReceive(book.resolve(a), { address: from, internalUserId: mail.sender }, env.policy, me.role);
    if (!d.ok) return d.user;
  }
  let attachments: OutboundAttachment[];
  try {
    attachments = await mail.attachments();
  } catch (e) {
    if (e instanceof AttachmentError && e.problem !== "unreachable") return e.user;
    throw e;
  }

  const messageId = messageIdFor(mail.eventId, env.mailDomain);
  const references = await threadKeysOf(tx, conv.roomId);
  const subject = conv.lastMessageId === null ? conv.subject : /^(re|aw):/i.test(conv.subject) ? conv.subject : `Re: ${conv.subject}`;
  const raw = await composeMail({
    from: { address: from, name: me.displayName },
    to: conv.external,
    subject,
    text: mail.text,
    ...(mail.html === undefined ? {} : { html: mail.html }),
    ...(conv.lastMessageId === null ? {} : { inReplyTo: conv.lastMessageId }),
    ...(references.length === 0 ? {} : { references }),
    messageId,
    date: new Date(mail.ts),
    attachments,
  });
  if (local.length > 0) {
    await tx.query(`INSERT INTO inbound (mail_from, rcpt_to, remote_ip, helo, auth, dmarc, raw, size) VALUES ($1, $2, '', 'matrix', $3, 'pass', $4, $5)`, [
      from,
      JSON.stringify(local),
      JSON.stringify({ internal: mail.sender }),
      raw,
      raw.length,
    ]);
  }
  if (remote.length > 0) {
    await enqueueOutbound(tx, {
      cause: mail.eventId,
      roomId: conv.roomId,
      senderUser: mail.sender,
      messageId,
      // VERP: bounces name the message they belong to, signed so nobody can forge them.
      mailFrom: (id: number) => bounceAddress(id, env.mailDomain, env.verpSecret),
      rcptTo: remote,
      raw,
    });
  }
  await addThreadKeys(tx, mail.sender, conv.roomId, [messageId]);
  await noteActivity(tx, conv.roomId, mail.ts, messageId);
  return null;
}

/**
 * A user's message in a conversation room becomes one mail to the conversation's outside party: its text (and
 * HTML), with the files its `de.schulhof.mail.attachments` lists (the web client), or a lone `m.file`/`m.image`
 * as an attachment of its own (other Matrix clients). Refusals are answered in the room. Returns whether a mail
 * was queued. A homeserver that cannot give the files is a passing failure: the event is handled again later.
 */
export async function onConversationMessage(event: MatrixEvent, tx: Queryable, enqueue: Enqueue, book: AddressBook, matrix: AppserviceMatrix, env: OutgoingEnv): Promise<boolean> {
  const conv = await conversationOf(tx, event.room_id);
  if (conv === null || event.sender !== conv.localUser) return false;
  const c = event.content;
  const msgtype = String(c.msgtype ?? "m.text");
  let text = typeof c.body === "string" ? c.body : "";
  let html: string | undefined;
  let refs: AttachmentRef[];
  try {
    if (FILE_TYPES.has(msgtype) && typeof c.url === "string") {
      const name = typeof c.filename === "string" && c.filename !== "" ? c.filename : text || "anhang";
      const type = (c.info as { mimetype?: unknown } | undefined)?.mimetype;
      refs = [{ mxc: c.url, name, ...(typeof type === "string" ? { type } : {}) }];
      text = env.lang === "de" ? `Anhang: ${sanitizeFilename(name)}` : `Attachment: ${sanitizeFilename(name)}`;
    } else {
      refs = attachmentRefsOf(c) ?? [];
      if (c.format === "org.matrix.custom.html" && typeof c.formatted_body === "string") html = toMatrixHtml(c.formatted_body, {});
    }
  } catch (e) {
    if (!(e instanceof AttachmentError)) throw e;
    await refuse(enqueue, event.room_id, event.event_id, T[env.lang].refused(e.user[env.lang]));
    return false;
  }
  let refusal: Refusal | null;
  try {
    refusal = await queueConversationMail(
      conv,
      { eventId: event.event_id, sender: event.sender, ts: event.origin_server_ts, text, ...(html === undefined ? {} : { html }), attachments: () => fetchAttachments(refs, matrix.identity, env.maxAttachmentBytes) },
      tx,
      book,
      env,
    );
  } catch (e) {
    if (e instanceof AttachmentError) throw new RetryableError(e.message, e);
    throw e;
  }
  if (refusal !== null) {
    await refuse(enqueue, event.room_id, event.event_id, T[env.lang].refused(refusal[env.lang]));
    return false;
  }
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

/** Why `user` may not open a conversation with `to` (no address of their own, the school's rules), or null. */
export function startRefusal(book: AddressBook, env: OutgoingEnv, user: string, to: string): Refusal | null {
  const from = book.addressOfUser(user);
  const me = from === null ? null : book.resolve(from);
  if (me === null || me.kind !== "person") return NO_ADDRESS;
  const decision = canSend({ userId: user, role: me.role }, [to], env.policy, env.mailDomain);
  return decision.ok ? null : decision.user;
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
  const refusal = startRefusal(book, env, opts.user, opts.to);
  if (refusal !== null) {
    if (opts.replyIn !== null) await refuse(enqueue, opts.replyIn.roomId, opts.replyIn.eventId, t.refused(refusal[env.lang]));
    return null;
  }
  const puppet = await ensurePuppet(tx, matrix, env.serverName, opts.to, "");
  const roomId = await createConversationRoom(matrix, env.serverName, { seed: `new\0${opts.seed}`, localUser: opts.user, puppets: [puppet], external: [opts.to.toLowerCase()], subject: opts.subject });
  await saveConversation(tx, { roomId, localUser: opts.user, external: [opts.to.toLowerCase()], subject: opts.subject, lastMessageId: null });
  await enqueue({ kind: "message", roomId, eventType: "m.room.message", content: noticeContent(t.queued(opts.to)) });
  return roomId;
}
