// Tests for parseRoster: encodings, delimiters, header synonyms, line numbers and every row error.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import iconv from "iconv-lite";
import { isSchulhofError } from "@schulhof/core";
import { RosterInvalidError, parseRoster } from "../../src/roster/index.ts";
import type { RosterRowError } from "../../src/roster/index.ts";

const fixture = (name: string): Buffer => readFileSync(new URL(`fixtures/${name}`, import.meta.url));
const utf8 = (text: string): Buffer => Buffer.from(text, "utf8");

/** The errors `parseRoster` throws for `text`, as `line/column` pairs plus the German texts. */
function rowErrors(text: string): RosterRowError[] {
  try {
    parseRoster(utf8(text));
  } catch (e) {
    assert.ok(e instanceof RosterInvalidError);
    return e.errors;
  }
  assert.fail("parseRoster did not throw");
}

describe("parseRoster: encodings and delimiters", () => {
  it("reads a Windows-1252 SchILD export with semicolons and CRLF", () => {
    const roster = parseRoster(fixture("schild-semikolon-win1252.csv"));
    assert.equal(roster.encoding, "windows-1252");
    assert.equal(roster.delimiter, ";");
    assert.deepEqual(roster.errors, []);
    assert.equal(roster.people.length, 19);
    assert.deepEqual(roster.people[0], {
      line: 2,
      externalId: "100231",
      role: "student",
      firstName: "Jürgen",
      lastName: "Müller",
      className: "5a",
      courses: ["Mathematik 5a", "Deutsch 5a", "Englisch 5a"],
      email: null,
    });
    const lefevre = roster.people.find((p) => p.externalId === "L044");
    assert.equal(lefevre?.firstName, "François");
    assert.equal(lefevre?.lastName, "Lefèvre");
    assert.equal(lefevre?.role, "teacher");
    assert.equal(lefevre?.className, null);
    const krueger = roster.people.find((p) => p.lastName === "Krüger");
    assert.equal(krueger?.className, "5a", "a teacher's class is the class they lead");
    assert.equal(krueger?.email, "s.krueger@gymnasium-musterstadt.de");
    assert.deepEqual(
      roster.people.filter((p) => p.role === "admin").map((p) => p.lastName),
      ["Schulz", "Yilmaz"],
    );
  });

  it("reads a UTF-8 export with BOM, commas, other header names and ; inside the course field", () => {
    const roster = parseRoster(fixture("untis-komma-utf8-bom.csv"));
    assert.equal(roster.encoding, "utf-8");
    assert.equal(roster.delimiter, ",");
    assert.equal(roster.people.length, 19);
    const ayse = roster.people[1];
    assert.equal(ayse?.firstName, "Ayşe");
    assert.equal(ayse?.lastName, "Özdemir");
    assert.deepEqual(ayse?.courses, ["Mathematik 5a", "Deutsch 5a", "Englisch 5a"]);
    const schild = parseRoster(fixture("schild-semikolon-win1252.csv"));
    const shape = (p: { externalId: string | null; role: string; className: string | null; courses: string[] }) =>
      [p.externalId, p.role, p.className, p.courses.join("|")].join(" ");
    assert.deepEqual(roster.people.map(shape), schild.people.map(shape));
  });

  it("detects Windows-1252 bytes built in the test", () => {
    const bytes = iconv.encode("Rolle;Vorname;Nachname;Klasse\r\nSchülerin;Bärbel;Großkopf;6c\r\n", "windows-1252");
    assert.ok(bytes.includes(0xe4), "ä is one byte in Windows-1252");
    const roster = parseRoster(bytes);
    assert.equal(roster.encoding, "windows-1252");
    assert.equal(roster.people[0]?.firstName, "Bärbel");
    assert.equal(roster.people[0]?.lastName, "Großkopf");
  });

  it("reads UTF-8 with and without BOM alike", () => {
    const text = "Rolle;Vorname;Nachname;Klasse\nS;Ödön;Ärger;8b\n";
    const plain = parseRoster(utf8(text));
    const bom = parseRoster(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8(text)]));
    assert.equal(plain.encoding, "utf-8");
    assert.deepEqual(bom, plain);
    assert.equal(bom.people[0]?.firstName, "Ödön");
  });

  it("composes decomposed umlauts (NFD, as macOS writes them)", () => {
    const roster = parseRoster(utf8("Rolle;Vorname;Nachname;Klasse\nS;Jo\u0308rg;Mu\u0308ller;8b\n"));
    assert.equal(roster.people[0]?.firstName, "Jörg");
  });

  it("accepts headers in any case and English names", () => {
    const roster = parseRoster(utf8("ROLE,first name,LASTNAME,class,Courses,email,external id\nteacher,Ada,Lovelace,,Informatik Q1,ada@example.org,T1\n"));
    assert.deepEqual(roster.people[0], {
      line: 2, externalId: "T1", role: "teacher", firstName: "Ada", lastName: "Lovelace",
      className: null, courses: ["Informatik Q1"], email: "ada@example.org",
    });
  });

  it("reads every role spelling", () => {
    const spellings = ["Schüler", "Schülerin", "SuS", "s", "student", "Lehrer", "Lehrerin", "Lehrkraft", "L", "TEACHER", "Admin", "Schuladmin", "Administrator"];
    const text = ["Rolle;Vorname;Nachname;Klasse", ...spellings.map((r, i) => `${r};P${i};Q${i};5a`)].join("\n");
    assert.deepEqual(parseRoster(utf8(text)).people.map((p) => p.role), [
      ...Array<string>(5).fill("student"), ...Array<string>(5).fill("teacher"), ...Array<string>(3).fill("admin"),
    ]);
  });
});

