// The Verwaltung's pure helpers: the import's NDJSON lines, the diff as the preview shows it, and exam rules to save.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { newBlockedRuleId, parseRulesAnswer, rulesToSave, validRange } from "../src/features/admin/exam-rules.ts";
import { guardNotes, hasChanges, lettersId, LineSplitter, parseImportLine, summarizeDiff, type ImportReport } from "../src/features/admin/roster.ts";

const person = (line: number, firstName: string, lastName: string, className: string | null, role: "student" | "teacher" | "admin" = "student") => ({
  line,
  externalId: null,
  role,
  firstName,
  lastName,
  className,
  courses: [],
  email: null,
});
const current = (displayName: string, className: string | null, role: "student" | "teacher" | "admin" = "student") => ({ key: displayName, userId: `@${displayName}:s`, role, className, courses: [], active: true, displayName });

function report(over: Partial<ImportReport["diff"]> = {}, skippedRows: ImportReport["skippedRows"] = []): ImportReport {
  return {
    dryRun: true,
    diff: { added: [], removed: [], reactivated: [], changed: [], unchanged: 0, ...over },
    diffText: "",
    skippedRows,
    letters: [],
    deactivated: [],
    apply: null,
    failures: [],
    seconds: { accounts: 0, rooms: 0, total: 0 },
  };
}

describe("roster import stream", () => {
  it("splits chunks into lines across chunk borders", () => {
    const s = new LineSplitter();
    assert.deepEqual(s.push('{"progress":{"pha'), []);
    assert.deepEqual(s.push('se":"users","done":1,"total":2}}\n{"rep'), ['{"progress":{"phase":"users","done":1,"total":2}}']);
    assert.deepEqual(s.push('ort":{}}'), []);
    assert.deepEqual(s.end(), ['{"report":{}}']);
    assert.deepEqual(s.end(), []);
  });

  it("reads progress, report and error lines, and ignores what it does not know", () => {
    assert.deepEqual(parseImportLine('{"progress":{"phase":"rooms","done":3,"total":9}}'), { kind: "progress", progress: { phase: "rooms", done: 3, total: 9 } });
    assert.equal(parseImportLine(JSON.stringify({ report: report() }))?.kind, "report");
    const err = parseImportLine(JSON.stringify({ error: { errcode: "M_BAD_JSON", error: "Zeile 7", rows: [{ line: 7, column: "Klasse", message: { de: "Klasse 4b?", en: "Class 4b?" } }, { bad: true }] } }));
    assert.deepEqual(err, { kind: "error", error: { errcode: "M_BAD_JSON", error: "Zeile 7", rows: [{ line: 7, column: "Klasse", message: { de: "Klasse 4b?", en: "Class 4b?" } }] } });
    assert.equal(parseImportLine("kein json"), null);
    assert.equal(parseImportLine('{"other":1}'), null);
    assert.equal(parseImportLine("[1]"), null);
  });

  it("puts the diff in the preview's terms: new, leaving, back, class changes, other changes", () => {
    const s = summarizeDiff(
      report({
        added: [person(9, "Emil", "Schäfer", "7a"), person(3, "Anna", "Berg", "5b")],
        removed: [current("Mia Böhm", "7b")],
        reactivated: [{ person: person(4, "Tom", "Alt", "6a"), before: { ...current("Tom Alt", "6a"), active: false } }],
        changed: [
          {
            person: person(5, "Jonas", "Groß", "7b"),
            before: current("Jonas Groß", "7a"),
            after: { role: "student", className: "7b", courses: ["Mathematik 7b"], displayName: "Jonas Groß" },
            classChanged: true,
            coursesAdded: ["Mathematik 7b"],
            coursesRemoved: ["Mathematik 7a"],
            roleChanged: false,
            nameChanged: false,
            keyChanged: false,
          },
          {
            person: person(6, "Eva", "Neu", "7a"),
            before: current("Eva Alt", "7a"),
            after: { role: "student", className: "7a", courses: [], displayName: "Eva Neu" },
            classChanged: false,
            coursesAdded: [],
            coursesRemoved: [],
            roleChanged: false,
            nameChanged: true,
            keyChanged: false,
          },
        ],
        unchanged: 4,
      }),
    );
    assert.deepEqual(s.added.map((p) => p.name), ["Anna Berg", "Emil Schäfer"], "sorted by class, then name");
    assert.deepEqual(s.leaving.map((p) => [p.name, p.className]), [["Mia Böhm", "7b"]]);
    assert.deepEqual(s.returning.map((p) => p.name), ["Tom Alt"]);
    assert.deepEqual(s.classChanges, [{ name: "Jonas Groß", from: "7a", to: "7b", line: 5 }]);
    assert.deepEqual(s.otherChanges.map((c) => [c.name, c.coursesAdded, c.nameChanged]), [
      ["Eva Neu", [], { from: "Eva Alt", to: "Eva Neu" }],
      ["Jonas Groß", ["Mathematik 7b"], null],
    ]);
    assert.equal(s.unchanged, 4);
    assert.ok(hasChanges(s));
    assert.ok(!hasChanges(summarizeDiff(report({ unchanged: 8 }))));
  });

  it("finds the letters' id in letters_url", () => {
    assert.equal(lettersId("/_schulhof/school/v1/admin/letters/Ab_c-9"), "Ab_c-9");
    assert.equal(lettersId(undefined), null);
    assert.equal(lettersId("/_schulhof/school/v1/admin/letters/../x"), null);
  });
});

