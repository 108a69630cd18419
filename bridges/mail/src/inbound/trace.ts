/**
 * Header work of the inbound server on the raw message: the sanity check that DATA starts with a
 * header section, the removal of forged `Authentication-Results` fields that claim to come from
 * this server (RFC 8601 section 5), and the trace fields prepended to the stored message
 * (`Authentication-Results`, `Received-SPF`, `Received`). Byte-exact otherwise: bytes are handled
 * as latin1, which maps every byte to one character and back.
 */

/** A header field name (RFC 5322: printable ASCII except `:`), then optional blanks and `:`. */
const FIELD_START = /^[\x21-\x39\x3b-\x7e]+[ \t]*:/;

/**
 * True when `raw` starts with a header field (`Name: value`). Mail that does not (binary junk,
 * a body without headers) is refused by the server before any other work.
 */
export function hasHeaderSection(raw: Buffer): boolean {
  const head = raw.subarray(0, 1000).toString("latin1");
  return FIELD_START.test(head);
}

/** Offset just after the header section's last line (before the empty line), or the message length. */
function headerEnd(text: string): number {
  const crlf = text.indexOf("\r\n\r\n");
  const lf = text.indexOf("\n\n");
  if (crlf < 0 && lf < 0) return text.length;
  if (crlf < 0) return lf + 1;
  if (lf < 0) return crlf + 2;
  return Math.min(crlf + 2, lf + 1);
}

/** The authserv-id of an Authentication-Results value: its first token, comments and quotes removed. */
function authservIdOf(value: string): string {
  const v = value
    .replace(/\([^()]*\)/g, " ")
    .trim()
    .replace(/^"([^"]*)".*$/s, "$1");
  return (v.split(/[;\s]/)[0] ?? "").toLowerCase();
}

/**
 * Removes every `Authentication-Results` header field whose authserv-id is `hostname`: nobody but
 * this server may write results in its name, so such fields in received mail are forgeries
 * (RFC 8601 section 5). Returns `raw` itself when there is none.
 */
export function stripForgedAuthResults(raw: Buffer, hostname: string): Buffer {
  const id = hostname.toLowerCase();
  // Headers only: the body is never parsed. Limited to the first MiB, a header section is never that big.
  const text = raw.subarray(0, 1024 * 1024).toString("latin1");
  const end = headerEnd(text);
  const lines = text.slice(0, end).match(/[^\n]*\n|[^\n]+$/g) ?? [];
  const kept: string[] = [];
  let dropped = false;
  let dropping = false;
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] ?? "";
    if (/^[ \t]/.test(line) && i > 0) {
      if (!dropping) kept.push(line);
      i++;
      continue;
    }
    // A field: its first line and all continuation lines.
    let field = line;
    let j = i + 1;
    while (j < lines.length && /^[ \t]/.test(lines[j] ?? "")) field += lines[j++];
    const m = /^authentication-results[ \t]*:(.*)$/is.exec(field);
    dropping = m !== null && authservIdOf(m[1] ?? "") === id;
    if (dropping) dropped = true;
    else kept.push(line);
    i++;
  }
  if (!dropped) return raw;
  return Buffer.concat([Buffer.from(kept.join(""), "latin1"), raw.subarray(end)]);
}

/** A value for a trace field: printable ASCII without spaces or parentheses, at most 255 characters. */
function traceToken(value: string): string {
  const clean = value.replace(/[^\x21-\x7e]|[()\\]/g, "?").slice(0, 255);
  return clean === "" ? "unknown" : clean;
}

/** RFC 5322 date-time in UTC, e.g. `Tue, 05 Mar 2024 10:00:00 +0000`. */
export function rfc5322Date(date: Date): string {
  return date.toUTCString().replace(/GMT$/, "+0000");
}

/** What goes into the `Received` field (RFC 5321 section 4.4). */
export interface ReceivedInfo {
  helo: string;
  remoteIp: string;
  hostname: string;
  /** `ESMTP`, `ESMTPS` (TLS), `SMTP`, … */
  protocol: string;
  /** The SMTP session id (random; also in the logs and in the 250 reply). */
  id: string;
  date: Date;
}

/**
 * The `Received` trace field (RFC 5321 section 4.4), CRLF-terminated. It names no recipient (a
 * `for` clause would disclose Bcc recipients to the other recipients).
 */
export function receivedField(info: ReceivedInfo): string {
  const ip = info.remoteIp.includes(":") ? `IPv6:${info.remoteIp}` : info.remoteIp;
  return (
    `Received: from ${traceToken(info.helo)} ([${traceToken(ip)}])\r\n` +
    `\tby ${traceToken(info.hostname)} (Schulhof) with ${traceToken(info.protocol)} id ${traceToken(info.id)};\r\n` +
    `\t${rfc5322Date(info.date)}\r\n`
  );
}

/**
 * The message as stored: mailauth's trace fields (`Authentication-Results`, `Received-SPF`), the
 * `Received` field, then the received message without forged results of this server.
 */
export function withTraceFields(raw: Buffer, authHeaders: string, received: ReceivedInfo): Buffer {
  const auth = authHeaders === "" || authHeaders.endsWith("\r\n") ? authHeaders : `${authHeaders}\r\n`;
  // mailauth's fields may carry UTF-8 addresses (SMTPUTF8); the Received field is ASCII.
  return Buffer.concat([Buffer.from(auth + receivedField(received), "utf8"), stripForgedAuthResults(raw, received.hostname)]);
}
