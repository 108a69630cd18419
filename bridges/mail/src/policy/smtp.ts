// SMTP replies of the policy decisions: the reply type, refusals, and text made safe for an SMTP line.

import type { UserText } from "@schulhof/core";

/** Letters that have a conventional ASCII spelling; case is kept (`Ü` → `Ue`). */
const ASCII_SPELLING: Record<string, string> = {
  ä: "ae", ö: "oe", ü: "ue", Ä: "Ae", Ö: "Oe", Ü: "Ue", ß: "ss", ẞ: "SS",
  æ: "ae", Æ: "Ae", œ: "oe", Œ: "Oe", ø: "o", Ø: "O", ł: "l", Ł: "L", đ: "d", Đ: "D", ı: "i",
  "„": "\"", "“": "\"", "”": "\"", "‚": "'", "‘": "'", "’": "'", "–": "-", "—": "-", "…": "...",
};

/** Longest text `smtpSafe` returns. */
export const SMTP_TEXT_MAX = 200;

/** An SMTP reply: basic code (`550`), enhanced status code (`5.7.1`, RFC 3463) and an English text. */
export interface SmtpReply {
  code: number;
  enhanced: string;
  /** English, printable ASCII, at most 200 characters (see `smtpSafe`). */
  message: string;
}

/**
 * A refused message or recipient: the SMTP reply for the remote server, the text for the person
 * in German and English, and the addresses that caused it (when there are any).
 */
export interface Refusal {
  ok: false;
  smtp: SmtpReply;
  user: UserText;
  addresses?: string[];
}

/** The answer of every policy decision. */
export type Decision = { ok: true } | Refusal;

/**
 * Text that may go into an SMTP reply line: umlauts transliterated (`ü` → `ue`), other accents
 * dropped, line breaks and tabs to spaces, every other character outside printable ASCII to `?`,
 * runs of spaces collapsed, trimmed, and cut to 200 characters (ending in `...` when cut).
 */
export function smtpSafe(text: string): string {
  let spelled = "";
  for (const ch of text.normalize("NFC")) spelled += ASCII_SPELLING[ch] ?? ch;
  const ascii = spelled
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .replace(/[\r\n\t\v\f]+/g, " ")
    .replace(/[^\x20-\x7e]/gu, "?")
    .replace(/ {2,}/g, " ")
    .trim();
  return ascii.length <= SMTP_TEXT_MAX ? ascii : `${ascii.slice(0, SMTP_TEXT_MAX - 3).trimEnd()}...`;
}

/** A refusal with its SMTP text passed through `smtpSafe`. */
export function refusal(code: number, enhanced: string, message: string, user: UserText, addresses?: readonly string[]): Refusal {
  const r: Refusal = { ok: false, smtp: { code, enhanced, message: smtpSafe(message) }, user };
  if (addresses !== undefined) r.addresses = [...addresses];
  return r;
}
