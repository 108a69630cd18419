// Expansion of events into occurrences within a time range. Recurrence runs in floating time (the wall time
// of the event's zone, encoded as UTC, zone never given to rrule) and every wall time is then turned into an
// instant with luxon in the event's zone, so a weekly lesson at 08:00 stays at 08:00 local in winter and in
// summer. Wall times in the spring-forward gap are shifted forward by the gap (02:30 -> 03:30), a wall time
// in the repeated autumn hour is its first occurrence (RFC 5545 3.3.5). Iteration is always capped.
import type { Category, EventContent, EventOverride } from "./content.ts";
import {
  type LocalForm, addFloatingDays, floatingDaysBetween, floatingToInstant, floatingToInstantMs, formOf, formatFloating,
  instantToFloatingMs, localToFloating, parseLocal,
} from "./local.ts";
import { ModelError, reason } from "./reason.ts";
import { MAX_RULE_INSTANCES, type ParsedRule, isSynchronized, iterateSeries, parseRule } from "./rule.ts";

/** Never more occurrences than this, from one event or from occurrencesBetween, however large the range. */
export const MAX_INSTANCES = MAX_RULE_INSTANCES;

/** One occurrence of an event. */
export interface Occurrence {
  uid: string;
  /** The local start of the original occurrence (in the form of the content's start) for recurring events, else null. */
  recurrenceId: string | null;
  start: Date;
  /** Exclusive end; for all-day events local midnight of the exclusive end date. */
  end: Date;
  allDay: boolean;
  /** Actual local start in tzid ("YYYY-MM-DD" for all-day). */
  startLocal: string;
  /** Actual local end in tzid (the exclusive end date for all-day). */
  endLocal: string;
  tzid: string;
  summary: string;
  location?: string;
  description?: string;
  category: Category;
}

/** An event as stored: its UID (the state key) and its content. */
export interface EventInput {
  uid: string;
  content: EventContent;
}

/** The pieces of a content needed to compute occurrences. */
interface Prepared {
  allDay: boolean;
  form: LocalForm;
  tzid: string;
  startF: number;
  /** Days for all-day events, exact milliseconds for timed events (RFC 5545: DTEND gives an exact duration). */
  durDays: number;
  durMs: number;
  rule: ParsedRule | null;
}

function prepare(content: EventContent): Prepared {
  const form = formOf(content.start);
  const start = parseLocal(content.start);
  const end = parseLocal(content.end);
  if (form === null || !start || !end) {
    throw new ModelError(reason("Ungültiger Termin: start/end sind keine gültigen Zeiten.", "Invalid event: start/end are not valid times."));
  }
  const allDay = form === "date";
  const startF = localToFloating(content.start);
  const endF = localToFloating(content.end);
  let rule: ParsedRule | null = null;
  if (content.rrule !== undefined && content.rrule.trim() !== "") {
    const parsed = parseRule(content.rrule, { lenient: true });
    if (!parsed.ok || !isSynchronized(parsed.rule, startF)) {
      throw new ModelError(reason(
        "Ungültiger Termin: die Wiederholungsregel ist fehlerhaft (validateEvent nennt die Gründe).",
        "Invalid event: the recurrence rule is broken (validateEvent gives the reasons).",
      ));
    }
    rule = parsed.rule;
  }
  const durMs = allDay ? 0 : floatingToInstant(endF, content.tzid).toMillis() - floatingToInstant(startF, content.tzid).toMillis();
  return { allDay, form, tzid: content.tzid, startF, durDays: allDay ? floatingDaysBetween(startF, endF) : 0, durMs, rule };
}

