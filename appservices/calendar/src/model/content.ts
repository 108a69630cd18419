// The content of a `de.schulhof.calendar.event` state event: its zod schema, its limits, and validateEvent,
// which reports every reason (German and English) why a content is refused.
import { IANAZone } from "luxon";
import { z } from "zod";
import {
  type LocalParts, LOCAL_TIME_RE, MAX_YEAR, MIN_YEAR, addFloatingDays, addFloatingYears, floatingToInstant,
  parseLocal, partsToFloating,
} from "./local.ts";
import { type Reason, reason } from "./reason.ts";
import {
  MAX_RULE_INSTANCES, MAX_RULE_YEARS, isSynchronized, iterateSeries, parseRule, untilToFloating,
} from "./rule.ts";

export {
  MAX_COUNT, MAX_RRULE_LENGTH, MAX_RULE_INSTANCES, MAX_RULE_YEARS, REFUSED_FREQUENCIES,
} from "./rule.ts";
export { MAX_YEAR, MIN_YEAR } from "./local.ts";

/** The Matrix state event type of a calendar event (state_key = iCalendar UID). */
export const EVENT_TYPE = "de.schulhof.calendar.event";
/** The categories of an event. */
export const CATEGORIES = ["lesson", "exam", "holiday", "trip", "meeting", "other"] as const;
/** One of CATEGORIES. */
export type Category = (typeof CATEGORIES)[number];

/** Longest summary (after trimming). */
export const MAX_SUMMARY_LENGTH = 200;
/** Longest location. */
export const MAX_LOCATION_LENGTH = 500;
/** Longest description. */
export const MAX_DESCRIPTION_LENGTH = 10_000;
/** Longest time zone name. */
export const MAX_TZID_LENGTH = 64;
/** Longest exam id. */
export const MAX_EXAM_ID_LENGTH = 255;
/** An event (or a changed occurrence) may last at most this many days. */
export const MAX_EVENT_DAYS = 366;
/** At most this many exdates, and at most this many overrides. */
export const MAX_EXCEPTIONS = MAX_RULE_INSTANCES;
/** A Matrix user id such as @anna:schule.example. */
export const MATRIX_USER_ID_RE = /^@[^\s:]+:\S+$/;

const DAY_MS = 86_400_000;
const LocalTime = z.string().regex(LOCAL_TIME_RE);

/** A changed single occurrence (key: local start of the original occurrence). */
export const EventOverrideSchema = z.looseObject({
  summary: z.string().trim().min(1).max(MAX_SUMMARY_LENGTH).optional(),
  start: LocalTime.optional(),
  end: LocalTime.optional(),
  location: z.string().max(MAX_LOCATION_LENGTH).optional(),
  description: z.string().max(MAX_DESCRIPTION_LENGTH).optional(),
  cancelled: z.boolean().optional(),
});
/** A changed single occurrence. */
export type EventOverride = z.infer<typeof EventOverrideSchema>;

const EventContentShape = z.looseObject({
  summary: z.string().trim().min(1).max(MAX_SUMMARY_LENGTH),
  start: LocalTime,
  end: LocalTime,
  all_day: z.boolean(),
  tzid: z.string().min(1).max(MAX_TZID_LENGTH),
  rrule: z.string().max(500).optional(),
  exdates: z.array(LocalTime).max(MAX_EXCEPTIONS).optional(),
  overrides: z.record(z.string(), EventOverrideSchema).optional(),
  location: z.string().max(MAX_LOCATION_LENGTH).optional(),
  description: z.string().max(MAX_DESCRIPTION_LENGTH).optional(),
  category: z.enum(CATEGORIES),
  sequence: z.number().int().min(0).optional(),
  created_by: z.string().regex(MATRIX_USER_ID_RE).optional(),
  exam_id: z.string().min(1).max(MAX_EXAM_ID_LENGTH).optional(),
  /** An exam's kind and lesson periods, so that a district school reading a shared course's calendar can list the exam. */
  exam_kind: z.string().min(1).max(40).optional(),
  exam_periods: z.array(z.number().int().min(1).max(20)).max(20).optional(),
});

/**
 * The full schema: structure plus every semantic check of validateEvent (as custom issues whose message is
 * "German / English" and whose params.reason is the Reason). Prefer validateEvent, which also reports the
 * semantic problems of a structurally broken content.
 */
export const EventContentSchema = EventContentShape.superRefine((value, ctx) => {
  for (const r of semanticReasons(value)) {
    ctx.addIssue({ code: "custom", message: `${r.de} / ${r.en}`, params: { reason: r } });
  }
});
/** A valid event content (unknown extra keys are kept). */
export type EventContent = z.infer<typeof EventContentSchema>;

