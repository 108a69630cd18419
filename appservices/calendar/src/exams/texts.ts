// The bilingual reasons (German first) of the exam rules engine: every violation says which day, which exams and which limit.
import { formatDayDe, formatDayEn, formatRange, formatWeek } from "./dates.ts";
import type { ExamKind } from "./rules.ts";

/** A user-visible text in German and English. */
export interface Bilingual {
  de: string;
  en: string;
}

/** What the texts need of an exam. */
export interface Labelled {
  course: string;
  kind: ExamKind;
}

function label(e: Labelled): Bilingual {
  if (e.kind === "nachschreibtermin") return { de: `Nachschreibtermin ${e.course}`, en: `make-up ${e.course}` };
  if (e.kind === "test") return { de: `Test ${e.course}`, en: `test ${e.course}` };
  return { de: e.course, en: e.course };
}

function list(exams: Labelled[]): Bilingual {
  const ls = exams.map(label);
  return { de: ls.map((l) => l.de).join(", "), en: ls.map((l) => l.en).join(", ") };
}

function cohortDe(cohort: string): string {
  return /^jahrgang\b/i.test(cohort) ? `der ${cohort}` : `die ${cohort}`;
}

function arbeiten(n: number): string {
  return `${n} ${n === 1 ? "Arbeit" : "Arbeiten"}`;
}

function exams(n: number): string {
  return `${n} ${n === 1 ? "exam" : "exams"}`;
}

/** `3.–4. Stunde` / `periods 3–4`; `1., 3. Stunde` / `periods 1, 3`. */
export function formatPeriods(periods: readonly number[]): Bilingual {
  const p = [...new Set(periods)].sort((a, b) => a - b);
  const contiguous = p.length > 1 && p.every((v, i) => i === 0 || v === (p[i - 1] ?? v) + 1);
  if (p.length === 1) return { de: `${p[0]}. Stunde`, en: `period ${p[0]}` };
  if (contiguous) return { de: `${p[0]}.–${p[p.length - 1]}. Stunde`, en: `periods ${p[0]}–${p[p.length - 1]}` };
  return { de: `${p.map((v) => `${v}.`).join(", ")} Stunde`, en: `periods ${p.join(", ")}` };
}

function allowedEn(limit: number, binding: boolean): string {
  return binding ? `at most ${limit} ${limit === 1 ? "is" : "are"} allowed` : `there should be no more than ${limit}`;
}

/** Who the request concerns: the cohort, or the students of a make-up exam. */
interface Who {
  cohort: string;
  makeup: boolean;
}

function whoWrites(who: Who): Bilingual {
  return who.makeup
    ? { de: "schreiben die Schüler:innen dieses Nachschreibtermins", en: "the students of this make-up exam already have" }
    : { de: `schreibt ${cohortDe(who.cohort)}`, en: `${who.cohort} already has` };
}

/** The per-day limit is reached. */
export function perDayText(day: number, who: Who, conflicts: Labelled[], limit: number, binding: boolean): Bilingual {
  const w = whoWrites(who);
  const l = list(conflicts);
  return {
    de: `Am ${formatDayDe(day)} ${w.de} schon ${arbeiten(conflicts.length)} (${l.de}); ${binding ? `erlaubt ${limit === 1 ? "ist" : "sind"}` : "empfohlen sind höchstens"} ${limit} pro Tag.`,
    en: `On ${formatDayEn(day)}, ${w.en} ${exams(conflicts.length)} (${l.en}); ${allowedEn(limit, binding)} per day.`,
  };
}

/** The per-week limit is reached. */
export function perWeekText(monday: number, who: Who, conflicts: Labelled[], limit: number, binding: boolean): Bilingual {
  const w = whoWrites(who);
  const l = list(conflicts);
  const week = formatWeek(monday);
  return {
    de: `In der ${week.de} ${w.de} schon ${arbeiten(conflicts.length)} (${l.de}); ${binding ? `erlaubt ${limit === 1 ? "ist" : "sind"}` : "empfohlen sind höchstens"} ${limit} pro Woche.`,
    en: `In ${week.en}, ${w.en} ${exams(conflicts.length)} (${l.en}); ${allowedEn(limit, binding)} per week.`,
  };
}

/** Announced too late. */
export function noticeText(day: number, today: number, limit: number, binding: boolean): Bilingual {
  const days = day - today;
  return {
    de: `Bis ${formatDayDe(day)} sind es nur ${days} ${days === 1 ? "Tag" : "Tage"} (heute ist ${formatDayDe(today)}); angekündigt werden ${binding ? "muss" : "soll"} mindestens ${limit} Tage vorher.`,
    en: `${formatDayEn(day)} is only ${days} ${days === 1 ? "day" : "days"} away (today is ${formatDayEn(today)}); at least ${limit} days' notice ${binding ? "are required" : "are recommended"}.`,
  };
}

/** The date has passed. */
export function pastText(day: number): Bilingual {
  return { de: `${formatDayDe(day)} liegt in der Vergangenheit.`, en: `${formatDayEn(day)} is in the past.` };
}

/** Not a school day (weekend). */
export function schoolDayText(day: number): Bilingual {
  return { de: `${formatDayDe(day)} ist kein Schultag.`, en: `${formatDayEn(day)} is not a school day.` };
}

const CATEGORY: Record<string, Bilingual> = {
  holiday: { de: "Ferien/Feiertag", en: "holiday" },
  trip: { de: "Fahrt", en: "trip" },
};

/** A calendar entry (holiday, trip, …) blocks the day or some of its periods. */
export function blockedText(day: number, category: string, reason: string, periods: readonly number[] | null): Bilingual {
  const c = CATEGORY[category] ?? { de: category, en: category };
  const what = reason.trim() === "" ? c : { de: `${reason} (${c.de})`, en: `${reason} (${c.en})` };
  if (periods === null) return { de: `Am ${formatDayDe(day)} ist keine Arbeit möglich: ${what.de}.`, en: `No exam is possible on ${formatDayEn(day)}: ${what.en}.` };
  const p = formatPeriods(periods);
  return { de: `Am ${formatDayDe(day)} in der ${p.de} ist keine Arbeit möglich: ${what.de}.`, en: `No exam is possible on ${formatDayEn(day)}, ${p.en}: ${what.en}.` };
}

/** A date range the school blocked. */
export function blockedDatesText(day: number, from: number, to: number, reason: string | undefined): Bilingual {
  const r = formatRange(from, to);
  const why = reason ? `${reason}, ` : "";
  return {
    de: `Am ${formatDayDe(day)} ist keine Arbeit möglich (${why}gesperrt ${r.de}).`,
    en: `No exam is possible on ${formatDayEn(day)} (${why}blocked ${r.en}).`,
  };
}

/** An exam-free week. */
export function examFreeText(monday: number, reason: string | undefined): Bilingual {
  const w = formatWeek(monday);
  return {
    de: `Die ${w.de} ist klausurfrei${reason ? `: ${reason}` : ""}.`,
    en: `${w.en.charAt(0).toUpperCase()}${w.en.slice(1)} is exam-free${reason ? `: ${reason}` : ""}.`,
  };
}
