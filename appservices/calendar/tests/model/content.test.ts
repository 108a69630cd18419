// validateEvent: valid contents pass (trimmed, extra keys kept); every refusal comes with its German and
// English reason, and all reasons are reported at once.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  EventContentSchema, MAX_COUNT, MAX_RULE_INSTANCES, type Reason, isDeletedContent, validateEvent,
} from "../../src/model/index.ts";

const base = {
  summary: "Mathe",
  start: "2026-09-03T08:00",
  end: "2026-09-03T08:45",
  all_day: false,
  tzid: "Europe/Berlin",
  category: "lesson",
};

/** The reasons a content is refused for (fails when it is accepted). */
function refused(raw: unknown): Reason[] {
  const r = validateEvent(raw);
  if (r.ok) assert.fail(`expected a refusal for ${JSON.stringify(raw)}`);
  for (const x of r.reasons) {
    assert.ok(x.de.length > 0 && x.en.length > 0, "every reason has German and English text");
    assert.notEqual(x.de, x.en);
  }
  return r.reasons;
}

/** Asserts exactly one reason matching the German and English patterns. */
function refusedWith(raw: unknown, de: RegExp, en: RegExp): void {
  const reasons = refused(raw);
  assert.equal(reasons.length, 1, `one reason expected, got ${JSON.stringify(reasons)}`);
  assert.match(reasons[0]!.de, de);
  assert.match(reasons[0]!.en, en);
}

describe("valid contents", () => {
  it("accepts a timed recurring event with exceptions, trims the summary and keeps unknown keys", () => {
    const r = validateEvent({
      ...base,
      summary: "  Mathe 7b  ",
      rrule: "FREQ=WEEKLY;BYDAY=TH;UNTIL=20270701T000000Z",
      exdates: ["2026-12-24T08:00"],
      overrides: { "2026-10-08T08:00": { start: "2026-10-09T10:00", end: "2026-10-09T10:45" }, "2026-11-05T08:00:00": { cancelled: true } },
      location: "Raum 101",
      description: "Bitte Zirkel mitbringen.",
      sequence: 3,
      created_by: "@frau.schmidt:schule.example",
      exam_id: "exam-42",
      x_future_field: { anything: true },
    });
    assert.ok(r.ok, r.ok ? "" : JSON.stringify(r.reasons));
    assert.equal(r.content.summary, "Mathe 7b");
    assert.deepEqual(r.content.x_future_field, { anything: true });
    assert.equal(r.content.category, "lesson");
  });

  it("accepts all-day events (also multi-day), seconds in times and a COUNT rule", () => {
    assert.ok(validateEvent({ ...base, start: "2026-12-21", end: "2027-01-07", all_day: true, category: "holiday" }).ok);
    assert.ok(validateEvent({ ...base, start: "2026-09-03T08:00:00", end: "2026-09-03T08:45:30" }).ok);
    assert.ok(validateEvent({ ...base, rrule: "FREQ=MONTHLY;BYDAY=1TH;COUNT=10" }).ok);
    assert.ok(validateEvent({ ...base, rrule: `FREQ=DAILY;COUNT=${MAX_COUNT}` }).ok);
    assert.ok(validateEvent({ ...base, start: "2026-09-07", end: "2026-09-08", all_day: true, rrule: "FREQ=WEEKLY;UNTIL=20270701", exdates: ["2026-12-21"] }).ok);
  });

  it("the schema itself also applies the semantic checks", () => {
    assert.equal(EventContentSchema.safeParse(base).success, true);
    const bad = EventContentSchema.safeParse({ ...base, end: "2026-09-03T07:00" });
    assert.equal(bad.success, false);
    assert.match(bad.error?.issues[0]?.message ?? "", /Ende.*\/.*end must be after/);
  });

  it("knows the empty content as deleted", () => {
    assert.equal(isDeletedContent({}), true);
    assert.equal(isDeletedContent(base), false);
    assert.equal(isDeletedContent(null), false);
  });
});

