// The Kalender section's pure helpers: day arithmetic and ISO weeks, occurrences laid out by day, the event form ↔ content, colours, keys.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { colourIndex, colourStyle, PALETTE } from "../src/features/calendar/colours.ts";
import { addDays, addMonths, daysBetween, isDay, isoWeek, isoWeekLabel, mondayOfIsoWeek, monthGrid, startOfWeek, weekday } from "../src/features/calendar/dates.ts";
import { describeEvent } from "../src/features/calendar/describe.ts";
import { contentToForm, formProblems, formToContent, newEventValues, readRule, repeatRule } from "../src/features/calendar/event-form.ts";
import { dayAfterKey, eventHref, newEventHref, queryOf, rangeOf, stepDay } from "../src/features/calendar/navigation.ts";
import { layoutDays, toOccurrence, type Occurrence } from "../src/features/calendar/occurrences.ts";

describe("days", () => {
  it("knows real days and does arithmetic across months, years and leap days", () => {
    assert.equal(isDay("2026-02-28"), true);
    assert.equal(isDay("2026-02-30"), false);
    assert.equal(isDay("2026-2-3"), false);
    assert.equal(addDays("2026-12-31", 1), "2027-01-01");
    assert.equal(addDays("2028-03-01", -1), "2028-02-29");
    assert.equal(addMonths("2026-01-31", 1), "2026-02-28");
    assert.equal(addMonths("2026-03-31", -1), "2026-02-28");
    assert.equal(daysBetween("2026-11-28", "2026-12-05"), 7);
  });

  it("starts weeks on Monday and numbers them as ISO 8601 does", () => {
    assert.equal(weekday("2026-11-29"), 7);
    assert.equal(startOfWeek("2026-11-29"), "2026-11-23");
    assert.deepEqual(isoWeek("2026-12-31"), { year: 2026, week: 53 });
    assert.deepEqual(isoWeek("2027-01-03"), { year: 2026, week: 53 });
    assert.deepEqual(isoWeek("2027-01-04"), { year: 2027, week: 1 });
    assert.equal(isoWeekLabel("2026-12-01"), "2026-W49");
    assert.equal(mondayOfIsoWeek("2026-W49"), "2026-11-30");
    assert.equal(mondayOfIsoWeek("2026-W53"), "2026-12-28");
  });

  it("lays out a month as full weeks from Monday to Sunday", () => {
    const grid = monthGrid("2026-11-15");
    assert.equal(grid[0]![0], "2026-10-26");
    assert.equal(grid[grid.length - 1]![6], "2026-12-06");
    assert.ok(grid.every((w) => w.length === 7));
  });
});

describe("occurrences by day", () => {
  const occ = (start: string, end: string, allDay = false, summary = "x"): Occurrence =>
    toOccurrence({ uid: `${summary}@t`, recurrence_id: null, calendars: ["!a:s"], summary, start, end, all_day: allDay, category: "other" })!;

  it("turns exclusive all-day ends into last days, and midnight ends into the day before", () => {
    const holiday = occ("2026-12-21", "2027-01-02", true);
    assert.equal(holiday.firstDay, "2026-12-21");
    assert.equal(holiday.lastDay, "2027-01-01");
    const late = occ("2026-11-30T22:00:00+01:00", "2026-12-01T00:00:00+01:00");
    assert.equal(late.lastDay, "2026-11-30");
    assert.equal(late.startTime, "22:00");
    assert.equal(toOccurrence({ uid: "u", start: "kaputt", end: "kaputt" }), null);
  });

  it("sorts all-day first, then by time, and marks the parts of events over several days", () => {
    const days = layoutDays(
      [occ("2026-12-01T10:00:00+01:00", "2026-12-01T11:00:00+01:00", false, "B"), occ("2026-12-01", "2026-12-02", true, "Ferien"), occ("2026-11-30T20:00:00+01:00", "2026-12-02T09:00:00+01:00", false, "Fahrt"), occ("2026-12-01T08:00:00+01:00", "2026-12-01T09:00:00+01:00", false, "A")],
      "2026-11-30",
      "2026-12-02",
    );
    const dec1 = days.find((d) => d.day === "2026-12-01")!;
    assert.deepEqual(dec1.entries.map((e) => `${e.occurrence.summary}:${e.part}`), ["Fahrt:continues", "Ferien:whole", "A:whole", "B:whole"]);
    assert.equal(days.find((d) => d.day === "2026-11-30")!.entries[0]!.part, "starts");
    assert.equal(days.find((d) => d.day === "2026-12-02")!.entries[0]!.part, "ends");
  });

  it("leaves out events whose calendars are all hidden", () => {
    const days = layoutDays([occ("2026-12-01", "2026-12-02", true)], "2026-12-01", "2026-12-01", new Set(["!a:s"]));
    assert.equal(days[0]!.entries.length, 0);
  });
});

