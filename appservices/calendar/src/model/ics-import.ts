// Import of iCalendar files (RFC 5545) with ical.js into event contents. A file that is not iCalendar at all
// throws IcsError; every problem of a single VEVENT becomes an error entry with its index instead. The result
// depends only on the file (same file -> same UIDs and contents).
import ICAL from "ical.js";
import { IANAZone } from "luxon";
import { type Category, type EventContent, type EventOverride, validateEvent } from "./content.ts";
import {
  addFloatingDays, floatingToInstant, formatFloating, instantToFloating, partsToFloating, parseLocal,
} from "./local.ts";
import { ModelError, type Reason, joinReasons, reason } from "./reason.ts";
import { MAX_RULE_INSTANCES, isSynchronized, iterateSeries, parseRule } from "./rule.ts";

/** The file is not (readable) iCalendar; reason in German and English. */
export class IcsError extends ModelError {
  constructor(r: Reason) {
    super(r);
    this.name = "IcsError";
  }
}

/** Largest file accepted, in characters. */
export const MAX_ICS_LENGTH = 5_000_000;
/** Most VEVENTs accepted in one file. */
export const MAX_IMPORT_EVENTS = 5000;

/** Options of parseIcs. */
export interface ParseIcsOptions {
  /** Zone for floating times, DATE values and (for single events) UTC times. */
  defaultTzid: string;
  /** Category when CATEGORIES matches none of ours; default "other". */
  defaultCategory?: Category;
}

/** One VEVENT that could not be imported (index: its position among the file's VEVENTs, from 0). */
export interface IcsImportError {
  index: number;
  uid: string | null;
  reason: Reason;
}

/** The result of parseIcs. */
export interface IcsImportResult {
  events: { uid: string; content: EventContent }[];
  errors: IcsImportError[];
}

const CATEGORY_WORDS: [Category, RegExp][] = [
  ["holiday", /ferien|feiertag|holiday|vacation|schulfrei|unterrichtsfrei|brückentag/],
  ["exam", /klassenarbeit|klausur|prüfung|pruefung|\bexams?\b|\btests?\b|lernkontrolle|leistungsnachweis|schulaufgabe/],
  ["trip", /ausflug|klassenfahrt|exkursion|wandertag|studienfahrt|schullandheim|\btrips?\b|excursion/],
  ["meeting", /konferenz|elternabend|sprechtag|sprechstunde|besprechung|sitzung|versammlung|\bmeetings?\b/],
  ["lesson", /unterricht|\blessons?\b|\bstunde\b|\bclass\b|vertretung/],
  ["other", /^(other|sonstiges?)$/],
];

/** Our category for CATEGORIES values (German or English, e.g. Ferien -> holiday, Klausur -> exam), or null. */
export function mapCategory(values: readonly string[]): Category | null {
  for (const raw of values) {
    const v = raw.trim().toLowerCase();
    for (const [category, re] of CATEGORY_WORDS) if (re.test(v)) return category;
  }
  return null;
}

type Component = InstanceType<typeof ICAL.Component>;
type Property = InstanceType<typeof ICAL.Property>;

/** A time as written: a DATE, or a DATE-TIME that is UTC, in an IANA zone, or floating (zone null). */
type Written = { kind: "date"; f: number } | { kind: "datetime"; f: number; zone: string | null };

const TIME_RE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(Z)?)?$/;

function fail(de: string, en: string): never {
  throw new ModelError(reason(de, en));
}

function resolveZone(tzid: string): string {
  const name = tzid.replace(/^"|"$/g, "").trim();
  const candidates = [name];
  // Some producers write TZIDs like "/mozilla.org/20050126_1/Europe/Berlin": try the trailing segments.
  const segments = name.split("/").filter((s) => s !== "");
  for (let i = 1; i < segments.length; i++) candidates.push(segments.slice(i).join("/"));
  for (const c of candidates) {
    if (c !== "" && IANAZone.isValidZone(c)) return new Intl.DateTimeFormat("en", { timeZone: c }).resolvedOptions().timeZone;
  }
  return fail(
    `Unbekannte Zeitzone „${name}“ (TZID); unterstützt werden IANA-Namen wie Europe/Berlin.`,
    `Unknown time zone "${name}" (TZID); IANA names such as Europe/Berlin are supported.`,
  );
}

