// Quick sanity that a check is well under a millisecond: one request against a cohort's school year (40 exams) and 100 blocked days, 1000 times.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkExam, defaultRules, type BlockedDay, type PlannedExam } from "../../src/exams/index.ts";
import { isoDate, requireDay } from "../../src/exams/dates.ts";
import { exam, req } from "./helpers.ts";

describe("performance", () => {
  it("1000 checks against 40 exams and 100 blocked days take < 200 ms", () => {
    const start = requireDay("2026-08-31");
    const existing: PlannedExam[] = Array.from({ length: 40 }, (_, i) => exam(`e${i}`, isoDate(start + i * 7 + (i % 5)), { students: i % 4 === 0 ? ["@a:s", "@b:s"] : undefined }));
    const blocked: BlockedDay[] = Array.from({ length: 100 }, (_, i) => ({ date: isoDate(start + i * 3), periods: i % 2 === 0 ? null : [1, 2], category: i % 3 === 0 ? "trip" : "holiday", reason: `Eintrag ${i}` }));
    const rules = defaultRules("NI");
    const request = req("2027-01-13");
    // Warm up the JIT before timing.
    for (let i = 0; i < 200; i++) checkExam({ request, existing, blocked, rules, today: "2026-11-02" });
    const t0 = performance.now();
    for (let i = 0; i < 1000; i++) checkExam({ request: { ...request, date: isoDate(start + (i % 280)) }, existing, blocked, rules, today: "2026-08-01" });
    const ms = performance.now() - t0;
    assert.ok(ms < 200, `1000 checks took ${ms.toFixed(1)} ms`);
  });
});
