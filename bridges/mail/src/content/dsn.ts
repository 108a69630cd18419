/**
 * Recognition of delivery status notifications (bounces, RFC 3464): a top-level
 * `multipart/report; report-type=delivery-status` whose `message/delivery-status` part (kept as an
 * attachment by parse.ts) names the recipients, and whose returned `text/rfc822-headers` or
 * `message/rfc822` part names the Message-ID of the original (outbound) mail.
 * Note: bounces are not authenticated by their format; check DMARC/DKIM before acting on them.
 */
import type { MailAttachment, ParsedMail } from "./parse.ts";
import { cleanLine, normaliseMessageId } from "./util.ts";

/** One recipient block of a delivery status report. */
export interface BounceRecipient {
  /** Final-Recipient (or Original-Recipient) without the address type ("rfc822;"). */
  address: string;
  /** Action field in lowercase ("failed", "delayed", "delivered", "relayed", "expanded"), "" if missing. */
  action: string;
  /** Status code "class.subject.detail", e.g. "5.1.1"; "" if missing. */
  status: string;
  /** Diagnostic-Code text without its type ("smtp;"), or null. */
  diagnostic: string | null;
}

/** Result of `parseBounce`. */
export interface BounceInfo {
  isBounce: boolean;
  /** Message-ID of the mail that bounced, normalised `<id>`, or null if not found. */
  originalMessageId: string | null;
  recipients: BounceRecipient[];
}

const STATUS_TYPES = new Set(["message/delivery-status", "message/global-delivery-status"]);
const ORIGINAL_TYPES = new Set(["text/rfc822-headers", "message/rfc822", "message/global", "message/global-headers"]);
const MAX_RECIPIENTS = 100;
const MAX_SCAN_BYTES = 1024 * 1024;

/** Header section of a message-like text (everything before the first empty line), unfolded. */
function headerSection(text: string): string {
  const normalised = text.replace(/\r\n?/g, "\n");
  const end = normalised.search(/\n[ \t]*\n/);
  return (end < 0 ? normalised : normalised.slice(0, end)).replace(/\n[ \t]+/g, " ");
}

/** Parses the header-style fields of one DSN block into a map (lowercase name → first value). */
function fields(block: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of block.split("\n")) {
    const m = /^([A-Za-z0-9-]{1,80})[ \t]*:[ \t]*(.*)$/.exec(line);
    if (m?.[1] && m[2] !== undefined && !map.has(m[1].toLowerCase())) map.set(m[1].toLowerCase(), m[2]);
  }
  return map;
}

/** Strips the type prefix ("rfc822; ", "smtp; ") of a typed DSN field. */
function untyped(value: string): string {
  const semi = value.indexOf(";");
  return (semi < 0 ? value : value.slice(semi + 1)).trim();
}

function recipientsOf(part: MailAttachment): BounceRecipient[] {
  const text = part.content.subarray(0, MAX_SCAN_BYTES).toString("utf8").replace(/\r\n?/g, "\n").replace(/\n[ \t]+/g, " ");
  const out: BounceRecipient[] = [];
  for (const block of text.split(/\n[ \t]*\n/)) {
    const f = fields(block);
    const rawAddress = f.get("final-recipient") ?? f.get("original-recipient");
    if (rawAddress === undefined) continue;
    const address = cleanLine(untyped(rawAddress), 320).replace(/^<|>$/g, "");
    if (!address) continue;
    const status = /\b([245]\.\d{1,3}\.\d{1,3})\b/.exec(f.get("status") ?? "")?.[1] ?? "";
    const diagnosticRaw = f.get("diagnostic-code");
    const diagnostic = diagnosticRaw === undefined ? "" : cleanLine(untyped(diagnosticRaw), 500);
    out.push({
      address,
      action: cleanLine(f.get("action") ?? "", 20).toLowerCase(),
      status,
      diagnostic: diagnostic || null,
    });
    if (out.length >= MAX_RECIPIENTS) break;
  }
  return out;
}

function messageIdIn(headers: string): string | null {
  const m = /^message-id[ \t]*:[ \t]*(.*)$/im.exec(headers);
  return m?.[1] === undefined ? null : normaliseMessageId(m[1]);
}

/** True when the top-level Content-Type of the raw message is multipart/report. */
function isMultipartReport(raw: Buffer): boolean {
  const headers = headerSection(raw.subarray(0, 256 * 1024).toString("latin1"));
  const ct = /^content-type[ \t]*:[ \t]*([^;\n]*)/im.exec(headers)?.[1];
  return ct?.trim().toLowerCase() === "multipart/report";
}

/**
 * Recognises a bounce (RFC 3464 delivery status notification) and extracts the original
 * Message-ID and the per-recipient action/status/diagnostic. `isBounce` requires a top-level
 * multipart/report with a parsable message/delivery-status part naming at least one recipient.
 * The original Message-ID comes from the returned text/rfc822-headers or message/rfc822 part, or
 * (when that part was dropped for size) from the first foreign Message-ID header in `raw`.
 */
export function parseBounce(mail: ParsedMail, raw: Buffer): BounceInfo {
  const none: BounceInfo = { isBounce: false, originalMessageId: null, recipients: [] };
  const statusPart = mail.attachments.find((a) => STATUS_TYPES.has(a.contentType));
  if (!statusPart || !Buffer.isBuffer(raw) || !isMultipartReport(raw)) return none;
  const recipients = recipientsOf(statusPart);
  if (recipients.length === 0) return none;

  let originalMessageId: string | null = null;
  for (const part of mail.attachments) {
    if (!ORIGINAL_TYPES.has(part.contentType)) continue;
    originalMessageId = messageIdIn(headerSection(part.content.subarray(0, MAX_SCAN_BYTES).toString("utf8")));
    if (originalMessageId) break;
  }
  if (!originalMessageId) {
    const own = mail.messageId.toLowerCase();
    const scan = raw.subarray(0, 4 * MAX_SCAN_BYTES).toString("latin1").replace(/\r?\n[ \t]+/g, " ");
    for (const m of scan.matchAll(/^message-id[ \t]*:[ \t]*(.*)$/gim)) {
      const id = normaliseMessageId(m[1] ?? "");
      if (id && id.toLowerCase() !== own) {
        originalMessageId = id;
        break;
      }
    }
  }
  return { isBounce: true, originalMessageId, recipients };
}
