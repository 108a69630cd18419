// The exam rules of a school (state event `de.schulhof.exam.rules` in the school space) as a zod schema, and the defaults per Bundesland (docs/exam-rules.md explains both).
import { z } from "zod";
import { isIsoDate, mondayOfWeekLabel } from "./dates.ts";

/** State event type in the school space; state_key `""`. */
export const EXAM_RULES = "de.schulhof.exam.rules";

/** Kinds of exams: Klassenarbeit (Sek I), Klausur (mostly Sek II), short test, Nachschreibtermin (make-up exam). */
export const EXAM_KINDS = ["klassenarbeit", "klausur", "test", "nachschreibtermin"] as const;
export const ExamKindSchema = z.enum(EXAM_KINDS);
export type ExamKind = z.infer<typeof ExamKindSchema>;

/** Kinds that count toward a limit when a rule does not say (`counts_kinds`): everything but short tests. */
export const DEFAULT_COUNTED_KINDS: readonly ExamKind[] = ["klassenarbeit", "klausur", "nachschreibtermin"];

/** Bundesland codes (as in `de.schulhof.school`). */
export const STATES = ["BW", "BY", "BE", "BB", "HB", "HH", "HE", "MV", "NI", "NW", "RP", "SL", "SN", "ST", "SH", "TH"] as const;
export const StateSchema = z.enum(STATES);
export type State = z.infer<typeof StateSchema>;

export const SCHOOL_FORMS = ["grundschule", "hauptschule", "realschule", "oberschule", "gesamtschule", "gymnasium", "berufsschule", "foerderschule"] as const;
export const SchoolFormSchema = z.enum(SCHOOL_FORMS);
export type SchoolForm = z.infer<typeof SchoolFormSchema>;

export const StageSchema = z.enum(["sek1", "sek2"]);
export type Stage = z.infer<typeof StageSchema>;

export const IsoDateSchema = z.string().refine(isIsoDate, "must be a date YYYY-MM-DD");
export const IsoWeekSchema = z.string().refine((w) => !Number.isNaN(mondayOfWeekLabel(w)), "must be an ISO week YYYY-Www");

/** An inclusive range of dates, with the school's reason shown to teachers. */
export const DateRangeSchema = z
  .object({ from: IsoDateSchema, to: IsoDateSchema, reason: z.string().trim().max(200).optional() })
  .refine((r) => r.from <= r.to, { message: "from must not be after to", path: ["to"] });
export type DateRange = z.infer<typeof DateRangeSchema>;

/** Which requests a rule is about; every given list must contain the request's value (an unknown value never matches). */
export const AppliesSchema = z.object({
  school_forms: z.array(SchoolFormSchema).min(1).optional(),
  grades: z.array(z.number().int().min(1).max(13)).min(1).optional(),
  stages: z.array(StageSchema).min(1).optional(),
  kinds: z.array(ExamKindSchema).min(1).optional(),
});
export type Applies = z.infer<typeof AppliesSchema>;

const common = {
  /** Stable id, shown in violations (`ni-week`). */
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "lower-case letters, digits, - and _"),
  /** Binding: a violation refuses the request. Advisory: only a warning. */
  binding: z.boolean(),
  applies: AppliesSchema.optional(),
  /** Legal source of the rule (regulation, paragraph, date), or `Schulhof-Voreinstellung`. */
  source: z.string().max(300).optional(),
  /** A note for admins, e.g. what is our choice rather than the law's. */
  note: z.string().max(500).optional(),
};

const limitFields = {
  limit: z.number().int().min(1).max(20),
  /** Which exams count toward the limit (the request too: a request of another kind is not concerned). Default: all but `test`. */
  counts_kinds: z.array(ExamKindSchema).min(1).optional(),
  /** Binding-ness of a violation that only arises through a Nachschreibtermin (the request is one, or without them the limit holds). Default: `binding`. */
  makeup_binding: z.boolean().optional(),
};

