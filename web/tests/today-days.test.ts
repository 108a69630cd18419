// The start page's pure helpers: local days, entries of today and tomorrow, homework due soon, upcoming exams.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { addDays, dueSoon, entriesByDay, localDay, parseUpcomingExams, periodsLabel } from "../src/features/today/days.ts";

describe("start page days", () => {
  it("knows the local day in a time zone and counts days across month ends", () => {
    assert.equal(localDay(new Date("2026-03-01T23:30:00Z"), "Europe/Berlin"), "2026-03-02");
    assert.equal(localDay(new Date("2026-03-01T23:30:00Z"), "UTC"), "2026-03-01");
    assert.equal(addDays("2026-02-28", 1), "2026-03-01");
    assert.equal(addDays("2026-12-31", 1), "2027-01-01");
  });

  it("puts timed entries on their start day and all-day entries on every day they cover, all-day first", () => {
    const days = entriesByDay(
      [
        { uid: "m", summary: "Mathe", start: "2026-03-02T09:50:00+01:00", end: "2026-03-02T10:35:00+01:00", all_day: false, category: "lesson", location: "R 12" },
        { uid: "d", summary: "Deutsch", start: "2026-03-02T08:00:00+01:00", end: "2026-03-02T08:45:00+01:00", all_day: false, category: "lesson" },
        { uid: "f", summary: "Fahrt", start: "2026-03-01", end: "2026-03-04", all_day: true, category: "trip" },
        { uid: "x", summary: "Morgen", start: "2026-03-03T12:00:00+01:00", end: "2026-03-03T13:00:00+01:00", all_day: false },
        { summary: "kaputt" },
        "kaputt",
      ],
      ["2026-03-02", "2026-03-03"],
    );
    assert.deepEqual(days.get("2026-03-02")?.map((e) => [e.summary, e.startTime, e.endTime]), [
      ["Fahrt", null, null],
      ["Deutsch", "08:00", "08:45"],
      ["Mathe", "09:50", "10:35"],
    ]);
    assert.deepEqual(days.get("2026-03-03")?.map((e) => [e.summary, e.category]), [
      ["Fahrt", "trip"],
      ["Morgen", "other"],
    ]);
  });

  it("lists homework that is due within a week or overdue, soonest first", () => {
    const now = new Date("2026-03-02T12:00:00Z");
    const item = (id: string, due: string, status: string) => ({ assignment_id: id, course_room: "!c", course: "Mathe", title: id, due, status });
    const list = dueSoon([item("late", "2026-03-01T08:00:00Z", "overdue"), item("far", "2026-03-20T08:00:00Z", "new"), item("done", "2026-03-03T08:00:00Z", "submitted"), item("soon", "2026-03-04T08:00:00Z", "started"), item("past", "2026-02-01T08:00:00Z", "past")], now);
    assert.deepEqual(list.map((i) => i.assignment_id), ["late", "soon"]);
  });

  it("reads upcoming exams and writes their periods", () => {
    const exams = parseUpcomingExams({ days: 14, exams: [{ id: "b", course: "Deutsch 7a", kind: "klassenarbeit", date: "2026-03-10", periods: [3, 4], title: null }, { id: "a", course: "Mathe 7a", kind: "test", date: "2026-03-05", periods: [2] }, { nope: 1 }] });
    assert.deepEqual(exams.map((e) => e.id), ["a", "b"]);
    assert.throws(() => parseUpcomingExams({}));
    assert.equal(periodsLabel([4, 3]), "3.–4.");
    assert.equal(periodsLabel([2]), "2.");
    assert.equal(periodsLabel([2, 5]), "2., 5.");
  });
});
