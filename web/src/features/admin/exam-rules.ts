// Pure helpers for the school's exam rules (`de.schulhof.exam.rules`, docs/exam-rules.md): read the API's answer, edit a copy.

/** A date range of a rule (`blocked_dates`, `exam_free_weeks`); `reason` is shown to teachers. */
export interface DateRange {
  from: string;
  to: string;
  reason?: string;
}

/**
 * One rule. Only the fields this page edits are named; every other field (`applies`, `counts_kinds`, …) is kept as it
 * came and sent back unchanged.
 */
export interface ExamRule {
  id: string;
  kind: string;
  binding: boolean;
  limit?: number;
  dates?: DateRange[];
  weeks?: string[];
  categories?: string[];
  weekdays?: number[];
  source?: string;
  note?: string;
  [other: string]: unknown;
}

/** The rules as a whole. */
export interface ExamRules {
  state: string;
  approval_required: boolean;
  announce_days_on_start_page: number;
  preset?: string;
  rules: ExamRule[];
  [other: string]: unknown;
}

/** Where the rules in force come from: the school wrote its own, or the defaults of its Bundesland apply. */
export type RulesSource = "school" | "default";

/** The kinds with a number (`limit`) that the page lets the admin change, and the number's bounds. */
export const LIMIT_BOUNDS: Readonly<Record<string, { min: number; max: number }>> = {
  max_per_day: { min: 1, max: 20 },
  max_per_week: { min: 1, max: 20 },
  min_notice_days: { min: 0, max: 365 },
};

const record = (v: unknown): Record<string, unknown> | null => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null);

/** Reads `GET /exams/rules` (`{rules, source}`); throws when the answer is not rules. */
export function parseRulesAnswer(value: unknown): { rules: ExamRules; source: RulesSource } {
  const answer = record(value);
  const rules = record(answer?.rules);
  if (rules === null || typeof rules.state !== "string" || !Array.isArray(rules.rules)) throw new Error("the calendar answered no exam rules");
  const list = rules.rules.filter((r): r is ExamRule => {
    const rule = record(r);
    return rule !== null && typeof rule.id === "string" && typeof rule.kind === "string" && typeof rule.binding === "boolean";
  });
  return {
    rules: {
      ...rules,
      state: rules.state,
      approval_required: rules.approval_required === true,
      announce_days_on_start_page: typeof rules.announce_days_on_start_page === "number" ? rules.announce_days_on_start_page : 14,
      rules: list,
    },
    source: answer?.source === "school" ? "school" : "default",
  };
}

/** The id a new `blocked_dates` rule gets: `school-blocked`, or with a number when that is taken. */
export function newBlockedRuleId(rules: readonly ExamRule[]): string {
  const ids = new Set(rules.map((r) => r.id));
  if (!ids.has("school-blocked")) return "school-blocked";
  for (let n = 2; ; n++) if (!ids.has(`school-blocked-${n}`)) return `school-blocked-${n}`;
}

/** Whether a date range the admin typed is complete and in order (YYYY-MM-DD, from ≤ to). */
export function validRange(from: string, to: string): boolean {
  const day = /^\d{4}-\d{2}-\d{2}$/;
  return day.test(from) && day.test(to) && from <= to;
}

/**
 * The rules to send: blocked-date rules left without dates are dropped (the server refuses them empty), and the
 * preset becomes `custom` since the school now has its own.
 */
export function rulesToSave(rules: ExamRules): ExamRules {
  return {
    ...rules,
    preset: "custom",
    rules: rules.rules.filter((r) => r.kind !== "blocked_dates" || (r.dates?.length ?? 0) > 0),
  };
}
