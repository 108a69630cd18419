/**
 * Parsing of inbound RFC 5322 messages into a plain, size-limited `ParsedMail` using mailparser.
 * Never throws for malformed content (best reading plus warnings); only a message that cannot be
 * read at all becomes a `MailParseError`. The HTML in the result is RAW and still unsafe: render it
 * only through `toMatrixHtml` (sanitize.ts).
 */
import { createHash } from "node:crypto";
import { isUtf8 } from "node:buffer";
import {
  MailParser,
  parseAddressHeader,
  simpleParser,
  type AddressObject,
  type AttachmentStream,
  type EmailAddress,
  type HeaderLines,
  type Headers,
  type HeaderValue,
  type MessageText,
  type SimpleParserOptions,
} from "mailparser";
import { htmlToText } from "./sanitize.ts";
import {
  bilingual,
  cleanContentType,
  cleanLine,
  cleanText,
  normaliseMessageId,
  sanitizeFilename,
  truncateCodePoints,
  type BilingualText,
} from "./util.ts";

/** A mailbox as read from a header: the address as given, the display name cleaned (may be ""). */
export interface MailAddress {
  address: string;
  name: string;
}

/** One attachment (including inline images and report parts such as message/delivery-status). */
export interface MailAttachment {
  /** Sanitised: no path separators, no control characters, at most 200 characters, fallback "anhang.bin". */
  filename: string;
  /** Lowercase MIME type ("application/octet-stream" if the declared one was unusable). */
  contentType: string;
  /** Decoded size in bytes. */
  size: number;
  /** Content-ID without angle brackets (the form used in `cid:` URLs), or null. */
  contentId: string | null;
  /** True for inline parts (Content-Disposition inline or an embedded image of multipart/related). */
  inline: boolean;
  content: Buffer;
}

/** The parsed, normalised view of one inbound mail. */
export interface ParsedMail {
  /** Normalised `<id>`; synthesised from a SHA-256 of the raw bytes when missing or unusable. */
  messageId: string;
  inReplyTo: string | null;
  references: string[];
  /** Decoded, control characters removed, trimmed, at most 998 characters. */
  subject: string;
  from: MailAddress | null;
  to: MailAddress[];
  cc: MailAddress[];
  replyTo: MailAddress[];
  /** Null when the Date header is missing or unparsable. */
  date: Date | null;
  /** Plain text body (derived from the HTML when the mail has only HTML). */
  text: string;
  /** RAW, UNSAFE html of the mail, or null. Sanitise with `toMatrixHtml` before showing it. */
  html: string | null;
  attachments: MailAttachment[];
  truncated: { parts: boolean; attachments: boolean };
  /** Bilingual ("deutsch / english") notes about everything that was repaired or dropped. */
  warnings: string[];
}

/** Resource limits for parsing one message. */
export interface MailLimits {
  /** Most MIME parts read; the rest of the message is dropped with a warning. */
  maxParts: number;
  /** Largest single attachment kept (bytes); larger ones are dropped with a warning. */
  maxAttachmentBytes: number;
  /** Largest sum of kept attachments (bytes); attachments past it are dropped with a warning. */
  maxTotalAttachmentBytes: number;
}

/** Default limits: 1000 parts, 25 MiB per attachment, 50 MiB for all attachments together. */
export const DEFAULT_MAIL_LIMITS: Readonly<MailLimits> = Object.freeze({
  maxParts: 1000,
  maxAttachmentBytes: 25 * 1024 * 1024,
  maxTotalAttachmentBytes: 50 * 1024 * 1024,
});

/** Thrown by `parseMail` only when a message cannot be read at all. */
export class MailParseError extends Error {
  /** Why, for display (German and English). */
  readonly reason: BilingualText;

  constructor(reason: BilingualText, options?: { cause?: unknown }) {
    super(bilingual(reason), options);
    this.name = "MailParseError";
    this.reason = reason;
  }
}

