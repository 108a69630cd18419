// Expansion: a weekly lesson across both daylight-saving changes, exdates and overrides, all-day events,
// range edges, the DST gap and the repeated hour, UNTIL in its three forms, and the instance cap.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DateTime } from "luxon";
import {
  type EventContent, MAX_INSTANCES, expandEvent, occurrencesBetween, validateEvent,
} from "../../src/model/index.ts";

/** Validated content (fails the test when the fixture itself is invalid). */
function valid(raw: Record<string, unknown>): EventContent {
  const r = validateEvent(raw);
  if (!r.ok) assert.fail(`fixture invalid: ${r.reasons.map((x) => x.en).join("; ")}`);
  return r.content;
}

const BERLIN = "Europe/Berlin";
const at = (iso: string, zone = BERLIN): Date => DateTime.fromISO(iso, { zone }).toJSDate();
const local = (d: Date, zone = BERLIN): string => DateTime.fromJSDate(d, { zone }).toFormat("yyyy-MM-dd'T'HH:mm");

const lesson = {
  summary: "Mathe 7b",
  start: "2026-09-03T08:00",
  end: "2026-09-03T08:45",
  all_day: false,
  tzid: BERLIN,
  rrule: "FREQ=WEEKLY;BYDAY=TH;UNTIL=20270701T000000Z",
  category: "lesson",
  location: "Raum 101",
};

/** Every Thursday from 2026-09-03 up to and including 2027-06-24, computed without any library. */
function thursdays(): string[] {
  const out: string[] = [];
  for (let d = Date.UTC(2026, 8, 3); d <= Date.UTC(2027, 5, 30); d += 7 * 86_400_000) out.push(new Date(d).toISOString().slice(0, 10));
  return out;
}

describe("weekly lesson across daylight-saving changes", () => {
  const content = valid(lesson);
  const occ = expandEvent("mathe@schulhof", content, at("2026-09-01T00:00"), at("2027-08-01T00:00"));

  it("yields every Thursday up to UNTIL, all at 08:00–08:45 local", () => {
    assert.deepEqual(occ.map((o) => o.startLocal.slice(0, 10)), thursdays());
    assert.equal(occ.length, 43);
    for (const o of occ) {
      assert.equal(local(o.start).slice(11), "08:00");
      assert.equal(local(o.end).slice(11), "08:45");
      assert.equal(o.startLocal.slice(11), "08:00");
      assert.equal(o.endLocal.slice(11), "08:45");
      assert.equal(o.recurrenceId, o.startLocal);
      assert.equal(o.allDay, false);
      assert.equal(o.tzid, BERLIN);
      assert.equal(o.location, "Raum 101");
    }
  });

  it("moves from 06:00Z to 07:00Z after the last Sunday of October and back after the last Sunday of March", () => {
    const utc = new Map(occ.map((o) => [o.startLocal.slice(0, 10), o.start.toISOString()]));
    assert.equal(utc.get("2026-10-22"), "2026-10-22T06:00:00.000Z");
    assert.equal(utc.get("2026-10-29"), "2026-10-29T07:00:00.000Z");
    assert.equal(utc.get("2027-01-07"), "2027-01-07T07:00:00.000Z");
    assert.equal(utc.get("2027-03-25"), "2027-03-25T07:00:00.000Z");
    assert.equal(utc.get("2027-04-01"), "2027-04-01T06:00:00.000Z");
    const summer = occ.filter((o) => o.start.getUTCHours() === 6).length;
    const winter = occ.filter((o) => o.start.getUTCHours() === 7).length;
    assert.equal(summer + winter, 43);
    assert.equal(winter, 22); // 2026-10-29 .. 2027-03-25
  });

  it("sorts by start and respects the range", () => {
    const starts = occ.map((o) => o.start.getTime());
    assert.deepEqual(starts, [...starts].sort((a, b) => a - b));
    const december = expandEvent("m", content, at("2026-12-01T00:00"), at("2027-01-01T00:00"));
    assert.deepEqual(december.map((o) => o.startLocal), ["2026-12-03T08:00", "2026-12-10T08:00", "2026-12-17T08:00", "2026-12-24T08:00", "2026-12-31T08:00"]);
  });
});

