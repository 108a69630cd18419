// The planning view: a cohort's weeks with exams, blocked entries, free periods and the reasons a day is not free.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defaultRules, planWeeks, type BlockedDay, type PlanInput } from "../../src/exams/index.ts";
import { exam } from "./helpers.ts";

const blocked: BlockedDay[] = [
  { date: "2026-12-08", periods: [1, 2], category: "trip", reason: "Museumsbesuch" },
  { date: "2026-12-09", periods: null, category: "event", reason: "Elternsprechtag" },
  { date: "2026-12-11", periods: null, category: "holiday", reason: "Beweglicher Ferientag" },
];

function input(over: Partial<PlanInput> = {}): PlanInput {
  return {
    cohort: "7a",
    from: "2026-11-30",
    to: "2026-12-13",
    existing: [exam("a", "2026-12-01", { periods: [5, 6] }), exam("b", "2026-12-02"), exam("c", "2026-12-03"), exam("x", "2026-12-04", { cohort: "7b" }), exam("z", "2026-12-04", { status: "cancelled" })],
    blocked,
    rules: defaultRules("NI"),
    today: "2026-11-30",
    periodsPerDay: 8,
    probe: { kind: "klassenarbeit", grade: 7, stage: "sek1" },
    ...over,
  };
}

describe("planWeeks", () => {
  const weeks = planWeeks(input());
  const day = (date: string) => weeks.flatMap((w) => w.days).find((d) => d.date === date)!;

  it("groups school days into ISO weeks and leaves out weekends", () => {
    assert.deepEqual(weeks.map((w) => w.week), ["2026-W49", "2026-W50"]);
    assert.deepEqual(weeks.map((w) => w.days.map((d) => d.weekday)), [[1, 2, 3, 4, 5], [1, 2, 3, 4, 5]]);
  });

  it("shows the cohort's exams (not other cohorts', not cancelled) and every calendar entry", () => {
    assert.deepEqual(day("2026-12-01").exams.map((e) => e.id), ["a"]);
    assert.deepEqual(day("2026-12-04").exams, []);
    assert.deepEqual(day("2026-12-09").blocked.map((b) => b.reason), ["Elternsprechtag"]);
  });

  it("a full week is not free, with the reason", () => {
    const fri = day("2026-12-04");
    assert.equal(fri.free, false);
    assert.deepEqual(fri.free_periods, []);
    assert.deepEqual(fri.reasons.map((r) => r.de), ["In der KW 49 (30.11.–06.12.2026) schreibt die 7a schon 3 Arbeiten (Facha 7a, Fachb 7a, Fachc 7a); erlaubt sind 3 pro Woche."]);
    assert.match(fri.warnings[0]!.de, /nur 4 Tage/);
    const tue = day("2026-12-01");
    assert.equal(tue.free, false);
    assert.equal(tue.reasons.length, 2);
  });

  it("a day with enough notice and nothing planned is free without warnings", () => {
    const mon = day("2026-12-07");
    assert.equal(mon.free, true);
    assert.deepEqual(mon.free_periods, [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.deepEqual(mon.reasons, []);
    assert.deepEqual(mon.warnings, []);
  });

  it("a trip in some periods leaves the others free; a holiday closes the day; a school event does not", () => {
    const tue = day("2026-12-08");
    assert.equal(tue.free, true);
    assert.deepEqual(tue.free_periods, [3, 4, 5, 6, 7, 8]);
    assert.equal(tue.reasons[0]!.de, "Am Di., 08.12.2026 in der 1.–2. Stunde ist keine Arbeit möglich: Museumsbesuch (Fahrt).");
    assert.equal(day("2026-12-09").free, true);
    const fri = day("2026-12-11");
    assert.equal(fri.free, false);
    assert.match(fri.reasons[0]!.en, /Beweglicher Ferientag \(holiday\)/);
  });

  it("depends on the probe: a short test is not limited in NI", () => {
    const tests = planWeeks(input({ probe: { kind: "test", grade: 7, stage: "sek1" } }));
    const fri = tests[0]!.days[4]!;
    assert.equal(fri.free, true);
    assert.deepEqual(fri.reasons, []);
    assert.deepEqual(fri.warnings, []);
  });

  it("marks past days", () => {
    const late = planWeeks(input({ today: "2026-12-02" }));
    assert.match(late[0]!.days[0]!.reasons[0]!.de, /liegt in der Vergangenheit/);
  });

  it("starts and ends mid-week, and refuses bad ranges", () => {
    const mid = planWeeks(input({ from: "2026-12-03", to: "2026-12-08" }));
    assert.deepEqual(mid.map((w) => [w.week, w.days.map((d) => d.date)]), [["2026-W49", ["2026-12-03", "2026-12-04"]], ["2026-W50", ["2026-12-07", "2026-12-08"]]]);
    assert.throws(() => planWeeks(input({ from: "2026-12-08", to: "2026-12-07" })), RangeError);
    assert.throws(() => planWeeks(input({ from: "2026-01-01", to: "2027-12-31" })), RangeError);
    assert.throws(() => planWeeks(input({ periodsPerDay: 0 })), RangeError);
  });
});
