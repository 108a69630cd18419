/**
 * Conversation threading for mails. A conversation is identified by the set of Message-IDs of its
 * mails: the bridge stores every known id of a conversation (own Message-ID, In-Reply-To and
 * References of each mail) and looks a new mail up by ANY of its `threadKeys` — the first stored
 * match wins. Subjects are never used for matching (too ambiguous), only for display.
 */
import type { ParsedMail } from "./parse.ts";
import { cleanLine, normaliseMessageId } from "./util.ts";

/** Normalises a Message-ID for lookups: `<id>`, trimmed, lowercase; null if unusable. */
export function threadKey(id: string | null | undefined): string | null {
  return normaliseMessageId(id ?? "")?.toLowerCase() ?? null;
}

/**
 * All lookup keys of a mail, deduplicated, in this order: its own Message-ID, In-Reply-To, then
 * References (oldest first, as in the header). Each is normalised with `threadKey`.
 */
export function threadKeys(mail: Pick<ParsedMail, "messageId" | "inReplyTo" | "references">): string[] {
  const keys: string[] = [];
  for (const id of [mail.messageId, mail.inReplyTo, ...mail.references]) {
    const key = threadKey(id);
    if (key && !keys.includes(key)) keys.push(key);
  }
  return keys;
}

// One leading "[list tag]" or reply/forward marker (Re:, AW:, Fwd:, WG:, Antw:, Re[2]:, RE :, ...).
const PREFIX = /^\s*(?:\[[^\]]{0,100}\]|(?:re|aw|antw|antwort|fw|fwd|wg|wtrlt)\s*(?:\[\d{1,4}\]|\(\d{1,4}\))?\s*[:：])\s*/iu;

/**
 * Subject for display without reply/forward prefixes and list tags, repeated and in any case:
 * "[klasse-5a] AW: Re: WG: Ausflug" → "Ausflug". Control characters are removed. Returns the
 * cleaned original when stripping would leave nothing.
 */
export function normaliseSubject(subject: string): string {
  let s = cleanLine(subject, 998);
  const original = s;
  for (let i = 0; i < 100; i++) {
    const next = s.replace(PREFIX, "");
    if (next === s) break;
    s = next;
  }
  return s.trim() || original;
}