describe("exceptions", () => {
  const content = valid({
    ...lesson,
    exdates: ["2026-12-24T08:00", "2026-12-31T08:00"],
    overrides: {
      "2026-10-08T08:00": { start: "2026-10-09T10:00", end: "2026-10-09T10:45", summary: "Mathe (verschoben)" },
      "2026-11-05T08:00": { cancelled: true },
      "2026-11-12T08:00": { location: "Aula" },
      "2026-11-19T08:00": { start: "2027-09-02T08:00", end: "2027-09-02T08:45" },
    },
  });
  const occ = expandEvent("m", content, at("2026-09-01T00:00"), at("2027-08-01T00:00"));
  const days = occ.map((o) => o.startLocal.slice(0, 10));

  it("leaves out exdates (Heiligabend is a Thursday) and cancelled overrides", () => {
    assert.equal(new Date("2026-12-24").getUTCDay(), 4);
    assert.ok(!days.includes("2026-12-24"));
    assert.ok(!days.includes("2026-12-31"));
    assert.ok(!days.includes("2026-11-05"));
    assert.ok(days.includes("2026-12-17") && days.includes("2027-01-07"));
  });

  it("shows a moved occurrence on the Friday, with the original slot as recurrenceId", () => {
    assert.ok(!days.includes("2026-10-08"));
    const moved = occ.find((o) => o.recurrenceId === "2026-10-08T08:00");
    assert.ok(moved);
    assert.equal(moved.startLocal, "2026-10-09T10:00");
    assert.equal(moved.endLocal, "2026-10-09T10:45");
    assert.equal(moved.start.toISOString(), "2026-10-09T08:00:00.000Z");
    assert.equal(DateTime.fromJSDate(moved.start, { zone: BERLIN }).weekday, 5);
    assert.equal(moved.summary, "Mathe (verschoben)");
    assert.equal(moved.location, "Raum 101");
  });

  it("changes only the location where only the location is overridden", () => {
    const o = occ.find((x) => x.recurrenceId === "2026-11-12T08:00");
    assert.equal(o?.location, "Aula");
    assert.equal(o?.startLocal, "2026-11-12T08:00");
    assert.equal(o?.summary, "Mathe 7b");
  });

  it("finds a moved occurrence from its new time, not from its original slot", () => {
    const friday = expandEvent("m", content, at("2026-10-09T00:00"), at("2026-10-10T00:00"));
    assert.deepEqual(friday.map((o) => o.recurrenceId), ["2026-10-08T08:00"]);
    const thursday = expandEvent("m", content, at("2026-10-08T00:00"), at("2026-10-09T00:00"));
    assert.deepEqual(thursday, []);
    // Moved out of the series' span (after UNTIL): gone from November, present in September 2027.
    assert.deepEqual(expandEvent("m", content, at("2026-11-19T00:00"), at("2026-11-20T00:00")), []);
    const later = expandEvent("m", content, at("2027-09-01T00:00"), at("2027-09-03T00:00"));
    assert.deepEqual(later.map((o) => [o.recurrenceId, o.startLocal]), [["2026-11-19T08:00", "2027-09-02T08:00"]]);
  });

  it("has exactly the expected number of occurrences", () => {
    // 43 Thursdays - 2 exdates - 1 cancelled - 1 moved beyond the range.
    assert.equal(occ.length, 39);
  });
});

describe("all-day events", () => {
  const ferien = valid({ summary: "Weihnachtsferien", start: "2026-12-21", end: "2027-01-07", all_day: true, tzid: BERLIN, category: "holiday" });

  it("start at local midnight and end at local midnight of the exclusive end date", () => {
    const [o, ...rest] = expandEvent("f", ferien, at("2026-12-01T00:00"), at("2027-02-01T00:00"));
    assert.equal(rest.length, 0);
    assert.ok(o);
    assert.equal(o.start.toISOString(), "2026-12-20T23:00:00.000Z");
    assert.equal(o.end.toISOString(), "2027-01-06T23:00:00.000Z");
    assert.equal(o.startLocal, "2026-12-21");
    assert.equal(o.endLocal, "2027-01-07");
    assert.equal(o.allDay, true);
    assert.equal(o.recurrenceId, null);
  });

  it("overlap a range that only touches their middle or their last day", () => {
    assert.equal(expandEvent("f", ferien, at("2027-01-06T23:59"), at("2027-01-10T00:00")).length, 1);
    assert.equal(expandEvent("f", ferien, at("2027-01-07T00:00"), at("2027-01-10T00:00")).length, 0);
    assert.equal(expandEvent("f", ferien, at("2026-12-24T00:00"), at("2026-12-25T00:00")).length, 1);
    assert.equal(expandEvent("f", ferien, at("2026-12-01T00:00"), at("2026-12-21T00:00")).length, 0);
  });

  it("recur by date in their own zone (weekly, with an exdate)", () => {
    const ag = valid({
      summary: "Projekttag", start: "2026-09-07", end: "2026-09-08", all_day: true, tzid: "America/New_York",
      rrule: "FREQ=WEEKLY;COUNT=4", exdates: ["2026-09-14"], category: "other",
    });
    const occ = expandEvent("p", ag, new Date("2026-09-01T00:00:00Z"), new Date("2026-12-01T00:00:00Z"));
    assert.deepEqual(occ.map((o) => o.startLocal), ["2026-09-07", "2026-09-21", "2026-09-28"]);
    assert.deepEqual(occ.map((o) => o.start.toISOString()), ["2026-09-07T04:00:00.000Z", "2026-09-21T04:00:00.000Z", "2026-09-28T04:00:00.000Z"]);
    assert.equal(occ[0]?.recurrenceId, "2026-09-07");
  });
});