const MAX_WARNINGS = 50;
const MAX_REFERENCES = 100;
const MAX_ADDRESSES = 500;
/** HTML parts longer than this are not converted to text by mailparser (html-to-text is slow on huge input). */
const MAX_HTML_TO_TEXT = 2_000_000;
const PARTIAL_PARSE_TIMEOUT_MS = 10_000;
const PARTIAL_PARSE_CHUNK = 4096;

/** Collects bilingual warnings, bounded in number. */
class Warnings {
  readonly list: string[] = [];
  private dropped = 0;

  add(de: string, en: string): void {
    if (this.list.length < MAX_WARNINGS) this.list.push(bilingual({ de, en }));
    else this.dropped++;
  }

  result(): string[] {
    if (this.dropped === 0) return this.list;
    return [...this.list, bilingual({ de: `${this.dropped} weitere Warnungen ausgelassen`, en: `${this.dropped} more warnings omitted` })];
  }
}

/** The fields of a mailparser result this module reads, from simpleParser or the streaming fallback. */
interface LowLevelResult {
  headers: Headers;
  headerLines: HeaderLines;
  text: string | undefined;
  html: string | undefined;
  textConversionError: Error | undefined;
  attachments: LowLevelAttachment[];
}

interface LowLevelAttachment {
  content: Buffer;
  contentType: string;
  filename?: string;
  contentDisposition?: string;
  contentId?: string;
  cid?: string;
  related?: boolean;
}

function parserOptions(limits: MailLimits): SimpleParserOptions {
  return {
    skipTextToHtml: true, // no generated HTML from text parts: `html` is only what the sender wrote
    skipTextLinks: true,
    skipImageLinks: true, // keep cid: links (resolved to mxc:// later), never inline data: URLs
    keepCidLinks: true,
    keepDeliveryStatus: true, // delivery reports stay attachments for dsn.ts
    ignoreEmbedded: true, // message/rfc822 stays an attachment, never parsed recursively
    checksumAlgo: false,
    maxChildNodes: Math.max(1, Math.floor(limits.maxParts)),
    maxHtmlLengthToParse: MAX_HTML_TO_TEXT,
  };
}

function isTooManyParts(err: unknown): boolean {
  return err instanceof Error && /child nodes/i.test(err.message);
}

/**
 * Streaming fallback used after simpleParser failed (too many parts, oversized part header):
 * collects whatever the parser produced before the error. Never rejects.
 */
function parsePartially(raw: Buffer, options: SimpleParserOptions): Promise<Partial<LowLevelResult>> {
  return new Promise((resolve) => {
    const parser = new MailParser(options);
    const out: Partial<LowLevelResult> & { attachments: LowLevelAttachment[] } = { attachments: [] };
    let settled = false;
    const takeText = (t: MessageText): void => {
      out.text = t.text;
      out.html = t.html;
      out.textConversionError = t.textConversionError;
    };
    const finish = (failed: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (failed && out.text === undefined && out.html === undefined) {
        // The text of the parts read before the error; mailparser only assembles it at the end.
        const internal = parser as unknown as { getTextContent?: () => MessageText };
        try {
          if (typeof internal.getTextContent === "function") takeText(internal.getTextContent.call(parser));
        } catch {
          // best effort only
        }
      }
      if (out.headers === undefined && parser.headers) out.headers = parser.headers;
      if (out.headerLines === undefined && parser.headerLines) out.headerLines = parser.headerLines;
      parser.removeAllListeners("data");
      parser.on("error", () => undefined);
      parser.destroy();
      resolve(out);
    };
    parser.on("headers", (headers: Headers) => {
      out.headers = headers;
    });
    parser.on("data", (data: AttachmentStream | MessageText) => {
      if (data.type === "text") {
        takeText(data);
        return;
      }
      const chunks: Buffer[] = [];
      data.content.on("data", (chunk: Buffer) => chunks.push(chunk));
      data.content.on("end", () => {
        const { content: _stream, release, ...meta } = data;
        out.attachments.push({ ...meta, content: Buffer.concat(chunks) });
        release?.();
      });
      data.content.on("error", () => data.release?.());
    });
    parser.on("error", () => finish(true));
    parser.on("end", () => finish(false));
    // Safety net: never wait for a stalled stream longer than this.
    const timer = setTimeout(() => finish(true), PARTIAL_PARSE_TIMEOUT_MS);
    timer.unref();
    // Small writes with backpressure keep the splitter close to the parser, so that when the
    // splitter fails (part limit) the parts before the failure have been processed already.
    let offset = 0;
    const pump = (): void => {
      while (!settled && offset < raw.length) {
        const chunk = raw.subarray(offset, offset + PARTIAL_PARSE_CHUNK);
        offset += chunk.length;
        if (!parser.write(chunk)) {
          parser.once("drain", pump);
          return;
        }
      }
      if (!settled) parser.end();
    };
    pump();
  });
}