function paramText(prop: Property, name: string): string | null {
  const v = prop.getParameter(name);
  if (typeof v === "string") return v;
  if (Array.isArray(v) && typeof v[0] === "string") return v[0];
  return null;
}

/** The raw values of a property (jCal: name, params, type, values...). */
function rawValues(prop: Property): unknown[] {
  return (prop.jCal as unknown[]).slice(3);
}

function readWritten(prop: Property, value: unknown): Written {
  const m = typeof value === "string" ? TIME_RE.exec(value) : null;
  const local = m
    ? parseLocal(`${m[1]}-${m[2]}-${m[3]}` + (m[4] !== undefined ? `T${m[4]}:${m[5]}:${m[6]}` : ""))
    : null;
  if (!m || !local) {
    fail(
      `${prop.name.toUpperCase()}: „${String(value)}“ ist kein gültiges Datum.`,
      `${prop.name.toUpperCase()}: "${String(value)}" is not a valid date.`,
    );
  }
  const f = partsToFloating(local);
  if (m[4] === undefined) return { kind: "date", f };
  if (m[7] === "Z") return { kind: "datetime", f, zone: "UTC" };
  const tzid = paramText(prop, "tzid");
  return { kind: "datetime", f, zone: tzid === null ? null : resolveZone(tzid) };
}

function readOne(comp: Component, name: string): Written | null {
  const prop = comp.getFirstProperty(name);
  return prop ? readWritten(prop, rawValues(prop)[0]) : null;
}

/** A written date-time as floating time in the target zone (floating times are taken as the target's). */
function inZone(w: Written & { kind: "datetime" }, tzid: string): number {
  if (w.zone === null || w.zone === tzid) return w.f;
  const instant = w.zone === "UTC" ? w.f : floatingToInstant(w.f, w.zone).toMillis();
  return instantToFloating(instant, tzid);
}

const DAY_MS = 86_400_000;

/** A written time as a key of the master (EXDATE, RECURRENCE-ID): in its zone and of its form. */
function asMasterTime(w: Written, tzid: string, allDay: boolean, startF: number): number {
  if (allDay) return w.kind === "date" ? w.f : Math.floor(inZone(w, tzid) / DAY_MS) * DAY_MS;
  if (w.kind === "date") return w.f + (startF - Math.floor(startF / DAY_MS) * DAY_MS);
  return inZone(w, tzid);
}

function text(comp: Component, name: string): string | undefined {
  const v = comp.getFirstPropertyValue(name);
  return typeof v === "string" ? v : undefined;
}

interface Master {
  index: number;
  uid: string;
  content: EventContent;
  allDay: boolean;
  startF: number;
  /** Days for all-day events, exact milliseconds for timed ones. */
  dur: number;
}

