/**
 * Outbound mail: builds RFC 5322 messages with nodemailer's MailComposer (which encodes headers)
 * and validates recipient lists typed by users. Header injection is impossible by construction:
 * every header value is reduced to one clean line (CR/LF → space, control characters removed)
 * before it reaches the composer, and addresses must be bare `local@domain` (no display names).
 */
import { domainToASCII } from "node:url";
import MailComposer from "nodemailer/lib/mail-composer";
import {
  bilingual,
  cleanContentType,
  cleanLine,
  cleanText,
  normaliseMessageId,
  sanitizeFilename,
  type BilingualText,
} from "./util.ts";

/** Default maximum number of recipients (To + Cc) of one outbound mail. */
export const MAX_RECIPIENTS = 100;
const MAX_REFERENCES = 50;

/** An attachment of an outbound mail. */
export interface OutboundAttachment {
  filename: string;
  contentType: string;
  content: Buffer;
}

/** Everything needed to compose one outbound mail. */
export interface ComposeInput {
  from: { address: string; name: string };
  to: string[];
  cc?: string[];
  subject: string;
  text: string;
  /** Optional HTML alternative; the caller is responsible for its content (it is sent as given). */
  html?: string;
  inReplyTo?: string;
  references?: string[];
  /** The Message-ID to use, `<id@domain>` (the bridge generates and stores it for threading). */
  messageId: string;
  date: Date;
  attachments?: OutboundAttachment[];
}

/** Thrown by `composeMail` for input that cannot be sent (invalid addresses, ids or dates). */
export class MailComposeError extends Error {
  /** Why, for display (German and English). */
  readonly reason: BilingualText;

  constructor(reason: BilingualText) {
    super(bilingual(reason));
    this.name = "MailComposeError";
    this.reason = reason;
  }
}

const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const DOMAIN_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const TOP_LABEL = /^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

/**
 * Validates one bare address (`local@domain`, no display name, no quoted local part, no IP
 * literal). Unicode domains are converted to punycode. Returns the normalised address (domain
 * lowercase) or null.
 */
