// publicHolidays: the statutory holidays of a German state as valid all-day events with stable UIDs.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ModelError, expandEvent, publicHolidays, validateEvent } from "../../src/model/index.ts";

describe("publicHolidays", () => {
  const ni = publicHolidays("NI", 2026, "Europe/Berlin");
  const by = publicHolidays("BY", 2026, "Europe/Berlin");
  const names = (list: typeof ni): string[] => list.map((h) => h.content.summary);

  it("Niedersachsen 2026 has Reformationstag on 31 October and no Fronleichnam", () => {
    const reformation = ni.find((h) => h.content.start === "2026-10-31");
    assert.ok(reformation);
    assert.equal(reformation.uid, "feiertag-2026-10-31-NI@schulhof");
    assert.deepEqual(
      { summary: reformation.content.summary, start: reformation.content.start, end: reformation.content.end, all_day: reformation.content.all_day, tzid: reformation.content.tzid, category: reformation.content.category },
      { summary: "Reformationstag", start: "2026-10-31", end: "2026-11-01", all_day: true, tzid: "Europe/Berlin", category: "holiday" },
    );
    assert.ok(!names(ni).includes("Fronleichnam"));
    assert.ok(!ni.some((h) => h.content.start === "2026-06-04"));
    assert.equal(ni.length, 10);
  });

  it("Bayern 2026 has Fronleichnam (4 June) and Heilige Drei Könige, but no Reformationstag", () => {
    const fronleichnam = by.find((h) => h.content.summary === "Fronleichnam");
    assert.equal(fronleichnam?.content.start, "2026-06-04");
    assert.equal(fronleichnam?.uid, "feiertag-2026-06-04-BY@schulhof");
    assert.ok(names(by).includes("Heilige Drei Könige"));
    assert.ok(!names(by).includes("Reformationstag"));
  });

  it("has the holidays of every state: Easter Monday and Christmas, all valid and one day long", () => {
    for (const h of [...ni, ...by]) {
      const r = validateEvent(h.content);
      assert.ok(r.ok, h.uid);
      const [o] = expandEvent(h.uid, h.content, new Date("2026-01-01T00:00:00Z"), new Date("2027-01-01T00:00:00Z"));
      assert.equal(o!.end.getTime() - o!.start.getTime(), 86_400_000, h.uid);
      assert.match(h.uid, /^feiertag-2026-\d\d-\d\d-(NI|BY)@schulhof$/);
    }
    assert.ok(ni.some((h) => h.content.start === "2026-04-06" && h.content.summary === "Ostermontag"));
    assert.ok(ni.some((h) => h.content.start === "2026-12-25"));
  });

  it("is stable (same UIDs and contents) and accepts lower-case codes", () => {
    assert.deepEqual(publicHolidays("NI", 2026, "Europe/Berlin"), ni);
    assert.deepEqual(publicHolidays("ni", 2026, "Europe/Berlin"), ni);
    assert.equal(new Set(ni.map((h) => h.uid)).size, ni.length);
  });

  it("refuses an unknown state with a bilingual reason", () => {
    for (const state of ["XX", "BUND", "ALL", ""]) {
      assert.throws(() => publicHolidays(state, 2026, "Europe/Berlin"), (e: unknown) =>
        e instanceof ModelError && /Unbekanntes Bundesland/.test(e.reason.de) && /Unknown German state/.test(e.reason.en));
    }
  });
});
