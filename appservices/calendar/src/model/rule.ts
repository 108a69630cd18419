// The RRULE value of an event: strict parsing with bilingual reasons, and iteration in floating time
// (the wall time of the event's zone encoded as UTC, the zone is never given to rrule) so that a weekly
// 08:00 stays 08:00 local across daylight-saving changes. Iteration is always bounded.
import rrulePkg from "rrule";
import type { Options, RRule as RRuleInstance } from "rrule";
import { type LocalParts, instantToFloating, parseLocal, partsToFloating } from "./local.ts";
import { type Reason, reason } from "./reason.ts";

const { RRule } = rrulePkg;

/** Highest COUNT accepted. */
export const MAX_COUNT = 1000;
/** UNTIL (and the end of a COUNT series) may lie at most this many years after the start. */
export const MAX_RULE_YEARS = 10;
/** A rule may yield at most this many occurrences. */
export const MAX_RULE_INSTANCES = 2000;
/** Longest RRULE value accepted. */
export const MAX_RRULE_LENGTH = 500;

/** The recurrence frequencies of RFC 5545. */
export const FREQUENCIES = ["YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY", "MINUTELY", "SECONDLY"] as const;
/** One of FREQUENCIES. */
export type Frequency = (typeof FREQUENCIES)[number];
/** Frequencies finer than daily, which are refused. */
export const REFUSED_FREQUENCIES: readonly Frequency[] = ["HOURLY", "MINUTELY", "SECONDLY"];

const RULE_PARTS = [
  "FREQ", "UNTIL", "COUNT", "INTERVAL", "BYSECOND", "BYMINUTE", "BYHOUR", "BYDAY",
  "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYMONTH", "BYSETPOS", "WKST",
];
const WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];
const UNTIL_RE = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z)?)?$/;
const BYDAY_RE = /^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$/;
/** With this interval the period after the first one lies centuries later: used to look at the first period. */
const PROBE_INTERVAL = 100_000;
/** The end of the last year rrule knows; later bounds are clamped to it. */
const LAST_MS = Date.UTC(9999, 11, 31, 23, 59, 59);

/** UNTIL as written: a date, a UTC date-time (Z) or a floating local date-time. */
export interface RuleUntil {
  kind: "date" | "utc" | "floating";
  parts: LocalParts;
}

/** A syntactically valid RRULE. */
export interface ParsedRule {
  freq: Frequency;
  interval: number;
  count: number | null;
  until: RuleUntil | null;
  /** The rule parts with upper-case names and values, in the order written. */
  parts: Map<string, string>;
  /** rrule's options for the rule without DTSTART, UNTIL and TZID (those are set for each iteration). */
  options: Partial<Options>;
}

function parseError(de: string, en: string): Reason {
  return reason(`Die Wiederholungsregel (RRULE) ist ungültig: ${de}`, `The recurrence rule (RRULE) does not parse: ${en}`);
}

function checkIntList(name: string, value: string, min: number, max: number, signed: boolean, out: Reason[]): void {
  for (const item of value.split(",")) {
    const ok = (signed ? /^[+-]?\d{1,3}$/ : /^\d{1,3}$/).test(item);
    const n = ok ? Math.abs(Number(item)) : NaN;
    if (!ok || n < min || n > max) {
      out.push(parseError(`${name} enthält den ungültigen Wert „${item}“.`, `${name} has the invalid value "${item}".`));
      return;
    }
  }
}

/**
 * Parses an RRULE value (without "RRULE:") strictly: only the parts of RFC 5545, every value checked, no
 * DTSTART, not both COUNT and UNTIL, FREQ not finer than DAILY, and (unless lenient) COUNT or UNTIL present
 * and COUNT ≤ MAX_COUNT. Checks that need the start (UNTIL horizon, number of occurrences) are in
 * validateEvent. lenient is for expansion, which is capped anyway.
 */
