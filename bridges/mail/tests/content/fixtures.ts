// Builders for raw test messages (CRLF line endings), shared by the content tests.

/** Joins header lines and a body into a raw message with CRLF line endings (latin1 = byte-exact). */
export function rawMail(headers: string[], body: string, encoding: BufferEncoding = "utf8"): Buffer {
  return Buffer.from(`${headers.join("\r\n")}\r\n\r\n${body.replace(/\r?\n/g, "\r\n")}`, encoding);
}

/** A multipart body from [headers, content] pairs, with the closing delimiter unless `close` is false. */
export function multipart(boundary: string, parts: Array<[string[], string]>, close = true): string {
  const out = parts.map(([h, c]) => `--${boundary}\r\n${h.join("\r\n")}\r\n\r\n${c}\r\n`).join("");
  return close ? `${out}--${boundary}--\r\n` : out;
}

/** Standard top-level headers of a test mail. */
export function baseHeaders(extra: string[] = []): string[] {
  return [
    "From: Frau Müller <mueller@schule.example>",
    "To: Klasse 5a <klasse5a@schulhof.example>",
    "Subject: Test",
    "Date: Tue, 03 Mar 2026 10:15:00 +0100",
    "Message-ID: <test-1@schule.example>",
    "MIME-Version: 1.0",
    ...extra,
  ];
}
