// The Klausurplan's values as the calendar API answers them (checked loosely, since the spec leaves them untyped), and small helpers to show them.

/** The kinds of written exams. */
export const EXAM_KINDS = ["klassenarbeit", "klausur", "test", "nachschreibtermin"] as const;
export type ExamKind = (typeof EXAM_KINDS)[number];
export type ExamStatus = "requested" | "confirmed" | "cancelled";

/** A text in both languages, as the rules engine writes its reasons. */
export interface Bilingual {
  de: string;
  en: string;
}

/** A cohort (a class in Sek I, a year group in Sek II) with its exam-planning room. */
export interface Cohort {
  roomId: string;
  name: string;
  stage: "sek1" | "sek2" | null;
  grade: number | null;
  /** The user may plan here (a teacher or admin in the planning room). */
  canPlan: boolean;
}

/** An exam of the plan. Course, title and note are untrusted text. */
export interface Exam {
  id: string;
  /** Missing in students' answers. */
  courseRoom: string | null;
  course: string;
  kind: ExamKind;
  date: string;
  periods: number[];
  status: ExamStatus;
  title: string | null;
  note: string | null;
  /** Teachers' answers only: who asked, and the warnings it was planned with. */
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

type Loose = Record<string, unknown>;
const obj = (v: unknown): Loose => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Loose) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === "string" ? v : "");
const strOrNull = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);
const nums = (v: unknown): number[] => arr(v).filter((n): n is number => typeof n === "number" && Number.isInteger(n));

function bilingual(v: unknown): Bilingual {
  const o = obj(v);
  return { de: str(o.de), en: str(o.en) || str(o.de) };
}

/** An exam from any of the API's forms (the full content for teachers, the short form for students). */
export function readExam(v: unknown): Exam | null {
  const o = obj(v);
  if (typeof o.id !== "string" || typeof o.date !== "string") return null;
  const kind = (EXAM_KINDS as readonly string[]).includes(str(o.kind)) ? (o.kind as ExamKind) : "klassenarbeit";
  const status: ExamStatus = o.status === "requested" || o.status === "cancelled" ? o.status : "confirmed";
  const override = obj(o.override);
  return {
    id: o.id,
    courseRoom: strOrNull(o.course_room),
    course: str(o.course),
    kind,
    date: o.date,
    periods: nums(o.periods).sort((a, b) => a - b),
    status,
    title: strOrNull(o.title),
    note: strOrNull(o.note),
    requestedBy: strOrNull(o.requested_by),
    warnings: arr(o.warnings).filter((w): w is string => typeof w === "string"),
    override: typeof override.reason === "string" ? { by: str(override.by), reason: override.reason } : null,
  };
}

const exams = (v: unknown): Exam[] => arr(v).map(readExam).filter((e): e is Exam => e !== null);

/** `GET /exams/cohorts`. */
export function readCohorts(v: unknown): Cohort[] {
  return arr(obj(v).cohorts).flatMap((c) => {
    const o = obj(c);
    if (typeof o.room_id !== "string") return [];
    return [{ roomId: o.room_id, name: str(o.name) || o.room_id, stage: o.stage === "sek1" || o.stage === "sek2" ? o.stage : null, grade: typeof o.grade === "number" ? o.grade : null, canPlan: o.can_plan === true }];
  });
}

/** `GET /exams/plan`. */
export function readPlan(v: unknown): Plan {
  const o = obj(v);
  return {
    cohort: str(o.cohort),
    exams: exams(o.exams),
    weeks: arr(o.weeks).map((w) => {
      const wo = obj(w);
      return {
        week: str(wo.week),
        days: arr(wo.days).map((d) => {
          const dd = obj(d);
          return {
            date: str(dd.date),
            exams: exams(dd.exams).filter((e) => e.status !== "cancelled"),
            blocked: arr(dd.blocked).map((b) => {
              const bo = obj(b);
              return { periods: Array.isArray(bo.periods) ? nums(bo.periods) : null, category: str(bo.category), reason: str(bo.reason) };
            }),
            free: dd.free === true,
            freePeriods: nums(dd.free_periods),
            reasons: arr(dd.reasons).map(bilingual),
            warnings: arr(dd.warnings).map(bilingual),
          };
        }),
      };
    }),
  };
}

function violations(v: unknown): Violation[] {
  return arr(v).map((x) => {
    const o = obj(x);
    return { ruleId: str(o.ruleId), binding: o.binding !== false, reason: bilingual(o.reason), conflicts: arr(o.conflicts).filter((c): c is string => typeof c === "string") };
  });
}

/** The answer of `POST /exams`, `/exams/check`, `/exams/{id}/move` and `/approve`. */
export function readDecision(v: unknown): Decision {
  const o = obj(v);
  return { ok: o.ok === true, exam: o.exam === null || o.exam === undefined ? null : readExam(o.exam), violations: violations(o.violations), warnings: violations(o.warnings) };
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

/** How many lesson periods the plan's days have (the API does not say; at least 8, more when a day shows more). */
export function periodCount(plan: Plan | null): number {
  let most = 8;
  for (const w of plan?.weeks ?? []) {
    for (const d of w.days) {
      for (const p of d.freePeriods) most = Math.max(most, p);
      for (const e of d.exams) for (const p of e.periods) most = Math.max(most, p);
      for (const b of d.blocked) for (const p of b.periods ?? []) most = Math.max(most, p);
    }
  }
  return Math.min(most, 16);
}
