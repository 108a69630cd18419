/**
 * Conversion of a parsed inbound mail into the content of an `m.room.message` (`m.text`) event:
 * plain `body`, sanitised `formatted_body` (`org.matrix.custom.html`) and the mail metadata under
 * the namespaced key `de.schulhof.mail`. Everything taken from the mail is escaped or sanitised.
 */
import type { ParsedMail, MailAddress } from "./parse.ts";
import { DEFAULT_MAX_HTML_LENGTH, toMatrixHtml } from "./sanitize.ts";
import { bilingual, escapeHtml, truncateCodePoints } from "./util.ts";

/** Result of the DMARC check of the inbound mail (from the SMTP side of the bridge). */
export type DmarcResult = "pass" | "fail" | "none" | "unknown";

/** Options for `toMatrixMessage`. */
export interface MatrixMessageOptions {
  /** Language of the labels ("Betreff" / "Subject"); warnings are always bilingual. */
  lang: "de" | "en";
  /** Content-ID (without angle brackets) → mxc:// URL of the already uploaded inline parts. */
  cidMap: Record<string, string>;
  dmarc: DmarcResult;
  /** Longest plain-text body part in characters (default 16000). */
  maxBodyChars?: number;
  /** Upper bound for the serialised content in UTF-8 bytes (default 40000, leaves room for E2EE overhead). */
  maxContentBytes?: number;
}

/** Key of the mail metadata object in the event content. */
export const MAIL_CONTENT_KEY = "de.schulhof.mail";

/** The metadata stored under `de.schulhof.mail`. */
export interface MailContentMeta {
  message_id: string;
  in_reply_to: string | null;
  references: string[];
  subject: string;
  from: MailAddress | null;
  to: MailAddress[];
  cc: MailAddress[];
  /** ISO 8601, or null when the mail had no usable date. */
  date: string | null;
  dmarc: DmarcResult;
}

const DEFAULT_MAX_BODY_CHARS = 16_000;
const DEFAULT_MAX_CONTENT_BYTES = 40_000;

/** Visible warning for mails whose sender domain failed DMARC. */
export const DMARC_FAIL_WARNING = `⚠️ ${bilingual({ de: "Absender nicht bestätigt (DMARC fehlgeschlagen)", en: "sender not verified (DMARC failed)" })}`;

const LABELS = {
  de: { subject: "Betreff", to: "An", cc: "Cc", more: (n: number) => `und ${n} weitere`, noSubject: "(kein Betreff)", noText: "(kein Text)", truncated: "[…] gekürzt" },
  en: { subject: "Subject", to: "To", cc: "Cc", more: (n: number) => `and ${n} more`, noSubject: "(no subject)", noText: "(no text)", truncated: "[…] truncated" },
} as const;

/** Recipients named in the visible text at most; the rest are counted. */
const SHOWN_RECIPIENTS = 10;

/** `Name <address>, address, … und 3 weitere`: who else a mail went to, as a plain client shows it. */
function recipientList(list: readonly MailAddress[], more: (n: number) => string): string {
  const shown = list.slice(0, SHOWN_RECIPIENTS).map((a) => (a.name.trim() === "" ? a.address : `${a.name.trim()} <${a.address}>`));
  if (list.length > SHOWN_RECIPIENTS) shown.push(more(list.length - SHOWN_RECIPIENTS));
  return shown.join(", ");
}

const DMARC_VALUES: readonly DmarcResult[] = ["pass", "fail", "none", "unknown"];

interface Budget {
  bodyChars: number;
  htmlChars: number;
  listItems: number;
}

function cutText(text: string, max: number, note: string): string {
  if (text.length <= max) return text;
  return `${truncateCodePoints(text, Math.max(0, max)).trimEnd()}\n\n${note}`;
}

