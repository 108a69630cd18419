// Tests for personKey, diffRoster and formatDiff.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RosterInvalidError, diffRoster, formatDiff, personKey } from "../../src/roster/index.ts";
import type { RosterPerson } from "../../src/roster/index.ts";
import { current, rosterPerson } from "./people.ts";

const person = (over: Parameters<typeof rosterPerson>[1]): RosterPerson => rosterPerson("5a", over);

const anna = person({ firstName: "Anna", lastName: "Alt", courses: ["Mathe 5a", "Deutsch 5a"] });
const ben = person({ firstName: "Ben", lastName: "Bode", externalId: "100", className: "6b" });
const cem = person({ firstName: "Cem", lastName: "Cakir", className: "7c" });

describe("personKey", () => {
  it("is the external id, else the normalised name", () => {
    assert.equal(personKey(ben), "100");
    assert.equal(personKey(person({ firstName: " Jürgen ", lastName: "MÜLLER  Schmidt" })), "jürgen|müller schmidt");
  });
});

describe("diffRoster", () => {
  it("finds added, removed and unchanged people", () => {
    const diff = diffRoster([current(anna), current(ben)], [anna, cem]);
    assert.deepEqual(diff.added, [cem]);
    assert.deepEqual(diff.removed.map((c) => c.key), ["100"]);
    assert.equal(diff.unchanged, 1);
    assert.deepEqual(diff.changed, []);
    assert.deepEqual(diff.reactivated, []);
  });

  it("sees class, course, role and name changes", () => {
    const moved = { ...ben, className: "7b", firstName: "Benjamin" };
    const courses = { ...anna, courses: ["Mathe 5a", "Latein 5"] };
    const diff = diffRoster([current(anna), current(ben)], [courses, moved]);
    assert.equal(diff.unchanged, 0);
    const [a, b] = diff.changed;
    assert.deepEqual(
      [a?.classChanged, a?.coursesAdded, a?.coursesRemoved, a?.roleChanged, a?.nameChanged],
      [false, ["Latein 5"], ["Deutsch 5a"], false, false],
    );
    assert.deepEqual([b?.classChanged, b?.before.className, b?.after.className, b?.nameChanged], [true, "6b", "7b", true]);
    const teacher = diffRoster([current(cem)], [{ ...cem, role: "teacher", className: null }]);
    assert.equal(teacher.changed[0]?.roleChanged, true);
  });

  it("reactivates people who come back, and lists their changes too", () => {
    const diff = diffRoster([current(anna, { active: false }), current(cem, { active: false })], [anna, { ...cem, className: "8c" }]);
    assert.deepEqual(diff.reactivated.map((r) => r.person.firstName), ["Anna", "Cem"]);
    assert.deepEqual(diff.changed.map((c) => c.person.firstName), ["Cem"]);
    assert.equal(diff.unchanged, 0);
    assert.deepEqual(diff.removed, []);
  });

  it("does not deactivate people twice", () => {
    assert.deepEqual(diffRoster([current(cem, { active: false })], [anna]).removed, []);
  });

  it("matches by name once when an ID column is added", () => {
    const withId = { ...anna, externalId: "A-17" };
    const diff = diffRoster([current(anna)], [withId]);
    assert.deepEqual(diff.added, []);
    const [change] = diff.changed;
    assert.equal(change?.keyChanged, true);
    assert.equal(change && personKey(change.person), "A-17");
  });

  it("asks for an ID column when two people share a name", () => {
    const twin = { ...anna, line: 9, className: "7a" };
    assert.throws(() => diffRoster([], [anna, twin]), (e: unknown) => {
      assert.ok(e instanceof RosterInvalidError);
      assert.deepEqual(e.errors.map((r) => [r.line, r.column]), [[9, "ID"]]);
      assert.match(e.user.de, /Spalte „ID“ ergänzen/);
      return true;
    });
  });
});

describe("formatDiff", () => {
  it("prints a German summary and one line per person", () => {
    const diff = diffRoster(
      [current(anna), current(ben), current(cem, { active: false })],
      [{ ...anna, className: "6a", courses: ["Mathe 6a"] }, cem, person({ firstName: "Dörte", lastName: "Dahl" })],
    );
    const text = formatDiff(diff);
    assert.equal(text.split("\n")[0], "1 neu, 1 deaktivieren, 1 reaktivieren, 1 ändern, 0 unverändert");
    assert.match(text, /^ {2}\+ Dörte Dahl \(Schüler\/in, Klasse 5a\)$/m);
    assert.match(text, /^ {2}- Ben Bode \(@ben\.bode:schule\.example\)$/m);
    assert.match(text, /^ {2}\* Cem Cakir/m);
    assert.match(text, /^ {2}~ Anna Alt \(@anna\.alt:schule\.example\): Klasse 5a -> 6a; Kurse \+ Mathe 6a; Kurse - Mathe 5a, Deutsch 5a$/m);
    assert.match(formatDiff(diff, "en"), /^1 new, 1 to deactivate/);
  });
});
