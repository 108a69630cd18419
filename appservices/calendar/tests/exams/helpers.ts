// Builders for exam-rules tests: a 7a class in week 49 of 2026 (Mon 30.11.–Sun 06.12.2026), checked on Mon 02.11.2026 unless said otherwise.
import { checkExam, type BlockedDay, type CheckResult, type ExamRequest, type ExamRules, type PlannedExam } from "../../src/exams/index.ts";

export const TODAY = "2026-11-02";

/** An existing, confirmed Klassenarbeit of 7a (3rd and 4th period); `over` changes any field. */
export function exam(id: string, date: string, over: Partial<PlannedExam> = {}): PlannedExam {
  return { id, course: `Fach${id} 7a`, cohort: "7a", kind: "klassenarbeit", date, periods: [3, 4], grade: 7, stage: "sek1", status: "confirmed", ...over };
}

/** A request for a Klassenarbeit of 7a (Mathematik 7a, 3rd and 4th period). */
export function req(date: string, over: Partial<ExamRequest> = {}): ExamRequest {
  return { course: "Mathematik 7a", cohort: "7a", kind: "klassenarbeit", date, periods: [3, 4], grade: 7, stage: "sek1", ...over };
}

/** A Klausur request of the Sek II year group Q1. */
export function reqQ1(date: string, over: Partial<ExamRequest> = {}): ExamRequest {
  return { course: "Deutsch GK1 Q1", cohort: "Q1", kind: "klausur", date, periods: [1, 2, 3], grade: null, stage: "sek2", ...over };
}

/** An existing Klausur of Q1. */
export function examQ1(id: string, date: string, over: Partial<PlannedExam> = {}): PlannedExam {
  return { id, course: `Kurs${id} Q1`, cohort: "Q1", kind: "klausur", date, periods: [1, 2, 3], grade: null, stage: "sek2", status: "confirmed", ...over };
}

/** Checks with defaults for what the test does not care about. */
export function check(rules: ExamRules, request: ExamRequest, existing: PlannedExam[] = [], blocked: BlockedDay[] = [], today = TODAY, schoolForm?: string): CheckResult {
  return checkExam({ request, existing, blocked, rules, today, ...(schoolForm === undefined ? {} : { schoolForm }) });
}

/** The rule ids of a result: binding ones and warnings. */
export function ids(r: CheckResult): { binding: string[]; warnings: string[] } {
  return { binding: r.violations.map((v) => v.ruleId), warnings: r.warnings.map((v) => v.ruleId) };
}

/** Rules with only the given rules (no defaults), for testing one kind at a time. */
export function only(rules: ExamRules["rules"]): ExamRules {
  return { state: "HH", week_starts: "monday", approval_required: false, announce_days_on_start_page: 14, rules };
}