describe("parseRoster: courses and lines", () => {
  it("splits courses on | and , in a semicolon file, and also on ; in a comma file", () => {
    const semi = parseRoster(utf8('Rolle;Vorname;Nachname;Klasse;Kurse\nS;A;B;5a;Mathe 5a, Deutsch 5a | Sport  5a|Mathe 5a\n'));
    assert.deepEqual(semi.people[0]?.courses, ["Mathe 5a", "Deutsch 5a", "Sport 5a"]);
    const comma = parseRoster(utf8('Rolle,Vorname,Nachname,Klasse,Kurse\nS,A,B,5a,"Mathe 5a;Deutsch 5a, Sport 5a|Kunst 5a"\n'));
    assert.deepEqual(comma.people[0]?.courses, ["Mathe 5a", "Deutsch 5a", "Sport 5a", "Kunst 5a"]);
  });

  it("counts physical lines across blank lines, Excel's empty ;;; rows and quoted line breaks", () => {
    const text = 'Rolle;Vorname;Nachname;Klasse\r\n\r\nS;Anna;Alt;5a\r\n;;;\r\n"S";"Ben\r\nJakob";Bode;5a\r\nS;Cem;Cakir;5a\r\n';
    const roster = parseRoster(utf8(text));
    assert.deepEqual(roster.people.map((p) => [p.line, p.firstName]), [[3, "Anna"], [5, "Ben Jakob"], [7, "Cem"]]);
  });

  it("normalises class names", () => {
    const text = ["Rolle;Vorname;Nachname;Klasse", ...["05A", "10b", "q1", "ef", "E", "Q2c", "13", "J1"].map((c, i) => `S;P${i};Q;${c}`)].join("\n");
    assert.deepEqual(parseRoster(utf8(text)).people.map((p) => p.className), ["5a", "10b", "Q1", "EF", "E", "Q2c", "13", "J1"]);
  });
});

