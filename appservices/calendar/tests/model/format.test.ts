// describeOccurrence and describeEvent: one-line German and English texts, recurrence in words.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type EventContent, describeEvent, describeOccurrence, describeRule, expandEvent, validateEvent,
} from "../../src/model/index.ts";

function valid(raw: Record<string, unknown>): EventContent {
  const r = validateEvent(raw);
  if (!r.ok) assert.fail(`fixture invalid: ${r.reasons.map((x) => x.en).join("; ")}`);
  return r.content;
}

const exam = valid({ summary: "Mathe-Arbeit", start: "2026-12-03T08:00", end: "2026-12-03T09:30", all_day: false, tzid: "Europe/Berlin", location: "Raum 101", category: "exam" });
const ferien = valid({ summary: "Weihnachtsferien", start: "2026-12-21", end: "2027-01-07", all_day: true, tzid: "Europe/Berlin", category: "holiday" });
const first = (uid: string, c: EventContent) => expandEvent(uid, c, new Date("2026-01-01T00:00:00Z"), new Date("2028-01-01T00:00:00Z"))[0]!;

describe("describeOccurrence", () => {
  it("writes a timed occurrence in German and English", () => {
    assert.equal(describeOccurrence(first("e", exam), "de", "Europe/Berlin"), "Do., 03.12.2026, 08:00–09:30 · Mathe-Arbeit · Raum 101");
    assert.equal(describeOccurrence(first("e", exam), "en", "Europe/Berlin"), "Thu, 3 Dec 2026, 08:00–09:30 · Mathe-Arbeit · Raum 101");
  });

  it("writes an all-day range with its last day, and a single day alone", () => {
    assert.equal(describeOccurrence(first("f", ferien), "de", "Europe/Berlin"), "Mo., 21.12.2026 – Mi., 06.01.2027 · Weihnachtsferien");
    assert.equal(describeOccurrence(first("f", ferien), "en", "Europe/Berlin"), "Mon, 21 Dec 2026 – Wed, 6 Jan 2027 · Weihnachtsferien");
    const day = valid({ summary: "Heiligabend", start: "2026-12-24", end: "2026-12-25", all_day: true, tzid: "Europe/Berlin", category: "holiday" });
    assert.equal(describeOccurrence(first("h", day), "de", "America/New_York"), "Do., 24.12.2026 · Heiligabend");
  });

  it("uses the viewer's zone (named when it is not the event's) and both dates across midnight", () => {
    assert.equal(describeOccurrence(first("e", exam), "en", "America/New_York"), "Thu, 3 Dec 2026, 02:00–03:30 (EST) · Mathe-Arbeit · Raum 101");
    const night = valid({ summary: "Lesenacht", start: "2026-11-20T19:00", end: "2026-11-21T08:00", all_day: false, tzid: "Europe/Berlin", category: "trip" });
    assert.equal(describeOccurrence(first("n", night), "de", "Europe/Berlin"), "Fr., 20.11.2026, 19:00 – Sa., 21.11.2026, 08:00 · Lesenacht");
  });
});

describe("describeRule", () => {
  const start = "2026-09-03T08:00";
  it("puts FREQ, INTERVAL, BYDAY, COUNT and the last occurrence into words", () => {
    assert.equal(describeRule("FREQ=WEEKLY;BYDAY=TH;UNTIL=20270701T000000Z", start, "Europe/Berlin", "de"), "wöchentlich am Donnerstag bis 24.06.2027");
    assert.equal(describeRule("FREQ=WEEKLY;BYDAY=TH;UNTIL=20270701T000000Z", start, "Europe/Berlin", "en"), "weekly on Thursday until 24 Jun 2027");
    assert.equal(describeRule("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;COUNT=4", "2026-09-01T08:00", "Europe/Berlin", "de"), "alle 2 Wochen am Dienstag und Donnerstag 4-mal bis 17.09.2026");
    assert.equal(describeRule("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;COUNT=4", "2026-09-01T08:00", "Europe/Berlin", "en"), "every 2 weeks on Tuesday and Thursday 4 times until 17 Sep 2026");
    assert.equal(describeRule("FREQ=MONTHLY;BYDAY=-1FR;COUNT=3", "2026-09-25T15:00", "Europe/Berlin", "de"), "monatlich am letzten Freitag 3-mal bis 27.11.2026");
    assert.equal(describeRule("FREQ=MONTHLY;BYDAY=1MO;COUNT=2", "2026-09-07T15:00", "Europe/Berlin", "en"), "monthly on the 1st Monday 2 times until 5 Oct 2026");
    assert.equal(describeRule("FREQ=DAILY;COUNT=5", start, "Europe/Berlin", "de"), "täglich 5-mal bis 07.09.2026");
    assert.equal(describeRule("FREQ=YEARLY;BYMONTH=9;BYMONTHDAY=3;COUNT=2", start, "Europe/Berlin", "de"), "jährlich am 3. im September 2-mal bis 03.09.2027");
  });
});

describe("describeEvent", () => {
  it("announces a single event with category, time and place", () => {
    assert.equal(describeEvent("e", exam, "de"), "Prüfung: Mathe-Arbeit · Do., 03.12.2026, 08:00–09:30 · Raum 101");
    assert.equal(describeEvent("e", exam, "en"), "Exam: Mathe-Arbeit · Thu, 3 Dec 2026, 08:00–09:30 · Raum 101");
    assert.equal(describeEvent("f", ferien, "de"), "Ferien/Feiertag: Weihnachtsferien · Mo., 21.12.2026 – Mi., 06.01.2027");
  });

  it("announces a recurring event with its rule, the dates left out and the changed ones", () => {
    const lesson = valid({
      summary: "Mathe 7b", start: "2026-09-03T08:00", end: "2026-09-03T08:45", all_day: false, tzid: "Europe/Berlin",
      rrule: "FREQ=WEEKLY;BYDAY=TH;UNTIL=20270701T000000Z", exdates: ["2026-12-24T08:00"],
      overrides: { "2026-12-31T08:00": { cancelled: true }, "2026-10-08T08:00": { start: "2026-10-09T08:00", end: "2026-10-09T08:45" } },
      category: "lesson",
    });
    assert.equal(
      describeEvent("m", lesson, "de"),
      "Unterricht: Mathe 7b · Do., 03.09.2026, 08:00–08:45 · wöchentlich am Donnerstag bis 24.06.2027, außer am 24.12.2026 und 31.12.2026, 1 geänderter Termin",
    );
    assert.equal(
      describeEvent("m", lesson, "en"),
      "Lesson: Mathe 7b · Thu, 3 Sep 2026, 08:00–08:45 · weekly on Thursday until 24 Jun 2027, except 24 Dec 2026 and 31 Dec 2026, 1 changed occurrence",
    );
  });
});
