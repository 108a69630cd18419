// Tests for planSchool, powerUsersFor and slug: the school's rooms, members and power levels from its people.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { calendarMarker, planSchool, powerUsersFor, slug } from "../../src/provision/plan.ts";
import type { PlanPerson, RoomSpec, SchoolInfo } from "../../src/provision/plan.ts";

const SCHOOL: SchoolInfo = { name: "Gesamtschule Am Hang", state: "NW", timezone: "Europe/Berlin", mailDomain: "schule.example" };

const u = (localpart: string): string => `@${localpart}:schule.example`;

const ADMIN = u("admin.schulz");
const KLEIN = u("frau.klein"); // Klassenleitung 7a, teaches Religion 7
const GROSS = u("herr.gross"); // no class, teaches Mathematik 7a and Latein Q1
const MITTE = u("frau.mitte"); // Klassenleitung 7b, teaches Französisch 7a
const ANNA = u("anna.a"); // 7a
const BEN = u("ben.a"); // 7a
const CEM = u("cem.a"); // 7a
const DORA = u("dora.b"); // 7b
const EMIL = u("emil.b"); // 7b
const FINE = u("fine.q"); // Q1
const GUSTAV = u("gustav.q"); // Q1

const PEOPLE: readonly PlanPerson[] = [
  { userId: ADMIN, role: "admin", className: null, courses: ["Latein Q1"] },
  { userId: KLEIN, role: "teacher", className: "7a", courses: ["Religion 7"] },
  { userId: GROSS, role: "teacher", className: null, courses: ["Mathematik 7a", "Latein Q1"] },
  { userId: MITTE, role: "teacher", className: "7b", courses: ["Französisch 7a"] },
  { userId: ANNA, role: "student", className: "7a", courses: ["Mathematik 7a", "Religion 7", "Französisch 7a"] },
  { userId: BEN, role: "student", className: "7a", courses: ["Mathematik 7a", "Französisch 7a"] },
  { userId: CEM, role: "student", className: "7a", courses: ["Mathematik 7a"] },
  { userId: DORA, role: "student", className: "7b", courses: ["Religion 7"] },
  { userId: EMIL, role: "student", className: "7b", courses: [] },
  { userId: FINE, role: "student", className: "Q1", courses: ["Latein Q1"] },
  { userId: GUSTAV, role: "student", className: "Q1", courses: ["Latein Q1"] },
];

const PLAN = planSchool(PEOPLE, SCHOOL);

function room(plan: readonly RoomSpec[], key: string): RoomSpec {
  const r = plan.find((x) => x.key === key);
  assert.ok(r !== undefined, `room ${key} is planned`);
  return r;
}

const membersOf = (key: string): Record<string, number> => Object.fromEntries([...room(PLAN, key).members].sort(([a], [b]) => a.localeCompare(b)));

/** Sorted keys → power: order-independent comparison of a member map. */
const sortedObject = (o: Record<string, number>): Record<string, number> => Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));