export function parseRule(rule: string, opts: { lenient?: boolean } = {}): { ok: true; rule: ParsedRule } | { ok: false; reasons: Reason[] } {
  const limits = opts.lenient !== true;
  const text = rule.trim();
  if (/DTSTART/i.test(text)) {
    return {
      ok: false,
      reasons: [reason(
        "Die Wiederholungsregel darf kein DTSTART enthalten – der Beginn steht im Feld „start“.",
        'The recurrence rule must not contain DTSTART – the start is the field "start".',
      )],
    };
  }
  if (/^RRULE:/i.test(text)) {
    return {
      ok: false,
      reasons: [reason(
        "Die Wiederholungsregel wird ohne das Präfix „RRULE:“ angegeben.",
        'Give the recurrence rule without the "RRULE:" prefix.',
      )],
    };
  }
  if (/[\r\n]/.test(text) || text === "") {
    return { ok: false, reasons: [parseError("Sie muss aus genau einer Zeile bestehen.", "It must be exactly one line.")] };
  }
  const reasons: Reason[] = [];
  const parts = new Map<string, string>();
  for (const piece of text.split(";")) {
    const eq = piece.indexOf("=");
    const key = (eq > 0 ? piece.slice(0, eq) : piece).trim().toUpperCase();
    const value = eq > 0 ? piece.slice(eq + 1).trim().toUpperCase() : "";
    if (eq <= 0 || value === "") {
      reasons.push(parseError(`„${piece}“ hat nicht die Form NAME=WERT.`, `"${piece}" is not of the form NAME=VALUE.`));
    } else if (!RULE_PARTS.includes(key)) {
      reasons.push(parseError(`unbekannter Teil „${key}“.`, `unknown part "${key}".`));
    } else if (parts.has(key)) {
      reasons.push(parseError(`„${key}“ steht mehrfach darin.`, `"${key}" is given more than once.`));
    } else {
      parts.set(key, value);
    }
  }

  const freqText = parts.get("FREQ");
  let freq: Frequency | null = null;
  if (freqText === undefined) {
    reasons.push(parseError("FREQ fehlt.", "FREQ is missing."));
  } else if (!(FREQUENCIES as readonly string[]).includes(freqText)) {
    reasons.push(parseError(`unbekannte Frequenz FREQ=${freqText}.`, `unknown frequency FREQ=${freqText}.`));
  } else {
    freq = freqText as Frequency;
    // Also refused when lenient: only from DAILY on is the search for a first occurrence cheap.
    if (REFUSED_FREQUENCIES.includes(freq)) {
      reasons.push(reason(
        `Wiederholungen häufiger als täglich (FREQ=${freq}) sind nicht erlaubt.`,
        `Repeating more often than daily (FREQ=${freq}) is not allowed.`,
      ));
    }
  }

  let interval = 1;
  const intervalText = parts.get("INTERVAL");
  if (intervalText !== undefined) {
    interval = /^\d{1,6}$/.test(intervalText) ? Number(intervalText) : 0;
    if (interval < 1) {
      reasons.push(parseError(`INTERVAL=${intervalText} ist keine positive ganze Zahl.`, `INTERVAL=${intervalText} is not a positive integer.`));
    }
  }

  let count: number | null = null;
  const countText = parts.get("COUNT");
  if (countText !== undefined) {
    count = /^\d{1,9}$/.test(countText) ? Number(countText) : 0;
    if (count < 1) {
      reasons.push(parseError(`COUNT=${countText} ist keine positive ganze Zahl.`, `COUNT=${countText} is not a positive integer.`));
    } else if (limits && count > MAX_COUNT) {
      reasons.push(reason(
        `Höchstens ${MAX_COUNT} Wiederholungen sind erlaubt (COUNT=${count}).`,
        `At most ${MAX_COUNT} repetitions are allowed (COUNT=${count}).`,
      ));
    }
  }

  let until: RuleUntil | null = null;
  const untilText = parts.get("UNTIL");
  if (untilText !== undefined) {
    const m = UNTIL_RE.exec(untilText);
    const local = m ? parseLocal(`${m[1]}-${m[2]}-${m[3]}` + (m[4] !== undefined ? `T${m[4]}:${m[5]}:${m[6]}` : "")) : null;
    if (!m || !local) {
      reasons.push(parseError(
        `UNTIL=${untilText} ist kein gültiges Datum (JJJJMMTT oder JJJJMMTTTHHMMSSZ).`,
        `UNTIL=${untilText} is not a valid date (YYYYMMDD or YYYYMMDDTHHMMSSZ).`,
      ));
    } else {
      until = { kind: m[4] === undefined ? "date" : m[7] === "Z" ? "utc" : "floating", parts: local };
    }
  }
  if (countText !== undefined && untilText !== undefined) {
    reasons.push(reason("COUNT und UNTIL dürfen nicht zusammen angegeben werden.", "COUNT and UNTIL must not both be given."));
  } else if (limits && countText === undefined && untilText === undefined) {
    reasons.push(reason(
      "Die Wiederholung endet nie: COUNT oder UNTIL angeben.",
      "The recurrence never ends: give COUNT or UNTIL.",
    ));
  }

  const by = (name: string, min: number, max: number, signed: boolean): void => {
    const v = parts.get(name);
    if (v !== undefined) checkIntList(name, v, min, max, signed, reasons);
  };
  by("BYSECOND", 0, 59, false);
  by("BYMINUTE", 0, 59, false);
  by("BYHOUR", 0, 23, false);
  by("BYMONTHDAY", 1, 31, true);
  by("BYYEARDAY", 1, 366, true);
  by("BYWEEKNO", 1, 53, true);
  by("BYMONTH", 1, 12, false);
  by("BYSETPOS", 1, 366, true);
  const byday = parts.get("BYDAY");
  if (byday !== undefined) {
    for (const item of byday.split(",")) {
      const m = BYDAY_RE.exec(item);
      const n = m?.[1] !== undefined ? Math.abs(Number(m[1])) : null;
      if (!m || n === 0 || (n !== null && n > 53)) {
        reasons.push(parseError(`BYDAY enthält den ungültigen Wert „${item}“.`, `BYDAY has the invalid value "${item}".`));
        break;
      }
      if (n !== null && freq !== null && freq !== "MONTHLY" && freq !== "YEARLY") {
        reasons.push(parseError(
          `BYDAY mit Nummer („${item}“) geht nur bei FREQ=MONTHLY oder YEARLY.`,
          `BYDAY with a number ("${item}") needs FREQ=MONTHLY or YEARLY.`,
        ));
        break;
      }
    }
  }
  const wkst = parts.get("WKST");
  if (wkst !== undefined && !WEEKDAYS.includes(wkst)) {
    reasons.push(parseError(`WKST=${wkst} ist kein Wochentag.`, `WKST=${wkst} is not a weekday.`));
  }
  if (parts.has("BYWEEKNO") && freq !== null && freq !== "YEARLY") {
    reasons.push(parseError("BYWEEKNO geht nur bei FREQ=YEARLY.", "BYWEEKNO needs FREQ=YEARLY."));
  }
  if (parts.has("BYYEARDAY") && (freq === "DAILY" || freq === "WEEKLY" || freq === "MONTHLY")) {
    reasons.push(parseError(`BYYEARDAY geht nicht bei FREQ=${freq}.`, `BYYEARDAY cannot be used with FREQ=${freq}.`));
  }
  if (parts.has("BYMONTHDAY") && freq === "WEEKLY") {
    reasons.push(parseError("BYMONTHDAY geht nicht bei FREQ=WEEKLY.", "BYMONTHDAY cannot be used with FREQ=WEEKLY."));
  }
  if (parts.has("BYSETPOS") && ![...parts.keys()].some((k) => k.startsWith("BY") && k !== "BYSETPOS")) {
    reasons.push(parseError("BYSETPOS braucht einen weiteren BY…-Teil.", "BYSETPOS needs another BY… part."));
  }

  if (reasons.length > 0 || freq === null) return { ok: false, reasons };

  let options: Partial<Options>;
  try {
    const withoutUntil = [...parts].filter(([k]) => k !== "UNTIL").map(([k, v]) => `${k}=${v}`).join(";");
    options = RRule.parseString(withoutUntil);
    delete options.until;
    delete options.dtstart;
    delete options.tzid;
    // Constructing it once finds anything rrule itself cannot handle.
    new RRule({ ...options, dtstart: new Date(0), count: 1 }, true);
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    return { ok: false, reasons: [parseError(detail, detail)] };
  }
  return { ok: true, rule: { freq, interval, count, until, parts, options } };
}