/** One rule; `kind` says which fields it has. */
export const RuleSchema = z.discriminatedUnion("kind", [
  z.object({ ...common, kind: z.literal("school_days"), weekdays: z.array(z.number().int().min(1).max(7)).min(1).max(7).default([1, 2, 3, 4, 5]) }),
  z.object({ ...common, kind: z.literal("max_per_day"), ...limitFields }),
  z.object({ ...common, kind: z.literal("max_per_week"), ...limitFields }),
  z.object({ ...common, kind: z.literal("min_notice_days"), limit: z.number().int().min(0).max(365) }),
  z.object({ ...common, kind: z.literal("blocked_categories"), categories: z.array(z.string().min(1).max(50)).min(1) }),
  z.object({ ...common, kind: z.literal("blocked_dates"), dates: z.array(DateRangeSchema).min(1).max(200) }),
  z
    .object({ ...common, kind: z.literal("exam_free_weeks"), dates: z.array(DateRangeSchema).max(200).optional(), weeks: z.array(IsoWeekSchema).max(60).optional() })
    .refine((r) => (r.dates?.length ?? 0) + (r.weeks?.length ?? 0) > 0, { message: "give dates or weeks", path: ["weeks"] }),
]);
export type Rule = z.infer<typeof RuleSchema>;
export type RuleKind = Rule["kind"];

/** Content of `de.schulhof.exam.rules`. */
export const ExamRulesSchema = z
  .object({
    state: StateSchema,
    school_form: SchoolFormSchema.optional(),
    /** Weeks are ISO weeks, Monday to Sunday; nothing else is supported. */
    week_starts: z.literal("monday").default("monday"),
    /** The school admin approves each request before it is confirmed. */
    approval_required: z.boolean().default(false),
    /** How many days ahead students see an exam on their start page. */
    announce_days_on_start_page: z.number().int().min(0).max(365).default(14),
    /** Which defaults the rules started from (`defaultRules`); `custom` once the school wrote its own. */
    preset: z.enum(["NI", "NW", "BY", "generic", "custom"]).optional(),
    rules: z.array(RuleSchema).max(100),
  })
  .superRefine((v, ctx) => {
    const seen = new Set<string>();
    v.rules.forEach((r, i) => {
      if (seen.has(r.id)) ctx.addIssue({ code: "custom", message: `duplicate rule id ${r.id}`, path: ["rules", i, "id"] });
      seen.add(r.id);
    });
  });
export type ExamRules = z.infer<typeof ExamRulesSchema>;

const OURS = "Schulhof-Voreinstellung";
const REGULAR: ExamKind[] = ["klassenarbeit", "klausur"];
const ANNOUNCED: ExamKind[] = ["klassenarbeit", "klausur", "nachschreibtermin"];

/** Rules every preset starts with: Monday to Friday, holidays and trips block (our defaults, not a state's law). */
function commonRules(): Rule[] {
  return [
    { id: "school-days", kind: "school_days", binding: true, weekdays: [1, 2, 3, 4, 5], source: OURS, note: "Fünf-Tage-Woche; Schulen mit Samstagsunterricht nehmen 6 auf." },
    { id: "holidays-trips", kind: "blocked_categories", binding: true, categories: ["holiday", "trip"], source: OURS, note: "Ferien, Feiertage und Fahrten aus dem Schulkalender." },
  ];
}

const NI_SOURCE = "RdErl. d. MK v. 22.3.2012 – 33-83201 „Schriftliche Arbeiten in den allgemein bildenden Schulen“ (SVBl. S. 266), i. d. jeweils geltenden Fassung, Nr. 4";

function niRules(): Rule[] {
  return [
    { id: "ni-day", kind: "max_per_day", binding: true, limit: 1, counts_kinds: [...ANNOUNCED], makeup_binding: false, source: `${NI_SOURCE} Satz 3 und 4`, note: "Für versäumte Arbeiten gilt die Grenze „im Regelfall“: beim Nachschreibtermin nur Warnung." },
    { id: "ni-week", kind: "max_per_week", binding: true, limit: 3, counts_kinds: [...ANNOUNCED], makeup_binding: false, source: `${NI_SOURCE} Satz 3 und 4`, note: "Kalenderwoche; für versäumte Arbeiten „im Regelfall“: beim Nachschreibtermin nur Warnung." },
    { id: "ni-notice", kind: "min_notice_days", binding: false, limit: 7, applies: { kinds: [...ANNOUNCED] }, source: `${NI_SOURCE} Satz 1`, note: "Der Erlass sagt „in der Regel einige Tage vor der Anfertigung“; 7 Tage sind unsere Wahl." },
  ];
}

const NW_S1 = "APO-S I v. 2.11.2012 (GV. NRW. S. 488), § 6 (Klassenarbeiten), i. d. jeweils geltenden Fassung";
const NW_S2 = "APO-GOSt v. 5.10.1998, § 14 (Klausuren) mit VV, i. d. jeweils geltenden Fassung";