describe("planSchool: rooms", () => {
  it("plans exactly the expected rooms with their kinds", () => {
    const kinds = Object.fromEntries(PLAN.map((r) => [r.key, r.kind]));
    assert.deepEqual(kinds, {
      school: "school",
      teachers: "teachers",
      "yeargroup:Jahrgang 7": "yeargroup",
      "yeargroup:Q1": "yeargroup",
      "class:7a": "class",
      "class:7b": "class",
      "classchat:7a": "classchat",
      "classchat:7b": "classchat",
      "classchat:Q1": "classchat",
      "exams:7a": "exams",
      "exams:7b": "exams",
      "exams:Q1": "exams",
      "course:Mathematik 7a": "course",
      "course:Religion 7": "course",
      "course:Latein Q1": "course",
      "course:Französisch 7a": "course",
    });
    assert.equal(PLAN.length, 16, "no duplicate keys");
    assert.ok(!PLAN.some((r) => r.key === "class:Q1"), "Sek II has no class space: the year group is the cohort");
  });

  it("hangs every room under the right parent", () => {
    const parents = Object.fromEntries(PLAN.map((r) => [r.key, r.parentKey]));
    assert.deepEqual(parents, {
      school: null,
      teachers: "school",
      "yeargroup:Jahrgang 7": "school",
      "yeargroup:Q1": "school",
      "class:7a": "yeargroup:Jahrgang 7",
      "class:7b": "yeargroup:Jahrgang 7",
      "classchat:7a": "class:7a",
      "classchat:7b": "class:7b",
      "classchat:Q1": "yeargroup:Q1",
      "exams:7a": "class:7a",
      "exams:7b": "class:7b",
      "exams:Q1": "yeargroup:Q1",
      "course:Mathematik 7a": "class:7a",
      "course:Französisch 7a": "class:7a",
      "course:Religion 7": "yeargroup:Jahrgang 7",
      "course:Latein Q1": "yeargroup:Q1",
    });
  });

  it("gives every parent a smaller depth and sorts the output by depth", () => {
    const depth = new Map(PLAN.map((r) => [r.key, r.depth]));
    for (const r of PLAN) {
      if (r.parentKey === null) {
        assert.equal(r.depth, 0, r.key);
        continue;
      }
      const pd = depth.get(r.parentKey);
      assert.ok(pd !== undefined, `${r.key}: parent ${r.parentKey} is planned`);
      assert.ok(pd < r.depth, `${r.key} (depth ${r.depth}) is deeper than ${r.parentKey} (depth ${pd})`);
    }
    for (let i = 1; i < PLAN.length; i++) {
      assert.ok((PLAN[i - 1]?.depth ?? 0) <= (PLAN[i]?.depth ?? 0), `sorted by depth at ${i}`);
    }
    assert.equal(PLAN[0]?.key, "school");
    assert.deepEqual(
      Object.fromEntries(PLAN.map((r) => [r.key, r.depth])),
      {
        school: 0, teachers: 1, "yeargroup:Jahrgang 7": 1, "yeargroup:Q1": 1,
        "class:7a": 2, "class:7b": 2, "classchat:Q1": 2, "exams:Q1": 2, "course:Latein Q1": 2, "course:Religion 7": 2,
        "classchat:7a": 3, "classchat:7b": 3, "exams:7a": 3, "exams:7b": 3, "course:Mathematik 7a": 3, "course:Französisch 7a": 3,
      },
    );
  });

  it("marks spaces and gives names and aliases", () => {
    const spaces = PLAN.filter((r) => r.isSpace).map((r) => r.key).sort();
    assert.deepEqual(spaces, ["class:7a", "class:7b", "school", "yeargroup:Jahrgang 7", "yeargroup:Q1"]);
    assert.equal(room(PLAN, "school").name, "Gesamtschule Am Hang");
    assert.equal(room(PLAN, "teachers").name, "Lehrerzimmer");
    assert.equal(room(PLAN, "class:7a").name, "Klasse 7a");
    assert.equal(room(PLAN, "classchat:7a").name, "7a Klassenchat");
    assert.equal(room(PLAN, "classchat:Q1").name, "Q1 Stufenchat");
    assert.equal(room(PLAN, "exams:Q1").name, "Klausurplan Q1");
    assert.equal(room(PLAN, "yeargroup:Jahrgang 7").aliasLocalpart, "schule-jg-jahrgang-7");
    assert.equal(room(PLAN, "class:7a").aliasLocalpart, "schule-klasse-7a");
    assert.equal(room(PLAN, "classchat:Q1").aliasLocalpart, "schule-chat-q1");
    assert.equal(room(PLAN, "exams:7b").aliasLocalpart, "schule-klausuren-7b");
    assert.equal(room(PLAN, "course:Französisch 7a").aliasLocalpart, "schule-kurs-franzoesisch-7a");
    const aliases = PLAN.map((r) => r.aliasLocalpart);
    assert.equal(new Set(aliases).size, aliases.length, "aliases are unique");
  });
});

