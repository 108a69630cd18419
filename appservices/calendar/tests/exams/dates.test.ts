// ISO weeks (Monday–Sunday, across New Year) and the German/English day labels of the exam engine.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { dayNumber, formatDayDe, formatDayEn, formatRange, isoWeekday, isoWeekLabel, mondayOf, mondayOfWeekLabel, requireDay } from "../../src/exams/dates.ts";
import { formatPeriods } from "../../src/exams/index.ts";

describe("dates", () => {
  it("knows real calendar dates only", () => {
    assert.ok(Number.isNaN(dayNumber("2026-02-30")));
    assert.ok(Number.isNaN(dayNumber("3.12.2026")));
    assert.equal(dayNumber("2028-02-29") - dayNumber("2028-02-28"), 1);
    assert.throws(() => requireDay("2026-13-01"), RangeError);
  });

  it("numbers ISO weeks from Monday to Sunday, across New Year", () => {
    assert.equal(isoWeekLabel(requireDay("2026-12-03")), "2026-W49");
    assert.equal(isoWeekLabel(requireDay("2026-12-06")), "2026-W49");
    assert.equal(isoWeekLabel(requireDay("2026-12-07")), "2026-W50");
    assert.equal(isoWeekLabel(requireDay("2027-01-03")), "2026-W53");
    assert.equal(isoWeekLabel(requireDay("2027-01-04")), "2027-W01");
    assert.equal(isoWeekLabel(requireDay("2024-12-30")), "2025-W01");
    assert.equal(isoWeekday(requireDay("2026-12-06")), 7);
    assert.equal(mondayOf(requireDay("2026-12-06")), requireDay("2026-11-30"));
    assert.equal(mondayOfWeekLabel("2026-W53"), requireDay("2026-12-28"));
    assert.equal(mondayOfWeekLabel("2025-W01"), requireDay("2024-12-30"));
    assert.ok(Number.isNaN(mondayOfWeekLabel("2027-W53")));
    assert.ok(Number.isNaN(mondayOfWeekLabel("2027-W00")));
  });

  it("labels days, ranges and periods for people", () => {
    assert.equal(formatDayDe(requireDay("2026-12-03")), "Do., 03.12.2026");
    assert.equal(formatDayEn(requireDay("2026-12-03")), "Thu, 3 Dec 2026");
    assert.deepEqual(formatRange(requireDay("2026-12-28"), requireDay("2027-01-03")), { de: "28.12.2026–03.01.2027", en: "28 Dec 2026 – 3 Jan 2027" });
    assert.deepEqual(formatPeriods([4, 3]), { de: "3.–4. Stunde", en: "periods 3–4" });
    assert.deepEqual(formatPeriods([1, 3]), { de: "1., 3. Stunde", en: "periods 1, 3" });
    assert.deepEqual(formatPeriods([5]), { de: "5. Stunde", en: "period 5" });
  });
});
