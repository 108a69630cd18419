// The Klausuren section's reading of the plan API (loosely typed answers) and its period texts.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { periodCount, periodsText, readCohorts, readDecision, readPlan } from "../src/features/exams/plan.ts";

describe("exam plan answers", () => {
  it("reads a plan, drops cancelled exams from the days, and survives missing fields", () => {
    const plan = readPlan({
      cohort: "9z",
      weeks: [
        {
          week: "2026-W50",
          days: [
            { date: "2026-12-08", weekday: 2, exams: [{ id: "x1", course: "Mathe", kind: "klassenarbeit", date: "2026-12-08", periods: [4, 3], status: "confirmed" }, { id: "x2", course: "Deutsch", kind: "test", date: "2026-12-08", periods: [1], status: "cancelled" }], blocked: [], free: false, free_periods: [], reasons: [{ de: "Schon eine Arbeit", en: "Already one" }], warnings: [] },
            { date: "2026-12-09", blocked: [{ date: "2026-12-09", periods: null, category: "trip", reason: "Harz" }], free: false },
          ],
        },
      ],
      exams: [{ id: "x1", course: "Mathe", kind: "klassenarbeit", date: "2026-12-08", periods: [3, 4], status: "confirmed", title: null }, { nonsense: true }],
    });
    assert.equal(plan.weeks[0]!.days[0]!.exams.length, 1);
    assert.deepEqual(plan.weeks[0]!.days[0]!.exams[0]!.periods, [3, 4]);
    assert.equal(plan.weeks[0]!.days[0]!.reasons[0]!.en, "Already one");
    assert.equal(plan.weeks[0]!.days[1]!.blocked[0]!.periods, null);
    assert.deepEqual(plan.weeks[0]!.days[1]!.exams, []);
    assert.equal(plan.exams.length, 1);
    assert.equal(plan.exams[0]!.courseRoom, null);
  });

  it("reads cohorts and decisions", () => {
    assert.deepEqual(readCohorts({ cohorts: [{ room_id: "!r:s", name: "9z", stage: "sek1", grade: 9, can_plan: true }, { name: "ohne Raum" }] }), [{ roomId: "!r:s", name: "9z", stage: "sek1", grade: 9, canPlan: true }]);
    const d = readDecision({ ok: false, dry_run: true, exam: null, violations: [{ ruleId: "ni-day", binding: true, reason: { de: "Am Di. schon eine", en: "On Tue already one" }, conflicts: ["x1"] }], warnings: [] });
    assert.equal(d.ok, false);
    assert.equal(d.violations[0]!.reason.de, "Am Di. schon eine");
    assert.deepEqual(d.violations[0]!.conflicts, ["x1"]);
  });

  it("writes periods as ranges and knows how many there are", () => {
    assert.equal(periodsText([4, 3]), "3.–4.");
    assert.equal(periodsText([1, 3, 4, 6]), "1., 3.–4., 6.");
    assert.equal(periodsText([5]), "5.");
    assert.equal(periodCount(null), 8);
    assert.equal(periodCount(readPlan({ weeks: [{ week: "2026-W50", days: [{ date: "2026-12-08", free_periods: [1, 2, 10] }] }] })), 10);
  });
});