describe("exam rules", () => {
  it("reads the rules in force and keeps fields it does not edit", () => {
    const { rules, source } = parseRulesAnswer({
      source: "default",
      rules: { state: "NI", week_starts: "monday", rules: [{ id: "ni-day", kind: "max_per_day", binding: true, limit: 1, counts_kinds: ["klausur"] }, { id: 5 }] },
    });
    assert.equal(source, "default");
    assert.equal(rules.approval_required, false);
    assert.equal(rules.announce_days_on_start_page, 14);
    assert.equal(rules.week_starts, "monday");
    assert.deepEqual(rules.rules, [{ id: "ni-day", kind: "max_per_day", binding: true, limit: 1, counts_kinds: ["klausur"] }]);
    assert.throws(() => parseRulesAnswer({ rules: { rules: [] } }));
  });

  it("saves as the school's own rules without empty blocked-date rules", () => {
    const saved = rulesToSave({
      state: "NI",
      approval_required: true,
      announce_days_on_start_page: 10,
      preset: "NI",
      rules: [
        { id: "a", kind: "blocked_dates", binding: true, dates: [] },
        { id: "b", kind: "max_per_week", binding: false, limit: 2 },
      ],
    });
    assert.equal(saved.preset, "custom");
    assert.deepEqual(saved.rules.map((r) => r.id), ["b"]);
  });

  it("names new blocked-date rules uniquely and checks ranges", () => {
    assert.equal(newBlockedRuleId([]), "school-blocked");
    assert.equal(newBlockedRuleId([{ id: "school-blocked", kind: "blocked_dates", binding: true }, { id: "school-blocked-2", kind: "x", binding: true }]), "school-blocked-3");
    assert.ok(validRange("2026-04-01", "2026-04-01"));
    assert.ok(!validRange("2026-04-02", "2026-04-01"));
    assert.ok(!validRange("", "2026-04-01"));
  });
});

describe("guardNotes", () => {
  it("names the admins kept and asks a second question above the allowed share", () => {
    const guard = {
      keptAdmins: [
        { userId: "@b:s", displayName: "Birgit Schäfer", reason: "last_admin" as const },
        { userId: "@c:s", displayName: "Carl Admin", reason: "not_in_roster" as const },
      ],
      activeBefore: 17,
      deactivating: 16,
      maxShare: 0.2,
      needsForce: true,
      forced: false,
    };
    assert.deepEqual(guardNotes({ ...report(), guard }), {
      keptAdmins: [
        { name: "Birgit Schäfer", lastAdmin: true },
        { name: "Carl Admin", lastAdmin: false },
      ],
      mass: { count: 16, active: 17, percent: 94, max: 20 },
    });
    assert.deepEqual(guardNotes({ ...report(), guard: { ...guard, keptAdmins: [], needsForce: false } }), { keptAdmins: [], mass: null });
    assert.deepEqual(guardNotes(report()), { keptAdmins: [], mass: null });
  });
});
