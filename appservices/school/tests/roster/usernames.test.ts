// Tests for localpartFor and initialPassword.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { initialPassword, localpartFor } from "../../src/roster/index.ts";

describe("localpartFor", () => {
  it("transliterates German letters", () => {
    const taken = new Set<string>();
    assert.equal(localpartFor("Jürgen", "Müller-Lüdenscheidt", taken), "juergen.mueller-luedenscheidt");
    assert.equal(localpartFor("Ömer", "Großkopf", taken), "oemer.grosskopf");
    assert.equal(localpartFor("ÄNNE", "STRAẞE", taken), "aenne.strasse");
  });

  it("strips other accents and handles spaces and apostrophes", () => {
    const taken = new Set<string>();
    assert.equal(localpartFor("François", "Lefèvre", taken), "francois.lefevre");
    assert.equal(localpartFor("Łukasz", "Kowalski", taken), "lukasz.kowalski");
    assert.equal(localpartFor("Ayşe", "Yılmaz", taken), "ayse.yilmaz");
    assert.equal(localpartFor("Minh", "Nguyễn", taken), "minh.nguyen");
    assert.equal(localpartFor("Luca", "D'Angelo", taken), "luca.dangelo");
    assert.equal(localpartFor("Charlotte", "von der Heide", taken), "charlotte.von-der-heide");
    assert.equal(localpartFor(" Lea  Marie ", "Schäfer", taken), "lea-marie.schaefer");
    assert.equal(localpartFor("_Anna", "(Test)", taken), "anna.test");
  });

  it("never gives anything but [a-z0-9.-], never an empty or _-prefixed name", () => {
    const taken = new Set<string>();
    assert.equal(localpartFor("Дмитрий", "Иванов", taken), "nutzer");
    assert.equal(localpartFor("", "李", taken), "nutzer2");
    assert.equal(localpartFor("Ἀλέξανδρος", "Smith", taken), "smith");
    for (const p of taken) assert.match(p, /^[a-z0-9][a-z0-9.-]*$/);
  });

  it("resolves collisions with 2, 3, … and records what it hands out", () => {
    const taken = new Set(["anna.schmidt"]);
    assert.equal(localpartFor("Anna", "Schmidt", taken), "anna.schmidt2");
    assert.equal(localpartFor("Anna", "Schmidt", taken), "anna.schmidt3");
    assert.equal(localpartFor("Änna", "Schmidt", taken), "aenna.schmidt");
    assert.ok(taken.has("anna.schmidt3"));
  });
});

describe("initialPassword", () => {
  it("is long, readable and random", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const pw = initialPassword();
      assert.match(pw, /^[a-km-np-zA-HJ-NP-Z2-9]{5}-[a-km-np-zA-HJ-NP-Z2-9]{5}-[a-km-np-zA-HJ-NP-Z2-9]{5}$/);
      assert.doesNotMatch(pw, /[0O1lIo]/);
      seen.add(pw);
    }
    assert.equal(seen.size, 200);
    assert.ok(15 * Math.log2(56) >= 70, "at least 70 bits of entropy");
  });
});
