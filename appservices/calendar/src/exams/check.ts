// Checks an exam request against the school's rules: every binding violation (the request is refused) and every advisory one (a warning), with specific bilingual reasons. Pure, no I/O; the exams and blocked days are indexed by day and ISO week.
import { z } from "zod";
import { dayNumber, isoWeekday, mondayOf, mondayOfWeekLabel, requireDay } from "./dates.ts";
import { DEFAULT_COUNTED_KINDS, ExamKindSchema, IsoDateSchema, StageSchema, type ExamKind, type ExamRules, type Rule, type RuleKind } from "./rules.ts";
import {
  blockedDatesText,
  blockedText,
  examFreeText,
  noticeText,
  pastText,
  perDayText,
  perWeekText,
  schoolDayText,
  type Bilingual,
} from "./texts.ts";

/** A teacher's request for an exam of a course (learning group) in the cohort's planning room. */
export const ExamRequestSchema = z.object({
  /** Set when an existing exam is moved: it does not conflict with itself. */
  id: z.string().min(1).max(100).optional(),
  course: z.string().trim().min(1).max(200),
  cohort: z.string().trim().min(1).max(100),
  kind: ExamKindSchema,
  date: IsoDateSchema,
  /** Lesson periods, e.g. `[3, 4]`. */
  periods: z.array(z.number().int().min(0).max(20)).min(1).max(20),
  grade: z.number().int().min(1).max(13).nullable(),
  stage: StageSchema,
  /** For a Nachschreibtermin: the id of the exam that is made up. */
  makeup_of: z.string().min(1).max(100).optional(),
  /** Who writes: for a Nachschreibtermin only these students; otherwise optional (the course's students). */
  students: z.array(z.string().min(1).max(255)).max(500).optional(),
});
export type ExamRequest = z.infer<typeof ExamRequestSchema>;

export const ExamStatusSchema = z.enum(["requested", "confirmed", "cancelled"]);
export type ExamStatus = z.infer<typeof ExamStatusSchema>;

/** An exam already in the plan. */
export const PlannedExamSchema = ExamRequestSchema.extend({ id: z.string().min(1).max(100), status: ExamStatusSchema });
export type PlannedExam = z.infer<typeof PlannedExamSchema>;

/** A calendar entry that may block exams: a holiday, a trip, … (`periods: null` = the whole day). */
export const BlockedDaySchema = z.object({
  date: IsoDateSchema,
  periods: z.array(z.number().int().min(0).max(20)).nullable(),
  category: z.string().min(1).max(50),
  /** Summary of the calendar entry, shown in the reason (`Weihnachtsferien`). */
  reason: z.string().max(200),
});
export type BlockedDay = z.infer<typeof BlockedDaySchema>;

/** Everything a check needs; `existing` may hold exams of any status and other cohorts (they are skipped). */
export interface CheckInput {
  request: ExamRequest;
  existing: readonly PlannedExam[];
  /** Calendar entries that concern the cohort (school-wide ones and the cohort's own). */
  blocked: readonly BlockedDay[];
  rules: ExamRules;
  /** Today at school, `YYYY-MM-DD`. */
  today: string;
  /** Overrides `rules.school_form`. */
  schoolForm?: string;
}

/** One rule the request breaks. */
export interface Violation {
  /** The rule's id, or `past` for a date in the past (always binding). */
  ruleId: string;
  kind: RuleKind | "past";
  binding: boolean;
  reason: Bilingual;
  /** Ids of the existing exams involved. */
  conflicts?: string[];
  /** For a block of some periods only: the requested periods that are blocked. */
  periods?: number[];
  source?: string;
}

/** The answer: `ok` when nothing binding is broken; `warnings` are advisory. */
export interface CheckResult {
  ok: boolean;
  violations: Violation[];
  warnings: Violation[];
}

/** A checker with the exams and blocked days indexed once, for checking many requests against the same plan. */
export interface ExamChecker {
  check(request: ExamRequest): CheckResult;
}

interface Item {
  exam: PlannedExam;
  students: ReadonlySet<string> | null;
}

interface CohortIndex {
  byDay: Map<number, Item[]>;
  byWeek: Map<number, Item[]>;
}

interface BlockedItem {
  entry: BlockedDay;
  periods: ReadonlySet<number> | null;
}

type RuleOf<K extends RuleKind> = Extract<Rule, { kind: K }>;