describe("planSchool: join rules", () => {
  it("sets invite and restricted rules as designed", () => {
    const rules = Object.fromEntries(PLAN.map((r) => [r.key, r.join]));
    assert.deepEqual(rules, {
      school: { rule: "invite" },
      teachers: { rule: "invite" },
      // Students are not in the school space: a year group cannot be restricted to it.
      "yeargroup:Jahrgang 7": { rule: "invite" },
      "yeargroup:Q1": { rule: "invite" },
      "class:7a": { rule: "invite" },
      "class:7b": { rule: "invite" },
      "classchat:7a": { rule: "restricted", viaKey: "class:7a" },
      "classchat:7b": { rule: "restricted", viaKey: "class:7b" },
      "classchat:Q1": { rule: "restricted", viaKey: "yeargroup:Q1" },
      "exams:7a": { rule: "restricted", viaKey: "class:7a" },
      "exams:7b": { rule: "restricted", viaKey: "class:7b" },
      "exams:Q1": { rule: "restricted", viaKey: "yeargroup:Q1" },
      // The whole of 7a takes Mathematik 7a: members of the class space may join.
      "course:Mathematik 7a": { rule: "restricted", viaKey: "class:7a" },
      // Only part of 7a takes Französisch: invite only.
      "course:Französisch 7a": { rule: "invite" },
      "course:Religion 7": { rule: "invite" },
      "course:Latein Q1": { rule: "invite" },
    });
  });

  it("makes a whole-class course invite-only once one pupil of the class is missing", () => {
    const without = PEOPLE.map((p) => (p.userId === CEM ? { ...p, courses: [] } : p));
    assert.deepEqual(room(planSchool(without, SCHOOL), "course:Mathematik 7a").join, { rule: "invite" });
  });

  it("keeps a whole-class course invite-only when a pupil of another class takes it too", () => {
    const guest: PlanPerson = { userId: u("hans.gast"), role: "student", className: "8b", courses: ["Mathematik 7a"] };
    const plan = planSchool([...PEOPLE, guest], SCHOOL);
    const course = room(plan, "course:Mathematik 7a");
    assert.equal(course.parentKey, "class:7a");
    assert.deepEqual(course.join, { rule: "invite" });
    assert.equal(course.members.get(guest.userId), 0);
    assert.ok(!room(plan, "class:7a").members.has(guest.userId));
  });

  it("only lets members of the via room join a restricted room", () => {
    const byKey = new Map(PLAN.map((r) => [r.key, r]));
    for (const r of PLAN) {
      if (r.join.rule !== "restricted") continue;
      const via = byKey.get(r.join.viaKey);
      assert.ok(via !== undefined, `${r.key}: via room ${r.join.viaKey} is planned`);
      for (const m of r.members.keys()) assert.ok(via.members.has(m), `${m} in ${r.key} is also in ${r.join.viaKey}`);
    }
  });
});