describe("parseRoster: errors", () => {
  it("names a missing required header at line 1, even with skipInvalid", () => {
    const text = utf8("Rolle;Name;Klasse\nS;Müller;5a\n");
    assert.throws(() => parseRoster(text, { skipInvalid: true }), (e: unknown) => {
      assert.ok(e instanceof RosterInvalidError);
      assert.deepEqual(e.errors.map((r) => [r.line, r.column]), [[1, "Vorname"]]);
      assert.match(e.user.de, /Zeile 1, Spalte "Vorname": Die Spalte „Vorname“ fehlt/);
      return true;
    });
  });

  it("reports every invalid row with its line and column", () => {
    const text = [
      "Rolle;Vorname;Nachname;Klasse;E-Mail;ID", // 1
      "Hausmeister;Karl;Kurz;;;", // 2 unknown role
      "S;;Leer;5a;;", // 3 no first name
      "S;Lena;;5a;;", // 4 no last name
      "S;Ohne;Klasse;;;", // 5 student without class
      "S;Falsch;Klasse;5x7;;", // 6 malformed class
      "L;Mia;Mail;;mia(at)schule.de;", // 7 invalid e-mail
      "S;Erst;Eins;6a;;X1", // 8 valid
      "S;Zweit;Zwei;6a;;X1", // 9 duplicate id
      "S;Tim;Taler;7b;;", // 10 valid
      "S;tim;taler;7B;;", // 11 duplicate person
      ";Rolle;Leer;5a;;", // 12 empty role
    ].join("\n");
    const errors = rowErrors(text);
    assert.deepEqual(errors.map((e) => [e.line, e.column]), [
      [2, "Rolle"], [3, "Vorname"], [4, "Nachname"], [5, "Klasse"], [6, "Klasse"],
      [7, "E-Mail"], [9, "ID"], [11, "Nachname"], [12, "Rolle"],
    ]);
    assert.match(errors[0]?.message.de ?? "", /Unbekannte Rolle „Hausmeister“/);
    assert.match(errors[6]?.message.en ?? "", /line 8/);
    assert.match(errors[7]?.message.de ?? "", /Zeile 10.*Spalte „ID“/);
  });

  it("uses the file's own header in the column name", () => {
    const errors = rowErrors("Typ,First name,Last name,Class\nstudent,Ada,Byron,\n");
    assert.deepEqual(errors.map((e) => [e.line, e.column]), [[2, "Class"]]);
  });

  it("throws one SchulhofError listing every bad row in German and English", () => {
    const text = utf8("Rolle;Vorname;Nachname;Klasse\nS;A;B;\nS;C;D;5a\nX;E;F;5a\n");
    assert.throws(() => parseRoster(text, { fileName: "sus.csv" }), (e: unknown) => {
      assert.ok(isSchulhofError(e, "SCHULHOF_ROSTER_INVALID"));
      assert.equal(e.httpStatus, 400);
      const de = e.user.de.split("\n");
      assert.match(de[0] ?? "", /sus\.csv/);
      assert.match(de[1] ?? "", /^Zeile 2, Spalte "Klasse": /);
      assert.match(de[2] ?? "", /^Zeile 4, Spalte "Rolle": /);
      assert.match(e.user.en.split("\n")[1] ?? "", /^line 2, column "Klasse": Students need a class\.$/);
      return true;
    });
  });

  it("with skipInvalid returns the valid rows and lists the errors", () => {
    const roster = parseRoster(utf8("Rolle;Vorname;Nachname;Klasse\nS;A;B;\nS;C;D;5a\nX;E;F;5a\n"), { skipInvalid: true });
    assert.deepEqual(roster.people.map((p) => p.firstName), ["C"]);
    assert.deepEqual(roster.errors.map((e) => e.line), [2, 4]);
  });

  it("rejects UTF-16 files with a hint and broken quotes with their line", () => {
    assert.throws(() => parseRoster(Buffer.from([0xff, 0xfe, 0x52, 0x00])), /UTF-16/);
    const broken = utf8('Rolle;Vorname;Nachname;Klasse\nS;A;B;5a\n\nS;"C;D;5a\nS;E;F;5a\n');
    assert.throws(() => parseRoster(broken, { skipInvalid: true }), (e: unknown) => {
      assert.ok(e instanceof RosterInvalidError);
      assert.deepEqual(e.errors.map((r) => [r.line, r.column]), [[4, ""]]);
      assert.match(e.user.de, /^Zeile 4: Ein Anführungszeichen/m);
      return true;
    });
    assert.throws(() => parseRoster(Buffer.alloc(0)), /empty/);
  });
});
