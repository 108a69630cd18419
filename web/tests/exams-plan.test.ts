// The Klausuren section's reading of the plan API (typed answers made into view values) and its period texts.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { periodsText, toCohort, toDecision, toPlan, type ApiPlan } from "../src/features/exams/plan.ts";

const day = (date: string, extra: Partial<ApiPlan["weeks"][number]["days"][number]> = {}): ApiPlan["weeks"][number]["days"][number] => ({
  date,
  weekday: 2,
  exams: [],
  blocked: [],
  free: true,
  free_periods: [1, 2, 3, 4, 5, 6],
  reasons: [],
  warnings: [],
  ...extra,
});

describe("exam plan answers", () => {
  it("makes a plan view values: periods in order, cancelled exams out of the days, a student's short form", () => {
    const plan = toPlan({
      cohort: "9z",
      periods: [
        { number: 2, start: "08:50", end: "09:35" },
        { number: 1, start: "08:00", end: "08:45" },
      ],
      weeks: [
        {
          week: "2026-W50",
          days: [
            day("2026-12-08", {
              exams: [
                { id: "x1", course_room: "!m:s", course: "Mathe", kind: "klassenarbeit", date: "2026-12-08", periods: [4, 3], status: "confirmed" },
                { id: "x2", course_room: "!d:s", course: "Deutsch", kind: "test", date: "2026-12-08", periods: [1], status: "cancelled" },
              ],
              free: false,
              free_periods: [],
              reasons: [{ de: "Schon eine Arbeit", en: "Already one" }],
            }),
            day("2026-12-09", { blocked: [{ date: "2026-12-09", periods: null, category: "trip", reason: "Harz" }], free: false, free_periods: [] }),
          ],
        },
      ],
      exams: [{ id: "x1", course_room: "!m:s", course: "Mathe", kind: "klassenarbeit", date: "2026-12-08", periods: [3, 4], status: "confirmed", title: "Brüche" }],
    });
    assert.deepEqual(plan.periods.map((p) => p.number), [1, 2]);
    assert.equal(plan.weeks[0]!.days[0]!.exams.length, 1);
    assert.deepEqual(plan.weeks[0]!.days[0]!.exams[0]!.periods, [3, 4]);
    assert.equal(plan.weeks[0]!.days[0]!.reasons[0]!.en, "Already one");
    assert.equal(plan.weeks[0]!.days[1]!.blocked[0]!.periods, null);
    assert.deepEqual(plan.weeks[0]!.days[1]!.exams, []);
    assert.deepEqual(plan.exams[0], { id: "x1", courseRoom: "!m:s", course: "Mathe", kind: "klassenarbeit", date: "2026-12-08", periods: [3, 4], status: "confirmed", title: "Brüche", note: null, requestedBy: null, warnings: [], override: null });
  });

  it("reads cohorts with the courses one may plan for, and decisions", () => {
    assert.deepEqual(
      toCohort({ room_id: "!r:s", name: "9z", stage: "sek1", grade: 9, can_plan: true, can_approve: false, courses: [{ room_id: "!m:s", name: "Mathe 9z", can_plan: true }, { room_id: "!d:s", name: "", can_plan: false }] }),
      { roomId: "!r:s", name: "9z", stage: "sek1", grade: 9, canPlan: true, canApprove: false, courses: [{ roomId: "!m:s", name: "Mathe 9z", canPlan: true }, { roomId: "!d:s", name: "!d:s", canPlan: false }] },
    );
    const d = toDecision({ ok: false, dry_run: true, exam: null, violations: [{ ruleId: "ni-day", kind: "max_per_day", binding: true, reason: { de: "Am Di. schon eine", en: "On Tue already one" }, conflicts: ["x1"] }], warnings: [{ ruleId: "ni-notice", kind: "min_notice_days", binding: false, reason: { de: "knapp", en: "short" } }] });
    assert.equal(d.ok, false);
    assert.equal(d.violations[0]!.reason.de, "Am Di. schon eine");
    assert.deepEqual(d.violations[0]!.conflicts, ["x1"]);
    assert.deepEqual(d.warnings[0]!.conflicts, []);
  });

  it("writes periods as ranges", () => {
    assert.equal(periodsText([4, 3]), "3.–4.");
    assert.equal(periodsText([1, 3, 4, 6]), "1., 3.–4., 6.");
    assert.equal(periodsText([5]), "5.");
    assert.equal(periodsText([2, 3], false), "2–3");
  });
});