function nwRules(): Rule[] {
  return [
    { id: "nw-s1-day", kind: "max_per_day", binding: true, limit: 1, applies: { stages: ["sek1"] }, source: NW_S1, note: "„An einem Tag darf nur eine Klassenarbeit geschrieben werden“." },
    { id: "nw-s1-week", kind: "max_per_week", binding: false, limit: 2, applies: { stages: ["sek1"] }, source: NW_S1, note: "„soll“-Vorschrift: Warnung, keine Ablehnung." },
    { id: "nw-s2-day", kind: "max_per_day", binding: true, limit: 1, applies: { stages: ["sek2"] }, source: NW_S2 },
    { id: "nw-s2-week", kind: "max_per_week", binding: true, limit: 3, applies: { stages: ["sek2"] }, source: NW_S2 },
    { id: "nw-notice", kind: "min_notice_days", binding: false, limit: 7, applies: { kinds: [...ANNOUNCED] }, source: OURS, note: "Rechtzeitige Ankündigung; die Zahl 7 ist unsere Wahl." },
  ];
}

const BY_SOURCE = "Schulordnung der Schulart (GSO, RSO, MSO, WSO), Vorschriften zu Schulaufgaben; Wortlaut geprüft: WSO § 13 Abs. 2";

function byRules(): Rule[] {
  return [
    { id: "by-day", kind: "max_per_day", binding: true, limit: 1, makeup_binding: false, source: `${BY_SOURCE} Satz 2 und 4`, note: "Höchstens ein angekündigter Leistungsnachweis (Schulaufgabe oder Kurzarbeit) pro Tag; für die Nachholung sind Ausnahmen zulässig." },
    { id: "by-week", kind: "max_per_week", binding: false, limit: 2, counts_kinds: [...ANNOUNCED], source: `${BY_SOURCE} Satz 2`, note: "„sollen nicht mehr als zwei Schulaufgaben“: Warnung. Je nach Schulordnung prüfen." },
    { id: "by-notice", kind: "min_notice_days", binding: true, limit: 7, applies: { kinds: [...REGULAR] }, source: `${BY_SOURCE} Satz 1`, note: "„spätestens eine Woche vorher angekündigt“." },
    { id: "by-notice-makeup", kind: "min_notice_days", binding: false, limit: 7, applies: { kinds: ["nachschreibtermin"] }, source: OURS, note: "Für Nachtermine nur als Warnung; Schulordnung prüfen." },
  ];
}

function genericRules(): Rule[] {
  const note = "Allgemeine Voreinstellung ohne geprüftes Landesrecht: bitte mit der Vorschrift des Landes abgleichen.";
  return [
    { id: "day", kind: "max_per_day", binding: true, limit: 1, source: OURS, note },
    { id: "week", kind: "max_per_week", binding: false, limit: 3, source: OURS, note },
    { id: "notice", kind: "min_notice_days", binding: false, limit: 7, applies: { kinds: [...ANNOUNCED] }, source: OURS, note },
  ];
}

/**
 * The default rules for a Bundesland (code such as `NI`) and school form: Niedersachsen, Nordrhein-Westfalen
 * and Bayern from their regulations, a clearly labelled generic set for every other state and for
 * Berufsschulen (whose own regulations are not covered). Throws a RangeError for an unknown state code;
 * an unknown school form is left out.
 */
export function defaultRules(state: string, schoolForm?: string): ExamRules {
  const code = StateSchema.safeParse(state.trim().toUpperCase());
  if (!code.success) throw new RangeError(`unknown Bundesland code: ${state}`);
  // A school form we do not know (Sekundarschule, Stadtteilschule, …) is left out rather than refused.
  const formValue = schoolForm === undefined ? undefined : SchoolFormSchema.safeParse(schoolForm.trim().toLowerCase()).data;
  const general = formValue !== "berufsschule";
  const preset = !general ? "generic" : code.data === "NI" ? "NI" : code.data === "NW" ? "NW" : code.data === "BY" ? "BY" : "generic";
  const specific = preset === "NI" ? niRules() : preset === "NW" ? nwRules() : preset === "BY" ? byRules() : genericRules();
  return {
    state: code.data,
    ...(formValue ? { school_form: formValue } : {}),
    week_starts: "monday",
    approval_required: false,
    announce_days_on_start_page: 14,
    preset,
    rules: [...commonRules(), ...specific],
  };
}
