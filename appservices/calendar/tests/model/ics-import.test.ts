// parseIcs: a realistic German school-holiday file with good and bad VEVENTs, recurring events with
// exceptions, broken files (IcsError), category mapping, and importing twice giving the same result.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { IcsError, ModelError, expandEvent, mapCategory, parseIcs, validateEvent } from "../../src/model/index.ts";

/** Joins lines with CRLF as RFC 5545 wants (line 3 of the description is folded). */
const file = (lines: string[]): string => `${lines.join("\r\n")}\r\n`;

const SCHULFERIEN = file([
  "BEGIN:VCALENDAR",
  "VERSION:2.0",
  "PRODID:-//Beispiel-Gymnasium//Schulkalender 2026/27//DE",
  "CALSCALE:GREGORIAN",
  "METHOD:PUBLISH",
  "X-WR-CALNAME:Schulferien Niedersachsen 2026/27",
  "X-WR-TIMEZONE:Europe/Berlin",
  // 0: Herbstferien, all-day with DATE values
  "BEGIN:VEVENT",
  "UID:herbstferien-2026-ni@beispiel-gymnasium.de",
  "DTSTAMP:20260601T120000Z",
  "DTSTART;VALUE=DATE:20261012",
  "DTEND;VALUE=DATE:20261024",
  "SUMMARY:Herbstferien",
  "CATEGORIES:Ferien",
  "TRANSP:TRANSPARENT",
  "END:VEVENT",
  // 1: Weihnachtsferien, all-day, escaped and folded description
  "BEGIN:VEVENT",
  "UID:weihnachtsferien-2026-ni@beispiel-gymnasium.de",
  "DTSTAMP:20260601T120000Z",
  "DTSTART;VALUE=DATE:20261223",
  "DTEND;VALUE=DATE:20270106",
  "SUMMARY:Weihnachtsferien",
  "DESCRIPTION:Letzter Schultag: 22.12.\\, Unterrichtsende nach der 4. Stunde.\\nW",
  " ir wünschen schöne Feiertage!",
  "CATEGORIES:Schulferien,Niedersachsen",
  "END:VEVENT",
  // 2: Windows time zone name
  "BEGIN:VEVENT",
  "UID:elternsprechtag-2026@beispiel-gymnasium.de",
  "DTSTAMP:20260601T120000Z",
  "DTSTART;TZID=W. Europe Standard Time:20261119T150000",
  "DTEND;TZID=W. Europe Standard Time:20261119T190000",
  "SUMMARY:Elternsprechtag",
  "END:VEVENT",
  // 3: no UID
  "BEGIN:VEVENT",
  "DTSTAMP:20260601T120000Z",
  "DTSTART;VALUE=DATE:20270201",
  "DTEND;VALUE=DATE:20270203",
  "SUMMARY:Zeugnisferien",
  "END:VEVENT",
  // 4: DTEND before DTSTART
  "BEGIN:VEVENT",
  "UID:osterferien-2027-ni@beispiel-gymnasium.de",
  "DTSTAMP:20260601T120000Z",
  "DTSTART;VALUE=DATE:20270410",
  "DTEND;VALUE=DATE:20270322",
  "SUMMARY:Osterferien",
  "CATEGORIES:Ferien",
  "END:VEVENT",
  // 5: UTC time, converted to Europe/Berlin
  "BEGIN:VEVENT",
  "UID:zeugnisausgabe-2027@beispiel-gymnasium.de",
  "DTSTAMP:20260601T120000Z",
  "DTSTART:20270129T100000Z",
  "DTEND:20270129T110000Z",
  "SUMMARY:Zeugnisausgabe",
  "LOCATION:Klassenräume",
  "END:VEVENT",
  // 6: weekly AG with EXDATE, and its exceptions (7: moved, 8: cancelled)
  "BEGIN:VEVENT",
  "UID:theater-ag@beispiel-gymnasium.de",
  "DTSTAMP:20260601T120000Z",
  "DTSTART;TZID=Europe/Berlin:20260902T140000",
  "DTEND;TZID=Europe/Berlin:20260902T153000",
  "RRULE:FREQ=WEEKLY;BYDAY=WE;UNTIL=20261216T230000Z",
  "EXDATE;TZID=Europe/Berlin:20261014T140000,20261021T140000",
  "SUMMARY:Theater-AG",
  "LOCATION:Aula",
  "SEQUENCE:4",
  "END:VEVENT",
  "BEGIN:VEVENT",
  "UID:theater-ag@beispiel-gymnasium.de",
  "DTSTAMP:20260601T120000Z",
  "RECURRENCE-ID;TZID=Europe/Berlin:20261104T140000",
  "DTSTART;TZID=Europe/Berlin:20261105T140000",
  "DTEND;TZID=Europe/Berlin:20261105T153000",
  "SUMMARY:Theater-AG (Donnerstag!)",
  "LOCATION:Aula",
  "END:VEVENT",
  "BEGIN:VEVENT",
  "UID:theater-ag@beispiel-gymnasium.de",
  "DTSTAMP:20260601T120000Z",
  "RECURRENCE-ID:20261111T130000Z",
  "DTSTART;TZID=Europe/Berlin:20261111T140000",
  "DTEND;TZID=Europe/Berlin:20261111T153000",
  "STATUS:CANCELLED",
  "SUMMARY:Theater-AG",
  "END:VEVENT",
  // 9: exam with DURATION
  "BEGIN:VEVENT",
  "UID:klausur-mathe-q1@beispiel-gymnasium.de",
  "DTSTAMP:20260601T120000Z",
  "DTSTART;TZID=Europe/Berlin:20261203T080000",
  "DURATION:PT1H30M",
  "SUMMARY:Mathe-Klausur Q1",
  "CATEGORIES:Klausur",
  "END:VEVENT",
  // 10: floating time (no zone): taken as school time
  "BEGIN:VEVENT",
  "UID:wandertag-2026@beispiel-gymnasium.de",
  "DTSTAMP:20260601T120000Z",
  "DTSTART:20260925T080000",
  "DTEND:20260925T130000",
  "SUMMARY:Wandertag",
  "CATEGORIES:Wandertag",
  "END:VEVENT",
  // 11: an old-style TZID with a vendor prefix
  "BEGIN:VEVENT",
  "UID:konferenz-2026@beispiel-gymnasium.de",
  "DTSTAMP:20260601T120000Z",
  "DTSTART;TZID=/mozilla.org/20050126_1/Europe/Berlin:20261110T143000",
  "DTEND;TZID=/mozilla.org/20050126_1/Europe/Berlin:20261110T170000",
  "SUMMARY:Gesamtkonferenz",
  "CATEGORIES:Konferenz",
  "END:VEVENT",
  "END:VCALENDAR",
]);