describe("refusals of times and zones", () => {
  it("end not after start", () => {
    refusedWith({ ...base, end: "2026-09-03T07:59" }, /Ende \(end\) muss nach dem Beginn/, /end must be after the start/);
    refusedWith({ ...base, end: base.start }, /Ende \(end\) muss nach dem Beginn/, /end must be after the start/);
    refusedWith({ ...base, start: "2026-12-21", end: "2026-12-21", all_day: true }, /muss nach dem Beginn/, /after the start/);
  });

  it("end not after start in an override", () => {
    refusedWith(
      { ...base, rrule: "FREQ=WEEKLY;COUNT=5", overrides: { "2026-09-10T08:00": { start: "2026-09-10T09:00", end: "2026-09-10T08:30" } } },
      /overrides\["2026-09-10T08:00"\]: Das Ende \(end\) muss nach dem Beginn/,
      /overrides\["2026-09-10T08:00"\]: The end must be after the start/,
    );
  });

  it("unknown time zone, and a wrongly capitalized one", () => {
    refusedWith({ ...base, tzid: "Europe/Nowhere" }, /Unbekannte Zeitzone „Europe\/Nowhere“/, /Unknown time zone "Europe\/Nowhere"/);
    refusedWith({ ...base, tzid: "W. Europe Standard Time" }, /Unbekannte Zeitzone/, /Unknown time zone/);
    refusedWith({ ...base, tzid: "europe/berlin" }, /genau als „Europe\/Berlin“/, /exactly as "Europe\/Berlin"/);
  });

  it("mixed all-day and timed forms", () => {
    refusedWith({ ...base, end: "2026-09-04" }, /beide reine Daten .* oder beide Daten mit Uhrzeit/, /both be plain dates .* or both date-times/);
    refusedWith({ ...base, all_day: true }, /all_day ist true, aber/, /all_day is true but/);
    refusedWith({ ...base, start: "2026-09-03", end: "2026-09-04" }, /all_day ist false, aber/, /all_day is false but/);
  });

  it("invalid calendar dates and times", () => {
    refusedWith({ ...base, start: "2026-02-30T08:00", end: "2026-03-01T08:00" }, /„2026-02-30T08:00“ ist kein gültiges Datum/, /"2026-02-30T08:00" is not a valid date/);
    refusedWith({ ...base, end: "2026-09-03T24:00" }, /kein gültiges Datum/, /not a valid date/);
    refusedWith({ ...base, start: "2027-02-29", end: "2027-03-01", all_day: true }, /kein gültiges Datum/, /not a valid date/);
  });

  it("an event longer than 366 days", () => {
    refusedWith({ ...base, start: "2026-01-01", end: "2027-01-03", all_day: true }, /höchstens 366 Tage/, /at most 366 days/);
    assert.ok(validateEvent({ ...base, start: "2028-01-01", end: "2029-01-01", all_day: true }).ok); // 366 days (leap year)
  });
});

describe("refusals of recurrence rules", () => {
  const rule = (rrule: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ ...base, rrule, ...extra });

  it("a rule that does not parse", () => {
    refusedWith(rule("FREQ=WEEKLY;BYDAY=XX;COUNT=3"), /RRULE\) ist ungültig: BYDAY enthält den ungültigen Wert „XX“/, /does not parse: BYDAY has the invalid value "XX"/);
    refusedWith(rule("FREQ=WEEKLY;COUNT=3;FOO=1"), /unbekannter Teil „FOO“/, /unknown part "FOO"/);
    refusedWith(rule("COUNT=3"), /FREQ fehlt/, /FREQ is missing/);
    refusedWith(rule("FREQ=WEEKLY;UNTIL=2027"), /UNTIL=2027 ist kein gültiges Datum/, /UNTIL=2027 is not a valid date/);
    refusedWith(rule("FREQ=WEEKLY;BYDAY=1TH;COUNT=3"), /BYDAY mit Nummer/, /BYDAY with a number/);
    refusedWith(rule("RRULE:FREQ=WEEKLY;COUNT=3"), /ohne das Präfix „RRULE:“/, /without the "RRULE:" prefix/);
  });

  it("FREQ finer than DAILY", () => {
    for (const f of ["HOURLY", "MINUTELY", "SECONDLY"]) {
      refusedWith(rule(`FREQ=${f};COUNT=3`), new RegExp(`häufiger als täglich \\(FREQ=${f}\\)`), new RegExp(`more often than daily \\(FREQ=${f}\\)`));
    }
  });

  it("a rule that never ends, and one with COUNT and UNTIL", () => {
    refusedWith(rule("FREQ=WEEKLY;BYDAY=TH"), /endet nie: COUNT oder UNTIL angeben/, /never ends: give COUNT or UNTIL/);
    refusedWith(rule("FREQ=WEEKLY;COUNT=3;UNTIL=20270101T000000Z"), /nicht zusammen/, /must not both be given/);
  });

  it("COUNT above the limit", () => {
    refusedWith(rule(`FREQ=DAILY;COUNT=${MAX_COUNT + 1}`), /Höchstens 1000 Wiederholungen/, /At most 1000 repetitions/);
  });

  it("UNTIL more than 10 years after the start, and a COUNT series running longer", () => {
    refusedWith(rule("FREQ=WEEKLY;UNTIL=20360910T000000Z"), /UNTIL liegt mehr als 10 Jahre nach dem Beginn/, /UNTIL is more than 10 years after the start/);
    assert.ok(validateEvent(rule("FREQ=WEEKLY;UNTIL=20360903T000000Z")).ok);
    refusedWith(rule("FREQ=YEARLY;COUNT=12"), /mehr als 10 Jahre über den Beginn hinaus/, /more than 10 years after the start/);
  });

  it("a rule meant to produce millions of instances is refused quickly", () => {
    const minutes = Array.from({ length: 60 }, (_, i) => i).join(",");
    const hours = Array.from({ length: 24 }, (_, i) => i).join(",");
    const t0 = Date.now();
    refusedWith(
      rule(`FREQ=DAILY;BYHOUR=${hours};BYMINUTE=${minutes};BYSECOND=0,15,30,45;UNTIL=20360101T000000Z`, { start: "2026-09-03T00:00:00", end: "2026-09-03T00:00:10" }),
      new RegExp(`mehr als ${MAX_RULE_INSTANCES} Termine`),
      new RegExp(`more than ${MAX_RULE_INSTANCES} occurrences`),
    );
    refusedWith(rule("FREQ=DAILY;UNTIL=20330101T000000Z"), /mehr als 2000 Termine/, /more than 2000 occurrences/);
    assert.ok(Date.now() - t0 < 2000);
  });

  it("DTSTART inside the rule", () => {
    refusedWith(rule("DTSTART:20260903T080000\nRRULE:FREQ=WEEKLY;COUNT=3"), /darf kein DTSTART enthalten/, /must not contain DTSTART/);
    refusedWith(rule("FREQ=WEEKLY;COUNT=3;DTSTART=20260903T080000"), /darf kein DTSTART enthalten/, /must not contain DTSTART/);
  });

  it("a start that is not an occurrence of its rule (also an impossible rule, refused quickly)", () => {
    refusedWith(rule("FREQ=WEEKLY;BYDAY=FR;COUNT=5"), /Beginn \(2026-09-03T08:00\) ist selbst kein Termin/, /start \(2026-09-03T08:00\) is not itself an occurrence/);
    const t0 = Date.now();
    refusedWith(rule("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;COUNT=5"), /selbst kein Termin/, /not itself an occurrence/);
    assert.ok(Date.now() - t0 < 1000);
  });

  it("exdates and override keys not in the form of start", () => {
    refusedWith(rule("FREQ=WEEKLY;COUNT=5", { exdates: ["2026-09-10"] }), /exdates\[0\]: „2026-09-10“ muss wie start ein Datum mit Uhrzeit sein/, /exdates\[0\]: "2026-09-10" must be a date with time like start/);
    refusedWith(rule("FREQ=WEEKLY;COUNT=5", { overrides: { "2026-09-10": { summary: "x" } } }), /muss wie start ein Datum mit Uhrzeit sein/, /must be a date with time like start/);
    refusedWith(
      { ...base, start: "2026-09-07", end: "2026-09-08", all_day: true, rrule: "FREQ=WEEKLY;COUNT=5", exdates: ["2026-09-14T08:00"] },
      /muss wie start ein reines Datum sein/,
      /must be a plain date like start/,
    );
    refusedWith(rule("FREQ=WEEKLY;COUNT=5", { overrides: { "nächste Woche": { summary: "x" } } }), /Schlüssel muss der Beginn des ursprünglichen Termins sein/, /key must be the start of the original occurrence/);
    refusedWith(rule("FREQ=WEEKLY;COUNT=5", { exdates: ["24.12.2026"] }), /„exdates\[0\]“ hat nicht die Form/, /"exdates\[0\]" is not of the form/);
  });

  it("exceptions without a rule", () => {
    refusedWith({ ...base, exdates: ["2026-09-03T08:00"] }, /nur bei wiederkehrenden Terminen/, /only exist for recurring events/);
  });
});

