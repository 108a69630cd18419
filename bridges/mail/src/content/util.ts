/**
 * Small string helpers shared by the mail content modules: control character removal,
 * Message-ID normalisation, file name sanitising and HTML escaping. Pure functions only.
 */

/** A user-visible text in both languages of the platform (German first). */
export interface BilingualText {
  de: string;
  en: string;
}

/** Joins a bilingual text into one line, German first: "deutsch / english". */
export function bilingual(text: BilingualText): string {
  return `${text.de} / ${text.en}`;
}

// C0 and C1 control characters plus DEL.
const CONTROL = /\p{Cc}/gu;
// Bidirectional overrides/isolates and marks: they can disguise a name ("gpj.exe" shown as "exe.jpg").
const BIDI = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/gu;

/** Truncates a string to at most `max` code points (never splits a surrogate pair). */
export function truncateCodePoints(value: string, max: number): string {
  if (value.length <= max) return value;
  let out = "";
  let count = 0;
  for (const ch of value) {
    if (count >= max) break;
    out += ch;
    count++;
  }
  return out;
}

/**
 * Turns an untrusted header-like value into one clean line: CR/LF/TAB become spaces, every other
 * control character and bidi override is removed, whitespace is collapsed, the result trimmed and
 * cut to `max` code points.
 */
export function cleanLine(value: unknown, max = 998): string {
  if (typeof value !== "string") return "";
  const line = value
    .replace(/[\r\n\t\f\v]+/g, " ")
    .replace(CONTROL, "")
    .replace(BIDI, "")
    .replace(/\s+/g, " ")
    .trim();
  return truncateCodePoints(line, max);
}

/**
 * Cleans an untrusted multi-line body text: line endings normalised to "\n", control characters
 * other than "\n" and "\t" removed. Bidi characters are kept (they are legitimate in RTL text).
 */
export function cleanText(value: unknown): string {
  if (typeof value !== "string") return "";
  return value.replace(/\r\n?/g, "\n").replace(/[^\P{Cc}\n\t]/gu, "");
}

/** Longest Message-ID (without brackets) that is kept; longer ones are treated as missing. */
const MAX_MESSAGE_ID_LENGTH = 250;

/**
 * Normalises a Message-ID to the form `<id>`: the first bracketed id (or, without brackets, the
 * first token) is taken, control characters are removed. Returns null for anything unusable
 * (empty, whitespace inside, longer than 250 characters). Case is preserved.
 */
export function normaliseMessageId(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const cleaned = value.replace(CONTROL, " ").trim();
  if (!cleaned) return null;
  const bracketed = /<([^<>\s]+)>/.exec(cleaned);
  const id = bracketed?.[1] ?? cleaned.replace(/^<+/, "").split(/[\s<>]/)[0] ?? "";
  if (!id || id.length > MAX_MESSAGE_ID_LENGTH || id.includes('"')) return null;
  return `<${id}>`;
}

/** Default file name for attachments without a usable name. */
export const FALLBACK_FILENAME = "anhang.bin";
const MAX_FILENAME_LENGTH = 200;

/**
 * Makes an untrusted attachment file name safe to store, mail and show, keeping it as close to the
 * original as that allows (docs/mail.md, "File names"): Unicode NFC; control and format characters
 * (bidi overrides, zero-width characters; the emoji joiner U+200D stays) removed; only the last path
 * segment kept (no slash or backslash); whitespace runs become one space; leading dots and spaces and
 * trailing dots and spaces removed (no hidden files, no "..", Windows would drop them anyway);
 * at most 200 code points (a short extension is kept). Every other character stays, punctuation
 * such as `<>:"|?*'` included: nodemailer encodes names in RFC 2231/2047 and mailparser decodes
 * them back unchanged, and clients show names as text. Falls back to "anhang.bin".
 */
export function sanitizeFilename(name: unknown, fallback = FALLBACK_FILENAME): string {
  if (typeof name !== "string") return fallback;
  let s = name.normalize("NFC").replace(/(?!\u200D)[\p{Cc}\p{Cf}]/gu, "");
  s = s.split(/[\\/]/).pop() ?? "";
  s = s
    .replace(/\s+/g, " ")
    .replace(/^[.\s]+/, "")
    .replace(/[.\s]+$/, "");
  if (!s) return fallback;
  if ([...s].length > MAX_FILENAME_LENGTH) {
    const dot = s.lastIndexOf(".");
    const ext = dot > 0 && s.length - dot <= 16 ? s.slice(dot) : "";
    const stem = ext ? s.slice(0, dot) : s;
    s = truncateCodePoints(stem, MAX_FILENAME_LENGTH - [...ext].length).trimEnd() + ext;
  }
  return s;
}

/** Escapes a string for use in HTML text and (double- or single-quoted) attribute values. */
export function escapeHtml(value: string): string {
  return value
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** A MIME type in lowercase if it is syntactically valid, otherwise "application/octet-stream". */
export function cleanContentType(value: unknown): string {
  if (typeof value !== "string") return "application/octet-stream";
  const t = value.trim().toLowerCase();
  return /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/.test(t) ? t : "application/octet-stream";
}