describe("range edges", () => {
  const single = valid({ summary: "Konferenz", start: "2026-11-02T08:00", end: "2026-11-02T08:45", all_day: false, tzid: BERLIN, category: "meeting" });

  it("counts an event overlapping the start or end of the range, and not one that only touches it", () => {
    assert.equal(expandEvent("k", single, at("2026-11-02T08:44"), at("2026-11-02T09:00")).length, 1);
    assert.equal(expandEvent("k", single, at("2026-11-02T07:00"), at("2026-11-02T08:01")).length, 1);
    assert.equal(expandEvent("k", single, at("2026-11-02T08:45"), at("2026-11-02T09:00")).length, 0);
    assert.equal(expandEvent("k", single, at("2026-11-02T07:00"), at("2026-11-02T08:00")).length, 0);
    assert.equal(expandEvent("k", single, at("2026-11-02T09:00"), at("2026-11-02T08:00")).length, 0);
  });

  it("includes an occurrence that began before the range of a recurring event", () => {
    const occ = expandEvent("m", valid(lesson), at("2026-09-10T08:30"), at("2026-09-10T08:31"));
    assert.deepEqual(occ.map((o) => o.startLocal), ["2026-09-10T08:00"]);
  });
});

describe("daylight-saving edge cases", () => {
  it("shifts a wall time in the spring-forward gap forward by the gap and keeps the recurrence id", () => {
    const c = valid({ summary: "Nachtwanderung", start: "2027-03-27T02:30", end: "2027-03-27T03:00", all_day: false, tzid: BERLIN, rrule: "FREQ=DAILY;COUNT=3", category: "trip" });
    const occ = expandEvent("n", c, at("2027-03-26T00:00"), at("2027-03-31T00:00"));
    assert.deepEqual(occ.map((o) => o.recurrenceId), ["2027-03-27T02:30", "2027-03-28T02:30", "2027-03-29T02:30"]);
    assert.deepEqual(occ.map((o) => o.startLocal), ["2027-03-27T02:30", "2027-03-28T03:30", "2027-03-29T02:30"]);
    assert.equal(occ[1]?.start.toISOString(), "2027-03-28T01:30:00.000Z");
    // Exact duration (RFC 5545): 30 minutes also on the short night.
    assert.equal(occ[1]!.end.getTime() - occ[1]!.start.getTime(), 30 * 60_000);
  });

  it("takes the first of the two 02:30 in the repeated autumn hour", () => {
    const c = valid({ summary: "Sternwarte", start: "2026-10-25T02:30", end: "2026-10-25T03:30", all_day: false, tzid: BERLIN, category: "trip" });
    const [o] = expandEvent("s", c, at("2026-10-24T00:00"), at("2026-10-26T00:00"));
    assert.equal(o?.start.toISOString(), "2026-10-25T00:30:00.000Z");
    assert.equal(o?.end.toISOString(), "2026-10-25T02:30:00.000Z");
  });
});