describe("the event form", () => {
  it("makes a weekly lesson with a floating UNTIL at the end of the last day", () => {
    const v = { ...newEventValues("2026-12-01", "!c:s", "15:00"), summary: " Mathe-AG ", repeat: "weekly" as const, repeatUntil: "2027-02-02", location: "R 101" };
    assert.deepEqual(formProblems(v), []);
    const c = formToContent(v, "Europe/Berlin");
    assert.deepEqual(c, { summary: "Mathe-AG", start: "2026-12-01T15:00", end: "2026-12-01T16:00", all_day: false, tzid: "Europe/Berlin", category: "other", rrule: "FREQ=WEEKLY;UNTIL=20270202T235959", location: "R 101" });
    assert.equal(repeatRule("daily", "2027-01-01", true), "FREQ=DAILY;UNTIL=20270101");
  });

  it("writes all-day ends exclusive and reads them back inclusive", () => {
    const v = { ...newEventValues("2026-12-21", "!c:s"), summary: "Ferien", allDay: true, endDate: "2027-01-01", category: "holiday" as const };
    const c = formToContent(v, "Europe/Berlin");
    assert.equal(c.start, "2026-12-21");
    assert.equal(c.end, "2027-01-02");
    const back = contentToForm(c, "!c:s");
    assert.equal(back.endDate, "2027-01-01");
    assert.equal(back.allDay, true);
  });

  it("finds every problem at once", () => {
    const v = { ...newEventValues("2026-12-01", ""), startTime: "10:00", endTime: "09:00", repeat: "daily" as const, repeatUntil: "2026-11-01" };
    assert.deepEqual(formProblems(v), ["calendar_missing", "summary_missing", "end_before_start", "until_before_start"]);
  });

  it("keeps what it does not show when editing, drops exceptions with the repetition, and counts the sequence up", () => {
    const before = { summary: "Alt", start: "2026-12-01T08:00", end: "2026-12-01T08:45", all_day: false, tzid: "Europe/Berlin", rrule: "FREQ=WEEKLY;BYDAY=TU,TH;COUNT=20", exdates: ["2026-12-03T08:00"], category: "lesson", sequence: 2, exam_id: undefined, created_by: "@x:s", custom: 1 };
    const v = contentToForm(before, "!c:s");
    assert.equal(v.repeat, "custom");
    const kept = formToContent({ ...v, summary: "Neu" }, "Europe/Berlin", before);
    assert.equal(kept.rrule, "FREQ=WEEKLY;BYDAY=TU,TH;COUNT=20");
    assert.deepEqual(kept.exdates, ["2026-12-03T08:00"]);
    assert.equal(kept.sequence, 3);
    assert.equal(kept.custom, 1);
    assert.equal("created_by" in kept, false);
    const single = formToContent({ ...v, repeat: "none" }, "Europe/Berlin", before);
    assert.equal(single.rrule, undefined);
    assert.equal(single.exdates, undefined);
  });

  it("reads only the rules it can show", () => {
    assert.deepEqual(readRule("FREQ=WEEKLY;UNTIL=20270202T235959"), { repeat: "weekly", until: "2027-02-02" });
    assert.deepEqual(readRule("FREQ=DAILY;UNTIL=20270202T230000Z"), { repeat: "daily", until: "2027-02-02" });
    assert.equal(readRule("FREQ=WEEKLY;COUNT=5"), null);
    assert.equal(readRule("FREQ=MONTHLY;UNTIL=20270202"), null);
  });

  it("describes one occurrence of a series, with its override", () => {
    const content = { summary: "AG", start: "2026-12-01T15:00", end: "2026-12-01T16:30", all_day: false, tzid: "Europe/Berlin", category: "other", overrides: { "2026-12-15T15:00": { location: "Aula" } } };
    const d = describeEvent(content, "2026-12-15T15:00");
    assert.equal(d.firstDay, "2026-12-15");
    assert.equal(d.startTime, "15:00");
    assert.equal(d.endTime, "16:30");
    assert.equal(d.location, "Aula");
  });
});

describe("navigation and colours", () => {
  it("moves the selected day with the keys and pages by view", () => {
    assert.equal(dayAfterKey("2026-12-01", "ArrowRight", "week"), "2026-12-02");
    assert.equal(dayAfterKey("2026-12-01", "ArrowDown", "month"), "2026-12-08");
    assert.equal(dayAfterKey("2026-12-01", "End", "week"), "2026-12-06");
    assert.equal(dayAfterKey("2026-12-31", "PageDown", "month"), "2027-01-31");
    assert.equal(dayAfterKey("2026-12-01", "a", "month"), null);
    assert.deepEqual(rangeOf("week", "2026-12-03"), { from: "2026-11-30", to: "2026-12-06" });
    assert.deepEqual(rangeOf("agenda", "2026-12-03", 7), { from: "2026-12-03", to: "2026-12-09" });
    assert.equal(stepDay("month", "2026-01-31", 1), "2026-02-28");
  });

  it("builds links with encoded room ids and reads the query", () => {
    assert.equal(eventHref("!a:s", "x@y", "2026-12-01T15:00"), "#/calendar/event/!a%3As/x%40y?at=2026-12-01T15%3A00");
    assert.equal(queryOf(newEventHref("2026-12-01", "!a:s").slice(1)).get("calendar"), "!a:s");
  });

  it("gives each calendar the same colour every time", () => {
    assert.equal(colourIndex("!abc:schule"), colourIndex("!abc:schule"));
    assert.ok(colourIndex("!abc:schule") < PALETTE.length);
    assert.match(colourStyle("!abc:schule"), /^--cal-light: #[0-9a-f]{6}; --cal-dark: #[0-9a-f]{6};$/);
  });
});
