// Tests for the credential letters: one A4 page per person, sorted, with readable German text.

import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import iconv from "iconv-lite";
import { toWinAnsi } from "../../src/letters/letters.ts";
import { sortForLetters, writeCredentialLetters } from "../../src/roster/index.ts";
import type { LetterPerson } from "../../src/roster/index.ts";

const school = {
  name: "Städtisches Gymnasium Musterstadt",
  loginUrl: "https://schulhof.gymnasium-musterstadt.de",
  homeserver: "gymnasium-musterstadt.de",
};

function letter(displayName: string, role: LetterPerson["role"], className: string | null, localpart: string): LetterPerson {
  return { displayName, role, className, localpart, userId: `@${localpart}:${school.homeserver}`, password: `pw-${localpart}` };
}

const people = [
  letter("Sabine Krüger", "teacher", "5a", "sabine.krueger"),
  letter("Jürgen Müller", "student", "5a", "juergen.mueller"),
  letter("Ayşe Özdemir", "student", "10b", "ayse.oezdemir"),
];

/** Writes the letters into memory. */
async function render(list: LetterPerson[], lang: "de" | "en" = "de"): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  await writeCredentialLetters(list, school, sink, lang, { compress: false });
  return Buffer.concat(chunks);
}

/** The text of each page of an uncompressed pdfkit PDF: the hex strings of its TJ operators, decoded. */
function pageTexts(pdf: Buffer): string[] {
  const body = pdf.toString("latin1");
  const streams = [...body.matchAll(/stream\n([\s\S]*?)\nendstream/g)].map((m) => m[1] ?? "");
  return streams
    .filter((s) => s.includes(" TJ"))
    .map((s) =>
      [...s.matchAll(/\[(.*?)\] TJ/g)]
        .map((tj) => [...(tj[1] ?? "").matchAll(/<([0-9a-f]*)>/g)].map((h) => iconv.decode(Buffer.from(h[1] ?? "", "hex"), "windows-1252")).join(""))
        .join("\n"),
    );
}

describe("writeCredentialLetters", () => {
  it("writes a PDF with one page per person", async () => {
    const pdf = await render(people);
    assert.equal(pdf.subarray(0, 5).toString("latin1"), "%PDF-");
    assert.equal(pdf.toString("latin1").match(/\/Type \/Page\b(?!s)/g)?.length, 3);
    assert.match(pdf.toString("latin1"), /\/MediaBox \[0 0 595\.28 841\.89\]/, "A4");
    assert.match(pdf.toString("latin1"), /\/BaseFont \/Courier-Bold/);
  });

  it("puts the login data, umlauts included, on each page, students first by class", async () => {
    const pages = pageTexts(await render(people));
    assert.equal(pages.length, 3);
    const [mueller, oezdemir, krueger] = pages;
    for (const text of ["Städtisches Gymnasium Musterstadt", "Zugangsdaten für Schulhof", "Jürgen Müller", "Klasse", "5a",
      "https://schulhof.gymnasium-musterstadt.de", "juergen.mueller", "@juergen.mueller:gymnasium-musterstadt.de",
      "pw-juergen.mueller", "ändern", "geheim", "So meldest du dich an"]) {
      assert.ok(mueller?.replace(/\n/g, "").includes(text), `page 1 has ${text}`);
    }
    assert.match(oezdemir ?? "", /pw-ayse\.oezdemir/);
    assert.match(oezdemir ?? "", /^Ayse Özdemir$/m, "ş is outside WinAnsi: written as s, the rest intact");
    assert.ok(krueger?.replace(/\n/g, "").includes("Lehrkraft (Klassenleitung 5a)"));
    assert.ok(krueger?.replace(/\n/g, "").includes("So melden Sie sich an"));
  });

  it("writes English letters on request", async () => {
    const [page] = pageTexts(await render(people.slice(1, 2), "en"));
    assert.ok(page?.replace(/\n/g, "").includes("Your Schulhof login"));
    assert.ok(page?.replace(/\n/g, "").includes("Initial password"));
  });

  it("refuses an empty list", async () => {
    await assert.rejects(render([]), RangeError);
  });
});

describe("toWinAnsi", () => {
  it("keeps umlauts and Western accents and replaces the rest by look-alikes", () => {
    assert.equal(toWinAnsi("Jürgen Groß, François Lefèvre"), "Jürgen Groß, François Lefèvre");
    assert.equal(toWinAnsi("Ayşe Yılmaz, Łukasz Wałęsa, Nguyễn Đức"), "Ayse Yilmaz, Lukasz Walesa, Nguyen Duc");
    assert.equal(toWinAnsi("Šimon Žák Čapek"), "Šimon Žák Capek");
    assert.equal(toWinAnsi("李 Иван"), "? ????");
  });
});

describe("sortForLetters", () => {
  it("sorts students by class (5a before 10a before EF), last and first name; staff last", () => {
    const list: LetterPerson[] = [
      letter("Admin Zentral", "admin", null, "a"),
      { ...letter("Anna von der Heide", "student", "Q1", "b"), firstName: "Anna", lastName: "von der Heide" },
      letter("Otto Ärger", "student", "10a", "c"),
      letter("Bea Zander", "student", "5a", "d"),
      letter("Ali Zander", "student", "5a", "e"),
      letter("Lara Öztürk", "student", "5a", "f"),
      letter("Tom Becker", "teacher", "5a", "g"),
      letter("Eva Fuchs", "student", "EF", "h"),
    ];
    assert.deepEqual(sortForLetters(list).map((p) => p.displayName), [
      "Lara Öztürk", "Ali Zander", "Bea Zander", "Otto Ärger", "Eva Fuchs", "Anna von der Heide", "Tom Becker", "Admin Zentral",
    ]);
  });
});
