// Pure helpers for mail text: the bridge's header lines removed, quoted parts found, addresses checked, sizes shown.

/** One stretch of a plain-text mail: the writer's own text, or text quoted from an earlier mail. */
export interface TextPart {
  quoted: boolean;
  text: string;
}

/** The bridge starts each mail's `body` with an optional DMARC warning line and "Betreff: …" / "Subject: …". */
const SUBJECT_LINE = /^(Betreff|Subject): .*$/;
const WARNING_LINE = /^⚠️/;
/** After the subject, a mail to several people names them: "An: …", "To: …", "Cc: …" (the page shows them itself). */
const RECIPIENT_LINE = /^(An|To|Cc): .*$/;

/**
 * The mail's text without the lines the bridge put in front (warning, subject, recipients and the blank line after
 * them). Text that does not start that way is answered unchanged.
 */
export function mailBodyText(body: string): string {
  const lines = body.split("\n");
  let i = 0;
  if (lines[i] !== undefined && WARNING_LINE.test(lines[i]!)) i++;
  if (lines[i] === undefined || !SUBJECT_LINE.test(lines[i]!)) return body;
  i++;
  while (lines[i] !== undefined && RECIPIENT_LINE.test(lines[i]!)) i++;
  if (lines[i] === "") i++;
  return lines.slice(i).join("\n");
}

/** "Am 3. März schrieb Erna:" / "On Tue, … wrote:": the line that introduces a quote. */
const QUOTE_INTRO = /^(Am|On) .{3,200}(schrieb|wrote)( .{0,80})?:\s*$/;

/**
 * Splits a plain-text mail into the writer's text and quoted parts: runs of lines starting with `>`, together with
 * an introducing line ("Am … schrieb …:") right before them. The parts joined with "\n" give the text back.
 */
export function splitQuoted(text: string): TextPart[] {
  const lines = text.split("\n");
  const parts: TextPart[] = [];
  const push = (quoted: boolean, line: string): void => {
    const last = parts.at(-1);
    if (last !== undefined && last.quoted === quoted) last.text += `\n${line}`;
    else parts.push({ quoted, text: line });
  };
  for (const [i, line] of lines.entries()) {
    const isQuote = line.startsWith(">");
    const introducesQuote = !isQuote && QUOTE_INTRO.test(line) && lines.slice(i + 1).find((l) => l.trim() !== "")?.startsWith(">") === true;
    push(isQuote || introducesQuote || (line.trim() === "" && parts.at(-1)?.quoted === true && lines[i + 1]?.startsWith(">") === true), line);
  }
  return parts;
}

/**
 * Whether `value` is one plain mail address as the bridge accepts it (`name@domain.tld`, ASCII, no spaces or display
 * name). The server checks again; this only catches typing mistakes early.
 */
export function looksLikeAddress(value: string): boolean {
  const v = value.trim();
  if (v.length < 3 || v.length > 254) return false;
  return /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/.test(v);
}

/** A file size for people: "820 B", "14 kB", "3,2 MB" in the given language. */
export function formatBytes(bytes: number, locale: string): string {
  const units = ["byte", "kilobyte", "megabyte", "gigabyte"] as const;
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return new Intl.NumberFormat(locale, { style: "unit", unit: units[unit], unitDisplay: "short", maximumFractionDigits: value < 10 && unit > 0 ? 1 : 0 }).format(value);
}

/**
 * A size limit of the bridge in megabytes as the school configures it (`max_message_mb`, 1 MB = 1,048,576 bytes), so
 * the number matches what the bridge's refusals say.
 */
export function formatLimit(bytes: number, locale: string): string {
  return new Intl.NumberFormat(locale, { style: "unit", unit: "megabyte", unitDisplay: "short", maximumFractionDigits: 1 }).format(Math.max(0, bytes) / 1_048_576);
}

/** A short preview of a mail text: the first non-quoted words, at most `max` characters, on one line. */
export function previewOf(text: string, max = 120): string {
  const own = splitQuoted(mailBodyText(text))
    .filter((p) => !p.quoted)
    .map((p) => p.text)
    .join(" ");
  const line = own.replace(/\s+/g, " ").trim();
  return line.length <= max ? line : `${line.slice(0, max - 1).trimEnd()}…`;
}

/** When a mail came or went: the time for today, else date and time, in the given language. */
export function formatWhen(ts: number, locale: string, now: Date = new Date()): string {
  const d = new Date(ts);
  const sameDay = d.getFullYear() === now.getFullYear() && d.getMonth() === now.getMonth() && d.getDate() === now.getDate();
  return new Intl.DateTimeFormat(locale, sameDay ? { timeStyle: "short" } : { dateStyle: "medium", timeStyle: "short" }).format(d);
}