describe("planSchool: members and power", () => {
  it("puts the staff, and no student, in the school space, admins at 100; students read it without joining", () => {
    assert.deepEqual(membersOf("school"), sortedObject({ [ADMIN]: 100, [KLEIN]: 0, [GROSS]: 0, [MITTE]: 0 }));
    assert.equal(room(PLAN, "school").historyVisibility, "world_readable");
    for (const r of PLAN.filter((x) => x.key !== "school")) assert.equal(r.historyVisibility, undefined, `${r.key} keeps shared history`);
  });

  it("puts a Sek I student in the year group's space only for a year-group course", () => {
    // Anna and Dora take Religion 7 (a course of Jahrgang 7); Ben, Cem and Emil take only their class's courses.
    const students = [...room(PLAN, "yeargroup:Jahrgang 7").members.keys()].filter((m) => [ANNA, BEN, CEM, DORA, EMIL].includes(m)).sort();
    assert.deepEqual(students, [ANNA, DORA].sort());
    assert.equal(room(PLAN, "course:Religion 7").parentKey, "yeargroup:Jahrgang 7");
  });

  it("puts teachers and admins, no students, in the teachers room", () => {
    assert.deepEqual(membersOf("teachers"), sortedObject({ [ADMIN]: 100, [KLEIN]: 0, [GROSS]: 0, [MITTE]: 0 }));
  });

  it("gives every room the expected members and power levels", () => {
    const expected: Record<string, Record<string, number>> = {
      "yeargroup:Jahrgang 7": { [KLEIN]: 50, [MITTE]: 50, [GROSS]: 50, [ANNA]: 0, [DORA]: 0 },
      "yeargroup:Q1": { [ADMIN]: 100, [GROSS]: 50, [FINE]: 0, [GUSTAV]: 0 },
      "class:7a": { [KLEIN]: 50, [GROSS]: 50, [MITTE]: 50, [ANNA]: 0, [BEN]: 0, [CEM]: 0 },
      "class:7b": { [MITTE]: 50, [DORA]: 0, [EMIL]: 0 },
      "classchat:7a": { [KLEIN]: 50, [ANNA]: 0, [BEN]: 0, [CEM]: 0 },
      "classchat:7b": { [MITTE]: 50, [DORA]: 0, [EMIL]: 0 },
      "classchat:Q1": { [FINE]: 0, [GUSTAV]: 0 },
      "exams:7a": { [KLEIN]: 50, [GROSS]: 50, [MITTE]: 50, [ANNA]: 0, [BEN]: 0, [CEM]: 0 },
      "exams:7b": { [MITTE]: 50, [DORA]: 0, [EMIL]: 0 },
      "exams:Q1": { [ADMIN]: 100, [GROSS]: 50, [FINE]: 0, [GUSTAV]: 0 },
      "course:Mathematik 7a": { [GROSS]: 50, [ANNA]: 0, [BEN]: 0, [CEM]: 0 },
      "course:Französisch 7a": { [MITTE]: 50, [ANNA]: 0, [BEN]: 0 },
      "course:Religion 7": { [KLEIN]: 50, [ANNA]: 0, [DORA]: 0 },
      "course:Latein Q1": { [ADMIN]: 100, [GROSS]: 50, [FINE]: 0, [GUSTAV]: 0 },
    };
    for (const [key, members] of Object.entries(expected)) assert.deepEqual(membersOf(key), sortedObject(members), key);
  });

  it("keeps admins at 100 in every room they are in, and in powerUsersFor of every room", () => {
    const admins = [ADMIN];
    let rooms = 0;
    for (const r of PLAN) {
      if (r.members.has(ADMIN)) {
        assert.equal(r.members.get(ADMIN), 100, r.key);
        rooms++;
      }
      assert.equal(powerUsersFor(r, admins)[ADMIN], 100, r.key);
    }
    assert.equal(rooms, 5, "school, teachers, and the Latein Q1 course with its year group and Klausurplan");
  });

  it("gives teachers 50 in their course, the course's parent space and the cohort's exam room", () => {
    for (const key of ["course:Mathematik 7a", "class:7a", "yeargroup:Jahrgang 7", "exams:7a", "course:Latein Q1", "yeargroup:Q1", "exams:Q1"]) {
      assert.equal(room(PLAN, key).members.get(GROSS), 50, key);
    }
    assert.ok(!room(PLAN, "classchat:7a").members.has(GROSS), "a subject teacher is not in the class chat");
    assert.ok(!room(PLAN, "classchat:Q1").members.has(GROSS));
  });

  it("keeps students at 0 everywhere", () => {
    const students = PEOPLE.filter((p) => p.role === "student").map((p) => p.userId);
    for (const r of PLAN) for (const s of students) if (r.members.has(s)) assert.equal(r.members.get(s), 0, `${s} in ${r.key}`);
  });

  it("keeps a student out of another class's rooms", () => {
    for (const key of ["class:7a", "classchat:7a", "exams:7a", "course:Mathematik 7a", "course:Französisch 7a", "yeargroup:Q1", "classchat:Q1"]) {
      assert.ok(!room(PLAN, key).members.has(DORA), `dora (7b) not in ${key}`);
    }
    for (const key of ["class:7b", "classchat:7b", "exams:7b", "yeargroup:Jahrgang 7", "classchat:7a"]) {
      assert.ok(!room(PLAN, key).members.has(FINE), `fine (Q1) not in ${key}`);
    }
  });
});

