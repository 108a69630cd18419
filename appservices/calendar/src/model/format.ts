// One-line texts for people: an occurrence ("Do., 03.12.2026, 08:00–09:30 · Mathe-Arbeit · Raum 101") and a
// new or changed event including its recurrence ("wöchentlich am Donnerstag bis 24.06.2027"), German or English.
import { DateTime } from "luxon";
import type { Category, EventContent } from "./content.ts";
import type { Occurrence } from "./expand.ts";
import { floatingToInstant, formOf, localToFloating, parseLocal } from "./local.ts";
import { MAX_RULE_INSTANCES, isSynchronized, iterateSeries, parseRule } from "./rule.ts";

/** A language of user-visible texts. */
export type Lang = "de" | "en";

const WEEKDAY_SHORT: Record<Lang, string[]> = {
  de: ["Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa.", "So."],
  en: ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
};
const WEEKDAY_LONG: Record<Lang, string[]> = {
  de: ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"],
  en: ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
};
const MONTH: Record<Lang, string[]> = {
  de: ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"],
  en: ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"],
};
const DAY_CODES = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];
/** Per frequency: the adverb and the plural unit ("wöchentlich", "Wochen"). */
const FREQ_WORDS: Record<string, Record<Lang, [string, string]>> = {
  DAILY: { de: ["täglich", "Tage"], en: ["daily", "days"] },
  WEEKLY: { de: ["wöchentlich", "Wochen"], en: ["weekly", "weeks"] },
  MONTHLY: { de: ["monatlich", "Monate"], en: ["monthly", "months"] },
  YEARLY: { de: ["jährlich", "Jahre"], en: ["yearly", "years"] },
};

/** The category as a word. */
export const CATEGORY_LABELS: Record<Lang, Record<Category, string>> = {
  de: { lesson: "Unterricht", exam: "Prüfung", holiday: "Ferien/Feiertag", trip: "Ausflug", meeting: "Besprechung", other: "Termin" },
  en: { lesson: "Lesson", exam: "Exam", holiday: "Holiday", trip: "Trip", meeting: "Meeting", other: "Event" },
};

/** "Do., 03.12.2026" / "Thu, 3 Dec 2026". */
function dateText(d: DateTime, lang: Lang): string {
  const wd = WEEKDAY_SHORT[lang][d.weekday - 1];
  if (lang === "de") return `${wd}, ${d.toFormat("dd.MM.yyyy")}`;
  return `${wd}, ${d.day} ${MONTH.en[d.month - 1]!.slice(0, 3)} ${d.year}`;
}

/** "03.12.2026" / "3 Dec 2026". */
function plainDate(d: DateTime, lang: Lang): string {
  return lang === "de" ? d.toFormat("dd.MM.yyyy") : `${d.day} ${MONTH.en[d.month - 1]!.slice(0, 3)} ${d.year}`;
}

/** A date range of all-day events; end is exclusive. */
function dayRange(startDate: string, endExclusive: string, lang: Lang): string {
  const s = DateTime.fromISO(startDate, { zone: "utc" });
  const last = DateTime.fromISO(endExclusive, { zone: "utc" }).minus({ days: 1 });
  if (last <= s) return dateText(s, lang);
  return `${dateText(s, lang)} – ${dateText(last, lang)}`;
}

/** A range of instants in a zone: "Do., 03.12.2026, 08:00–09:30" or across days with both dates. */
function timeRange(s: DateTime, e: DateTime, lang: Lang): string {
  if (s.hasSame(e, "day")) return `${dateText(s, lang)}, ${s.toFormat("HH:mm")}–${e.toFormat("HH:mm")}`;
  return `${dateText(s, lang)}, ${s.toFormat("HH:mm")} – ${dateText(e, lang)}, ${e.toFormat("HH:mm")}`;
}

