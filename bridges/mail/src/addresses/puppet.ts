// Matrix users that stand for outside mail senders ("puppets"): `_mail_` plus a readable,
// reversible encoding of the address, e.g. `lena@gmx.de` → `_mail_lena=40gmx.de`.

import { createHash } from "node:crypto";

/** Prefix of every puppet localpart; the appservice registration's user namespace is `@_mail_.*`. */
export const PUPPET_PREFIX = "_mail_";

/** Localpart budget when the server name is not known: leaves 53 characters for `@`, `:` and the server name. */
export const DEFAULT_MAX_PUPPET_LOCALPART = 200;

/** Longest Matrix user id (`@localpart:server`), in bytes. */
const MAX_USER_ID = 255;
/** Hex digits of the SHA-256 that stand in for the cut-off part of a long address (128 bits). */
const HASH_HEX = 32;
/** Never produced by the encoding (after `=` come two hex digits), so it marks a shortened localpart. */
const HASH_MARK = "==";

const KEEP = /^[a-z0-9._-]$/;
const ENCODED = /^(?:[a-z0-9._-]|=[0-9a-f]{2})+(?:==[0-9a-f]{32})?$/;

/**
 * The normal form a sender address is compared in: trimmed, Unicode NFC, lower case (also the
 * local part: `Lena@GMX.de` and `lena@gmx.de` are one sender, one puppet).
 */
export function normalizeExternal(address: string): string {
  return address.trim().normalize("NFC").toLowerCase();
}

function encode(normal: string): string {
  let out = "";
  for (const ch of normal) {
    if (KEEP.test(ch)) out += ch;
    else for (const byte of Buffer.from(ch, "utf8")) out += `=${byte.toString(16).padStart(2, "0")}`;
  }
  return out;
}

/**
 * The Matrix localpart of the puppet for an outside address: `_mail_` + the normalised address
 * (see `normalizeExternal`) with `[a-z0-9._-]` kept and every other character written as `=xx`
 * per UTF-8 byte (`@` → `=40`, `+` → `=2b`, `=` → `=3d`, `ü` → `=c3=bc`). Distinct addresses
 * (after normalising) give distinct localparts, all within `[a-z0-9._=-]`. When the user id
 * `@localpart:serverName` would exceed 255 bytes (or, without `serverName`, the localpart 200
 * characters), the encoding is cut and `==` plus 32 hex digits of the address's SHA-256 appended.
 * Throws on an empty address or a server name that leaves no room.
 */
export function puppetLocalpart(externalAddress: string, serverName?: string): string {
  const normal = normalizeExternal(externalAddress);
  if (normal === "") throw new Error("puppetLocalpart: empty address");
  const budget = serverName === undefined ? DEFAULT_MAX_PUPPET_LOCALPART : MAX_USER_ID - 2 - Buffer.byteLength(serverName, "utf8");
  const minimum = PUPPET_PREFIX.length + 1 + HASH_MARK.length + HASH_HEX;
  if (budget < minimum) throw new Error(`puppetLocalpart: server name too long: ${serverName ?? ""}`);
  const full = PUPPET_PREFIX + encode(normal);
  if (full.length <= budget) return full;
  let head = full.slice(0, budget - HASH_MARK.length - HASH_HEX);
  // Do not cut through an `=xx` escape.
  const lastEq = head.lastIndexOf("=");
  if (lastEq >= head.length - 2 && lastEq >= PUPPET_PREFIX.length) head = head.slice(0, lastEq);
  const hash = createHash("sha256").update(normal, "utf8").digest("hex").slice(0, HASH_HEX);
  return `${head}${HASH_MARK}${hash}`;
}

/** True when the localpart is one of the bridge's puppets (`_mail_…` in the puppet encoding). */
export function isPuppet(localpart: string): boolean {
  return localpart.startsWith(PUPPET_PREFIX) && ENCODED.test(localpart.slice(PUPPET_PREFIX.length));
}

/**
 * The normalised outside address a puppet stands for, decoded from its localpart; null for a
 * localpart that is not a puppet or was shortened with a hash (look those up in the bridge's store).
 */
export function puppetAddress(localpart: string): string | null {
  if (!isPuppet(localpart)) return null;
  const body = localpart.slice(PUPPET_PREFIX.length);
  if (body.includes(HASH_MARK)) return null;
  const bytes: number[] = [];
  for (let i = 0; i < body.length; i++) {
    if (body[i] === "=") {
      bytes.push(parseInt(body.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(body.charCodeAt(i));
    }
  }
  let decoded: string;
  try {
    decoded = new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(bytes));
  } catch {
    return null;
  }
  // Only the canonical encoding counts (`=61` for `a` would decode too, but is not what we produce).
  return PUPPET_PREFIX + encode(decoded) === localpart ? decoded : null;
}
