// The rules format (`de.schulhof.exam.rules`) and the defaults per Bundesland.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defaultRules, ExamRulesSchema, STATES, type Rule } from "../../src/exams/index.ts";

function rule(rules: Rule[], id: string): Rule {
  const r = rules.find((x) => x.id === id);
  assert.ok(r, `rule ${id}`);
  return r;
}

describe("defaultRules", () => {
  it("gives valid rules for every Bundesland, with Monday–Friday and binding holiday/trip blocks", () => {
    for (const s of STATES) {
      const d = defaultRules(s);
      assert.deepEqual(ExamRulesSchema.parse(d), d, s);
      assert.deepEqual(rule(d.rules, "school-days"), { ...rule(d.rules, "school-days"), binding: true, weekdays: [1, 2, 3, 4, 5] });
      const blocks = rule(d.rules, "holidays-trips");
      assert.ok(blocks.kind === "blocked_categories" && blocks.binding && blocks.categories.includes("holiday") && blocks.categories.includes("trip"));
      assert.equal(d.announce_days_on_start_page, 14);
    }
  });

  it("Niedersachsen: 1 per day and 3 per calendar week binding, 7 days notice advisory, make-ups only warned", () => {
    const ni = defaultRules("ni");
    assert.equal(ni.preset, "NI");
    assert.deepEqual(
      ni.rules.filter((r) => r.kind === "max_per_day" || r.kind === "max_per_week" || r.kind === "min_notice_days").map((r) => [r.id, r.kind === "max_per_day" || r.kind === "max_per_week" || r.kind === "min_notice_days" ? r.limit : 0, r.binding]),
      [["ni-day", 1, true], ["ni-week", 3, true], ["ni-notice", 7, false]],
    );
    const week = rule(ni.rules, "ni-week");
    assert.ok(week.kind === "max_per_week" && week.makeup_binding === false && !week.counts_kinds?.includes("test"));
    assert.match(rule(ni.rules, "ni-notice").note ?? "", /unsere Wahl/);
  });

  it("Nordrhein-Westfalen: Sek I day binding and week advisory (2), Sek II 1 per day and 3 per week binding", () => {
    const nw = defaultRules("NW", "gymnasium");
    assert.equal(nw.school_form, "gymnasium");
    const s1w = rule(nw.rules, "nw-s1-week");
    assert.ok(s1w.kind === "max_per_week" && s1w.limit === 2 && !s1w.binding && s1w.applies?.stages?.[0] === "sek1");
    const s2w = rule(nw.rules, "nw-s2-week");
    assert.ok(s2w.kind === "max_per_week" && s2w.limit === 3 && s2w.binding && s2w.applies?.stages?.[0] === "sek2");
    assert.ok(rule(nw.rules, "nw-s1-day").binding && rule(nw.rules, "nw-s2-day").binding);
  });

  it("Bayern: 1 per day binding, 2 per week advisory, a week's notice binding", () => {
    const by = defaultRules("BY");
    const week = rule(by.rules, "by-week");
    assert.ok(week.kind === "max_per_week" && week.limit === 2 && !week.binding);
    assert.ok(rule(by.rules, "by-day").binding && rule(by.rules, "by-notice").binding);
  });

  it("every other state, and Berufsschulen, get the generic set, labelled as ours", () => {
    for (const d of [defaultRules("HH"), defaultRules("NI", "berufsschule")]) {
      assert.equal(d.preset, "generic");
      const day = rule(d.rules, "day");
      const week = rule(d.rules, "week");
      const notice = rule(d.rules, "notice");
      assert.ok(day.binding && !week.binding && !notice.binding);
      assert.ok(week.kind === "max_per_week" && week.limit === 3 && notice.kind === "min_notice_days" && notice.limit === 7);
      assert.match(day.source ?? "", /Schulhof-Voreinstellung/);
      assert.match(day.note ?? "", /ohne geprüftes Landesrecht/);
    }
  });

  it("refuses an unknown state; leaves out an unknown school form", () => {
    assert.throws(() => defaultRules("XX"), RangeError);
    assert.equal(defaultRules("NW", "sekundarschule").school_form, undefined);
  });
});

describe("ExamRulesSchema", () => {
  const base = { state: "NI", rules: [] };

  it("fills defaults", () => {
    assert.deepEqual(ExamRulesSchema.parse(base), { state: "NI", week_starts: "monday", approval_required: false, announce_days_on_start_page: 14, rules: [] });
    const parsed = ExamRulesSchema.parse({ ...base, rules: [{ id: "days", kind: "school_days", binding: true }] });
    assert.deepEqual(parsed.rules[0], { id: "days", kind: "school_days", binding: true, weekdays: [1, 2, 3, 4, 5] });
  });

  it("refuses what would make the engine guess", () => {
    const bad: unknown[] = [
      { ...base, state: "XX" },
      { ...base, week_starts: "sunday" },
      { ...base, rules: [{ id: "a", kind: "max_per_day", binding: true }] },
      { ...base, rules: [{ id: "a", kind: "max_per_day", binding: true, limit: 0 }] },
      { ...base, rules: [{ id: "a", kind: "max_per_month", binding: true, limit: 1 }] },
      { ...base, rules: [{ id: "a", kind: "max_per_day", limit: 1 }] },
      { ...base, rules: [{ id: "a", kind: "max_per_day", binding: true, limit: 1 }, { id: "a", kind: "max_per_week", binding: true, limit: 3 }] },
      { ...base, rules: [{ id: "a", kind: "exam_free_weeks", binding: true }] },
      { ...base, rules: [{ id: "a", kind: "exam_free_weeks", binding: true, weeks: ["2027-W54"] }] },
      { ...base, rules: [{ id: "a", kind: "blocked_dates", binding: true, dates: [{ from: "2026-02-30", to: "2026-03-01" }] }] },
      { ...base, rules: [{ id: "a", kind: "blocked_dates", binding: true, dates: [{ from: "2026-03-02", to: "2026-03-01" }] }] },
      { ...base, rules: [{ id: "a", kind: "max_per_day", binding: true, limit: 1, applies: { stages: ["primar"] } }] },
      { ...base, rules: [{ id: "Bad Id", kind: "school_days", binding: true }] },
    ];
    for (const b of bad) assert.equal(ExamRulesSchema.safeParse(b).success, false, JSON.stringify(b));
  });
});