/** Reads the unfolded raw value (a binary string, one char per byte) of the first header `key`. */
function rawHeader(lines: HeaderLines, key: string): string | null {
  const line = lines.find((l) => l.key === key)?.line;
  if (line === undefined) return null;
  const colon = line.indexOf(":");
  return (colon < 0 ? "" : line.slice(colon + 1)).replace(/\r?\n[ \t]/g, " ").trim();
}

/**
 * Re-reads a raw header that contains 8-bit bytes which are not valid UTF-8 as Windows-1252 (the
 * usual legacy encoding of unencoded German headers). Returns null when there is nothing to repair.
 */
function decodeLegacyHeader(value: string | null): string | null {
  if (value === null || !/[\x80-\xff]/.test(value) || value.includes("=?")) return null;
  const bytes = Buffer.from(value, "latin1");
  if (isUtf8(bytes)) return null;
  return new TextDecoder("windows-1252").decode(bytes);
}

function isAddressObject(v: unknown): v is AddressObject {
  return typeof v === "object" && v !== null && Array.isArray((v as { value?: unknown }).value);
}

/** Flattens address header values (one object, several objects, groups) into cleaned mailboxes. */
function addresses(value: HeaderValue | undefined): MailAddress[] {
  const objects = (Array.isArray(value) ? value : [value]).filter(isAddressObject);
  const out: MailAddress[] = [];
  const visit = (list: EmailAddress[]): void => {
    for (const entry of list) {
      if (out.length >= MAX_ADDRESSES) return;
      if (Array.isArray(entry.group)) {
        visit(entry.group);
        continue;
      }
      const address = cleanLine(entry.address, 320);
      if (!address || /\s/.test(address)) continue;
      out.push({ address, name: cleanLine(entry.name, 200) });
    }
  };
  for (const o of objects) visit(o.value);
  return out;
}

function headerString(headers: Headers, key: string): string | undefined {
  const v = headers.get(key);
  if (typeof v === "string") return v;
  if (Array.isArray(v) && typeof v[0] === "string") return v[0];
  return undefined;
}

function referencesOf(headers: Headers): string[] {
  const v = headers.get("references");
  const tokens = (Array.isArray(v) ? v : [v]).filter((t): t is string => typeof t === "string");
  const seen = new Set<string>();
  const ids: string[] = [];
  for (const token of tokens) {
    for (const piece of token.split(/(?<=>)|\s+/)) {
      const id = normaliseMessageId(piece);
      if (id && !seen.has(id.toLowerCase())) {
        seen.add(id.toLowerCase());
        ids.push(id);
      }
    }
  }
  // Keep the thread root (first) and the most recent ancestors (last).
  return ids.length > MAX_REFERENCES ? [ids[0] as string, ...ids.slice(ids.length - (MAX_REFERENCES - 1))] : ids;
}

