// buildIcs: read back with ical.js (properties, VTIMEZONE, and an independent expansion of the recurrence),
// with Python's icalendar package, and with our own parseIcs; stable bytes for the same input.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import ICAL from "ical.js";
import {
  type EventContent, buildIcs, expandEvent, parseIcs, validateEvent,
} from "../../src/model/index.ts";

function valid(raw: Record<string, unknown>): EventContent {
  const r = validateEvent(raw);
  if (!r.ok) assert.fail(`fixture invalid: ${r.reasons.map((x) => x.en).join("; ")}`);
  return r.content;
}

const lesson = valid({
  summary: "Mathe 7b",
  start: "2026-09-03T08:00",
  end: "2026-09-03T08:45",
  all_day: false,
  tzid: "Europe/Berlin",
  rrule: "FREQ=WEEKLY;BYDAY=TH;UNTIL=20270701T000000Z",
  exdates: ["2026-12-24T08:00"],
  overrides: {
    "2026-10-08T08:00": { start: "2026-10-09T10:00", end: "2026-10-09T10:45", summary: "Mathe (verschoben)" },
    "2026-11-05T08:00": { cancelled: true },
    "2026-11-12T08:00": { location: "Aula" },
  },
  location: "Raum 101",
  description: "Zirkel, Geodreieck; Taschenrechner\nÜbungen S. 42",
  category: "lesson",
  sequence: 2,
  created_by: "@frau.schmidt:schule.example",
});
const ferien = valid({ summary: "Weihnachtsferien", start: "2026-12-21", end: "2027-01-07", all_day: true, tzid: "Europe/Berlin", category: "holiday" });
const projekt = valid({
  summary: "Projekttag",
  start: "2027-02-01",
  end: "2027-02-02",
  all_day: true,
  tzid: "Europe/Berlin",
  rrule: "FREQ=WEEKLY;COUNT=3",
  overrides: { "2027-02-08": { summary: "Projekttag in der Aula" } },
  category: "other",
});
const austausch = valid({ summary: "Austausch: Ankunft", start: "2027-05-10T15:30", end: "2027-05-10T17:00", all_day: false, tzid: "America/New_York", category: "trip" });

const events = [
  { uid: "mathe-7b@schulhof", content: lesson },
  { uid: "ferien-2026@schulhof", content: ferien },
  { uid: "projekt@schulhof", content: projekt },
  { uid: "austausch@schulhof", content: austausch },
];
const ics = buildIcs({ name: "Klasse 7b", description: "Alle Termine der 7b", timezone: "Europe/Berlin", events });

type Component = InstanceType<typeof ICAL.Component>;
const root = new ICAL.Component(ICAL.parse(ics));
const vevents = root.getAllSubcomponents("vevent");
const byUid = (uid: string): Component[] => vevents.filter((v) => v.getFirstPropertyValue("uid") === uid);
const masterOf = (uid: string): Component => byUid(uid).find((v) => !v.hasProperty("recurrence-id"))!;
const raw = (c: Component, name: string): unknown[] => c.getFirstProperty(name)?.toJSON() as unknown[];