describe("planSchool: state and power defaults", () => {
  it("describes each course with its teachers", () => {
    assert.deepEqual(room(PLAN, "course:Mathematik 7a").state, [
      {
        type: "de.schulhof.course",
        state_key: "",
        content: { name: "Mathematik 7a", subject: "Mathematik", cohort: { kind: "class", name: "7a" }, teachers: [GROSS] },
      },
      calendarMarker("course:Mathematik 7a", "Mathematik 7a", "course"),
    ]);
    assert.deepEqual(room(PLAN, "course:Religion 7").state[0]?.content, {
      name: "Religion 7", subject: "Religion", cohort: { kind: "yeargroup", name: "Jahrgang 7" }, teachers: [KLEIN],
    });
    assert.deepEqual(room(PLAN, "course:Latein Q1").state[0]?.content, {
      name: "Latein Q1", subject: "Latein", cohort: { kind: "yeargroup", name: "Q1" }, teachers: [ADMIN, GROSS],
    });
  });

  it("describes the school in the school space", () => {
    assert.deepEqual(room(PLAN, "school").state, [
      {
        type: "de.schulhof.school",
        state_key: "",
        content: { name: "Gesamtschule Am Hang", state: "NW", timezone: "Europe/Berlin", mail_domain: "schule.example" },
      },
      calendarMarker("school", "Schulkalender Gesamtschule Am Hang", "school"),
    ]);
  });

  it("makes the school space, class spaces, Sek II year groups, courses and the Lehrerzimmer calendars, with who writes", () => {
    const scopes = Object.fromEntries(PLAN.flatMap((r) => r.state.filter((x) => x.type === "de.schulhof.calendar").map((x) => [r.key, x.content.scope])));
    assert.equal(scopes.school, "school");
    assert.equal(scopes["class:7a"], "class");
    assert.equal(scopes["yeargroup:Q1"], "class");
    assert.equal(scopes["course:Mathematik 7a"], "course");
    assert.equal(scopes.teachers, "teachers");
    assert.equal(scopes["yeargroup:Jahrgang 7"], undefined, "a Sek I year group is no calendar of its own");
    assert.equal(scopes["classchat:7a"], undefined);
    assert.equal(room(PLAN, "school").eventLevels?.["de.schulhof.calendar.event"], 100);
    assert.equal(room(PLAN, "teachers").eventLevels?.["de.schulhof.calendar.event"], 0);
  });

  it("puts the calendar bot in every calendar and the exam bot in exam rooms (100) and course and cohort calendars (50)", () => {
    const plan = planSchool(PEOPLE, SCHOOL, { calendarBot: "@kalender:x", examBot: "@klausuren:x" });
    const r = (k: string): RoomSpec => plan.find((x) => x.key === k) ?? assert.fail(k);
    assert.equal(r("school").members.get("@kalender:x"), 100);
    assert.equal(r("course:Mathematik 7a").members.get("@kalender:x"), 50);
    assert.equal(r("class:7a").members.get("@kalender:x"), 50);
    assert.equal(r("teachers").members.get("@kalender:x"), 50);
    assert.equal(r("exams:7a").members.get("@klausuren:x"), 100);
    assert.equal(r("course:Mathematik 7a").members.get("@klausuren:x"), 50);
    assert.equal(r("class:7a").members.get("@klausuren:x"), 50);
    assert.equal(r("school").members.has("@klausuren:x"), false);
    assert.equal(r("classchat:7a").members.has("@kalender:x"), false);
  });

  it("names the exam cohort in each Klausurplan", () => {
    assert.deepEqual(room(PLAN, "exams:7a").state, [
      { type: "de.schulhof.exam.cohort", state_key: "", content: { kind: "class", name: "7a", stage: "sek1", grade: 7 } },
    ]);
    assert.deepEqual(room(PLAN, "exams:Q1").state[0]?.content, { kind: "yeargroup", name: "Q1", stage: "sek2", grade: null });
  });

  it("lets only teachers post in exam rooms and spaces, everybody in chats and courses", () => {
    for (const r of PLAN) {
      const expected = r.kind === "exams" || r.isSpace ? 50 : 0;
      assert.equal(r.eventsDefault, expected, r.key);
    }
    assert.equal(room(PLAN, "exams:Q1").eventsDefault, 50);
    assert.equal(room(PLAN, "classchat:7a").eventsDefault, 0);
    assert.equal(room(PLAN, "course:Latein Q1").eventsDefault, 0);
    assert.equal(room(PLAN, "teachers").eventsDefault, 0);
  });
});

