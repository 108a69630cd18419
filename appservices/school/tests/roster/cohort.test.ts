// Tests for cohortOf and courseCohort: exams per class in Sek I, per year group in Sek II.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cohortOf, courseCohort, normalizeClassName } from "../../src/roster/index.ts";

describe("normalizeClassName", () => {
  it("accepts grades 5–13, upper-school year groups and a letter", () => {
    const cases: [string, string | null][] = [
      ["5a", "5a"], ["10b", "10b"], ["5", "5"], ["05A", "5a"], ["E", "E"], ["EF", "EF"], ["ef", "EF"],
      ["E1", "E1"], ["E2", "E2"], ["Q1", "Q1"], ["Q2", "Q2"], ["Q3", "Q3"], ["Q4b", "Q4b"], ["11", "11"],
      ["12", "12"], ["13c", "13c"], ["J2", "J2"], [" 7c ", "7c"],
      ["4a", null], ["14", null], ["5ab", null], ["Q5", null], ["E3", null], ["5-a", null], ["", null], ["Klasse 5a", null],
    ];
    for (const [input, expected] of cases) assert.equal(normalizeClassName(input), expected, input);
  });
});

describe("cohortOf", () => {
  it("plans Sek I exams per class", () => {
    assert.deepEqual(cohortOf("7b"), {
      grade: 7, yearGroup: "Jahrgang 7", stage: "sek1", examCohort: { kind: "class", name: "7b" },
    });
    assert.deepEqual(cohortOf("10").examCohort, { kind: "class", name: "10" });
  });

  it("plans Sek II exams per year group", () => {
    assert.deepEqual(cohortOf("Q1a"), {
      grade: null, yearGroup: "Q1", stage: "sek2", examCohort: { kind: "yeargroup", name: "Q1" },
    });
    assert.deepEqual(cohortOf("ef").examCohort, { kind: "yeargroup", name: "EF" });
    assert.deepEqual(cohortOf("E2").examCohort, { kind: "yeargroup", name: "E2" });
    assert.deepEqual(cohortOf("12b"), {
      grade: 12, yearGroup: "Jahrgang 12", stage: "sek2", examCohort: { kind: "yeargroup", name: "Jahrgang 12" },
    });
  });

  it("throws for what is not a class name", () => {
    assert.throws(() => cohortOf("Schulchor"));
  });
});

describe("courseCohort", () => {
  it("takes the cohort all members share", () => {
    assert.deepEqual(courseCohort("Mathematik 5a", ["5a", "5a"]), { kind: "class", name: "5a" });
    assert.deepEqual(courseCohort("Latein", ["Q1a", "Q1b"]), { kind: "yeargroup", name: "Q1" });
  });

  it("takes the year group when Sek I members come from several classes", () => {
    assert.deepEqual(courseCohort("Religion 7", ["7a", "7b", "7c"]), { kind: "yeargroup", name: "Jahrgang 7" });
  });

  it("falls back to the course name, else null", () => {
    assert.deepEqual(courseCohort("Latein Q1", []), { kind: "yeargroup", name: "Q1" });
    assert.deepEqual(courseCohort("Mathematik 5a", ["5a", "6b"]), { kind: "class", name: "5a" });
    assert.equal(courseCohort("Schulchor", ["5a", "9c", "Q2"]), null);
    assert.equal(courseCohort("Theater-AG", []), null);
  });
});