/** The result of validateEvent. */
export type ValidationResult = { ok: true; content: EventContent } | { ok: false; reasons: Reason[] };

/** Whether a state event content means "deleted" (the empty object). */
export function isDeletedContent(raw: unknown): boolean {
  return typeof raw === "object" && raw !== null && !Array.isArray(raw) && Object.keys(raw).length === 0;
}

/** Validates raw event content and returns the parsed content, or every reason it is refused. */
export function validateEvent(raw: unknown): ValidationResult {
  const parsed = EventContentShape.safeParse(raw);
  const reasons: Reason[] = parsed.success ? [] : parsed.error.issues.map((i) => issueReason(i, raw));
  if (typeof raw === "object" && raw !== null && !Array.isArray(raw)) {
    reasons.push(...semanticReasons(raw as Record<string, unknown>));
  }
  if (!parsed.success || reasons.length > 0) return { ok: false, reasons };
  return { ok: true, content: parsed.data };
}

// ---- structural issues -> bilingual reasons ----

function fieldLabel(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else if (typeof p === "string" && /^[a-z_]+$/i.test(p)) out += out === "" ? p : `.${p}`;
    else out += `[${JSON.stringify(String(p))}]`;
  }
  return out;
}

function lookup(raw: unknown, path: readonly PropertyKey[]): unknown {
  let cur = raw;
  for (const p of path) {
    if (typeof cur !== "object" || cur === null) return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}

const TYPE_DE: Record<string, string> = {
  string: "Text", number: "Zahl", int: "ganze Zahl", boolean: "true oder false", object: "Objekt",
  array: "Liste", record: "Objekt",
};

function issueReason(issue: z.core.$ZodIssue, raw: unknown): Reason {
  const f = fieldLabel(issue.path);
  if (f === "") return reason("Der Inhalt muss ein JSON-Objekt sein.", "The content must be a JSON object.");
  switch (issue.code) {
    case "invalid_type":
      if (lookup(raw, issue.path) === undefined) return reason(`Das Feld „${f}“ fehlt.`, `The field "${f}" is missing.`);
      return reason(
        `Das Feld „${f}“ hat den falschen Typ (erwartet: ${TYPE_DE[issue.expected] ?? issue.expected}).`,
        `The field "${f}" has the wrong type (expected ${issue.expected}).`,
      );
    case "too_small":
      if (issue.origin === "string") return reason(`Das Feld „${f}“ darf nicht leer sein.`, `The field "${f}" must not be empty.`);
      return reason(`Das Feld „${f}“ muss mindestens ${issue.minimum} sein.`, `The field "${f}" must be at least ${issue.minimum}.`);
    case "too_big":
      if (issue.origin === "string") {
        return reason(
          `Das Feld „${f}“ ist zu lang (höchstens ${issue.maximum} Zeichen).`,
          `The field "${f}" is too long (at most ${issue.maximum} characters).`,
        );
      }
      if (issue.origin === "array") {
        return reason(
          `Das Feld „${f}“ hat zu viele Einträge (höchstens ${issue.maximum}).`,
          `The field "${f}" has too many entries (at most ${issue.maximum}).`,
        );
      }
      return reason(`Das Feld „${f}“ darf höchstens ${issue.maximum} sein.`, `The field "${f}" must be at most ${issue.maximum}.`);
    case "invalid_format":
      if (f === "created_by") {
        return reason(
          "„created_by“ ist keine Matrix-Benutzer-ID (@name:server).",
          '"created_by" is not a Matrix user id (@name:server).',
        );
      }
      return reason(
        `Das Feld „${f}“ hat nicht die Form JJJJ-MM-TT oder JJJJ-MM-TTTHH:mm[:ss].`,
        `The field "${f}" is not of the form YYYY-MM-DD or YYYY-MM-DDTHH:mm[:ss].`,
      );
    case "invalid_value":
      return reason(
        `Das Feld „${f}“ muss einer dieser Werte sein: ${issue.values.join(", ")}.`,
        `The field "${f}" must be one of: ${issue.values.join(", ")}.`,
      );
    default:
      return reason(`Das Feld „${f}“ ist ungültig (${issue.message}).`, `The field "${f}" is invalid (${issue.message}).`);
  }
}

// ---- semantic checks ----

function invalidDate(field: string, value: string): Reason {
  return reason(
    `${field}: „${value}“ ist kein gültiges Datum bzw. keine gültige Uhrzeit (Jahre ${MIN_YEAR}–${MAX_YEAR}).`,
    `${field}: "${value}" is not a valid date or time (years ${MIN_YEAR}–${MAX_YEAR}).`,
  );
}

function wrongForm(field: string, value: string, allDay: boolean): Reason {
  return allDay
    ? reason(
      `${field}: „${value}“ muss wie start ein reines Datum sein (JJJJ-MM-TT).`,
      `${field}: "${value}" must be a plain date like start (YYYY-MM-DD).`,
    )
    : reason(
      `${field}: „${value}“ muss wie start ein Datum mit Uhrzeit sein (JJJJ-MM-TTTHH:mm).`,
      `${field}: "${value}" must be a date with time like start (YYYY-MM-DDTHH:mm).`,
    );
}

/** A local time field that has the right shape; reports it when it is no real date. */
function localField(field: string, value: unknown, out: Reason[]): LocalParts | null {
  if (typeof value !== "string" || !LOCAL_TIME_RE.test(value)) return null;
  const p = parseLocal(value);
  if (!p) out.push(invalidDate(field, value));
  return p;
}

/** Whether a time zone is known; reports unknown ones and wrongly capitalized ones. */
function checkZone(tzid: string, out: Reason[]): boolean {
  if (!IANAZone.isValidZone(tzid)) {
    out.push(reason(
      `Unbekannte Zeitzone „${tzid}“ (erwartet wird ein IANA-Name wie Europe/Berlin).`,
      `Unknown time zone "${tzid}" (expected an IANA name such as Europe/Berlin).`,
    ));
    return false;
  }
  const canonical = new Intl.DateTimeFormat("en", { timeZone: tzid }).resolvedOptions().timeZone;
  if (canonical !== tzid && canonical.toLowerCase() === tzid.toLowerCase()) {
    out.push(reason(
      `Die Zeitzone bitte genau als „${canonical}“ schreiben (nicht „${tzid}“).`,
      `Write the time zone exactly as "${canonical}" (not "${tzid}").`,
    ));
    return false;
  }
  return true;
}

/** Milliseconds between two local times: real elapsed time for timed events, days for all-day ones. */
function span(startF: number, endF: number, allDay: boolean, tzid: string | null): number {
  if (allDay || tzid === null) return endF - startF;
  return floatingToInstant(endF, tzid).toMillis() - floatingToInstant(startF, tzid).toMillis();
}

function checkOrder(label: string, startF: number, endF: number, allDay: boolean, tzid: string | null, out: Reason[]): void {
  const ms = span(startF, endF, allDay, tzid);
  const prefix = label === "" ? "" : `${label}: `;
  if (ms <= 0) {
    out.push(reason(
      `${prefix}Das Ende (end) muss nach dem Beginn (start) liegen.`,
      `${prefix}The end must be after the start.`,
    ));
  } else if (ms > MAX_EVENT_DAYS * DAY_MS) {
    out.push(reason(
      `${prefix}Ein Termin darf höchstens ${MAX_EVENT_DAYS} Tage dauern.`,
      `${prefix}An event may last at most ${MAX_EVENT_DAYS} days.`,
    ));
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * The semantic reasons against a content, for every field that has the right structure: zone, real dates,
 * all-day form, order and length, the recurrence rule and its expansion (bounded), exdates and overrides.
 */
function semanticReasons(c: Record<string, unknown>): Reason[] {
  const out: Reason[] = [];
  const tzid = typeof c.tzid === "string" && c.tzid !== "" ? c.tzid : null;
  const zone = tzid !== null && checkZone(tzid, out) ? tzid : null;
  const start = localField("start", c.start, out);
  const end = localField("end", c.end, out);
  const allDayFlag = typeof c.all_day === "boolean" ? c.all_day : null;

  // Whether the event is all-day as far as we can tell: from the form of start, else from the flag.
  let allDay: boolean | null = start ? start.form === "date" : allDayFlag;
  if (start && end) {
    const startDate = start.form === "date";
    const endDate = end.form === "date";
    if (startDate !== endDate) {
      out.push(reason(
        "start und end müssen beide reine Daten (ganztägig) oder beide Daten mit Uhrzeit sein.",
        "start and end must both be plain dates (all-day) or both date-times.",
      ));
      allDay = null;
    } else if (allDayFlag !== null && allDayFlag !== startDate) {
      out.push(allDayFlag
        ? reason("all_day ist true, aber start und end enthalten eine Uhrzeit.", "all_day is true but start and end have a time of day.")
        : reason("all_day ist false, aber start und end sind reine Daten ohne Uhrzeit.", "all_day is false but start and end are plain dates without a time."));
    } else {
      checkOrder("", partsToFloating(start), partsToFloating(end), startDate, zone, out);
    }
  }

  const hasRule = typeof c.rrule === "string" && c.rrule.trim() !== "";
  if (hasRule) {
    const parsed = parseRule(c.rrule as string);
    if (!parsed.ok) {
      out.push(...parsed.reasons);
    } else if (start && zone !== null && allDay !== null) {
      const rule = parsed.rule;
      const startF = partsToFloating(start);
      const horizonF = addFloatingDays(addFloatingYears(startF, MAX_RULE_YEARS), 1);
      if (allDay && ["BYHOUR", "BYMINUTE", "BYSECOND"].some((k) => rule.parts.has(k))) {
        out.push(reason(
          "Ganztägige Termine können BYHOUR, BYMINUTE und BYSECOND nicht verwenden.",
          "All-day events cannot use BYHOUR, BYMINUTE or BYSECOND.",
        ));
      } else if (rule.until && untilToFloating(rule.until, zone) > horizonF) {
        out.push(reason(
          `UNTIL liegt mehr als ${MAX_RULE_YEARS} Jahre nach dem Beginn.`,
          `UNTIL is more than ${MAX_RULE_YEARS} years after the start.`,
        ));
      } else if (!isSynchronized(rule, startF)) {
        out.push(reason(
          `Der Beginn (${String(c.start)}) ist selbst kein Termin der Wiederholungsregel.`,
          `The start (${String(c.start)}) is not itself an occurrence of the recurrence rule.`,
        ));
      } else {
        const n = iterateSeries(rule, startF, zone, horizonF, MAX_RULE_INSTANCES + 1).length;
        if (n > MAX_RULE_INSTANCES) {
          out.push(reason(
            `Die Wiederholungsregel ergibt mehr als ${MAX_RULE_INSTANCES} Termine.`,
            `The recurrence rule yields more than ${MAX_RULE_INSTANCES} occurrences.`,
          ));
        } else if (rule.count !== null && n < rule.count) {
          out.push(reason(
            `Die Serie reicht mehr als ${MAX_RULE_YEARS} Jahre über den Beginn hinaus.`,
            `The series runs on for more than ${MAX_RULE_YEARS} years after the start.`,
          ));
        }
      }
    }
  }

  let exceptions = 0;
  if (Array.isArray(c.exdates)) {
    c.exdates.forEach((v: unknown, i) => {
      const p = localField(`exdates[${i}]`, v, out);
      if (p && allDay !== null && (p.form === "date") !== allDay) out.push(wrongForm(`exdates[${i}]`, String(v), allDay));
    });
    exceptions += c.exdates.length;
  }
  if (isRecord(c.overrides)) {
    const keys = Object.keys(c.overrides);
    exceptions += keys.length;
    if (keys.length > MAX_EXCEPTIONS) {
      out.push(reason(
        `Höchstens ${MAX_EXCEPTIONS} geänderte Termine (overrides) sind erlaubt.`,
        `At most ${MAX_EXCEPTIONS} changed occurrences (overrides) are allowed.`,
      ));
    } else {
      for (const key of keys) checkOverride(key, c.overrides[key], allDay, zone, out);
    }
  }
  if (!hasRule && exceptions > 0) {
    out.push(reason(
      "exdates und overrides gibt es nur bei wiederkehrenden Terminen (mit rrule).",
      "exdates and overrides only exist for recurring events (with rrule).",
    ));
  }
  return out;
}

function checkOverride(
  key: string,
  ov: unknown,
  allDay: boolean | null,
  zone: string | null,
  out: Reason[],
): void {
  const label = `overrides[${JSON.stringify(key)}]`;
  const keyParts = parseLocal(key);
  if (!LOCAL_TIME_RE.test(key)) {
    out.push(reason(
      `${label}: Der Schlüssel muss der Beginn des ursprünglichen Termins sein (JJJJ-MM-TT oder JJJJ-MM-TTTHH:mm).`,
      `${label}: the key must be the start of the original occurrence (YYYY-MM-DD or YYYY-MM-DDTHH:mm).`,
    ));
    return;
  }
  if (!keyParts) {
    out.push(invalidDate(label, key));
    return;
  }
  if (allDay !== null && (keyParts.form === "date") !== allDay) {
    out.push(wrongForm(label, key, allDay));
    return;
  }
  if (!isRecord(ov)) return;
  const s = localField(`${label}.start`, ov.start, out);
  const e = localField(`${label}.end`, ov.end, out);
  let formOk = true;
  for (const [name, p] of [["start", s], ["end", e]] as const) {
    if (p && allDay !== null && (p.form === "date") !== allDay) {
      out.push(wrongForm(`${label}.${name}`, String(ov[name]), allDay));
      formOk = false;
    }
  }
  if (!formOk || allDay === null || ov.cancelled === true) return;
  if ((ov.start !== undefined && !s) || (ov.end !== undefined && !e)) return;
  // Only start moved: the end follows with the event's duration, so only an explicit end can be wrong.
  if (e) checkOrder(label, partsToFloating(s ?? keyParts), partsToFloating(e), allDay, zone, out);
}
