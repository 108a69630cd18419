/**
 * Texts for the person who sent a mail from Matrix: what became of it (sent, rejected, expired,
 * bounced), in German or English. Server answers are included as one cleaned line.
 */
import type { BounceInfo, BounceRecipient } from "../content/dsn.ts";
import { cleanLine } from "../content/util.ts";
import type { OutboundOutcome, RefusedRecipient } from "./sender.ts";

/** Language of a text. */
export type Lang = "de" | "en";

const MAX_LISTED = 10;

function refusedList(list: RefusedRecipient[]): string {
  const shown = list.slice(0, MAX_LISTED).map((r) => (r.response ? `${r.address} (${cleanLine(r.response, 200)})` : r.address));
  return shown.join(", ") + (list.length > MAX_LISTED ? ", …" : "");
}

/** The notice text for an outbound outcome, German (`de`) or English (`en`). */
export function outcomeText(outcome: OutboundOutcome, lang: Lang): string {
  switch (outcome.kind) {
    case "sent": {
      const base = lang === "de" ? "Die E-Mail wurde versendet." : "The email was sent.";
      if (outcome.refused.length === 0) return base;
      const list = refusedList(outcome.refused);
      return lang === "de" ? `${base} Nicht angenommen wurde sie für: ${list}` : `${base} It was not accepted for: ${list}`;
    }
    case "rejected": {
      const response = cleanLine(outcome.response, 300);
      if (outcome.code === 0) {
        return lang === "de" ? `Die E-Mail konnte nicht versendet werden: ${response}` : `The email could not be sent: ${response}`;
      }
      return lang === "de"
        ? `Die E-Mail wurde vom Mailserver abgelehnt (${outcome.code}): ${response}`
        : `The email was rejected by the mail server (${outcome.code}): ${response}`;
    }
    case "expired": {
      const error = cleanLine(outcome.lastError, 300);
      return lang === "de"
        ? `Die E-Mail konnte über längere Zeit nicht zugestellt werden und wurde aufgegeben. Letzter Fehler: ${error}`
        : `The email could not be delivered for a long time and was given up. Last error: ${error}`;
    }
  }
}

/** The recipients of a DSN that failed for good (action "failed" or a 5.x.x status). */
export function failedRecipients(info: BounceInfo): BounceRecipient[] {
  return info.recipients.filter((r) => r.action === "failed" || r.status.startsWith("5."));
}

/** The notice text for a bounce (DSN) of an outbound mail, German (`de`) or English (`en`). */
export function bounceText(info: BounceInfo, lang: Lang): string {
  const failed = failedRecipients(info);
  const list =
    failed
      .slice(0, MAX_LISTED)
      .map((r) => {
        const detail = [r.status, r.diagnostic === null ? "" : cleanLine(r.diagnostic, 200)].filter(Boolean).join(" ");
        return detail ? `${r.address} (${detail})` : r.address;
      })
      .join(", ") + (failed.length > MAX_LISTED ? ", …" : "");
  if (!list) return lang === "de" ? "Die E-Mail konnte nicht zugestellt werden." : "The email could not be delivered.";
  return lang === "de" ? `Die E-Mail konnte nicht zugestellt werden an: ${list}` : `The email could not be delivered to: ${list}`;
}
