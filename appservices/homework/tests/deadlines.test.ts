// Due dates across daylight-saving changes, lateness at one second before and after due and cut-off, and statuses.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatAtSchool, judgeSubmission, localToRfc3339, toMillis } from "../src/domain/deadlines.ts";
import { parseGrade } from "../src/domain/grades.ts";
import { todoStatus } from "../src/domain/status.ts";

describe("localToRfc3339", () => {
  it("uses +01:00 in winter and +02:00 in summer (Europe/Berlin)", () => {
    assert.equal(localToRfc3339("2026-03-28T18:00"), "2026-03-28T18:00:00+01:00");
    assert.equal(localToRfc3339("2026-03-29T18:00"), "2026-03-29T18:00:00+02:00");
    assert.equal(localToRfc3339("2026-10-24T18:00"), "2026-10-24T18:00:00+02:00");
    assert.equal(localToRfc3339("2026-10-25T18:00"), "2026-10-25T18:00:00+01:00");
  });

  it("reads German dates, and 23:59 when no time is given", () => {
    assert.equal(localToRfc3339("24.03.2026 18:00"), "2026-03-24T18:00:00+01:00");
    assert.equal(localToRfc3339("24.03.2026"), "2026-03-24T23:59:00+01:00");
  });

  it("refuses the hour that does not exist in March, and takes the first 02:30 in October", () => {
    assert.throws(() => localToRfc3339("2026-03-29T02:30"), /does not exist/);
    assert.equal(localToRfc3339("2026-10-25T02:30"), "2026-10-25T02:30:00+02:00");
  });

  it("refuses a bad date and an unknown zone", () => {
    assert.throws(() => localToRfc3339("morgen"), /not a date/);
    assert.throws(() => localToRfc3339("2026-03-24T18:00", "Europe/Nowhere"), /unknown time zone/);
  });

  it("formats for people in the school's zone", () => {
    assert.equal(formatAtSchool("2026-03-29T16:00:00Z", "Europe/Berlin", "de"), "So, 29.03.2026, 18:00 Uhr");
    assert.equal(formatAtSchool("2026-03-29T16:00:00Z", "Europe/Berlin", "en"), "Sun, 29 Mar 2026, 18:00");
  });
});

describe("judgeSubmission at the edges", () => {
  const due = "2026-03-29T18:00:00+02:00";
  const cutoff = "2026-03-30T08:00:00+02:00";
  it("one second before and after the due date, and after the cut-off", () => {
    assert.equal(judgeSubmission(toMillis(due) - 1000, due, cutoff), "on_time");
    assert.equal(judgeSubmission(toMillis(due), due, cutoff), "on_time");
    assert.equal(judgeSubmission(toMillis(due) + 1000, due, cutoff), "late");
    assert.equal(judgeSubmission(toMillis(cutoff), due, cutoff), "late");
    assert.equal(judgeSubmission(toMillis(cutoff) + 1000, due, cutoff), "too_late");
  });

  it("counts the real instant across the October change (the repeated hour)", () => {
    const octDue = localToRfc3339("2026-10-25T02:30");
    // 02:40 in the second (winter-time) 02:xx hour is an hour after the first 02:30: late.
    const secondPass = Date.parse("2026-10-25T02:40:00+01:00");
    assert.equal(judgeSubmission(secondPass, octDue, null), "late");
    assert.equal(judgeSubmission(Date.parse("2026-10-25T02:29:59+02:00"), octDue, null), "on_time");
  });

  it("accepts late submissions forever without a cut-off", () => {
    assert.equal(judgeSubmission(toMillis(due) + 86_400_000 * 30, due, null), "late");
  });
});

describe("todoStatus", () => {
  const base = { due: "2026-03-29T18:00:00+02:00", cutoff: "2026-03-30T08:00:00+02:00", closed: false, submitted: false, started: false };
  const at = (iso: string): number => Date.parse(iso);
  it("new, started, submitted, overdue, past", () => {
    assert.equal(todoStatus({ ...base, now: at("2026-03-29T17:59:59+02:00") }), "new");
    assert.equal(todoStatus({ ...base, started: true, now: at("2026-03-29T12:00:00+02:00") }), "started");
    assert.equal(todoStatus({ ...base, submitted: true, now: at("2026-04-10T12:00:00+02:00") }), "submitted");
    assert.equal(todoStatus({ ...base, now: at("2026-03-29T18:00:01+02:00") }), "overdue");
    assert.equal(todoStatus({ ...base, now: at("2026-03-30T08:00:01+02:00") }), "past");
    assert.equal(todoStatus({ ...base, closed: true, now: at("2026-03-01T08:00:00+01:00") }), "past");
  });
});

describe("parseGrade", () => {
  it("takes German grades and points, refuses the rest", () => {
    assert.deepEqual(parseGrade("2-", "grade"), { grade: "2-", points: null });
    assert.equal(parseGrade("1+", "grade"), null);
    assert.equal(parseGrade("7", "grade"), null);
    assert.deepEqual(parseGrade("15", "points"), { grade: null, points: 15 });
    assert.equal(parseGrade("16", "points"), null);
    assert.equal(parseGrade("2", "points")?.points, 2);
  });
});
