// The planning view of a cohort for the web client: ISO weeks with their exams, blocked entries, and for every school day whether (and in which periods) a new exam of a given kind is possible, and why not.
import { isoDate, isoWeekday, isoWeekLabel, requireDay } from "./dates.ts";
import { prepareChecker, type BlockedDay, type ExamRequest, type PlannedExam } from "./check.ts";
import type { ExamKind, ExamRules, Stage } from "./rules.ts";
import type { Bilingual } from "./texts.ts";

/** How many days `to` may be after `from` in `planWeeks` (a school year and a bit). */
export const MAX_PLAN_DAYS = 400;

/** What to plan: a cohort's days between two dates, and the kind of exam the teacher has in mind. */
export interface PlanInput {
  cohort: string;
  from: string;
  to: string;
  existing: readonly PlannedExam[];
  blocked: readonly BlockedDay[];
  rules: ExamRules;
  today: string;
  /** Lesson periods per day, numbered 1…n. */
  periodsPerDay: number;
  /** The exam a teacher would like to add; `course` and `students` make per-student limits exact. */
  probe: { kind: ExamKind; grade: number | null; stage: Stage; course?: string; students?: string[] };
  schoolForm?: string;
}

/** One school day of the view. */
export interface PlanDay {
  date: string;
  /** 1 = Monday … 7 = Sunday. */
  weekday: number;
  /** The cohort's exams that day (requested and confirmed), by first period. */
  exams: PlannedExam[];
  /** Every calendar entry of the day, blocking or not. */
  blocked: BlockedDay[];
  /** A new exam of the probe's kind is possible in at least one period without breaking a binding rule. */
  free: boolean;
  /** The periods where it is possible. */
  free_periods: number[];
  /** Binding reasons against it (for the whole day, or for the periods they name). */
  reasons: Bilingual[];
  /** Advisory reasons: possible, but with a warning. */
  warnings: Bilingual[];
}

/** One ISO week (`2026-W49`) with its school days in the range. */
export interface PlanWeek {
  week: string;
  days: PlanDay[];
}

function firstPeriod(e: PlannedExam): number {
  return e.periods.length === 0 ? 0 : Math.min(...e.periods);
}

/**
 * The cohort's weeks from `from` to `to` (inclusive, `to` at most {@link MAX_PLAN_DAYS} days later): for each school day
 * its exams and calendar entries, whether a new exam of the probe's kind fits, in which periods, and the
 * reasons and warnings of the rules. Days that a binding `school_days` rule excludes (weekends) are left out.
 */
export function planWeeks(input: PlanInput): PlanWeek[] {
  const from = requireDay(input.from);
  const to = requireDay(input.to);
  if (to < from) throw new RangeError(`from ${input.from} is after to ${input.to}`);
  if (to - from > MAX_PLAN_DAYS) throw new RangeError(`to may be at most ${MAX_PLAN_DAYS} days after from`);
  if (!Number.isInteger(input.periodsPerDay) || input.periodsPerDay < 1 || input.periodsPerDay > 20) throw new RangeError("periodsPerDay must be 1 to 20");

  const checker = prepareChecker(input);
  const allPeriods = Array.from({ length: input.periodsPerDay }, (_, i) => i + 1);
  const examsByDate = new Map<string, PlannedExam[]>();
  for (const e of input.existing) {
    if (e.cohort !== input.cohort || e.status === "cancelled") continue;
    const list = examsByDate.get(e.date);
    if (list) list.push(e);
    else examsByDate.set(e.date, [e]);
  }
  const blockedByDate = new Map<string, BlockedDay[]>();
  for (const b of input.blocked) {
    const list = blockedByDate.get(b.date);
    if (list) list.push(b);
    else blockedByDate.set(b.date, [b]);
  }
  const schoolDayRules = input.rules.rules.flatMap((r) => (r.kind === "school_days" && r.binding ? [new Set(r.weekdays)] : []));

  const weeks: PlanWeek[] = [];
  for (let day = from; day <= to; day++) {
    const weekday = isoWeekday(day);
    if (schoolDayRules.some((w) => !w.has(weekday))) continue;
    const date = isoDate(day);
    const request: ExamRequest = {
      course: input.probe.course ?? "",
      cohort: input.cohort,
      kind: input.probe.kind,
      date,
      periods: allPeriods,
      grade: input.probe.grade,
      stage: input.probe.stage,
      ...(input.probe.students === undefined ? {} : { students: input.probe.students }),
    };
    const result = checker.check(request);
    const closed = new Set<number>();
    let wholeDay = false;
    for (const v of result.violations) {
      if (v.periods === undefined) wholeDay = true;
      else for (const p of v.periods) closed.add(p);
    }
    const free_periods = wholeDay ? [] : allPeriods.filter((p) => !closed.has(p));
    const label = isoWeekLabel(day);
    let week = weeks[weeks.length - 1];
    if (week?.week !== label) weeks.push((week = { week: label, days: [] }));
    week.days.push({
      date,
      weekday,
      exams: [...(examsByDate.get(date) ?? [])].sort((a, b) => firstPeriod(a) - firstPeriod(b)),
      blocked: blockedByDate.get(date) ?? [],
      free: free_periods.length > 0,
      free_periods,
      reasons: result.violations.map((v) => v.reason),
      warnings: result.warnings.map((v) => v.reason),
    });
  }
  return weeks;
}