describe("planSchool: edge cases", () => {
  it("plans only the school space and the teachers room for a school without classes", () => {
    const plan = planSchool([{ userId: ADMIN, role: "admin", className: null, courses: [] }], SCHOOL);
    assert.deepEqual(plan.map((r) => r.key), ["school", "teachers"]);
    assert.deepEqual([...(plan[1]?.members ?? [])], [[ADMIN, 100]]);
  });

  it("hangs a Sek II course under its own year group even with a pupil from another year group", () => {
    const plan = planSchool([
      { userId: GROSS, role: "teacher", className: null, courses: ["Latein Q1"] },
      { userId: ANNA, role: "student", className: "7a", courses: ["Latein Q1"] },
      { userId: FINE, role: "student", className: "Q1", courses: ["Latein Q1"] },
    ], SCHOOL);
    const course = room(plan, "course:Latein Q1");
    assert.equal(course.parentKey, "yeargroup:Q1");
    assert.ok(!room(plan, "yeargroup:Jahrgang 7").members.has(GROSS), "the Latein teacher has nothing to do in Jahrgang 7");
    assert.equal(room(plan, "yeargroup:Q1").members.get(GROSS), 50);
  });
});

describe("planSchool: determinism", () => {
  const normalize = (plan: readonly RoomSpec[]): unknown => plan.map((r) => ({ ...r, members: [...r.members] }));

  it("gives the same plan, member order included, for the people in another order", () => {
    const reversed = [...PEOPLE].reverse();
    // A fixed permutation that is neither the original nor the reverse order.
    const shuffled = [5, 9, 0, 3, 10, 1, 7, 2, 8, 4, 6].map((i) => PEOPLE[i] as PlanPerson);
    assert.equal(new Set(shuffled).size, PEOPLE.length);
    const expected = normalize(PLAN);
    assert.deepEqual(normalize(planSchool(reversed, SCHOOL)), expected);
    assert.deepEqual(normalize(planSchool(shuffled, SCHOOL)), expected);
  });

  it("does not change its input", () => {
    const copy = structuredClone(PEOPLE);
    planSchool(PEOPLE, SCHOOL);
    assert.deepEqual(PEOPLE, copy);
  });
});

describe("powerUsersFor", () => {
  const spec = (members: [string, number][]): RoomSpec => ({
    key: "course:X",
    kind: "course",
    name: "X",
    topic: "",
    aliasLocalpart: "x",
    parentKey: "school",
    isSpace: false,
    join: { rule: "invite" },
    eventsDefault: 0,
    members: new Map(members),
    state: [],
    depth: 1,
  });

  it("lists members above 0 and every admin at 100, keys sorted", () => {
    const users = powerUsersFor(spec([[u("zoe"), 0], [u("yann"), 50], [u("bert"), 50], [u("carl"), 0]]), [u("xaver"), u("anton")]);
    assert.deepEqual(users, { [u("anton")]: 100, [u("bert")]: 50, [u("xaver")]: 100, [u("yann")]: 50 });
    assert.deepEqual(Object.keys(users), [u("anton"), u("bert"), u("xaver"), u("yann")]);
  });

  it("raises an admin who is a member at 50 to 100", () => {
    assert.deepEqual(powerUsersFor(spec([[u("anton"), 50]]), [u("anton")]), { [u("anton")]: 100 });
  });

  it("is empty for a room of students without admins", () => {
    assert.deepEqual(powerUsersFor(spec([[u("a"), 0], [u("b"), 0]]), []), {});
  });
});

describe("slug", () => {
  it("makes readable alias parts", () => {
    assert.equal(slug("Mathematik 7a"), "mathematik-7a");
    assert.equal(slug("Französisch 7"), "franzoesisch-7");
    assert.equal(slug("Rätsel-AG"), "raetsel-ag");
    assert.equal(slug("Jahrgang 7"), "jahrgang-7");
    assert.equal(slug("Q1"), "q1");
    assert.equal(slug("Größe & Übung"), "groesse-uebung");
    assert.equal(slug("Café Ökologie"), "cafe-oekologie");
    assert.equal(slug("  AG  Schach. "), "ag-schach");
  });

  it("never answers an empty slug", () => {
    assert.equal(slug(""), "x");
    assert.equal(slug("!!!"), "x");
  });
});