/** The start and end of a VEVENT in the given zone (or its own), as floating times and forms. */
function readSpan(comp: Component, opts: {
  tzid: string | null;
  defaultTzid: string;
  recurring: boolean;
  /** End for a component without DTEND and DURATION (default: one day for a date, else an error). */
  defaultEnd?: (startF: number) => number;
}): {
  tzid: string; allDay: boolean; startF: number; endF: number; endIsDate: boolean;
} {
  const start = readOne(comp, "dtstart");
  if (start === null) fail("DTSTART fehlt.", "DTSTART is missing.");
  const allDay = start.kind === "date";
  let tzid: string;
  let startF: number;
  if (start.kind === "date") {
    tzid = opts.tzid ?? opts.defaultTzid;
    startF = start.f;
  } else if (opts.tzid !== null) {
    tzid = opts.tzid;
    startF = inZone(start, tzid);
  } else if (start.zone === "UTC") {
    // A single UTC event is shown in the school's zone; a recurring one keeps UTC so that its instants stay.
    tzid = opts.recurring ? "UTC" : opts.defaultTzid;
    startF = inZone(start, tzid);
  } else {
    tzid = start.zone ?? opts.defaultTzid;
    startF = start.f;
  }
  const end = readOne(comp, "dtend");
  if (end !== null) {
    if (end.kind === "date") return { tzid, allDay, startF, endF: end.f, endIsDate: true };
    return { tzid, allDay, startF, endF: inZone(end, tzid), endIsDate: false };
  }
  const durationRaw = comp.getFirstProperty("duration") ? rawValues(comp.getFirstProperty("duration")!)[0] : undefined;
  if (typeof durationRaw === "string") {
    let d: InstanceType<typeof ICAL.Duration>;
    try {
      d = ICAL.Duration.fromString(durationRaw);
    } catch {
      fail(`DURATION „${durationRaw}“ ist ungültig.`, `DURATION "${durationRaw}" is invalid.`);
    }
    const seconds = d.toSeconds();
    if (allDay) {
      if (seconds % 86_400 !== 0) {
        fail("DURATION eines ganztägigen Termins muss ganze Tage angeben.", "The DURATION of an all-day event must be whole days.");
      }
      return { tzid, allDay, startF, endF: addFloatingDays(startF, seconds / 86_400), endIsDate: true };
    }
    const endInstant = floatingToInstant(startF, tzid).toMillis() + seconds * 1000;
    return { tzid, allDay, startF, endF: instantToFloating(endInstant, tzid), endIsDate: false };
  }
  if (opts.defaultEnd) return { tzid, allDay, startF, endF: opts.defaultEnd(startF), endIsDate: allDay };
  if (allDay) return { tzid, allDay, startF, endF: addFloatingDays(startF, 1), endIsDate: true };
  return fail(
    "Das Ende fehlt (weder DTEND noch DURATION).",
    "The end is missing (neither DTEND nor DURATION).",
  );
}

function readMaster(comp: Component, index: number, uid: string, opts: Required<ParseIcsOptions>): Master {
  if (comp.getAllProperties("rdate").length > 0 || comp.getAllProperties("exrule").length > 0) {
    fail("RDATE und EXRULE werden nicht unterstützt.", "RDATE and EXRULE are not supported.");
  }
  const rrules = comp.getAllProperties("rrule");
  if (rrules.length > 1) fail("Mehrere RRULE in einem Termin werden nicht unterstützt.", "Several RRULEs in one event are not supported.");
  if ((text(comp, "status") ?? "").toUpperCase() === "CANCELLED") {
    fail("Der Termin ist abgesagt (STATUS:CANCELLED).", "The event is cancelled (STATUS:CANCELLED).");
  }
  const recurring = rrules.length === 1;
  const span = readSpan(comp, { tzid: null, defaultTzid: opts.defaultTzid, recurring });
  const { tzid, allDay, startF, endF } = span;
  const form = allDay ? "date" : "minute";
  const content: Record<string, unknown> = {
    summary: (text(comp, "summary") ?? "").trim(),
    start: formatFloating(startF, form),
    end: formatFloating(endF, span.endIsDate ? "date" : "minute"),
    all_day: allDay,
    tzid,
  };
  if (recurring) {
    const value = rrules[0]!.getFirstValue();
    content.rrule = value === null ? "" : value.toString();
    const exdates = new Set<number>();
    for (const prop of comp.getAllProperties("exdate")) {
      for (const raw of rawValues(prop)) exdates.add(asMasterTime(readWritten(prop, raw), tzid, allDay, startF));
    }
    if (exdates.size > 0) content.exdates = [...exdates].sort((a, b) => a - b).map((f) => formatFloating(f, form));
  }
  const location = text(comp, "location")?.trim();
  if (location) content.location = location;
  const description = text(comp, "description")?.trim();
  if (description) content.description = description;
  const categories = comp.getAllProperties("categories").flatMap((p) => p.getValues().filter((v): v is string => typeof v === "string"));
  content.category = mapCategory(categories) ?? opts.defaultCategory;
  const sequence = comp.getFirstPropertyValue("sequence");
  if (typeof sequence === "number" && Number.isInteger(sequence) && sequence > 0) content.sequence = sequence;

  const checked = validateEvent(content);
  if (!checked.ok) throw new ModelError(joinReasons(checked.reasons));
  const dur = allDay ? Math.round((endF - startF) / DAY_MS) : floatingToInstant(endF, tzid).toMillis() - floatingToInstant(startF, tzid).toMillis();
  return { index, uid, content: checked.content, allDay, startF, dur };
}