describe("buildIcs read back with ical.js", () => {
  it("has the calendar properties and a VTIMEZONE for each zone used", () => {
    assert.equal(root.name, "vcalendar");
    assert.equal(root.getFirstPropertyValue("version"), "2.0");
    assert.equal(root.getFirstPropertyValue("prodid"), "-//Schulhof//Kalender//DE");
    assert.equal(root.getFirstPropertyValue("x-wr-calname"), "Klasse 7b");
    assert.equal(root.getFirstPropertyValue("x-wr-caldesc"), "Alle Termine der 7b");
    assert.equal(root.getFirstPropertyValue("x-wr-timezone"), "Europe/Berlin");
    assert.equal(String(root.getFirstPropertyValue("refresh-interval")), "PT15M");
    assert.equal(String(root.getFirstPropertyValue("x-published-ttl")), "PT15M");
    const zones = root.getAllSubcomponents("vtimezone").map((z) => z.getFirstPropertyValue("tzid"));
    assert.deepEqual([...zones].sort(), ["America/New_York", "Europe/Berlin"]);
    // Every TZID used refers to a VTIMEZONE in the file.
    for (const m of ics.matchAll(/;TZID=([^:;]+)[:;]/g)) assert.ok(zones.includes(m[1]!), `VTIMEZONE for ${m[1]}`);
  });

  it("writes the master with DTSTART/DTEND in its zone, RRULE, EXDATE (also for cancelled overrides) and the rest", () => {
    const m = masterOf("mathe-7b@schulhof");
    assert.deepEqual(raw(m, "dtstart"), ["dtstart", { tzid: "Europe/Berlin" }, "date-time", "2026-09-03T08:00:00"]);
    assert.deepEqual(raw(m, "dtend"), ["dtend", { tzid: "Europe/Berlin" }, "date-time", "2026-09-03T08:45:00"]);
    assert.equal(String(m.getFirstPropertyValue("rrule")), "FREQ=WEEKLY;BYDAY=TH;UNTIL=20270701T000000Z");
    assert.deepEqual(raw(m, "exdate"), ["exdate", { tzid: "Europe/Berlin" }, "date-time", "2026-11-05T08:00:00", "2026-12-24T08:00:00"]);
    assert.equal(m.getFirstPropertyValue("summary"), "Mathe 7b");
    assert.equal(m.getFirstPropertyValue("location"), "Raum 101");
    assert.equal(m.getFirstPropertyValue("description"), "Zirkel, Geodreieck; Taschenrechner\nÜbungen S. 42");
    assert.equal(m.getFirstPropertyValue("categories"), "lesson");
    assert.equal(m.getFirstPropertyValue("sequence"), 2);
    assert.equal(String(m.getFirstPropertyValue("dtstamp")), "1970-01-01T00:00:00Z");
    assert.ok(!ics.includes("frau.schmidt"), "created_by is not published");
  });

  it("writes each changed occurrence as its own VEVENT with the same UID and RECURRENCE-ID", () => {
    const exceptions = byUid("mathe-7b@schulhof").filter((v) => v.hasProperty("recurrence-id"));
    assert.equal(exceptions.length, 2);
    const [moved, aula] = exceptions;
    assert.deepEqual(raw(moved!, "recurrence-id"), ["recurrence-id", { tzid: "Europe/Berlin" }, "date-time", "2026-10-08T08:00:00"]);
    assert.deepEqual(raw(moved!, "dtstart"), ["dtstart", { tzid: "Europe/Berlin" }, "date-time", "2026-10-09T10:00:00"]);
    assert.deepEqual(raw(moved!, "dtend"), ["dtend", { tzid: "Europe/Berlin" }, "date-time", "2026-10-09T10:45:00"]);
    assert.equal(moved!.getFirstPropertyValue("summary"), "Mathe (verschoben)");
    assert.equal(moved!.getFirstPropertyValue("sequence"), 2);
    assert.deepEqual(raw(aula!, "recurrence-id"), ["recurrence-id", { tzid: "Europe/Berlin" }, "date-time", "2026-11-12T08:00:00"]);
    assert.equal(aula!.getFirstPropertyValue("location"), "Aula");
    assert.equal(aula!.getFirstPropertyValue("summary"), "Mathe 7b");
  });

  it("writes all-day events with DATE values, also their RECURRENCE-ID", () => {
    const f = masterOf("ferien-2026@schulhof");
    assert.deepEqual(raw(f, "dtstart"), ["dtstart", {}, "date", "2026-12-21"]);
    assert.deepEqual(raw(f, "dtend"), ["dtend", {}, "date", "2027-01-07"]);
    assert.equal(f.getFirstPropertyValue("categories"), "holiday");
    const p = byUid("projekt@schulhof");
    assert.equal(p.length, 2);
    assert.equal(String(masterOf("projekt@schulhof").getFirstPropertyValue("rrule")), "FREQ=WEEKLY;COUNT=3");
    const ex = p.find((v) => v.hasProperty("recurrence-id"))!;
    assert.deepEqual(raw(ex, "recurrence-id"), ["recurrence-id", {}, "date", "2027-02-08"]);
    assert.deepEqual(raw(ex, "dtstart"), ["dtstart", {}, "date", "2027-02-08"]);
    assert.equal(ex.getFirstPropertyValue("summary"), "Projekttag in der Aula");
  });

  it("gives the same occurrences as ical.js expanding the feed on its own", () => {
    for (const vtz of root.getAllSubcomponents("vtimezone")) ICAL.TimezoneService.register(vtz);
    for (const { uid, content } of [events[0]!, events[2]!]) {
      const master = new ICAL.Event(masterOf(uid));
      for (const v of byUid(uid)) if (v.hasProperty("recurrence-id")) master.relateException(v);
      const theirs: string[] = [];
      const iter = master.iterator();
      for (let next = iter.next(); next && theirs.length < 500; next = iter.next()) {
        const d = master.getOccurrenceDetails(next);
        // All-day: floating dates (ical.js would put them at the process's local midnight); timed: instants.
        const when = (t: typeof d.startDate): string => (t.isDate ? t.toString() : t.toJSDate().toISOString());
        theirs.push(`${when(d.startDate)} ${when(d.endDate)} ${d.item.summary}`);
      }
      const ours = expandEvent(uid, content, new Date("2026-01-01T00:00:00Z"), new Date("2028-01-01T00:00:00Z"))
        .map((o) => (o.allDay ? `${o.startLocal} ${o.endLocal} ${o.summary}` : `${o.start.toISOString()} ${o.end.toISOString()} ${o.summary}`));
      assert.deepEqual(theirs.sort(), ours.sort());
      assert.ok(ours.length >= 3);
    }
  });
});

