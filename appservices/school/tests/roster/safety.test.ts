// An import cannot lock a school out: admins missing from the file stay, the last admin stays, a mass deactivation needs a confirmation; ambiguous names are skipped with --skip-invalid.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RosterImportRefusedError, RosterInvalidError, diffRoster, diffRosterSkipping, formatDiff, guardImport, refuseUnconfirmed } from "../../src/roster/index.ts";
import type { RosterPerson } from "../../src/roster/index.ts";
import { current, rosterPerson } from "./people.ts";

const person = (over: Parameters<typeof rosterPerson>[1]): RosterPerson => rosterPerson("7a", over);

const birgit = person({ firstName: "Birgit", lastName: "Schaefer", role: "admin", className: null });
const students = Array.from({ length: 9 }, (_, i) => person({ firstName: `Kind${i}`, lastName: "Muster", line: i + 2 }));
const school = [current(birgit), ...students.map((s) => current(s))];

describe("guardImport", () => {
  it("keeps an admin the file does not list (the demo's export without admin rows), and the dry run says so", () => {
    const { diff, guard } = guardImport(diffRoster(school, students), school);
    assert.deepEqual(diff.removed, []);
    assert.deepEqual(guard.keptAdmins, [{ userId: "@birgit.schaefer:schule.example", displayName: "Birgit Schaefer", reason: "not_in_roster" }]);
    assert.match(formatDiff(diff, "de", guard), /Bleiben aktiv \(Admins\) \(1\):\n {2}= Birgit Schaefer \(@birgit\.schaefer:schule\.example\): nicht in der Liste; Admins werden nur mit --admins-from-roster deaktiviert/);
    assert.match(formatDiff(diff, "de", guard), /^0 neu, 0 deaktivieren/);
  });

  it("deactivates a missing admin only when asked, and never the last active one", () => {
    const last = guardImport(diffRoster(school, students), school, { adminsFromRoster: true });
    assert.deepEqual(last.diff.removed, []);
    assert.equal(last.guard.keptAdmins[0]?.reason, "last_admin");
    assert.match(formatDiff(last.diff, "en", last.guard), /the school's last active admin is never deactivated/);
    const newAdmin = person({ firstName: "Neu", lastName: "Admin", role: "admin", className: null, line: 20 });
    const replaced = guardImport(diffRoster(school, [...students, newAdmin]), school, { adminsFromRoster: true });
    assert.deepEqual(replaced.diff.removed.map((p) => p.displayName), ["Birgit Schaefer"]);
    assert.deepEqual(replaced.guard.keptAdmins, []);
  });

  it("refuses to deactivate more than 20 % of the school without a confirmation, with the count and the reason", () => {
    const { guard } = guardImport(diffRoster(school, students.slice(0, 6)), school);
    assert.deepEqual([guard.deactivating, guard.activeBefore, guard.needsForce], [3, 10, true]);
    assert.throws(
      () => refuseUnconfirmed(guard),
      (e: unknown) =>
        e instanceof RosterImportRefusedError &&
        e.code === "SCHULHOF_ROSTER_MASS_DEACTIVATION" &&
        e.user.de.startsWith("Der Import würde 3 von 10 aktiven Personen der Schule deaktivieren (30 %; ohne Bestätigung erlaubt sind höchstens 20 %).") &&
        e.user.de.includes("--force") &&
        e.user.en.startsWith("The import would deactivate 3 of the school's 10 active people (30 %"),
    );
    refuseUnconfirmed(guardImport(diffRoster(school, students.slice(0, 6)), school, { force: true }).guard);
    // 2 of 10 is 20 %, not more: no question.
    assert.equal(guardImport(diffRoster(school, students.slice(0, 7)), school).guard.needsForce, false);
    assert.equal(guardImport(diffRoster(school, students.slice(0, 7)), school, { maxDeactivateShare: 0.1 }).guard.needsForce, true);
  });

  it("shows the warning in the dry run's text", () => {
    const { diff, guard } = guardImport(diffRoster(school, []), school);
    assert.match(formatDiff(diff, "de", guard), /Achtung: 9 von 10 aktiven Personen würden deaktiviert \(90 %, mehr als 20 %\)\. Der Import wird ohne Bestätigung abgelehnt/);
  });
});

describe("diffRosterSkipping", () => {
  const anna5 = person({ firstName: "Anna", lastName: "Schmidt", className: "5a", line: 2 });
  const anna7 = person({ firstName: "Anna", lastName: "Schmidt", className: "7c", line: 3 });
  const cem = person({ firstName: "Cem", lastName: "Cakir", className: "7c", line: 4 });

  it("skips both rows of two people with the same name in different classes and imports the rest", () => {
    assert.throws(() => diffRoster([], [anna5, anna7, cem]), RosterInvalidError);
    const { diff, skipped } = diffRosterSkipping([], [anna5, anna7, cem]);
    assert.deepEqual(diff.added, [cem]);
    assert.deepEqual(skipped.map((e) => [e.line, e.column]), [[2, "ID"], [3, "ID"]]);
    assert.match(skipped[1]?.message.de ?? "", /Anna Schmidt ist ohne ID nicht von Zeile 2 zu unterscheiden/);
  });

  it("neither changes nor deactivates a known person whose name the file makes ambiguous", () => {
    const known = [current(anna5), current(cem)];
    const { diff } = diffRosterSkipping(known, [anna5, anna7, cem]);
    assert.deepEqual(diff.removed, []);
    assert.deepEqual(diff.added, []);
    assert.equal(diff.unchanged, 1);
  });
});