describe("structure", () => {
  it("reports every reason at once, structural and semantic", () => {
    const reasons = refused({
      summary: "   ",
      start: "morgen",
      all_day: "nein",
      tzid: "Mars/Olympus",
      category: "party",
      sequence: -1,
      created_by: "anna",
      rrule: "FREQ=HOURLY",
      location: "x".repeat(501),
    });
    const en = reasons.map((r) => r.en);
    const de = reasons.map((r) => r.de);
    for (const expected of [
      /"summary" must not be empty/, /"start" is not of the form/, /"end" is missing/, /"all_day" has the wrong type/,
      /"category" must be one of: lesson, exam, holiday, trip, meeting, other/, /"sequence" must be at least 0/,
      /not a Matrix user id/, /"location" is too long \(at most 500 characters\)/, /Unknown time zone "Mars\/Olympus"/,
      /more often than daily/, /never ends/,
    ]) {
      assert.ok(en.some((t) => expected.test(t)), `missing ${expected} in ${JSON.stringify(en)}`);
    }
    assert.ok(de.some((t) => /Das Feld „end“ fehlt/.test(t)));
    assert.ok(de.some((t) => /„summary“ darf nicht leer sein/.test(t)));
    assert.equal(reasons.length, 11);
  });

  it("refuses what is not an object", () => {
    for (const raw of [null, [1, 2], "event", 42]) {
      refusedWith(raw, /Inhalt muss ein JSON-Objekt sein/, /content must be a JSON object/);
    }
  });

  it("limits the lengths of summary and description", () => {
    refusedWith({ ...base, summary: "x".repeat(201) }, /„summary“ ist zu lang \(höchstens 200 Zeichen\)/, /"summary" is too long \(at most 200 characters\)/);
    refusedWith({ ...base, description: "x".repeat(10_001) }, /höchstens 10000 Zeichen/, /at most 10000 characters/);
  });
});