export function normaliseAddress(input: string): string | null {
  if (typeof input !== "string") return null;
  const s = input.trim();
  if (!s || s.length > 254 || /[\s\p{Cc}<>()",;:\\[\]]/u.test(s)) return null;
  const at = s.lastIndexOf("@");
  if (at < 1) return null;
  const local = s.slice(0, at);
  if (local.length > 64 || !LOCAL_PART.test(local)) return null;
  const domain = domainToASCII(s.slice(at + 1).toLowerCase());
  if (!domain) return null;
  const labels = domain.split(".");
  if (labels.length < 2 || !labels.every((l) => DOMAIN_LABEL.test(l)) || !TOP_LABEL.test(labels[labels.length - 1] ?? "")) return null;
  const address = `${local}@${domain}`;
  return address.length <= 254 ? address : null;
}

/** Result of `validateAddressList`. */
export interface AddressListResult {
  /** True when there is at least one recipient, none is invalid and the list is not too long. */
  ok: boolean;
  /** Normalised, deduplicated (case-insensitively) valid addresses. */
  valid: string[];
  /** The rejected entries (cleaned to one line for display). */
  invalid: string[];
  tooMany: boolean;
  /** Bilingual reason ("deutsch / english") when not ok, otherwise null. */
  reason: string | null;
}

function checkList(list: string[], max: number): Omit<AddressListResult, "ok" | "reason"> & { reason: BilingualText | null } {
  const valid: string[] = [];
  const invalid: string[] = [];
  const seen = new Set<string>();
  for (const entry of Array.isArray(list) ? list : []) {
    if (typeof entry !== "string" || !entry.trim()) continue;
    const address = normaliseAddress(entry);
    if (address === null) {
      invalid.push(cleanLine(entry, 200));
    } else if (!seen.has(address.toLowerCase())) {
      seen.add(address.toLowerCase());
      valid.push(address);
    }
  }
  const tooMany = valid.length + invalid.length > max;
  let reason: BilingualText | null = null;
  if (invalid.length > 0) {
    const shown = invalid.slice(0, 5).join(", ");
    reason = { de: `Ungültige Adresse(n): ${shown}`, en: `invalid address(es): ${shown}` };
  } else if (tooMany) {
    reason = { de: `Zu viele Empfänger (höchstens ${max})`, en: `too many recipients (at most ${max})` };
  } else if (valid.length === 0) {
    reason = { de: "Keine Empfänger angegeben", en: "no recipients given" };
  }
  return { valid, invalid, tooMany, reason };
}

/**
 * Validates a recipient list typed by a user: bare addresses only (no "Name <a@b>"), empty entries
 * ignored, duplicates removed, at most `max` recipients. An empty list is not ok (no recipients);
 * validate To and Cc together when Cc alone may be empty.
 */
export function validateAddressList(list: string[], max: number = MAX_RECIPIENTS): AddressListResult {
  const r = checkList(list, max);
  return { ok: r.reason === null, valid: r.valid, invalid: r.invalid, tooMany: r.tooMany, reason: r.reason === null ? null : bilingual(r.reason) };
}

function requireAddresses(list: string[] | undefined, allowEmpty: boolean): string[] {
  if (allowEmpty && (list === undefined || list.length === 0)) return [];
  const r = checkList(list ?? [], MAX_RECIPIENTS);
  if (r.reason !== null) throw new MailComposeError(r.reason);
  return r.valid;
}

/**
 * Builds the raw RFC 5322 message (CRLF line endings) for an outbound mail with MailComposer.
 * Subject and sender name are reduced to one line (CR/LF and other control characters cannot
 * create headers); addresses, Message-ID, In-Reply-To and References are validated; file names are
 * sanitised; file and URL access of the composer are disabled.
 * @throws MailComposeError for invalid addresses, Message-ID or date, or more than 100 recipients.
 */
export async function composeMail(input: ComposeInput): Promise<Buffer> {
  const fromAddress = normaliseAddress(input.from?.address ?? "");
  if (fromAddress === null) {
    throw new MailComposeError({ de: "Ungültige Absenderadresse", en: "invalid sender address" });
  }
  const to = requireAddresses(input.to, false);
  const cc = requireAddresses(input.cc, true);
  if (to.length + cc.length > MAX_RECIPIENTS) {
    throw new MailComposeError({ de: `Zu viele Empfänger (höchstens ${MAX_RECIPIENTS})`, en: `too many recipients (at most ${MAX_RECIPIENTS})` });
  }
  const messageId = normaliseMessageId(input.messageId);
  if (messageId === null) {
    throw new MailComposeError({ de: "Ungültige Message-ID", en: "invalid Message-ID" });
  }
  if (!(input.date instanceof Date) || Number.isNaN(input.date.getTime())) {
    throw new MailComposeError({ de: "Ungültiges Datum", en: "invalid date" });
  }
  const inReplyTo = normaliseMessageId(input.inReplyTo ?? "");
  const refs = (input.references ?? []).map((r) => normaliseMessageId(r)).filter((r): r is string => r !== null);
  const references = refs.length > MAX_REFERENCES ? [...refs.slice(0, 1), ...refs.slice(refs.length - MAX_REFERENCES + 1)] : refs;

  const composer = new MailComposer({
    from: { name: cleanLine(input.from.name, 200), address: fromAddress },
    to,
    ...(cc.length > 0 ? { cc } : {}),
    subject: cleanLine(input.subject, 998),
    text: cleanText(input.text ?? ""),
    ...(typeof input.html === "string" && input.html.trim() ? { html: input.html } : {}),
    ...(inReplyTo !== null ? { inReplyTo } : {}),
    ...(references.length > 0 ? { references } : {}),
    messageId,
    date: input.date,
    attachments: (input.attachments ?? []).map((a) => ({
      filename: sanitizeFilename(a.filename),
      contentType: cleanContentType(a.contentType),
      content: Buffer.isBuffer(a.content) ? a.content : Buffer.alloc(0),
      contentDisposition: "attachment",
    })),
    disableFileAccess: true,
    disableUrlAccess: true,
    newline: "win",
  });
  return composer.compile().build();
}