/** A rule with its lists turned into sets and day numbers. */
type Compiled =
  | { kind: "school_days"; rule: RuleOf<"school_days">; weekdays: ReadonlySet<number> }
  | { kind: "max_per_day" | "max_per_week"; rule: RuleOf<"max_per_day" | "max_per_week">; counts: ReadonlySet<ExamKind> }
  | { kind: "min_notice_days"; rule: RuleOf<"min_notice_days"> }
  | { kind: "blocked_categories"; rule: RuleOf<"blocked_categories">; categories: ReadonlySet<string> }
  | { kind: "blocked_dates"; rule: RuleOf<"blocked_dates">; ranges: { from: number; to: number; reason: string | undefined }[] }
  | { kind: "exam_free_weeks"; rule: RuleOf<"exam_free_weeks">; weeks: Map<number, string | undefined> };

function compile(rule: Rule): Compiled {
  switch (rule.kind) {
    case "school_days":
      return { kind: rule.kind, rule, weekdays: new Set(rule.weekdays) };
    case "max_per_day":
    case "max_per_week":
      return { kind: rule.kind, rule, counts: new Set(rule.counts_kinds ?? DEFAULT_COUNTED_KINDS) };
    case "min_notice_days":
      return { kind: rule.kind, rule };
    case "blocked_categories":
      return { kind: rule.kind, rule, categories: new Set(rule.categories) };
    case "blocked_dates":
      return { kind: rule.kind, rule, ranges: rule.dates.map((d) => ({ from: requireDay(d.from), to: requireDay(d.to), reason: d.reason })) };
    case "exam_free_weeks": {
      const weeks = new Map<number, string | undefined>();
      for (const d of rule.dates ?? []) {
        for (let m = mondayOf(requireDay(d.from)); m <= requireDay(d.to); m += 7) if (!weeks.has(m) || d.reason) weeks.set(m, d.reason);
      }
      for (const w of rule.weeks ?? []) {
        const m = mondayOfWeekLabel(w);
        if (!weeks.has(m)) weeks.set(m, undefined);
      }
      return { kind: rule.kind, rule, weeks };
    }
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function studentSet(students: readonly string[] | undefined): ReadonlySet<string> | null {
  return students && students.length > 0 ? new Set(students) : null;
}

/** Whether two exams are written by some of the same students: unknown lists mean the whole group, so yes. */
function shareStudents(a: ReadonlySet<string> | null, b: ReadonlySet<string> | null): boolean {
  if (a === null || b === null) return true;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  for (const s of small) if (large.has(s)) return true;
  return false;
}

function applies(rule: Rule, request: ExamRequest, schoolForm: string | undefined): boolean {
  const a = rule.applies;
  if (!a) return true;
  if (a.school_forms && !(schoolForm !== undefined && (a.school_forms as readonly string[]).includes(schoolForm))) return false;
  if (a.grades && !(request.grade !== null && a.grades.includes(request.grade))) return false;
  if (a.stages && !a.stages.includes(request.stage)) return false;
  if (a.kinds && !a.kinds.includes(request.kind)) return false;
  return true;
}

function violation(rule: Rule, binding: boolean, reason: Bilingual, extra: Partial<Violation> = {}): Violation {
  return { ruleId: rule.id, kind: rule.kind, binding, reason, ...extra, ...(rule.source ? { source: rule.source } : {}) };
}

/**
 * Indexes the plan (exams by cohort, day and ISO week; blocked days by day) and the rules once, and
 * returns a checker. Requests are checked independently: they do not count against each other.
 */
export function prepareChecker(input: Omit<CheckInput, "request">): ExamChecker {
  const today = requireDay(input.today);
  const schoolForm = input.schoolForm ?? input.rules.school_form;
  const cohorts = new Map<string, CohortIndex>();
  for (const exam of input.existing) {
    if (exam.status === "cancelled") continue;
    const day = requireDay(exam.date);
    let index = cohorts.get(exam.cohort);
    if (!index) cohorts.set(exam.cohort, (index = { byDay: new Map(), byWeek: new Map() }));
    const item = { exam, students: studentSet(exam.students) };
    push(index.byDay, day, item);
    push(index.byWeek, mondayOf(day), item);
  }
  const blocked = new Map<number, BlockedItem[]>();
  for (const entry of input.blocked) push(blocked, requireDay(entry.date), { entry, periods: entry.periods === null ? null : new Set(entry.periods) });
  const rules = input.rules.rules.map(compile);

  function check(request: ExamRequest): CheckResult {
    const day = dayNumber(request.date);
    if (Number.isNaN(day)) throw new RangeError(`not a date (YYYY-MM-DD): ${request.date}`);
    const monday = mondayOf(day);
    const found: Violation[] = [];
    if (day < today) found.push({ ruleId: "past", kind: "past", binding: true, reason: pastText(day) });
    const index = cohorts.get(request.cohort);
    const students = studentSet(request.students);
    const makeup = request.kind === "nachschreibtermin";
    const who = { cohort: request.cohort, makeup: makeup && students !== null };
    const concerned = (items: Item[] | undefined, counts: ReadonlySet<ExamKind>): PlannedExam[] => {
      const out: PlannedExam[] = [];
      for (const it of items ?? []) {
        const e = it.exam;
        if (request.id !== undefined && e.id === request.id) continue;
        if (!counts.has(e.kind)) continue;
        // The students of a make-up exam did not write the exam they make up.
        if (request.makeup_of !== undefined && e.id === request.makeup_of) continue;
        if (request.id !== undefined && e.makeup_of === request.id) continue;
        if (shareStudents(students, it.students)) out.push(e);
      }
      return out;
    };

    for (const c of rules) {
      if (!applies(c.rule, request, schoolForm)) continue;
      switch (c.kind) {
        case "school_days":
          if (c.weekdays.has(isoWeekday(day))) break;
          found.push(violation(c.rule, c.rule.binding, schoolDayText(day)));
          break;
        case "max_per_day":
        case "max_per_week": {
          if (!c.counts.has(request.kind)) break;
          const perDay = c.rule.kind === "max_per_day";
          const hits = concerned(perDay ? index?.byDay.get(day) : index?.byWeek.get(monday), c.counts);
          if (hits.length + 1 <= c.rule.limit) break;
          const regular = hits.filter((e) => e.kind !== "nachschreibtermin").length;
          const onlyThroughMakeups = makeup || regular + 1 <= c.rule.limit;
          const binding = onlyThroughMakeups && c.rule.makeup_binding !== undefined ? c.rule.makeup_binding : c.rule.binding;
          const text = perDay ? perDayText(day, who, hits, c.rule.limit, binding) : perWeekText(monday, who, hits, c.rule.limit, binding);
          found.push(violation(c.rule, binding, text, { conflicts: hits.map((e) => e.id) }));
          break;
        }
        case "min_notice_days":
          if (day >= today && day - today < c.rule.limit) found.push(violation(c.rule, c.rule.binding, noticeText(day, today, c.rule.limit, c.rule.binding)));
          break;
        case "blocked_categories": {
          for (const b of blocked.get(day) ?? []) {
            if (!c.categories.has(b.entry.category)) continue;
            if (b.periods === null) {
              found.push(violation(c.rule, c.rule.binding, blockedText(day, b.entry.category, b.entry.reason, null)));
              continue;
            }
            const blockedPeriods = b.periods;
            const overlap = request.periods.length === 0 ? [...blockedPeriods] : request.periods.filter((p) => blockedPeriods.has(p));
            if (overlap.length > 0) found.push(violation(c.rule, c.rule.binding, blockedText(day, b.entry.category, b.entry.reason, overlap), { periods: overlap }));
          }
          break;
        }
        case "blocked_dates":
          for (const r of c.ranges) if (day >= r.from && day <= r.to) found.push(violation(c.rule, c.rule.binding, blockedDatesText(day, r.from, r.to, r.reason)));
          break;
        case "exam_free_weeks":
          if (c.weeks.has(monday)) found.push(violation(c.rule, c.rule.binding, examFreeText(monday, c.weeks.get(monday))));
          break;
      }
    }
    const violations = found.filter((v) => v.binding);
    return { ok: violations.length === 0, violations, warnings: found.filter((v) => !v.binding) };
  }

  return { check };
}

/** Checks one request: `ok` when no binding rule is broken, with every violation and warning. */
export function checkExam(input: CheckInput): CheckResult {
  return prepareChecker(input).check(input.request);
}

/** Checks many requests against the same plan (indexed once); each independently of the others. */
export function checkExams(input: Omit<CheckInput, "request"> & { requests: readonly ExamRequest[] }): CheckResult[] {
  const checker = prepareChecker(input);
  return input.requests.map((r) => checker.check(r));
}
