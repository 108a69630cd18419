// Grades as German schools give them: 1 to 6 with + and - in Sek I, 0 to 15 points in Sek II.
import type { Grading } from "./schema.ts";

/** Parses what a teacher typed as a grade for an assignment graded `grading`; null when it does not fit. */
export function parseGrade(input: string, grading: "grade" | "points" | "none"): { grade: string | null; points: number | null } | null {
  const v = input.trim();
  if (grading === "grade") return /^[1-6][+-]?$/.test(v) && v !== "1+" && v !== "6-" ? { grade: v, points: null } : null;
  if (grading === "points") {
    if (!/^\d{1,2}$/.test(v)) return null;
    const n = Number(v);
    return n >= 0 && n <= 15 ? { grade: null, points: n } : null;
  }
  return { grade: null, points: null };
}

/** How a grade reads in a message: `2-` or `11 Punkte` / `11 points`. */
export function gradeText(g: { grade: string | null; points: number | null }, lang: "de" | "en"): string {
  if (g.grade !== null) return g.grade;
  if (g.points !== null) return `${g.points} ${lang === "de" ? "Punkte" : "points"}`;
  return "";
}

/** Words a teacher may write for the grading of an assignment (`!aufgabe … | Note`), German and English. */
const GRADING_WORDS: Record<string, Grading> = {
  note: "grade",
  noten: "grade",
  grade: "grade",
  grades: "grade",
  punkte: "points",
  points: "points",
  ohne: "none",
  "ohne note": "none",
  "ohne bewertung": "none",
  keine: "none",
  none: "none",
};

/** The grading a word names (`Note`, `Punkte`, `ohne`; `grade`, `points`, `none`), or null when it names none. */
export function gradingFromWord(word: string): Grading | null {
  return GRADING_WORDS[word.trim().toLowerCase().replace(/\s+/g, " ")] ?? null;
}

/** Whether the text looks like a mark (a grade `2-` or points `11`), which an ungraded assignment cannot take. */
export function looksLikeMark(word: string): boolean {
  return /^([1-6][+-]?|\d{1,2})$/.test(word.trim());
}

/** What `!note Nr …` means for an assignment graded `grading`: a mark with a comment, or why it cannot be taken. */
export type GradeCommand =
  | { ok: true; grade: string | null; points: number | null; comment: string }
  | { ok: false; why: "not_graded" | "bad_grade" | "bad_points" | "empty"; input: string };

/**
 * Reads the words after the assignment's number. `-` stands for "no mark, only a comment". An ungraded assignment
 * takes a comment only: a first word that looks like a mark is refused (`not_graded`) rather than dropped or
 * silently read as the comment's first word.
 */
export function readGradeCommand(words: string[], grading: Grading): GradeCommand {
  const [first = "", ...rest] = words;
  if (first === "-") {
    const comment = rest.join(" ").trim();
    return comment === "" ? { ok: false, why: "empty", input: first } : { ok: true, grade: null, points: null, comment };
  }
  if (grading === "none") {
    if (looksLikeMark(first)) return { ok: false, why: "not_graded", input: first };
    const comment = words.join(" ").trim();
    return comment === "" ? { ok: false, why: "empty", input: "" } : { ok: true, grade: null, points: null, comment };
  }
  const g = parseGrade(first, grading);
  if (g === null) return { ok: false, why: grading === "grade" ? "bad_grade" : "bad_points", input: first };
  return { ok: true, ...g, comment: rest.join(" ").trim() };
}

/** Whether a feedback's mark fits the assignment's grading; the reason when it does not. */
export function markFits(f: { grade: string | null; points: number | null }, grading: Grading): "not_graded" | "bad_grade" | "bad_points" | null {
  if (f.grade === null && f.points === null) return null;
  if (grading === "none") return "not_graded";
  if (grading === "grade" && f.grade === null) return "bad_grade";
  if (grading === "points" && f.points === null) return "bad_points";
  return null;
}