/** Builds one occurrence from a (possibly moved) floating start and an explicit floating end or the duration. */
function build(
  uid: string,
  content: EventContent,
  p: Prepared,
  recurrenceId: string | null,
  startF: number,
  endF: number | null,
  ov: EventOverride | undefined,
): Occurrence {
  let start: number;
  let end: number;
  let startLocal: string;
  let endLocal: string;
  if (p.allDay) {
    const endDayF = endF ?? addFloatingDays(startF, p.durDays);
    start = floatingToInstantMs(startF, p.tzid);
    end = floatingToInstantMs(endDayF, p.tzid);
    startLocal = formatFloating(startF, "date");
    endLocal = formatFloating(endDayF, "date");
  } else {
    start = floatingToInstantMs(startF, p.tzid);
    end = endF === null ? start + p.durMs : floatingToInstantMs(endF, p.tzid);
    startLocal = formatFloating(instantToFloatingMs(start, p.tzid), p.form);
    endLocal = formatFloating(instantToFloatingMs(end, p.tzid), p.form);
  }
  const o: Occurrence = {
    uid,
    recurrenceId,
    start: new Date(start),
    end: new Date(end),
    allDay: p.allDay,
    startLocal,
    endLocal,
    tzid: p.tzid,
    summary: ov?.summary ?? content.summary,
    category: content.category,
  };
  const location = ov?.location ?? content.location;
  const description = ov?.description ?? content.description;
  if (location !== undefined && location !== "") o.location = location;
  if (description !== undefined && description !== "") o.description = description;
  return o;
}

function byStart(a: Occurrence, b: Occurrence): number {
  return (
    a.start.getTime() - b.start.getTime() ||
    a.end.getTime() - b.end.getTime() ||
    (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0) ||
    ((a.recurrenceId ?? "") < (b.recurrenceId ?? "") ? -1 : (a.recurrenceId ?? "") > (b.recurrenceId ?? "") ? 1 : 0)
  );
}

/**
 * The occurrences of one event that overlap [from, to), sorted by start. Exdates and cancelled overrides are
 * left out; a changed override is shown at its new time (so an occurrence moved into the range appears even
 * if its original slot is outside, one moved out disappears). Expects validated content: a rule beyond the
 * limits (COUNT > 1000, no end) is still expanded, but a series is never iterated beyond MAX_INSTANCES
 * occurrences; a rule that does not parse, is finer than DAILY or does not contain the start throws ModelError.
 */
export function expandEvent(uid: string, content: EventContent, from: Date, to: Date): Occurrence[] {
  const fromMs = from.getTime();
  const toMs = to.getTime();
  if (!(toMs > fromMs)) return [];
  const p = prepare(content);
  const overlaps = (o: Occurrence): boolean => o.start.getTime() < toMs && o.end.getTime() > fromMs;

  if (p.rule === null) {
    const o = build(uid, content, p, null, p.startF, localToFloating(content.end), undefined);
    return overlaps(o) ? [o] : [];
  }

  const exdates = new Set<number>();
  for (const x of content.exdates ?? []) if (parseLocal(x)) exdates.add(localToFloating(x));
  const overrides = new Map<number, EventOverride>();
  for (const [key, ov] of Object.entries(content.overrides ?? {})) if (parseLocal(key)) overrides.set(localToFloating(key), ov);

  // Iterate up to the end of the range (plus the widest zone offset) or the last override, whichever is later:
  // an override may move an occurrence from far away into the range.
  let limitF = toMs + 2 * 86_400_000;
  for (const [key, ov] of overrides) if (!ov.cancelled && key > limitF) limitF = key;
  const starts = iterateSeries(p.rule, p.startF, p.tzid, limitF, MAX_INSTANCES);

  const out: Occurrence[] = [];
  for (const f of starts) {
    if (exdates.has(f)) continue;
    const ov = overrides.get(f);
    if (ov?.cancelled === true) continue;
    const recurrenceId = formatFloating(f, p.form);
    let o: Occurrence;
    if (ov && (ov.start !== undefined || ov.end !== undefined)) {
      const startF = ov.start !== undefined ? localToFloating(ov.start) : f;
      const endF = ov.end !== undefined ? localToFloating(ov.end) : null;
      o = build(uid, content, p, recurrenceId, startF, endF, ov);
    } else {
      o = build(uid, content, p, recurrenceId, f, null, ov);
    }
    if (overlaps(o)) out.push(o);
  }
  return out.sort(byStart);
}

/**
 * The occurrences of several events overlapping [from, to), merged and sorted by start (then UID), at most
 * MAX_INSTANCES of them (the earliest).
 */
export function occurrencesBetween(events: readonly EventInput[], from: Date, to: Date): Occurrence[] {
  const all: Occurrence[] = [];
  for (const e of events) all.push(...expandEvent(e.uid, e.content, from, to));
  return all.sort(byStart).slice(0, MAX_INSTANCES);
}