describe("buildIcs output", () => {
  it("is the same for the same input, also in another order", () => {
    assert.equal(buildIcs({ name: "Klasse 7b", description: "Alle Termine der 7b", timezone: "Europe/Berlin", events }), ics);
    assert.equal(buildIcs({ name: "Klasse 7b", description: "Alle Termine der 7b", timezone: "Europe/Berlin", events: [...events].reverse() }), ics);
  });

  it("takes stamp, TTL, PRODID and the calendar name of merged feeds", () => {
    const out = buildIcs({
      name: "Alle",
      timezone: "Europe/Berlin",
      prodId: "-//Beispielschule//Schulhof//DE",
      ttlMinutes: 60,
      stamp: new Date("2026-08-01T12:00:00Z"),
      events: [{ uid: "f@s", content: ferien, calendarName: "7b" }],
    });
    assert.match(out, /\r\nPRODID:-\/\/Beispielschule\/\/Schulhof\/\/DE\r\n/);
    assert.match(out, /\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n/);
    assert.match(out, /\r\nX-PUBLISHED-TTL:PT1H\r\n/);
    assert.match(out, /\r\nDTSTAMP:20260801T120000Z\r\n/);
    assert.match(out, /\r\nSUMMARY:\[7b\] Weihnachtsferien\r\n/);
    assert.ok(out.startsWith("BEGIN:VCALENDAR\r\n") && out.endsWith("END:VCALENDAR"));
  });
});

describe("parseIcs(buildIcs(x))", () => {
  const back = parseIcs(ics, { defaultTzid: "Europe/Berlin" });
  const from = new Date("2026-01-01T00:00:00Z");
  const to = new Date("2028-01-01T00:00:00Z");
  const occurrences = (uid: string, content: EventContent): string[] =>
    expandEvent(uid, content, from, to).map((o) => JSON.stringify([o.recurrenceId, o.start, o.end, o.summary, o.location ?? null, o.description ?? null]));

  it("gives back every event without errors", () => {
    assert.deepEqual(back.errors, []);
    assert.deepEqual(back.events.map((e) => e.uid).sort(), events.map((e) => e.uid).sort());
  });

  it("gives back equivalent contents: same fields and the same occurrences", () => {
    for (const { uid, content } of events) {
      const again = back.events.find((e) => e.uid === uid)!.content;
      for (const key of ["summary", "start", "end", "all_day", "tzid", "rrule", "category", "location", "description"] as const) {
        assert.deepEqual(again[key], content[key], `${uid}: ${key}`);
      }
      assert.deepEqual(occurrences(uid, again), occurrences(uid, content), uid);
    }
    const mathe = back.events.find((e) => e.uid === "mathe-7b@schulhof")!.content;
    assert.deepEqual(mathe.exdates, ["2026-11-05T08:00", "2026-12-24T08:00"]);
    assert.equal(mathe.sequence, 2);
    assert.deepEqual(mathe.overrides, {
      "2026-10-08T08:00": { start: "2026-10-09T10:00", summary: "Mathe (verschoben)" },
      "2026-11-12T08:00": { location: "Aula" },
    });
  });
});

