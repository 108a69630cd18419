// The Klausurplan's values: the calendar API's typed answers (generated from its OpenAPI file) made into what the views show, and small helpers to show them.
import type { components } from "../../lib/api/generated/calendar.ts";

type Schemas = components["schemas"];
export type ApiExam = Schemas["Exam"];
export type ApiCohort = Schemas["Cohort"];
export type ApiPlan = Schemas["ExamPlan"];
export type ApiDecision = Schemas["ExamDecision"];

/** The kinds of written exams. */
export const EXAM_KINDS = ["klassenarbeit", "klausur", "test", "nachschreibtermin"] as const satisfies readonly Schemas["ExamKind"][];
export type ExamKind = Schemas["ExamKind"];
export type ExamStatus = ApiExam["status"];

/** A text in both languages, as the rules engine writes its reasons. */
export type Bilingual = Schemas["Reason"];

/** A lesson period of the school day (`start`/`end` as `HH:MM`, the school's local time). */
export type Period = Schemas["Period"];

/** A course of the cohort the user may plan for (or sees, with `canPlan` false). `name` is untrusted text. */
export interface CohortCourse {
  roomId: string;
  name: string;
  canPlan: boolean;
}

/** A cohort (a class in Sek I, a year group in Sek II) with its exam-planning room. */
export interface Cohort {
  roomId: string;
  name: string;
  stage: "sek1" | "sek2" | null;
  grade: number | null;
  /** The user sees requests and plans here (a teacher of the cohort or of one of its courses, or a school admin). */
  canPlan: boolean;
  /** The user approves requests and may override rules (school admin). */
  canApprove: boolean;
  /** The cohort's courses the user may plan for; empty for students. */
  courses: CohortCourse[];
}

/** An exam of the plan. Course, title and note are untrusted text. */
export interface Exam {
  id: string;
  courseRoom: string;
  course: string;
  kind: ExamKind;
  date: string;
  periods: number[];
  status: ExamStatus;
  title: string | null;
  note: string | null;
  /** Planners' answers only: who asked, and the warnings it was planned with. */
  requestedBy: string | null;
  warnings: string[];
  override: { by: string; reason: string } | null;
}

/** A calendar entry of the day that may block exams (`periods: null` = the whole day). `reason` is untrusted text. */
export interface BlockedEntry {
  periods: number[] | null;
  category: string;
  reason: string;
}

/** One school day of the plan. */
export interface PlanDay {
  date: string;
  exams: Exam[];
  blocked: BlockedEntry[];
  /** A new exam of the asked kind fits in at least one period. */
  free: boolean;
  freePeriods: number[];
  reasons: Bilingual[];
  warnings: Bilingual[];
}

export interface PlanWeek {
  /** ISO week, `2026-W49`. */
  week: string;
  days: PlanDay[];
}

export interface Plan {
  cohort: string;
  /** The school's lesson periods. */
  periods: Period[];
  weeks: PlanWeek[];
  exams: Exam[];
}

/** One rule a request breaks. */
export interface Violation {
  ruleId: string;
  binding: boolean;
  reason: Bilingual;
  conflicts: string[];
}

/** The answer to a check or request: `ok` when nothing binding is broken (or an admin overrode it). */
export interface Decision {
  ok: boolean;
  exam: Exam | null;
  violations: Violation[];
  warnings: Violation[];
}

/** An exam from the API (the full content for planners, the short form for students). */
export function toExam(e: ApiExam): Exam {
  return {
    id: e.id,
    courseRoom: e.course_room,
    course: e.course,
    kind: e.kind,
    date: e.date,
    periods: [...e.periods].sort((a, b) => a - b),
    status: e.status,
    title: e.title ?? null,
    note: e.note ?? null,
    requestedBy: e.requested_by ?? null,
    warnings: e.warnings ?? [],
    override: e.override === undefined ? null : { by: e.override.by, reason: e.override.reason },
  };
}

/** `GET /exams/cohorts`. */
export function toCohort(c: ApiCohort): Cohort {
  return {
    roomId: c.room_id,
    name: c.name === "" ? c.room_id : c.name,
    stage: c.stage === "sek1" || c.stage === "sek2" ? c.stage : null,
    grade: c.grade,
    canPlan: c.can_plan,
    canApprove: c.can_approve,
    courses: c.courses.map((x) => ({ roomId: x.room_id, name: x.name === "" ? x.room_id : x.name, canPlan: x.can_plan })),
  };
}

/** `GET /exams/plan`; cancelled exams are left out of the days. */
export function toPlan(p: ApiPlan): Plan {
  return {
    cohort: p.cohort,
    periods: [...p.periods].sort((a, b) => a.number - b.number),
    exams: p.exams.map(toExam),
    weeks: p.weeks.map((w) => ({
      week: w.week,
      days: w.days.map((d) => ({
        date: d.date,
        exams: d.exams.map(toExam).filter((e) => e.status !== "cancelled"),
        blocked: d.blocked.map((b) => ({ periods: b.periods, category: b.category, reason: b.reason })),
        free: d.free,
        freePeriods: d.free_periods,
        reasons: d.reasons,
        warnings: d.warnings,
      })),
    })),
  };
}

/** The answer of `POST /exams`, `/exams/check`, `/exams/{id}/move`, `…/move/check` and `…/approve`. */
export function toDecision(d: ApiDecision): Decision {
  const violations = (list: ApiDecision["violations"]): Violation[] => list.map((v) => ({ ruleId: v.ruleId, binding: v.binding, reason: v.reason, conflicts: v.conflicts ?? [] }));
  return { ok: d.ok, exam: d.exam === null ? null : toExam(d.exam), violations: violations(d.violations), warnings: violations(d.warnings) };
}

/** Periods as people write them: `[3, 4]` → `3.–4.`, `[1, 3, 4]` → `1., 3.–4.` (German ordinals; `ordinal: false` → `3–4`). */
export function periodsText(periods: readonly number[], ordinal = true): string {
  const dot = ordinal ? "." : "";
  const sorted = [...new Set(periods)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? `${sorted[i]}${dot}` : `${sorted[i]}${dot}–${sorted[j]}${dot}`);
    i = j + 1;
  }
  return parts.join(", ");
}