function dateOf(lines: HeaderLines, warnings: Warnings): Date | null {
  const raw = rawHeader(lines, "date");
  if (raw === null) return null;
  const date = new Date(cleanLine(raw, 200));
  if (Number.isNaN(date.getTime())) {
    warnings.add("Datum unlesbar", "unreadable date");
    return null;
  }
  return date;
}

function charsetWarning(headers: Headers, warnings: Warnings): void {
  const ct = headers.get("content-type") as { params?: Record<string, unknown> } | undefined;
  const charset = typeof ct === "object" && ct !== null && typeof ct.params?.charset === "string" ? ct.params.charset : undefined;
  if (!charset) return;
  try {
    new TextDecoder(charset.trim());
  } catch {
    const name = cleanLine(charset, 40);
    warnings.add(`Unbekannter Zeichensatz „${name}“, Text als UTF-8 gelesen`, `unknown charset "${name}", text read as UTF-8`);
  }
}

function contentIdOf(a: LowLevelAttachment): string | null {
  const id = cleanLine(a.cid ?? a.contentId ?? "", 250).replace(/^<|>$/g, "").trim();
  return id || null;
}

function build(raw: Buffer, r: LowLevelResult, limits: MailLimits, warnings: Warnings, partsTruncated: boolean): ParsedMail {
  const { headers, headerLines } = r;

  let messageId = normaliseMessageId(headerString(headers, "message-id"));
  if (!messageId) {
    messageId = `<sha256.${createHash("sha256").update(raw).digest("hex")}@schulhof.invalid>`;
    warnings.add("Message-ID fehlt, eine Ersatz-ID wurde erzeugt", "Message-ID missing, a substitute id was generated");
  }

  let subject = headerString(headers, "subject") ?? "";
  if (subject.includes("\uFFFD")) {
    const legacy = decodeLegacyHeader(rawHeader(headerLines, "subject"));
    if (legacy !== null) {
      subject = legacy;
      warnings.add("Unkodierter Betreff als Windows-1252 gelesen", "unencoded subject read as Windows-1252");
    }
  }
  subject = cleanLine(subject, 998);

  let from = addresses(headers.get("from"))[0] ?? null;
  if (from?.name.includes("\uFFFD")) {
    const legacy = decodeLegacyHeader(rawHeader(headerLines, "from"));
    const repaired = legacy === null ? undefined : addresses(parseAddressHeader(legacy))[0];
    if (repaired) {
      from = repaired;
      warnings.add("Unkodierter Absendername als Windows-1252 gelesen", "unencoded sender name read as Windows-1252");
    }
  }

  charsetWarning(headers, warnings);

  const html = typeof r.html === "string" && r.html.trim() ? r.html : null;
  let text = cleanText(r.text ?? "");
  if (r.textConversionError) {
    warnings.add("HTML konnte nicht in Text umgewandelt werden", "HTML could not be converted to text");
  }
  if (!text.trim() && html !== null) text = cleanText(htmlToText(html));
  if (text.includes("\uFFFD") || subject.includes("\uFFFD")) {
    warnings.add(
      "Ungültige oder unbekannte Zeichenkodierung, einzelne Zeichen ersetzt",
      "invalid or unknown character encoding, some characters replaced",
    );
  }

  const attachments: MailAttachment[] = [];
  let total = 0;
  let attachmentsTruncated = false;
  for (const a of r.attachments) {
    const content = Buffer.isBuffer(a.content) ? a.content : Buffer.alloc(0);
    const size = content.length;
    const filename = sanitizeFilename(a.filename);
    if (size > limits.maxAttachmentBytes || total + size > limits.maxTotalAttachmentBytes) {
      attachmentsTruncated = true;
      const which = size > limits.maxAttachmentBytes ? ["ist zu groß", "is too large"] : ["überschreitet die Gesamtgröße", "exceeds the total size limit"];
      warnings.add(
        `Anhang „${filename}“ (${size} Bytes) ${which[0]} und wurde entfernt`,
        `attachment "${filename}" (${size} bytes) ${which[1]} and was dropped`,
      );
      continue;
    }
    total += size;
    attachments.push({
      filename,
      contentType: cleanContentType(a.contentType),
      size,
      contentId: contentIdOf(a),
      inline: a.contentDisposition === "inline" || a.related === true,
      content,
    });
  }

  if (partsTruncated) {
    warnings.add(
      `Nachricht hat mehr als ${limits.maxParts} MIME-Teile, der Rest wurde verworfen`,
      `message has more than ${limits.maxParts} MIME parts, the rest was dropped`,
    );
  }

  return {
    messageId,
    inReplyTo: normaliseMessageId(headerString(headers, "in-reply-to")),
    references: referencesOf(headers),
    subject,
    from,
    to: addresses(headers.get("to")),
    cc: addresses(headers.get("cc")),
    replyTo: addresses(headers.get("reply-to")),
    date: dateOf(headerLines, warnings),
    text,
    html,
    attachments,
    truncated: { parts: partsTruncated, attachments: attachmentsTruncated },
    warnings: warnings.result(),
  };
}