describe("buildIcs read by Python's icalendar", () => {
  it("parses the feed with the independent icalendar package", () => {
    const python = fileURLToPath(new URL("../../../../.venv/bin/python", import.meta.url));
    if (!existsSync(python)) assert.fail(`${python} is missing: run scripts/bootstrap.sh (it installs Python's icalendar into .venv)`);
    const script = [
      "import sys, json",
      "import icalendar",
      "cal = icalendar.Calendar.from_ical(sys.stdin.buffer.read())",
      "out = {'calname': str(cal.get('x-wr-calname')), 'timezones': sorted(str(z.get('tzid')) for z in cal.walk('VTIMEZONE')), 'events': []}",
      "for ev in cal.walk('VEVENT'):",
      "    start = ev.get('dtstart')",
      "    rid = ev.get('recurrence-id')",
      "    ex = ev.get('exdate')",
      "    ex = ex if isinstance(ex, list) else ([ex] if ex is not None else [])",
      "    out['events'].append({",
      "        'uid': str(ev.get('uid')), 'summary': str(ev.get('summary')),",
      "        'dtstart': start.dt.isoformat(), 'tzid': start.params.get('TZID'),",
      "        'rrule': ev.get('rrule').to_ical().decode() if ev.get('rrule') else None,",
      "        'recurrence_id': rid.dt.isoformat() if rid else None,",
      "        'exdates': [d.dt.isoformat() for e in ex for d in e.dts],",
      "    })",
      "print(json.dumps(out))",
    ].join("\n");
    const r = spawnSync(python, ["-c", script], { input: ics, encoding: "utf8" });
    if (r.status !== 0) assert.fail(`Python's icalendar failed (run scripts/bootstrap.sh if it is not installed): ${r.stderr}`);
    const out = JSON.parse(r.stdout) as {
      calname: string;
      timezones: string[];
      events: { uid: string; summary: string; dtstart: string; tzid: string | null; rrule: string | null; recurrence_id: string | null; exdates: string[] }[];
    };
    assert.equal(out.calname, "Klasse 7b");
    assert.deepEqual(out.timezones, ["America/New_York", "Europe/Berlin"]);
    const find = (uid: string, rid: string | null) => out.events.find((e) => e.uid === uid && e.recurrence_id === rid);
    assert.equal(out.events.length, 7);

    const mathe = find("mathe-7b@schulhof", null);
    assert.equal(mathe?.summary, "Mathe 7b");
    assert.equal(mathe?.dtstart, "2026-09-03T08:00:00+02:00");
    assert.equal(mathe?.tzid, "Europe/Berlin");
    assert.equal(mathe?.rrule, "FREQ=WEEKLY;UNTIL=20270701T000000Z;BYDAY=TH");
    assert.deepEqual(mathe?.exdates, ["2026-11-05T08:00:00+01:00", "2026-12-24T08:00:00+01:00"]);
    const moved = find("mathe-7b@schulhof", "2026-10-08T08:00:00+02:00");
    assert.equal(moved?.dtstart, "2026-10-09T10:00:00+02:00");
    assert.equal(moved?.summary, "Mathe (verschoben)");

    assert.equal(find("ferien-2026@schulhof", null)?.dtstart, "2026-12-21");
    assert.equal(find("projekt@schulhof", "2027-02-08")?.summary, "Projekttag in der Aula");
    assert.equal(find("austausch@schulhof", null)?.dtstart, "2027-05-10T15:30:00-04:00");
  });
});
