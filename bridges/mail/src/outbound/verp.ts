/**
 * VERP bounce addresses for outbound mail: the envelope sender of each message is
 * `bounce+<outbound id>-<hmac8>@<domain>`, so a bounce (DSN) that comes back names the outbound
 * row it belongs to. The 8 hex digits are a truncated HMAC-SHA256 of id and domain under a secret
 * known only to the bridge, so nobody can forge a bounce for another message (a guess succeeds
 * with probability 2^-32 per attempt, and every attempt is a mail).
 */
import { createHmac, timingSafeEqual } from "node:crypto";

const LOCAL_PART = /^bounce\+([1-9][0-9]{0,15})-([0-9a-f]{8})$/i;

function tag(outboundId: number, domain: string, secret: string): string {
  return createHmac("sha256", secret).update(`${outboundId}@${domain.toLowerCase()}`).digest("hex").slice(0, 8);
}

function checkArgs(domain: string, secret: string): void {
  if (typeof secret !== "string" || secret.length === 0) throw new TypeError("VERP secret must not be empty");
  if (typeof domain !== "string" || !/^[A-Za-z0-9.-]{1,253}$/.test(domain)) throw new TypeError(`invalid VERP domain ${JSON.stringify(domain)}`);
}

/**
 * The envelope sender (bounce address) of outbound row `outboundId`:
 * `bounce+<id>-<hmac8>@<domain>` (domain lowercase).
 * @throws TypeError for an id that is not a positive safe integer, an empty secret or a bad domain.
 */
export function bounceAddress(outboundId: number, domain: string, secret: string): string {
  if (!Number.isSafeInteger(outboundId) || outboundId < 1) throw new TypeError(`invalid outbound id ${outboundId}`);
  checkArgs(domain, secret);
  return `bounce+${outboundId}-${tag(outboundId, domain, secret)}@${domain.toLowerCase()}`;
}

/**
 * The outbound id named by a VERP bounce address (as received in RCPT TO, angle brackets allowed),
 * or null when the address is not a bounce address of `domain` or its HMAC does not match.
 * Local part and domain are compared case-insensitively.
 */
export function parseBounceAddress(rcpt: string, domain: string, secret: string): number | null {
  if (typeof rcpt !== "string") return null;
  checkArgs(domain, secret);
  const address = rcpt.trim().replace(/^<(.*)>$/, "$1");
  const at = address.lastIndexOf("@");
  if (at < 1 || address.slice(at + 1).toLowerCase() !== domain.toLowerCase()) return null;
  const m = LOCAL_PART.exec(address.slice(0, at));
  if (!m?.[1] || !m[2]) return null;
  const id = Number(m[1]);
  if (!Number.isSafeInteger(id)) return null;
  const expected = Buffer.from(tag(id, domain, secret), "utf8");
  const given = Buffer.from(m[2].toLowerCase(), "utf8");
  return expected.length === given.length && timingSafeEqual(expected, given) ? id : null;
}