describe("UNTIL", () => {
  const weekly = (until: string): EventContent => valid({ ...lesson, rrule: `FREQ=WEEKLY;BYDAY=TH;UNTIL=${until}` });
  const last = (c: EventContent): string | undefined => expandEvent("u", c, at("2026-09-01T00:00"), at("2027-01-01T00:00")).at(-1)?.startLocal;

  it("compares a UTC UNTIL with the instant of the occurrence", () => {
    // 2026-10-01 08:00 in Berlin is 06:00Z.
    assert.equal(last(weekly("20261001T060000Z")), "2026-10-01T08:00");
    assert.equal(last(weekly("20261001T055959Z")), "2026-09-24T08:00");
  });

  it("reads a floating UNTIL as local time and a DATE UNTIL as the whole day", () => {
    assert.equal(last(weekly("20261001T080000")), "2026-10-01T08:00");
    assert.equal(last(weekly("20261001T075959")), "2026-09-24T08:00");
    assert.equal(last(weekly("20261001")), "2026-10-01T08:00");
    assert.equal(last(weekly("20260930")), "2026-09-24T08:00");
  });
});

describe("instance cap", () => {
  it("expands a valid five-year daily series over a century completely and quickly", () => {
    const daily = valid({ summary: "Frühstück", start: "2026-01-01T07:30", end: "2026-01-01T07:45", all_day: false, tzid: BERLIN, rrule: "FREQ=DAILY;UNTIL=20301231T235959Z", category: "other" });
    const t0 = Date.now();
    const occ = expandEvent("d", daily, at("2000-01-01T00:00"), at("2100-01-01T00:00"));
    assert.ok(Date.now() - t0 < 2000);
    assert.equal(occ.length, 1826);
    assert.equal(occ.at(-1)?.startLocal, "2030-12-31T07:30");
  });

  it("never yields more than MAX_INSTANCES, even for a rule that validation would refuse", () => {
    const huge = { summary: "x", start: "2026-01-01T07:30", end: "2026-01-01T07:45", all_day: false, tzid: BERLIN, rrule: "FREQ=DAILY;COUNT=50000", category: "other" } as EventContent;
    assert.equal(validateEvent(huge).ok, false);
    const t0 = Date.now();
    const occ = expandEvent("h", huge, at("2000-01-01T00:00"), at("2200-01-01T00:00"));
    assert.ok(Date.now() - t0 < 2000);
    assert.equal(occ.length, MAX_INSTANCES);
  });

  it("caps occurrencesBetween over many events, keeping the earliest, merged in order", () => {
    const a = valid({ summary: "A", start: "2026-01-01T07:00", end: "2026-01-01T07:15", all_day: false, tzid: BERLIN, rrule: "FREQ=DAILY;COUNT=1000", category: "other" });
    const b = valid({ summary: "B", start: "2026-01-01T09:00", end: "2026-01-01T09:15", all_day: false, tzid: BERLIN, rrule: "FREQ=DAILY;COUNT=1000", category: "other" });
    const c = valid({ summary: "C", start: "2026-01-01T08:00", end: "2026-01-01T08:15", all_day: false, tzid: BERLIN, rrule: "FREQ=DAILY;COUNT=1000", category: "other" });
    const occ = occurrencesBetween([{ uid: "a", content: a }, { uid: "b", content: b }, { uid: "c", content: c }], at("1926-01-01T00:00"), at("2126-01-01T00:00"));
    assert.equal(occ.length, MAX_INSTANCES);
    assert.deepEqual(occ.slice(0, 4).map((o) => o.summary), ["A", "C", "B", "A"]);
    const starts = occ.map((o) => o.start.getTime());
    assert.deepEqual(starts, [...starts].sort((x, y) => x - y));
    // 2000 = 3 * 666 + 2: 666 full days, then A and C of the 667th day (2026-01-01 + 666 days).
    assert.equal(occ.at(-1)?.startLocal, `${new Date(Date.UTC(2026, 0, 1) + 666 * 86_400_000).toISOString().slice(0, 10)}T08:00`);
    assert.equal(occ.at(-1)?.startLocal, "2027-10-29T08:00");
  });

  it("throws a bilingual ModelError for a rule that is not valid at all", () => {
    const broken = { ...lesson, rrule: "FREQ=WEEKLY;BYDAY=XX" } as EventContent;
    assert.throws(() => expandEvent("b", broken, at("2026-09-01T00:00"), at("2026-10-01T00:00")), (e: unknown) => {
      const r = (e as { reason?: { de: string; en: string } }).reason;
      return r !== undefined && /Wiederholungsregel/.test(r.de) && /recurrence rule/.test(r.en);
    });
  });
});