function build(mail: ParsedMail, opts: MatrixMessageOptions, dmarc: DmarcResult, budget: Budget): Record<string, unknown> {
  const l = LABELS[opts.lang === "en" ? "en" : "de"];
  const subject = mail.subject || l.noSubject;
  const text = cutText(mail.text.trim(), budget.bodyChars, l.truncated);
  const warning = dmarc === "fail" ? DMARC_FAIL_WARNING : null;

  // A mail to several people names them (To, Cc), so a reader in any client knows who else has it.
  const recipients: string[] = [];
  if (mail.to.length + mail.cc.length > 1) {
    if (mail.to.length > 0) recipients.push(`${l.to}: ${recipientList(mail.to, l.more)}`);
    if (mail.cc.length > 0) recipients.push(`${l.cc}: ${recipientList(mail.cc, l.more)}`);
  }
  const bodyLines: string[] = [];
  if (warning) bodyLines.push(warning);
  bodyLines.push(`${l.subject}: ${subject}`, ...recipients, "", text || l.noText);

  let htmlBody = mail.html !== null ? toMatrixHtml(mail.html, { cidMap: opts.cidMap, maxLength: budget.htmlChars }) : "";
  if (!htmlBody.replace(/<[^>]*>/g, "").trim() && !htmlBody.includes("<img")) {
    htmlBody = escapeHtml(text || l.noText).replace(/\n/g, "<br>");
  }
  const formatted: string[] = [];
  if (warning) formatted.push(`<p><strong>${escapeHtml(warning)}</strong></p>`);
  formatted.push(`<p><strong>${escapeHtml(l.subject)}: ${escapeHtml(subject)}</strong></p>`);
  if (recipients.length > 0) formatted.push(`<p>${recipients.map(escapeHtml).join("<br>")}</p>`);
  formatted.push(htmlBody);

  const refs = mail.references;
  const meta: MailContentMeta = {
    message_id: mail.messageId,
    in_reply_to: mail.inReplyTo,
    references: refs.length > budget.listItems ? [...refs.slice(0, 1), ...refs.slice(refs.length - budget.listItems + 1)] : refs,
    subject: mail.subject,
    from: mail.from,
    to: mail.to.slice(0, budget.listItems),
    cc: mail.cc.slice(0, budget.listItems),
    date: mail.date && !Number.isNaN(mail.date.getTime()) ? mail.date.toISOString() : null,
    dmarc,
  };

  return {
    msgtype: "m.text",
    body: bodyLines.join("\n"),
    format: "org.matrix.custom.html",
    formatted_body: formatted.join("\n"),
    [MAIL_CONTENT_KEY]: meta,
  };
}

/**
 * Builds the `m.room.message` content (`m.text`) for an inbound mail: `body` starts with the DMARC
 * warning (only when DMARC failed) and "Betreff: …"/"Subject: …", then "An: …"/"Cc: …" when the mail
 * went to more than one address, followed by the text;
 * `formatted_body` holds the escaped subject in <strong> and the sanitised HTML (inline `cid:`
 * images via `cidMap`) or the escaped text. Bodies are shortened until the serialised content fits
 * `maxContentBytes`. Attachments are not part of this event (send them as separate m.file events).
 */
export function toMatrixMessage(mail: ParsedMail, opts: MatrixMessageOptions): { content: Record<string, unknown> } {
  const dmarc: DmarcResult = DMARC_VALUES.includes(opts.dmarc) ? opts.dmarc : "unknown";
  const maxBytes = opts.maxContentBytes ?? DEFAULT_MAX_CONTENT_BYTES;
  const budget: Budget = {
    bodyChars: Math.max(0, opts.maxBodyChars ?? DEFAULT_MAX_BODY_CHARS),
    htmlChars: DEFAULT_MAX_HTML_LENGTH,
    listItems: 100,
  };
  let content = build(mail, opts, dmarc, budget);
  for (let attempt = 0; attempt < 12 && Buffer.byteLength(JSON.stringify(content)) > maxBytes; attempt++) {
    budget.listItems = Math.max(5, Math.floor(budget.listItems / 2));
    budget.bodyChars = Math.floor(budget.bodyChars / 2);
    budget.htmlChars = Math.floor(budget.htmlChars / 2);
    content = build(mail, opts, dmarc, budget);
  }
  return { content };
}