/** The override a RECURRENCE-ID component means for its master: only what differs from the original occurrence. */
function readException(comp: Component, master: Master): { key: string; keyF: number; override: EventOverride } {
  const ridProp = comp.getFirstProperty("recurrence-id")!;
  if (paramText(ridProp, "range") !== null) {
    fail("RECURRENCE-ID mit RANGE wird nicht unterstützt.", "RECURRENCE-ID with RANGE is not supported.");
  }
  const { content } = master;
  const form = master.allDay ? "date" : "minute";
  const keyF = asMasterTime(readWritten(ridProp, rawValues(ridProp)[0]), content.tzid, master.allDay, master.startF);
  const key = formatFloating(keyF, form);
  if ((text(comp, "status") ?? "").toUpperCase() === "CANCELLED") return { key, keyF, override: { cancelled: true } };

  const override: EventOverride = {};
  if (comp.getFirstProperty("dtstart")) {
    const expectedEnd = (startF: number): number => master.allDay
      ? addFloatingDays(startF, master.dur)
      : instantToFloating(floatingToInstant(startF, content.tzid).toMillis() + master.dur, content.tzid);
    // Without DTEND and DURATION a changed occurrence keeps the series' duration.
    const span = readSpan(comp, { tzid: content.tzid, defaultTzid: content.tzid, recurring: false, defaultEnd: expectedEnd });
    if (span.allDay !== master.allDay || span.endIsDate !== master.allDay) {
      fail(
        "Die Ausnahme ist ganztägig und die Serie nicht (oder umgekehrt).",
        "The exception is all-day and the series is not (or the other way round).",
      );
    }
    if (span.startF !== keyF) override.start = formatFloating(span.startF, form);
    if (span.endF !== expectedEnd(span.startF)) override.end = formatFloating(span.endF, form);
  }
  const summary = text(comp, "summary")?.trim();
  if (summary && summary !== content.summary) override.summary = summary;
  const location = text(comp, "location")?.trim();
  if (location && location !== (content.location ?? "")) override.location = location;
  const description = text(comp, "description")?.trim();
  if (description && description !== (content.description ?? "")) override.description = description;
  return { key, keyF, override };
}

function reasonOf(err: unknown): Reason {
  if (err instanceof ModelError) return err.reason;
  const detail = err instanceof Error ? err.message : String(err);
  return reason(`Der Termin ist nicht lesbar (${detail}).`, `The event cannot be read (${detail}).`);
}

function calendarsOf(text: string): Component[] {
  let jcal: unknown;
  try {
    jcal = ICAL.parse(text);
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new IcsError(reason(
      `Die Datei ist kein gültiges iCalendar (${detail}).`,
      `The file is not valid iCalendar (${detail}).`,
    ));
  }
  const roots = Array.isArray(jcal) && Array.isArray(jcal[0]) ? (jcal as unknown[]) : [jcal];
  const calendars = roots
    .filter((r): r is unknown[] => Array.isArray(r) && r[0] === "vcalendar")
    .map((r) => new ICAL.Component(r));
  if (calendars.length === 0 || calendars.length !== roots.length) {
    throw new IcsError(reason(
      "Die Datei ist kein iCalendar: BEGIN:VCALENDAR fehlt.",
      "The file is not iCalendar: BEGIN:VCALENDAR is missing.",
    ));
  }
  return calendars;
}

/**
 * Reads an iCalendar file into event contents. Throws IcsError when the file is not iCalendar (or too large);
 * a VEVENT that cannot be taken over (no UID, unknown or Windows TZID, end before start, invalid rule, ...)
 * becomes an error entry. RECURRENCE-ID components become overrides of their master (cancelled ones too).
 */