function list(items: string[], lang: Lang): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} ${lang === "de" ? "und" : "and"} ${items[items.length - 1]}`;
}

/**
 * One line for an occurrence, times in the viewer's zone (with the zone's short name when it is not the
 * event's zone): `Do., 03.12.2026, 08:00–09:30 · Mathe-Arbeit · Raum 101`; all-day:
 * `Mo., 21.12.2026 – Mi., 06.01.2027 · Weihnachtsferien` (the last day, not the exclusive end).
 */
export function describeOccurrence(o: Occurrence, lang: Lang, viewerTz: string): string {
  let when: string;
  if (o.allDay) {
    when = dayRange(o.startLocal.slice(0, 10), o.endLocal.slice(0, 10), lang);
  } else {
    const s = DateTime.fromJSDate(o.start, { zone: viewerTz });
    const e = DateTime.fromJSDate(o.end, { zone: viewerTz });
    when = timeRange(s, e, lang);
    if (viewerTz !== o.tzid) when += ` (${s.setLocale(lang).offsetNameShort ?? viewerTz})`;
  }
  return [when, o.summary, o.location].filter((x) => x !== undefined && x !== "").join(" · ");
}

function ordinal(n: number, lang: Lang): string {
  if (lang === "de") return n === -1 ? "letzten" : n === -2 ? "vorletzten" : n < 0 ? `${-n}.-letzten` : `${n}.`;
  if (n === -1) return "last";
  if (n === -2) return "second-to-last";
  const abs = Math.abs(n);
  const suffix = abs % 10 === 1 && abs % 100 !== 11 ? "st" : abs % 10 === 2 && abs % 100 !== 12 ? "nd" : abs % 10 === 3 && abs % 100 !== 13 ? "rd" : "th";
  return n < 0 ? `${abs}${suffix}-to-last` : `${abs}${suffix}`;
}

/**
 * The recurrence of a rule in words, e.g. "wöchentlich am Donnerstag bis 24.06.2027" / "weekly on Thursday
 * until 24 Jun 2027" (FREQ, INTERVAL, BYDAY, BYMONTHDAY, BYMONTH, COUNT and the last occurrence; other
 * parts are mentioned as "weitere Regeln"). start is the content's start, used to find the last occurrence.
 */
export function describeRule(rrule: string, start: string, tzid: string, lang: Lang): string {
  const parsed = parseRule(rrule);
  if (!parsed.ok) return lang === "de" ? "mit ungültiger Wiederholungsregel" : "with an invalid recurrence rule";
  const r = parsed.rule;
  const freq = FREQ_WORDS[r.freq]?.[lang] ?? [r.freq.toLowerCase(), r.freq.toLowerCase()];
  const words: string[] = [r.interval === 1 ? freq[0] : lang === "de" ? `alle ${r.interval} ${freq[1]}` : `every ${r.interval} ${freq[1]}`];

  const byday = r.parts.get("BYDAY");
  if (byday !== undefined) {
    const days = byday.split(",").map((item) => {
      const m = /^([+-]?\d{1,2})?([A-Z]{2})$/.exec(item);
      const name = WEEKDAY_LONG[lang][DAY_CODES.indexOf(m?.[2] ?? "")] ?? item;
      if (m?.[1] === undefined) return name;
      const n = Number(m[1]);
      return lang === "de" ? `${ordinal(n, lang)} ${name}` : `the ${ordinal(n, lang)} ${name}`;
    });
    words.push(`${lang === "de" ? "am" : "on"} ${list(days, lang)}`);
  }
  const bymonthday = r.parts.get("BYMONTHDAY");
  if (bymonthday !== undefined) {
    const days = bymonthday.split(",").map(Number);
    if (lang === "de") words.push(`am ${list(days.map((d) => (d === -1 ? "letzten Tag" : d < 0 ? `${-d}.-letzten Tag` : `${d}.`)), lang)}`);
    else words.push(`on ${list(days.map((d) => (d === -1 ? "the last day" : d < 0 ? `the ${ordinal(d, lang)} day` : `day ${d}`)), lang)}`);
  }
  const bymonth = r.parts.get("BYMONTH");
  if (bymonth !== undefined) {
    words.push(`${lang === "de" ? "im" : "in"} ${list(bymonth.split(",").map((m) => MONTH[lang][Number(m) - 1] ?? m), lang)}`);
  }
  if ([...r.parts.keys()].some((k) => !["FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYMONTH", "COUNT", "UNTIL", "WKST"].includes(k))) {
    words.push(lang === "de" ? "(mit weiteren Regeln)" : "(with further rules)");
  }

  // The last occurrence, from the bounded expansion.
  let last: DateTime | null = null;
  const startF = parseLocal(start) ? localToFloating(start) : null;
  if (startF !== null && isSynchronized(r, startF)) {
    const all = iterateSeries(r, startF, tzid, Number.MAX_SAFE_INTEGER, MAX_RULE_INSTANCES);
    const lastF = all[all.length - 1];
    if (lastF !== undefined) last = DateTime.fromMillis(lastF, { zone: "utc" });
  }
  if (r.count !== null) words.push(lang === "de" ? `${r.count}-mal` : `${r.count} time${r.count === 1 ? "" : "s"}`);
  if (last !== null) words.push(`${lang === "de" ? "bis" : "until"} ${plainDate(last, lang)}`);
  return words.join(" ");
}

/**
 * One line announcing a new or changed event, e.g. `Prüfung: Mathe-Arbeit · Do., 03.12.2026, 08:00–09:30 ·
 * Raum 101`, for recurring events with the recurrence in words, the dates left out and the changed ones.
 * Times are the wall times in the event's own zone.
 */
export function describeEvent(_uid: string, content: EventContent, lang: Lang): string {
  const allDay = formOf(content.start) === "date";
  let when: string;
  if (allDay) {
    when = dayRange(content.start, content.end, lang);
  } else {
    const s = floatingToInstant(localToFloating(content.start), content.tzid);
    const e = floatingToInstant(localToFloating(content.end), content.tzid);
    when = timeRange(s, e, lang);
  }
  const parts = [`${CATEGORY_LABELS[lang][content.category]}: ${content.summary}`, when];
  if (content.location) parts.push(content.location);
  if (content.rrule) {
    let rec = describeRule(content.rrule, content.start, content.tzid, lang);
    const skipped = [
      ...(content.exdates ?? []),
      ...Object.entries(content.overrides ?? {}).filter(([, o]) => o.cancelled === true).map(([k]) => k),
    ].filter((k) => parseLocal(k) !== null).sort();
    if (skipped.length > 0) {
      const shown = skipped.slice(0, 5).map((k) => plainDate(DateTime.fromMillis(localToFloating(k), { zone: "utc" }), lang));
      const more = skipped.length - shown.length;
      if (more > 0) shown.push(lang === "de" ? `${more} weitere` : `${more} more`);
      rec += `${lang === "de" ? ", außer am" : ", except"} ${list(shown, lang)}`;
    }
    const changed = Object.values(content.overrides ?? {}).filter((o) => o.cancelled !== true).length;
    if (changed > 0) {
      rec += lang === "de"
        ? `, ${changed} ${changed === 1 ? "geänderter Termin" : "geänderte Termine"}`
        : `, ${changed} changed occurrence${changed === 1 ? "" : "s"}`;
    }
    parts.push(rec);
  }
  return parts.join(" · ");
}