describe("import of a school-holiday file", () => {
  const result = parseIcs(SCHULFERIEN, { defaultTzid: "Europe/Berlin", defaultCategory: "other" });
  const get = (uid: string) => result.events.find((e) => e.uid === uid)?.content;

  it("imports the good events and reports the bad ones by index", () => {
    assert.deepEqual(result.events.map((e) => e.uid), [
      "herbstferien-2026-ni@beispiel-gymnasium.de",
      "weihnachtsferien-2026-ni@beispiel-gymnasium.de",
      "zeugnisausgabe-2027@beispiel-gymnasium.de",
      "theater-ag@beispiel-gymnasium.de",
      "klausur-mathe-q1@beispiel-gymnasium.de",
      "wandertag-2026@beispiel-gymnasium.de",
      "konferenz-2026@beispiel-gymnasium.de",
    ]);
    assert.deepEqual(result.errors.map((e) => [e.index, e.uid]), [
      [2, "elternsprechtag-2026@beispiel-gymnasium.de"],
      [3, null],
      [4, "osterferien-2027-ni@beispiel-gymnasium.de"],
    ]);
    const [windows, noUid, backwards] = result.errors;
    assert.match(windows!.reason.de, /Unbekannte Zeitzone „W\. Europe Standard Time“/);
    assert.match(windows!.reason.en, /Unknown time zone "W\. Europe Standard Time"/);
    assert.match(noUid!.reason.de, /keine UID/);
    assert.match(noUid!.reason.en, /no UID/);
    assert.match(backwards!.reason.de, /Ende \(end\) muss nach dem Beginn/);
    assert.match(backwards!.reason.en, /end must be after the start/);
  });

  it("takes all-day events with their exclusive end dates and maps CATEGORIES", () => {
    assert.deepEqual(get("herbstferien-2026-ni@beispiel-gymnasium.de"), {
      summary: "Herbstferien", start: "2026-10-12", end: "2026-10-24", all_day: true, tzid: "Europe/Berlin", category: "holiday",
    });
    const xmas = get("weihnachtsferien-2026-ni@beispiel-gymnasium.de");
    assert.equal(xmas?.category, "holiday");
    assert.equal(xmas?.description, "Letzter Schultag: 22.12., Unterrichtsende nach der 4. Stunde.\nWir wünschen schöne Feiertage!");
    assert.equal(xmas?.end, "2027-01-06");
  });

  it("converts UTC times to the school's zone and takes floating times as school time", () => {
    const z = get("zeugnisausgabe-2027@beispiel-gymnasium.de");
    assert.equal(z?.start, "2027-01-29T11:00");
    assert.equal(z?.end, "2027-01-29T12:00");
    assert.equal(z?.tzid, "Europe/Berlin");
    assert.equal(z?.category, "other");
    assert.equal(z?.location, "Klassenräume");
    const w = get("wandertag-2026@beispiel-gymnasium.de");
    assert.deepEqual([w?.start, w?.end, w?.tzid, w?.category], ["2026-09-25T08:00", "2026-09-25T13:00", "Europe/Berlin", "trip"]);
    const k = get("konferenz-2026@beispiel-gymnasium.de");
    assert.deepEqual([k?.start, k?.tzid, k?.category], ["2026-11-10T14:30", "Europe/Berlin", "meeting"]);
  });

  it("computes the end from DURATION", () => {
    const k = get("klausur-mathe-q1@beispiel-gymnasium.de");
    assert.deepEqual([k?.start, k?.end, k?.category], ["2026-12-03T08:00", "2026-12-03T09:30", "exam"]);
  });

  it("folds RECURRENCE-ID components into overrides of their series", () => {
    const ag = get("theater-ag@beispiel-gymnasium.de");
    assert.equal(ag?.rrule, "FREQ=WEEKLY;BYDAY=WE;UNTIL=20261216T230000Z");
    assert.deepEqual(ag?.exdates, ["2026-10-14T14:00", "2026-10-21T14:00"]);
    assert.equal(ag?.sequence, 4);
    assert.deepEqual(ag?.overrides, {
      "2026-11-04T14:00": { start: "2026-11-05T14:00", summary: "Theater-AG (Donnerstag!)" },
      "2026-11-11T14:00": { cancelled: true },
    });
    const occ = expandEvent("theater-ag", ag!, new Date("2026-09-01T00:00:00Z"), new Date("2027-01-01T00:00:00Z"));
    const days = occ.map((o) => o.startLocal.slice(0, 10));
    assert.equal(days.length, 16 - 2 - 1);
    assert.ok(days.includes("2026-11-05") && !days.includes("2026-11-04") && !days.includes("2026-11-11") && !days.includes("2026-10-14"));
    assert.equal(days.at(-1), "2026-12-16");
  });

  it("produces only contents that pass validateEvent", () => {
    for (const e of result.events) assert.ok(validateEvent(e.content).ok, e.uid);
  });

  it("gives the same result when importing the same file twice", () => {
    const again = parseIcs(SCHULFERIEN, { defaultTzid: "Europe/Berlin", defaultCategory: "other" });
    assert.deepEqual(again, result);
    assert.equal(JSON.stringify(again), JSON.stringify(result));
  });

  it("uses the default category when none matches", () => {
    const holidays = parseIcs(SCHULFERIEN, { defaultTzid: "Europe/Berlin", defaultCategory: "holiday" });
    assert.equal(holidays.events.find((e) => e.uid.startsWith("zeugnisausgabe"))?.content.category, "holiday");
    const plain = parseIcs(SCHULFERIEN, { defaultTzid: "Europe/Berlin" });
    assert.equal(plain.events.find((e) => e.uid.startsWith("zeugnisausgabe"))?.content.category, "other");
  });
});

