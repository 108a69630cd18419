// Transliteration of names into the ASCII letters of mail local parts, with the same rules as the
// roster's Matrix user names (appservices/school/src/roster/usernames.ts, `localpartPart`).
//
// `@schulhof/school` exports only `localpartFor` (which also resolves collisions against a set),
// not the per-part function, and the mail bridge does not depend on the school appservice; so the
// rules are re-implemented here. tests/addresses/slug.test.ts compares both on a list of names, so
// a change on one side fails the tests until the other follows.

const LETTERS: Record<string, string> = {
  ä: "ae", ö: "oe", ü: "ue", ß: "ss", ẞ: "ss",
  æ: "ae", œ: "oe", ø: "o", ł: "l", đ: "d", ð: "d", þ: "th", ı: "i", ħ: "h",
};

/**
 * German transliteration and accent stripping without any filtering: lower case, `ä` → `ae`,
 * `ß` → `ss`, `é` → `e`, `ł` → `l`. Characters without a Latin equivalent stay as they are.
 */
export function transliterate(text: string): string {
  const lower = text.normalize("NFC").toLowerCase();
  let out = "";
  for (const ch of lower) out += LETTERS[ch] ?? ch;
  return out.normalize("NFD").replace(/\p{M}/gu, "");
}

/**
 * One name as it goes into a local part, exactly like the roster's user names: transliterated,
 * apostrophes removed, every run of other characters (spaces, dots, `/`, …) to one `-`, only
 * `[a-z0-9-]` left, no leading or trailing `-`. `Jürgen` → `juergen`, `von der Heide` →
 * `von-der-heide`, `Mathematik 7a` → `mathematik-7a`. May be empty (`李`).
 */
export function namePart(name: string): string {
  return transliterate(name)
    .replace(/['’`´ʼ]/g, "")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}