function resolveLimits(limits: Partial<MailLimits> | undefined): MailLimits {
  const pick = (v: number | undefined, d: number): number => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : d);
  return {
    maxParts: Math.max(1, pick(limits?.maxParts, DEFAULT_MAIL_LIMITS.maxParts)),
    maxAttachmentBytes: pick(limits?.maxAttachmentBytes, DEFAULT_MAIL_LIMITS.maxAttachmentBytes),
    maxTotalAttachmentBytes: pick(limits?.maxTotalAttachmentBytes, DEFAULT_MAIL_LIMITS.maxTotalAttachmentBytes),
  };
}

/**
 * Parses a raw RFC 5322 message. Malformed MIME, raw 8-bit headers and unknown charsets yield the
 * best reading plus `warnings`; parts past `maxParts` and attachments past the size limits are
 * dropped with a warning. Limits not given default to `DEFAULT_MAIL_LIMITS`.
 * Nested message/rfc822 parts and archives stay opaque attachments.
 * @throws MailParseError only when nothing usable can be read from the message.
 */
export async function parseMail(raw: Buffer, limits: Partial<MailLimits> = DEFAULT_MAIL_LIMITS): Promise<ParsedMail> {
  if (!Buffer.isBuffer(raw)) {
    throw new MailParseError({ de: "Keine Nachrichtendaten", en: "no message data" });
  }
  const lim = resolveLimits(limits);
  const options = parserOptions(lim);
  const warnings = new Warnings();
  let result: LowLevelResult;
  let partsTruncated = false;
  try {
    const m = await simpleParser(raw, options);
    result = {
      headers: m.headers,
      headerLines: m.headerLines,
      text: m.text,
      html: typeof m.html === "string" ? m.html : undefined,
      textConversionError: m.textConversionError,
      attachments: m.attachments,
    };
  } catch (err) {
    const partial = await parsePartially(raw, options);
    if (!partial.headers) {
      throw new MailParseError({ de: "Nachricht ist nicht lesbar", en: "message is unreadable" }, { cause: err });
    }
    if (isTooManyParts(err)) {
      partsTruncated = true;
    } else {
      const detail = truncateCodePoints(cleanLine(err instanceof Error ? err.message : String(err)), 200);
      warnings.add(`Nachricht nur teilweise lesbar (${detail})`, `message only partly readable (${detail})`);
    }
    result = {
      headers: partial.headers,
      headerLines: partial.headerLines ?? [],
      text: partial.text,
      html: partial.html,
      textConversionError: partial.textConversionError,
      attachments: partial.attachments ?? [],
    };
  }
  try {
    return build(raw, result, lim, warnings, partsTruncated);
  } catch (err) {
    throw new MailParseError({ de: "Nachricht ist nicht lesbar", en: "message is unreadable" }, { cause: err });
  }
}
