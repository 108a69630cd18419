// Transliteration of names for addresses: German rules, other accents, and the same result as the roster's user names.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
// The school appservice is not a dependency of the bridge; its user-name rules are re-implemented
// in src/addresses/slug.ts. This test reads the original file directly to catch any drift.
import { localpartFor } from "../../../../appservices/school/src/roster/usernames.ts";
import { addressOf, namePart, transliterate } from "../../src/addresses/index.ts";

/** The localpart the roster gives, built from the bridge's own rules (without collision handling). */
function bridgeLocalpart(first: string, last: string): string {
  const parts = [namePart(first), namePart(last)].filter((p) => p !== "");
  return (parts.length === 0 ? "nutzer" : parts.join(".")).slice(0, 64).replace(/[.-]+$/, "");
}

describe("namePart", () => {
  it("transliterates German letters and strips other accents", () => {
    assert.equal(`${namePart("Jürgen")}.${namePart("Weiß")}`, "juergen.weiss");
    assert.equal(`${namePart("Özlem")}.${namePart("Yılmaz")}`, "oezlem.yilmaz");
    assert.equal(namePart("Françoise"), "francoise");
    assert.equal(namePart("ÄNNE STRAẞE"), "aenne-strasse");
    assert.equal(namePart("Łukasz"), "lukasz");
    assert.equal(namePart("Nguyễn"), "nguyen");
    assert.equal(namePart("D'Angelo"), "dangelo");
  });

  it("turns every run of other characters into one dash and trims dashes", () => {
    assert.equal(namePart("  von der   Heide "), "von-der-heide");
    assert.equal(namePart("Mathe -- Kurs / 7a."), "mathe-kurs-7a");
    assert.equal(namePart("李"), "");
  });

  it("transliterate lower-cases", () => {
    assert.equal(transliterate("ÜBER"), "ueber");
  });

  it("gives exactly the roster's user names (appservices/school localpartFor)", () => {
    const names: [string, string][] = [
      ["Jürgen", "Weiß"], ["Özlem", "Yılmaz"], ["Françoise", "Lefèvre"], ["Łukasz", "Kowalski"],
      ["Ayşe", "Yılmaz"], ["Minh", "Nguyễn"], ["Luca", "D'Angelo"], ["Charlotte", "von der Heide"],
      [" Lea  Marie ", "Schäfer"], ["_Anna", "(Test)"], ["Ἀλέξανδρος", "Smith"], ["Дмитрий", "Иванов"],
      ["Søren", "Ærø"], ["Đorđe", "Þórsson"], ["Œdipe", "Ħaġar"], ["ÄNNE", "STRAẞE"], ["A".repeat(40), "B".repeat(40)],
    ];
    for (const [first, last] of names) {
      assert.equal(bridgeLocalpart(first, last), localpartFor(first, last, new Set()), `${first} ${last}`);
    }
  });

  it("a roster collision (lena.koehler2) is simply the address: no second scheme", () => {
    const taken = new Set<string>();
    const first = localpartFor("Lena", "Köhler", taken);
    const second = localpartFor("Lena", "Köhler", taken);
    assert.equal(addressOf(first, "schule.de"), "lena.koehler@schule.de");
    assert.equal(addressOf(second, "schule.de"), "lena.koehler2@schule.de");
  });
});
