// Matrix user names (`vorname.nachname`) and readable initial passwords for imported people.

import { randomInt } from "node:crypto";

const LETTERS: Record<string, string> = {
  ä: "ae", ö: "oe", ü: "ue", ß: "ss", ẞ: "ss",
  æ: "ae", œ: "oe", ø: "o", ł: "l", đ: "d", ð: "d", þ: "th", ı: "i", ħ: "h",
};

/** Largest localpart we hand out; Matrix allows 255 bytes for the whole user ID. */
const MAX_LENGTH = 64;

/**
 * One name part as it goes into a localpart: lower case, German transliteration (ä → ae, ß → ss),
 * other accents stripped (é → e, ł → l), apostrophes removed, spaces to `-`, nothing but
 * `[a-z0-9-]` left, no leading or trailing `-`.
 */
export function localpartPart(name: string): string {
  const lower = name.normalize("NFC").toLowerCase();
  let out = "";
  for (const ch of lower) out += LETTERS[ch] ?? ch;
  return out
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .replace(/['’`´ʼ]/g, "")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

/**
 * The localpart for a new account: `vorname.nachname`, e.g. `jürgen.müller-lüdenscheidt` →
 * `juergen.mueller-luedenscheidt`. When it is in `taken`, the first free of `…2`, `…3`, … is used.
 * Adds the result to `taken`, so that one set can be passed for a whole import. The result only
 * holds `[a-z0-9.-]`, never starts with `_` (reserved for appservices) and never is empty (a name
 * without Latin letters becomes `nutzer`). Call with every localpart already on the homeserver.
 */
export function localpartFor(firstName: string, lastName: string, taken: Set<string>): string {
  const parts = [localpartPart(firstName), localpartPart(lastName)].filter((p) => p !== "");
  const base = (parts.length === 0 ? "nutzer" : parts.join(".")).slice(0, MAX_LENGTH).replace(/[.-]+$/, "");
  let candidate = base;
  for (let n = 2; taken.has(candidate); n++) candidate = `${base}${n}`;
  taken.add(candidate);
  return candidate;
}

/** Letters and digits that cannot be mistaken for each other on paper: no 0/O/o, 1/l/I. */
const PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
const GROUPS = 3;
const GROUP_LENGTH = 5;

/**
 * A random initial password for a credential letter, e.g. `Kp7wz-R4mXe-9hTcb`: three groups of
 * five characters from a 56-character alphabet without look-alikes (≈ 87 bits), drawn with
 * `crypto.randomInt`. People must change it at first login.
 */
export function initialPassword(): string {
  const groups: string[] = [];
  for (let g = 0; g < GROUPS; g++) {
    let group = "";
    for (let i = 0; i < GROUP_LENGTH; i++) group += PASSWORD_ALPHABET[randomInt(PASSWORD_ALPHABET.length)];
    groups.push(group);
  }
  return groups.join("-");
}
