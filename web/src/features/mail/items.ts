// Pure mapping of a conversation room's events to what the mail page shows: mails (in and out), attachments, notices.

/** The part of a Matrix event this module reads (from the SDK's MatrixEvent or a raw event). */
export interface RawEvent {
  eventId: string;
  sender: string;
  type: string;
  ts: number;
  content: Record<string, unknown>;
  /** A local echo that the server has not confirmed yet. */
  pending: boolean;
  /** The local echo could not be sent. */
  failed: boolean;
}

/** A file sent with a mail (an `m.file`/`m.image`/… event right after it). Names and types are untrusted text. */
export interface MailAttachment {
  eventId: string;
  name: string;
  mxc: string;
  size: number | null;
  mimetype: string | null;
}

/** An address as the bridge stores it in `de.schulhof.mail`. */
export interface MailPerson {
  name: string;
  address: string;
}

/** What the conversation shows, in order. All strings are untrusted and rendered as text (HTML only through DOMPurify). */
export type MailItem =
  | {
      kind: "mail";
      eventId: string;
      sender: string;
      /** Sent by the signed-in user (a reply or a new mail); otherwise a mail that came in. */
      own: boolean;
      ts: number;
      /** The plain text as the event carries it (for incoming mail with the bridge's subject line in front). */
      body: string;
      /** `formatted_body` when the event has HTML; untrusted. */
      html: string | null;
      from: MailPerson | null;
      to: MailPerson[];
      /** The mail's Date header, when the bridge recorded one (ISO 8601). */
      date: string | null;
      dmarcFailed: boolean;
      attachments: MailAttachment[];
      pending: boolean;
      failed: boolean;
    }
  | { kind: "notice"; eventId: string; sender: string; ts: number; text: string };

const FILE_TYPES = new Set(["m.file", "m.image", "m.video", "m.audio"]);

/** The files of a mail written in the room, in its `m.text` (uploaded first; the bridge mails them with the text). */
export const ATTACHMENTS_KEY = "de.schulhof.mail.attachments";
/** In the bridge's notice that shows a mail written through its API: `{by, text, attachments}`. */
export const SENT_KEY = "de.schulhof.mail.sent";

const str = (v: unknown): string | null => (typeof v === "string" ? v : null);

function person(v: unknown): MailPerson | null {
  if (typeof v !== "object" || v === null) return null;
  const p = v as Record<string, unknown>;
  const address = str(p.address) ?? "";
  if (address === "") return null;
  return { name: str(p.name) ?? "", address };
}

function attachmentOf(e: RawEvent): MailAttachment | null {
  const c = e.content;
  const mxc = str(c.url);
  if (mxc === null || !mxc.startsWith("mxc://")) return null;
  const info = typeof c.info === "object" && c.info !== null ? (c.info as Record<string, unknown>) : {};
  return {
    eventId: e.eventId,
    name: str(c.filename) ?? str(c.body) ?? "",
    mxc,
    size: typeof info.size === "number" && Number.isFinite(info.size) ? info.size : null,
    mimetype: str(info.mimetype),
  };
}

/** The attachments an event lists (`[{mxc, name, type?, size?}]`); entries without an `mxc://` URI are left out. */
function listedAttachments(eventId: string, v: unknown): MailAttachment[] {
  if (!Array.isArray(v)) return [];
  return v.flatMap((a: unknown, i): MailAttachment[] => {
    if (typeof a !== "object" || a === null) return [];
    const r = a as Record<string, unknown>;
    const mxc = str(r.mxc);
    if (mxc === null || !mxc.startsWith("mxc://")) return [];
    const size = typeof r.size === "number" && Number.isFinite(r.size) ? r.size : null;
    return [{ eventId: `${eventId}#${i}`, name: str(r.name) ?? "", mxc, size, mimetype: str(r.type) }];
  });
}

/** The mail the bridge's notice shows as the user's own (a new mail written through the API), or null. */
function sentThroughApi(e: RawEvent, me: string, bridge: string | null): MailItem | null {
  if (bridge === null || e.sender !== bridge) return null;
  const sent = e.content[SENT_KEY];
  if (typeof sent !== "object" || sent === null) return null;
  const s = sent as Record<string, unknown>;
  if (s.by !== me) return null;
  return mailItem({ ...e, sender: me, content: {} }, me, str(s.text) ?? "", listedAttachments(e.eventId, s.attachments));
}

/**
 * The conversation's items: each `m.text` is a mail, with the files it lists; files that follow a mail of the same
 * sender are its attachments (the bridge sends them as separate events right after the text), other files become a
 * mail of their own; the notice of `bridge` (the sender of the conversation's state) about a mail the user wrote
 * through its API is that mail; other `m.notice` (the bridge's confirmations and refusals) are notices. Other events
 * are left out.
 */
export function mailItems(events: readonly RawEvent[], me: string, bridge: string | null = null): MailItem[] {
  const items: MailItem[] = [];
  for (const e of events) {
    if (e.type !== "m.room.message") continue;
    const msgtype = str(e.content.msgtype) ?? "";
    const body = str(e.content.body) ?? "";
    if (msgtype === "m.notice") {
      items.push(sentThroughApi(e, me, bridge) ?? { kind: "notice", eventId: e.eventId, sender: e.sender, ts: e.ts, text: body });
      continue;
    }
    if (FILE_TYPES.has(msgtype)) {
      const attachment = attachmentOf(e);
      if (attachment === null) continue;
      const last = items.at(-1);
      if (last?.kind === "mail" && last.sender === e.sender) {
        last.attachments.push(attachment);
        continue;
      }
      items.push(mailItem(e, me, "", [attachment]));
      continue;
    }
    if (msgtype !== "m.text" && msgtype !== "m.emote") continue;
    items.push(mailItem(e, me, body, listedAttachments(e.eventId, e.content[ATTACHMENTS_KEY])));
  }
  return items;
}

function mailItem(e: RawEvent, me: string, body: string, attachments: MailAttachment[]): MailItem {
  const meta = typeof e.content["de.schulhof.mail"] === "object" && e.content["de.schulhof.mail"] !== null ? (e.content["de.schulhof.mail"] as Record<string, unknown>) : {};
  const html = e.content.format === "org.matrix.custom.html" ? str(e.content.formatted_body) : null;
  return {
    kind: "mail",
    eventId: e.eventId,
    sender: e.sender,
    own: e.sender === me,
    ts: e.ts,
    body,
    html,
    from: person(meta.from),
    to: Array.isArray(meta.to) ? meta.to.map(person).filter((p): p is MailPerson => p !== null) : [],
    date: str(meta.date),
    dmarcFailed: meta.dmarc === "fail",
    attachments,
    pending: e.pending,
    failed: e.failed,
  };
}

/**
 * Whether a room's newest mail from the other side is still unread: `lastIncoming` is the id of the newest
 * message that is neither the user's own nor a notice, `readUpTo` answers whether the user's read receipt
 * covers an event. An invitation (a conversation never opened) is unread.
 */
export function isUnread(membership: string, lastIncoming: string | null, hasRead: (eventId: string) => boolean): boolean {
  if (membership === "invite") return true;
  if (membership !== "join" || lastIncoming === null) return false;
  return !hasRead(lastIncoming);
}