describe("problems of single events", () => {
  const wrap = (...vevent: string[]): string => file(["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//t//t//DE", "BEGIN:VEVENT", ...vevent, "END:VEVENT", "END:VCALENDAR"]);
  const only = (text: string) => {
    const r = parseIcs(text, { defaultTzid: "Europe/Berlin" });
    assert.equal(r.events.length, 0);
    assert.equal(r.errors.length, 1);
    return r.errors[0]!;
  };

  it("reports a never-ending rule, a missing end, a duplicate UID and an orphaned exception", () => {
    assert.match(only(wrap("UID:a", "DTSTART;TZID=Europe/Berlin:20260902T140000", "DTEND;TZID=Europe/Berlin:20260902T150000", "RRULE:FREQ=WEEKLY", "SUMMARY:AG")).reason.en, /never ends/);
    assert.match(only(wrap("UID:b", "DTSTART;TZID=Europe/Berlin:20260902T140000", "SUMMARY:Ohne Ende")).reason.de, /Das Ende fehlt/);
    assert.match(only(wrap("UID:c", "RECURRENCE-ID;TZID=Europe/Berlin:20260902T140000", "DTSTART;TZID=Europe/Berlin:20260902T150000", "DTEND;TZID=Europe/Berlin:20260902T160000", "SUMMARY:x")).reason.en, /without a valid series/);
    assert.match(only(wrap("UID:d", "DTSTART:2026-09-02", "SUMMARY:x")).reason.en, /DTSTART/);
    const dup = parseIcs(file([
      "BEGIN:VCALENDAR", "VERSION:2.0",
      "BEGIN:VEVENT", "UID:x", "DTSTART;VALUE=DATE:20260902", "SUMMARY:eins", "END:VEVENT",
      "BEGIN:VEVENT", "UID:x", "DTSTART;VALUE=DATE:20260903", "SUMMARY:zwei", "END:VEVENT",
      "END:VCALENDAR",
    ]), { defaultTzid: "Europe/Berlin" });
    assert.deepEqual(dup.events.map((e) => [e.uid, e.content.end]), [["x", "2026-09-03"]]);
    assert.equal(dup.errors[0]?.index, 1);
    assert.match(dup.errors[0]!.reason.de, /mehrfach/);
  });

  it("keeps a recurring UTC event in UTC so its instants stay as written", () => {
    const r = parseIcs(wrap("UID:u", "DTSTART:20261022T060000Z", "DTEND:20261022T064500Z", "RRULE:FREQ=WEEKLY;COUNT=3", "SUMMARY:Frühsport"), { defaultTzid: "Europe/Berlin" });
    assert.deepEqual(r.errors, []);
    const c = r.events[0]!.content;
    assert.equal(c.tzid, "UTC");
    const occ = expandEvent("u", c, new Date("2026-10-01T00:00:00Z"), new Date("2026-12-01T00:00:00Z"));
    assert.deepEqual(occ.map((o) => o.start.toISOString()), ["2026-10-22T06:00:00.000Z", "2026-10-29T06:00:00.000Z", "2026-11-05T06:00:00.000Z"]);
  });
});

