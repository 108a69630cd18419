// Which exam cohort a class or a course belongs to: per class in Sek I, per year group in Sek II.

import { normalizeClassName } from "./fields.ts";

/** The group whose Klausurplan an exam goes into: a class (Sek I) or a year group (Sek II). */
export interface ExamCohort {
  kind: "class" | "yeargroup";
  name: string;
}

/** Where a class sits in the school. */
export interface Cohort {
  /** The grade as a number where the class name says it (`7b` → 7); null for EF, E1, Q1, J1, … */
  grade: number | null;
  /** `Jahrgang 7` for numbered grades, else the year group itself (`EF`, `Q1`). */
  yearGroup: string;
  stage: "sek1" | "sek2";
  examCohort: ExamCohort;
}

/**
 * The cohort of a class. Grades 5–10 are Sek I and plan exams per class (`7b`); grades 11–13 and
 * the upper-school year groups (`E`, `EF`, `E1`, `E2`, `Q1`–`Q4`, `J1`, `J2`) are Sek II and plan
 * exams per year group, whatever the letter (`Q1a` → `Q1`). Accepts any spelling
 * `normalizeClassName` accepts; throws a plain Error for anything else (callers pass parsed names).
 */
export function cohortOf(className: string): Cohort {
  const name = normalizeClassName(className);
  if (name === null) throw new Error(`not a class name: ${className}`);
  const stem = name.replace(/[a-z]$/, "");
  const grade = /^\d+$/.test(stem) ? Number(stem) : null;
  const yearGroup = grade === null ? stem : `Jahrgang ${grade}`;
  if (grade !== null && grade <= 10) {
    return { grade, yearGroup, stage: "sek1", examCohort: { kind: "class", name } };
  }
  return { grade, yearGroup, stage: "sek2", examCohort: { kind: "yeargroup", name: yearGroup } };
}

/**
 * The exam cohort of a course, decided in this order:
 * 1. all members' classes lead to the same exam cohort → that cohort (`Mathematik 5a` with
 *    pupils of 5a → class 5a; `Latein Q1` with pupils of Q1a and Q1b → year group Q1);
 * 2. the members come from several classes of one Sek I year group (a Religion or
 *    Wahlpflicht course of 7a and 7b) → that year group (`Jahrgang 7`);
 * 3. otherwise (no members, or several year groups) the last word of the course name if it is a
 *    class name (`Latein Q1` → Q1, `Mathematik 5a` → 5a);
 * 4. otherwise null: the course has no exams of its own (an AG such as `Schulchor`).
 * `classesOfMembers` are the class names of the course's students (teachers are left out);
 * names that are not class names are ignored.
 */
export function courseCohort(courseName: string, classesOfMembers: Iterable<string>): ExamCohort | null {
  const cohorts: Cohort[] = [];
  for (const c of classesOfMembers) {
    if (normalizeClassName(c) !== null) cohorts.push(cohortOf(c));
  }
  const first = cohorts[0];
  if (first !== undefined) {
    if (cohorts.every((c) => sameCohort(c.examCohort, first.examCohort))) return first.examCohort;
    if (cohorts.every((c) => c.yearGroup === first.yearGroup)) return { kind: "yeargroup", name: first.yearGroup };
  }
  const lastWord = courseName.trim().split(/\s+/).pop() ?? "";
  return normalizeClassName(lastWord) === null ? null : cohortOf(lastWord).examCohort;
}

function sameCohort(a: ExamCohort, b: ExamCohort): boolean {
  return a.kind === b.kind && a.name === b.name;
}
