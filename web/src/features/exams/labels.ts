// The Klausuren section's texts that depend on numbers: lesson periods in the user's language.
import { locale, t } from "../../lib/i18n/index.svelte.ts";
import { periodsText } from "./plan.ts";

/** `3.–4. Std.` / `periods 3–4`, `5. Std.` / `period 5`. */
export function periodsLabel(periods: readonly number[]): string {
  const text = periodsText(periods, locale.current === "de");
  return new Set(periods).size === 1 ? t("exams.period_one", { periods: text }) : t("exams.periods", { periods: text });
}