describe("broken files", () => {
  const broken = [
    ["plain text", "Das ist kein Kalender."],
    ["empty", ""],
    ["truncated", "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART;VALUE=DATE:20261012\r\n"],
    ["a vCard", "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Anna\r\nEND:VCARD\r\n"],
    ["HTML", "<!DOCTYPE html><html><body>404</body></html>"],
  ];
  for (const [name, text] of broken) {
    it(`throws IcsError with German and English text for ${name}`, () => {
      assert.throws(() => parseIcs(text!, { defaultTzid: "Europe/Berlin" }), (e: unknown) => {
        assert.ok(e instanceof IcsError);
        assert.ok(e instanceof ModelError);
        assert.match(e.reason.de, /kein (gültiges )?iCalendar/);
        assert.match(e.reason.en, /not (valid )?iCalendar/);
        return true;
      });
    });
  }
});

describe("mapCategory", () => {
  it("maps German and English words and leaves others alone", () => {
    assert.equal(mapCategory(["Ferien"]), "holiday");
    assert.equal(mapCategory(["Feiertag"]), "holiday");
    assert.equal(mapCategory(["holiday"]), "holiday");
    assert.equal(mapCategory(["Klassenarbeit"]), "exam");
    assert.equal(mapCategory(["Klausur"]), "exam");
    assert.equal(mapCategory(["exam"]), "exam");
    assert.equal(mapCategory(["Ausflug"]), "trip");
    assert.equal(mapCategory(["Klassenfahrt"]), "trip");
    assert.equal(mapCategory(["trip"]), "trip");
    assert.equal(mapCategory(["Elternabend"]), "meeting");
    assert.equal(mapCategory(["Unterricht"]), "lesson");
    assert.equal(mapCategory(["Privat", "Klausur"]), "exam");
    assert.equal(mapCategory(["Geburtstag"]), null);
    assert.equal(mapCategory([]), null);
  });
});