export function parseIcs(text: string, opts: ParseIcsOptions): IcsImportResult {
  if (typeof text !== "string") throw new IcsError(reason("Keine Textdatei.", "Not a text file."));
  if (!IANAZone.isValidZone(opts.defaultTzid)) {
    throw new IcsError(reason(`Unbekannte Zeitzone „${opts.defaultTzid}“.`, `Unknown time zone "${opts.defaultTzid}".`));
  }
  if (text.length > MAX_ICS_LENGTH) {
    throw new IcsError(reason(
      `Die Datei ist zu groß (höchstens ${MAX_ICS_LENGTH} Zeichen).`,
      `The file is too large (at most ${MAX_ICS_LENGTH} characters).`,
    ));
  }
  const options: Required<ParseIcsOptions> = { defaultTzid: opts.defaultTzid, defaultCategory: opts.defaultCategory ?? "other" };
  const vevents = calendarsOf(text.replace(/^\uFEFF/, "")).flatMap((c) => c.getAllSubcomponents("vevent"));
  if (vevents.length > MAX_IMPORT_EVENTS) {
    throw new IcsError(reason(
      `Die Datei enthält zu viele Termine (höchstens ${MAX_IMPORT_EVENTS}).`,
      `The file has too many events (at most ${MAX_IMPORT_EVENTS}).`,
    ));
  }

  const errors: IcsImportError[] = [];
  const masters = new Map<string, Master>();
  const exceptions: { index: number; uid: string; comp: Component }[] = [];
  vevents.forEach((comp, index) => {
    let uid: string | null = null;
    try {
      const rawUid = comp.getFirstPropertyValue("uid");
      uid = typeof rawUid === "string" && rawUid.trim() !== "" ? rawUid.trim() : null;
      if (uid === null) fail("Der Termin hat keine UID.", "The event has no UID.");
      if (comp.getFirstProperty("recurrence-id")) {
        exceptions.push({ index, uid, comp });
        return;
      }
      if (masters.has(uid)) fail(`Die UID „${uid}“ kommt mehrfach vor.`, `The UID "${uid}" occurs more than once.`);
      masters.set(uid, readMaster(comp, index, uid, options));
    } catch (err) {
      errors.push({ index, uid, reason: reasonOf(err) });
    }
  });

  // Exceptions are read one by one; each series is then validated once with all of them, and only when that
  // fails are they added one at a time to find the culprits.
  const pending = new Map<Master, { index: number; uid: string; key: string; override: EventOverride }[]>();
  for (const { index, uid, comp } of exceptions) {
    try {
      const master = masters.get(uid);
      if (master === undefined) {
        fail(
          "Geänderter Einzeltermin (RECURRENCE-ID) ohne gültige Serie in der Datei.",
          "Changed occurrence (RECURRENCE-ID) without a valid series in the file.",
        );
      }
      const rule = master.content.rrule ? parseRule(master.content.rrule) : null;
      if (rule === null || !rule.ok || !isSynchronized(rule.rule, master.startF)) {
        fail("Geänderter Einzeltermin einer nicht wiederkehrenden Serie.", "Changed occurrence of an event that does not recur.");
      }
      const { key, keyF, override } = readException(comp, master);
      const instances = iterateSeries(rule.rule, master.startF, master.content.tzid, keyF, MAX_RULE_INSTANCES);
      if (!instances.includes(keyF)) {
        fail(
          `RECURRENCE-ID ${key} ist kein Termin der Serie.`,
          `RECURRENCE-ID ${key} is not an occurrence of the series.`,
        );
      }
      if (Object.keys(override).length === 0) continue;
      const list = pending.get(master) ?? [];
      list.push({ index, uid, key, override });
      pending.set(master, list);
    } catch (err) {
      errors.push({ index, uid, reason: reasonOf(err) });
    }
  }
  for (const [master, list] of pending) {
    const all = validateEvent({ ...master.content, overrides: Object.fromEntries(list.map((x) => [x.key, x.override])) });
    if (all.ok) {
      master.content = all.content;
      continue;
    }
    for (const { index, uid, key, override } of list) {
      const one = validateEvent({ ...master.content, overrides: { ...master.content.overrides, [key]: override } });
      if (one.ok) master.content = one.content;
      else errors.push({ index, uid, reason: joinReasons(one.reasons) });
    }
  }

  const events = [...masters.values()]
    .sort((a, b) => a.index - b.index)
    .map((m) => ({ uid: m.uid, content: m.content }));
  errors.sort((a, b) => a.index - b.index);
  return { events, errors };
}
