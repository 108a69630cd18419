// What `!note` and `!aufgabe … | Note` make of a teacher's words: marks that fit the grading, refusals that say why.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { gradingFromWord, markFits, readGradeCommand } from "../src/domain/grades.ts";

describe("readGradeCommand", () => {
  it("refuses a mark on an ungraded assignment instead of dropping it", () => {
    assert.deepEqual(readGradeCommand(["2", "gut", "gemacht"], "none"), { ok: false, why: "not_graded", input: "2" });
    assert.deepEqual(readGradeCommand(["11"], "none"), { ok: false, why: "not_graded", input: "11" });
  });
  it("keeps every word of a comment on an ungraded assignment", () => {
    assert.deepEqual(readGradeCommand(["gut", "gemacht"], "none"), { ok: true, grade: null, points: null, comment: "gut gemacht" });
    assert.deepEqual(readGradeCommand(["-", "gut", "gemacht"], "none"), { ok: true, grade: null, points: null, comment: "gut gemacht" });
  });
  it("reads grades and points and refuses what does not fit", () => {
    assert.deepEqual(readGradeCommand(["2-", "gut"], "grade"), { ok: true, grade: "2-", points: null, comment: "gut" });
    assert.deepEqual(readGradeCommand(["11"], "points"), { ok: true, grade: null, points: 11, comment: "" });
    assert.deepEqual(readGradeCommand(["16"], "points"), { ok: false, why: "bad_points", input: "16" });
    assert.deepEqual(readGradeCommand(["gut"], "grade"), { ok: false, why: "bad_grade", input: "gut" });
    assert.deepEqual(readGradeCommand(["-", "Lob"], "grade"), { ok: true, grade: null, points: null, comment: "Lob" });
    assert.deepEqual(readGradeCommand(["-"], "grade"), { ok: false, why: "empty", input: "-" });
  });
});

describe("gradingFromWord and markFits", () => {
  it("knows the German and English words of a grading", () => {
    assert.equal(gradingFromWord("Note"), "grade");
    assert.equal(gradingFromWord(" punkte "), "points");
    assert.equal(gradingFromWord("ohne Note"), "none");
    assert.equal(gradingFromWord("Seite 42"), null);
  });
  it("says when a feedback's mark does not fit", () => {
    assert.equal(markFits({ grade: "2", points: null }, "none"), "not_graded");
    assert.equal(markFits({ grade: null, points: 3 }, "grade"), "bad_grade");
    assert.equal(markFits({ grade: "2", points: null }, "points"), "bad_points");
    assert.equal(markFits({ grade: null, points: null }, "none"), null);
    assert.equal(markFits({ grade: "2", points: null }, "grade"), null);
  });
});