/** UNTIL in the floating time of the event's zone: a date includes the whole day; Z is converted to tzid. */
export function untilToFloating(until: RuleUntil, tzid: string): number {
  if (until.kind === "date") return partsToFloating({ ...until.parts, hour: 23, minute: 59, second: 59 });
  if (until.kind === "floating") return partsToFloating(until.parts);
  return instantToFloating(partsToFloating(until.parts), tzid);
}

/** An rrule iterating in floating time from startF; untilF bounds it (null: only COUNT does). */
export function buildFloatingRule(
  rule: ParsedRule,
  startF: number,
  untilF: number | null,
  opts: { probe?: boolean } = {},
): RRuleInstance {
  const options: Partial<Options> = { ...rule.options, dtstart: new Date(startF), tzid: null };
  options.until = untilF === null ? null : new Date(untilF);
  if (opts.probe) {
    options.interval = PROBE_INTERVAL;
    options.count = 1;
    options.until = null;
  }
  return new RRule(options, true);
}

/**
 * Whether the start is itself the first occurrence of the rule (RFC 5545 leaves unsynchronized starts
 * undefined, and a rule without any occurrence would let rrule search up to the year 9999). Cheap: only the
 * period containing the start is looked at.
 */
export function isSynchronized(rule: ParsedRule, startF: number): boolean {
  const first = buildFloatingRule(rule, startF, null, { probe: true }).all((_d, i) => i < 1);
  return first.length === 1 && first[0]?.getTime() === startF;
}

/**
 * The floating starts of the series up to min(UNTIL, limitF), at most cap of them. Only call it for a
 * synchronized rule (isSynchronized), else the search for a first occurrence is not bounded.
 */
export function iterateSeries(rule: ParsedRule, startF: number, tzid: string, limitF: number, cap: number): number[] {
  const bound = Math.min(limitF, LAST_MS);
  const untilF = rule.until ? Math.min(untilToFloating(rule.until, tzid), bound) : bound;
  if (untilF < startF) return [];
  const out: number[] = [];
  buildFloatingRule(rule, startF, untilF).all((d) => {
    if (out.length >= cap) return false;
    out.push(d.getTime());
    return true;
  });
  return out;
}
