// The public holidays (gesetzliche Feiertage) of a German state from feiertagejs, as all-day events.
import { getHolidays } from "feiertagejs";
import type { EventContent } from "./content.ts";
import { addFloatingDays, formatFloating, localToFloating } from "./local.ts";
import { ModelError, reason } from "./reason.ts";

/** The German states (Bundesländer) by their two-letter code. */
export const STATES = {
  BW: "Baden-Württemberg", BY: "Bayern", BE: "Berlin", BB: "Brandenburg", HB: "Bremen", HH: "Hamburg",
  HE: "Hessen", MV: "Mecklenburg-Vorpommern", NI: "Niedersachsen", NW: "Nordrhein-Westfalen",
  RP: "Rheinland-Pfalz", SL: "Saarland", SN: "Sachsen", ST: "Sachsen-Anhalt", SH: "Schleswig-Holstein",
  TH: "Thüringen",
} as const;
/** A German state code such as "NI". */
export type StateCode = keyof typeof STATES;

/** Whether a string is a German state code. */
export function isStateCode(state: string): state is StateCode {
  return Object.hasOwn(STATES, state);
}

/**
 * The public holidays of a German state in a year as all-day events of category "holiday", with stable UIDs
 * such as `feiertag-2026-12-25-NI@schulhof` and the German name as summary. Throws ModelError for an
 * unknown state or year.
 */
export function publicHolidays(state: string, year: number, tzid: string): { uid: string; content: EventContent }[] {
  const code = state.toUpperCase();
  if (!isStateCode(code)) {
    throw new ModelError(reason(
      `Unbekanntes Bundesland „${state}“ (erwartet z. B. NI, BY, NW).`,
      `Unknown German state "${state}" (expected e.g. NI, BY, NW).`,
    ));
  }
  if (!Number.isInteger(year) || year < 1990 || year > 2199) {
    throw new ModelError(reason(`Ungültiges Jahr ${year}.`, `Invalid year ${year}.`));
  }
  return getHolidays(year, code).map((h) => {
    const date = h.dateString;
    const de = h.translate("de") ?? h.name;
    const en = h.translate("en") ?? h.name;
    const content: EventContent = {
      summary: de,
      start: date,
      end: formatFloating(addFloatingDays(localToFloating(date), 1), "date"),
      all_day: true,
      tzid,
      category: "holiday",
      description: `Gesetzlicher Feiertag in ${STATES[code]} / Public holiday in ${STATES[code]} (${en})`,
    };
    return { uid: `feiertag-${date}-${code}@schulhof`, content };
  });
}
