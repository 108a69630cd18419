// Every rule of the exam engine at its boundary: weekly and daily limits per Bundesland, week edges, notice, blocks, exam-free weeks, filters, tests, make-up exams, past dates, weekends.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkExams, defaultRules, type BlockedDay } from "../../src/exams/index.ts";
import { check, exam, examQ1, ids, only, req, reqQ1 } from "./helpers.ts";

const NI = defaultRules("NI");
const NW = defaultRules("NW");
const BY = defaultRules("BY");

describe("weekly limit at its boundary", () => {
  it("NI: the 3rd exam of a calendar week is fine, the 4th is refused", () => {
    const two = [exam("a", "2026-11-30"), exam("b", "2026-12-01")];
    const third = check(NI, req("2026-12-03"), two);
    assert.equal(third.ok, true);
    assert.deepEqual(ids(third), { binding: [], warnings: [] });

    const fourth = check(NI, req("2026-12-04"), [...two, exam("c", "2026-12-02")]);
    assert.equal(fourth.ok, false);
    assert.deepEqual(ids(fourth), { binding: ["ni-week"], warnings: [] });
    const v = fourth.violations[0]!;
    assert.deepEqual(v.conflicts, ["a", "b", "c"]);
    assert.equal(v.reason.de, "In der KW 49 (30.11.–06.12.2026) schreibt die 7a schon 3 Arbeiten (Fracha 7a, Fachb 7a, Fachc 7a); erlaubt sind 3 pro Woche.".replace("Fracha", "Facha"));
    assert.equal(v.reason.en, "In week 49 (30 Nov – 6 Dec 2026), 7a already has 3 exams (Facha 7a, Fachb 7a, Fachc 7a); at most 3 are allowed per week.");
    assert.match(v.source ?? "", /22\.3\.2012/);
  });

  it("NRW Sek I: the 2nd exam of a week is fine, the 3rd is only a warning (soll)", () => {
    const second = check(NW, req("2026-12-02"), [exam("a", "2026-11-30")]);
    assert.deepEqual(ids(second), { binding: [], warnings: [] });
    const third = check(NW, req("2026-12-03"), [exam("a", "2026-11-30"), exam("b", "2026-12-01")]);
    assert.equal(third.ok, true);
    assert.deepEqual(ids(third), { binding: [], warnings: ["nw-s1-week"] });
    assert.match(third.warnings[0]!.reason.de, /empfohlen sind höchstens 2 pro Woche/);
    assert.match(third.warnings[0]!.reason.en, /there should be no more than 2 per week/);
  });

  it("NRW Sek II: the 3rd Klausur of a week is fine, the 4th is refused", () => {
    const two = [examQ1("a", "2026-11-30"), examQ1("b", "2026-12-01")];
    assert.deepEqual(ids(check(NW, reqQ1("2026-12-02"), two)), { binding: [], warnings: [] });
    const fourth = check(NW, reqQ1("2026-12-03"), [...two, examQ1("c", "2026-12-02")]);
    assert.deepEqual(ids(fourth), { binding: ["nw-s2-week"], warnings: [] });
    assert.match(fourth.violations[0]!.reason.de, /^In der KW 49 .* schreibt die Q1 schon 3 Arbeiten/);
  });

  it("Bayern: the 3rd Schulaufgabe of a week is a warning, a 2nd on one day is refused", () => {
    const two = [exam("a", "2026-11-30"), exam("b", "2026-12-01")];
    assert.deepEqual(ids(check(BY, req("2026-12-02"), two)), { binding: [], warnings: ["by-week"] });
    assert.deepEqual(ids(check(BY, req("2026-12-01"), [exam("a", "2026-12-01")])), { binding: ["by-day"], warnings: [] });
  });

  it("Sunday and the next Monday are different weeks; Mon–Fri of one week and Monday of the next do not add up", () => {
    const five = only([{ id: "week5", kind: "max_per_week", binding: true, limit: 5 }]);
    const monToFri = ["2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04"].map((d, i) => exam(`e${i}`, d));
    assert.deepEqual(ids(check(five, req("2026-12-07"), monToFri)), { binding: [], warnings: [] });
    // Sunday 06.12. still belongs to week 49.
    assert.deepEqual(ids(check(five, req("2026-12-06"), monToFri)), { binding: ["week5"], warnings: [] });
    // And one more on Monday 07.12. does not count for Sunday's week.
    assert.deepEqual(ids(check(five, req("2026-12-06"), [...monToFri.slice(1), exam("mon2", "2026-12-07")])), { binding: [], warnings: [] });
  });

  it("the week across New Year is one ISO week (Mon 28.12.2026 – Sun 03.01.2027)", () => {
    const one = only([{ id: "week1", kind: "max_per_week", binding: true, limit: 1 }]);
    const r = check(one, req("2027-01-01"), [exam("a", "2026-12-28")]);
    assert.deepEqual(ids(r), { binding: ["week1"], warnings: [] });
    assert.match(r.violations[0]!.reason.de, /KW 53 \(28\.12\.–03\.01\.2027\)/);
    assert.deepEqual(ids(check(one, req("2027-01-04"), [exam("a", "2026-12-28")])), { binding: [], warnings: [] });
  });
});

describe("one exam per day", () => {
  it("refuses a second exam of the cohort on the same day, with a specific reason", () => {
    const r = check(NI, req("2026-12-03"), [exam("m", "2026-12-03", { course: "Deutsch 7a", periods: [1, 2] })]);
    assert.equal(r.ok, false);
    assert.deepEqual(ids(r), { binding: ["ni-day"], warnings: [] });
    assert.deepEqual(r.violations[0]!.conflicts, ["m"]);
    assert.equal(r.violations[0]!.reason.de, "Am Do., 03.12.2026 schreibt die 7a schon 1 Arbeit (Deutsch 7a); erlaubt ist 1 pro Tag.");
    assert.equal(r.violations[0]!.reason.en, "On Thu, 3 Dec 2026, 7a already has 1 exam (Deutsch 7a); at most 1 is allowed per day.");
  });

  it("the same day in another cohort is fine", () => {
    assert.equal(check(NI, req("2026-12-03"), [exam("m", "2026-12-03", { cohort: "7b", course: "Deutsch 7b" })]).ok, true);
  });

  it("cancelled exams do not count", () => {
    assert.equal(check(NI, req("2026-12-03"), [exam("m", "2026-12-03", { status: "cancelled" })]).ok, true);
  });

  it("requested (not yet approved) exams count", () => {
    assert.equal(check(NI, req("2026-12-03"), [exam("m", "2026-12-03", { status: "requested" })]).ok, false);
  });

  it("a moved exam does not conflict with itself", () => {
    const existing = [exam("m", "2026-12-03"), exam("n", "2026-12-01"), exam("o", "2026-12-02")];
    const moved = check(NI, req("2026-12-04", { id: "m" }), existing);
    assert.deepEqual(ids(moved), { binding: [], warnings: [] });
    // Moving it onto another exam's day still conflicts with that one.
    assert.deepEqual(check(NI, req("2026-12-01", { id: "m" }), existing).violations[0]!.conflicts, ["n"]);
  });

  it("Sek II: parallel courses with disjoint students may write on the same day; shared students or unknown lists conflict", () => {
    const gk2 = examQ1("gk2", "2026-12-03", { course: "Deutsch GK2 Q1", students: ["@c:s", "@d:s"] });
    assert.equal(check(NW, reqQ1("2026-12-03", { students: ["@a:s", "@b:s"] }), [gk2]).ok, true);
    assert.deepEqual(ids(check(NW, reqQ1("2026-12-03", { students: ["@a:s", "@c:s"] }), [gk2])), { binding: ["nw-s2-day"], warnings: [] });
    assert.deepEqual(ids(check(NW, reqQ1("2026-12-03"), [gk2])), { binding: ["nw-s2-day"], warnings: [] });
  });
});

describe("minimum notice", () => {
  const today = "2026-11-26";
  it("NI: exactly 7 days ahead is fine, 6 days is a warning", () => {
    assert.deepEqual(ids(check(NI, req("2026-12-03"), [], [], today)), { binding: [], warnings: [] });
    const r = check(NI, req("2026-12-02"), [], [], today);
    assert.equal(r.ok, true);
    assert.deepEqual(ids(r), { binding: [], warnings: ["ni-notice"] });
    assert.equal(r.warnings[0]!.reason.de, "Bis Mi., 02.12.2026 sind es nur 6 Tage (heute ist Do., 26.11.2026); angekündigt werden soll mindestens 7 Tage vorher.");
  });

  it("Bayern: a Schulaufgabe needs a week's notice (binding), a Nachtermin only a warning", () => {
    assert.deepEqual(ids(check(BY, req("2026-12-03"), [], [], today)), { binding: [], warnings: [] });
    assert.deepEqual(ids(check(BY, req("2026-12-02"), [], [], today)), { binding: ["by-notice"], warnings: [] });
    assert.deepEqual(ids(check(BY, req("2026-12-02", { kind: "nachschreibtermin", students: ["@a:s"] }), [], [], today)), { binding: [], warnings: ["by-notice-makeup"] });
  });

  it("tests need no notice; today itself is not past", () => {
    assert.deepEqual(ids(check(NI, req("2026-11-27", { kind: "test" }), [], [], today)), { binding: [], warnings: [] });
    const sameDay = check(NI, req(today), [], [], today);
    assert.deepEqual(ids(sameDay), { binding: [], warnings: ["ni-notice"] });
    assert.match(sameDay.warnings[0]!.reason.de, /nur 0 Tage/);
  });
});

describe("past dates and school days", () => {
  it("a date in the past is always refused", () => {
    const r = check(only([]), req("2026-11-01"));
    assert.deepEqual(ids(r), { binding: ["past"], warnings: [] });
    assert.equal(r.violations[0]!.reason.de, "So., 01.11.2026 liegt in der Vergangenheit.");
    assert.equal(r.violations[0]!.reason.en, "Sun, 1 Nov 2026 is in the past.");
  });

  it("Saturday and Sunday are no school days; a school with Saturday classes allows Saturday", () => {
    assert.deepEqual(ids(check(NI, req("2026-12-05"))), { binding: ["school-days"], warnings: [] });
    assert.equal(check(NI, req("2026-12-05")).violations[0]!.reason.de, "Sa., 05.12.2026 ist kein Schultag.");
    assert.deepEqual(ids(check(NI, req("2026-12-06"))), { binding: ["school-days"], warnings: [] });
    assert.deepEqual(ids(check(NI, req("2026-12-04"))), { binding: [], warnings: [] });
    const saturdays = only([{ id: "days", kind: "school_days", binding: true, weekdays: [1, 2, 3, 4, 5, 6] }]);
    assert.equal(check(saturdays, req("2026-12-05")).ok, true);
    assert.equal(check(saturdays, req("2026-12-06")).ok, false);
  });
});

describe("holidays and trips", () => {
  const holiday: BlockedDay = { date: "2026-12-03", periods: null, category: "holiday", reason: "Beweglicher Ferientag" };
  const trip: BlockedDay = { date: "2026-12-03", periods: [1, 2], category: "trip", reason: "Exkursion Biologie" };

  it("a whole-day holiday blocks bindingly", () => {
    const r = check(NI, req("2026-12-03"), [], [holiday]);
    assert.deepEqual(ids(r), { binding: ["holidays-trips"], warnings: [] });
    assert.equal(r.violations[0]!.reason.de, "Am Do., 03.12.2026 ist keine Arbeit möglich: Beweglicher Ferientag (Ferien/Feiertag).");
    assert.equal(r.violations[0]!.periods, undefined);
  });

  it("a trip in periods 1–2 blocks only those periods", () => {
    assert.equal(check(NI, req("2026-12-03", { periods: [3, 4] }), [], [trip]).ok, true);
    const r = check(NI, req("2026-12-03", { periods: [2, 3] }), [], [trip]);
    assert.deepEqual(ids(r), { binding: ["holidays-trips"], warnings: [] });
    assert.deepEqual(r.violations[0]!.periods, [2]);
    assert.equal(r.violations[0]!.reason.de, "Am Do., 03.12.2026 in der 2. Stunde ist keine Arbeit möglich: Exkursion Biologie (Fahrt).");
    assert.equal(r.violations[0]!.reason.en, "No exam is possible on Thu, 3 Dec 2026, period 2: Exkursion Biologie (trip).");
  });

  it("other categories (school events) do not block unless a rule names them; other days are not affected", () => {
    const event: BlockedDay = { date: "2026-12-03", periods: null, category: "event", reason: "Elternsprechtag" };
    assert.equal(check(NI, req("2026-12-03"), [], [event]).ok, true);
    const strict = only([{ id: "events", kind: "blocked_categories", binding: false, categories: ["event"] }]);
    assert.deepEqual(ids(check(strict, req("2026-12-03"), [], [event])), { binding: [], warnings: ["events"] });
    assert.equal(check(NI, req("2026-12-04"), [], [holiday]).ok, true);
  });
});

describe("blocked dates and exam-free weeks", () => {
  it("blocked date ranges are inclusive at both ends", () => {
    const rules = only([{ id: "abi", kind: "blocked_dates", binding: true, dates: [{ from: "2026-12-01", to: "2026-12-03", reason: "Abiturprüfungen" }] }]);
    assert.equal(check(rules, req("2026-11-30")).ok, true);
    assert.equal(check(rules, req("2026-12-01")).ok, false);
    const r = check(rules, req("2026-12-03"));
    assert.equal(r.violations[0]!.reason.de, "Am Do., 03.12.2026 ist keine Arbeit möglich (Abiturprüfungen, gesperrt 01.12.–03.12.2026).");
    assert.equal(check(rules, req("2026-12-04")).ok, true);
  });

  it("an exam-free week covers the whole ISO week of its dates; weeks can be named", () => {
    const rules = only([
      { id: "summer", kind: "exam_free_weeks", binding: true, dates: [{ from: "2027-06-30", to: "2027-06-30", reason: "letzte Woche vor den Sommerferien" }] },
      { id: "named", kind: "exam_free_weeks", binding: false, weeks: ["2027-W10"] },
    ]);
    const mon = check(rules, req("2027-06-28"));
    assert.deepEqual(ids(mon), { binding: ["summer"], warnings: [] });
    assert.equal(mon.violations[0]!.reason.de, "Die KW 26 (28.06.–04.07.2027) ist klausurfrei: letzte Woche vor den Sommerferien.");
    assert.equal(mon.violations[0]!.reason.en, "Week 26 (28 Jun – 4 Jul 2027) is exam-free: letzte Woche vor den Sommerferien.");
    assert.equal(check(rules, req("2027-07-02")).ok, false);
    assert.equal(check(rules, req("2027-06-25")).ok, true);
    assert.equal(check(rules, req("2027-07-05")).ok, true);
    assert.deepEqual(ids(check(rules, req("2027-03-10"))), { binding: [], warnings: ["named"] });
  });
});

describe("applies filters", () => {
  const gradeRule = only([{ id: "g56", kind: "max_per_day", binding: true, limit: 1, applies: { grades: [5, 6] } }]);
  const other = [exam("x", "2026-12-03", { grade: 5 })];

  it("by grade: applies to grade 5, not to grade 7 or an unknown grade", () => {
    assert.equal(check(gradeRule, req("2026-12-03", { grade: 5 }), other).ok, false);
    assert.equal(check(gradeRule, req("2026-12-03", { grade: 7 }), other).ok, true);
    assert.equal(check(gradeRule, req("2026-12-03", { grade: null }), other).ok, true);
  });

  it("by stage: the NRW Sek I weekly limit does not apply in Sek II", () => {
    const two = [examQ1("a", "2026-11-30"), examQ1("b", "2026-12-01")];
    assert.deepEqual(ids(check(NW, reqQ1("2026-12-02"), two)).warnings, []);
    assert.deepEqual(ids(check(NW, reqQ1("2026-12-02", { stage: "sek1" }), two)).warnings, ["nw-s1-week"]);
  });

  it("by kind: a notice rule for Klassenarbeiten ignores tests", () => {
    const rules = only([{ id: "n", kind: "min_notice_days", binding: true, limit: 5, applies: { kinds: ["klassenarbeit"] } }]);
    assert.equal(check(rules, req("2026-11-04")).ok, false);
    assert.equal(check(rules, req("2026-11-04", { kind: "test" })).ok, true);
  });

  it("by school form: from the rules or the check, the check's wins; unknown means not applied", () => {
    const rules = only([{ id: "gym", kind: "max_per_day", binding: true, limit: 1, applies: { school_forms: ["gymnasium"] } }]);
    const ex = [exam("x", "2026-12-03")];
    assert.equal(check(rules, req("2026-12-03"), ex).ok, true);
    assert.equal(check({ ...rules, school_form: "gymnasium" }, req("2026-12-03"), ex).ok, false);
    assert.equal(check({ ...rules, school_form: "gymnasium" }, req("2026-12-03"), ex, [], undefined, "realschule").ok, true);
    assert.equal(check(rules, req("2026-12-03"), ex, [], undefined, "gymnasium").ok, false);
  });
});

describe("short tests", () => {
  it("do not count toward the NI limits, and a test request is not concerned by them", () => {
    const tests = [exam("t1", "2026-12-03", { kind: "test" })];
    assert.equal(check(NI, req("2026-12-03"), tests).ok, true);
    assert.equal(check(NI, req("2026-12-03", { kind: "test" }), [exam("k", "2026-12-03")]).ok, true);
    const weekOfTests = ["2026-11-30", "2026-12-01", "2026-12-02"].map((d, i) => exam(`t${i}`, d, { kind: "test" }));
    assert.equal(check(NI, req("2026-12-04"), weekOfTests).ok, true);
  });

  it("count where a rule says so (counts_kinds)", () => {
    const rules = only([{ id: "all", kind: "max_per_day", binding: true, limit: 1, counts_kinds: ["klassenarbeit", "test"] }]);
    assert.equal(check(rules, req("2026-12-03"), [exam("t", "2026-12-03", { kind: "test" })]).ok, false);
    assert.equal(check(rules, req("2026-12-03", { kind: "test" }), [exam("k", "2026-12-03")]).ok, false);
  });
});

describe("make-up exams (Nachschreibtermin)", () => {
  const makeup = (date: string, students: string[], over = {}) => req(date, { kind: "nachschreibtermin", course: "Mathematik 7a", students, ...over });

  it("count for their students' day: in NI only a warning (im Regelfall), in NRW binding", () => {
    const ex = [exam("d", "2026-12-03", { course: "Deutsch 7a" })];
    const ni = check(NI, makeup("2026-12-03", ["@anna:s"]), ex);
    assert.equal(ni.ok, true);
    assert.deepEqual(ids(ni), { binding: [], warnings: ["ni-day"] });
    assert.equal(ni.warnings[0]!.reason.de, "Am Do., 03.12.2026 schreiben die Schüler:innen dieses Nachschreibtermins schon 1 Arbeit (Deutsch 7a); empfohlen sind höchstens 1 pro Tag.");
    assert.deepEqual(ids(check(NW, makeup("2026-12-03", ["@anna:s"]), ex)), { binding: ["nw-s1-day"], warnings: [] });
  });

  it("an existing make-up on a day makes a regular exam there a warning in NI, a refusal in NRW", () => {
    const ex = [exam("n", "2026-12-03", { kind: "nachschreibtermin", course: "Englisch 7a", students: ["@anna:s"] })];
    const ni = check(NI, req("2026-12-03"), ex);
    assert.deepEqual(ids(ni), { binding: [], warnings: ["ni-day"] });
    assert.match(ni.warnings[0]!.reason.de, /\(Nachschreibtermin Englisch 7a\)/);
    assert.match(ni.warnings[0]!.reason.en, /\(make-up Englisch 7a\)/);
    assert.equal(check(NW, req("2026-12-03"), ex).ok, false);
  });

  it("make-ups of different students on one day do not conflict", () => {
    const ex = [exam("n", "2026-12-03", { kind: "nachschreibtermin", students: ["@ben:s"] })];
    assert.deepEqual(ids(check(NW, makeup("2026-12-03", ["@anna:s"]), ex)), { binding: [], warnings: [] });
  });

  it("the exam made up does not count for the make-up's week", () => {
    const week = [exam("orig", "2026-11-30", { course: "Mathematik 7a" }), exam("b", "2026-12-01"), exam("c", "2026-12-02")];
    assert.deepEqual(ids(check(NI, makeup("2026-12-03", ["@anna:s"], { makeup_of: "orig" }), week)), { binding: [], warnings: [] });
    assert.deepEqual(ids(check(NI, makeup("2026-12-03", ["@anna:s"]), week)), { binding: [], warnings: ["ni-week"] });
  });

  it("a regular exam over the weekly limit without the make-ups stays refused", () => {
    const week = [exam("a", "2026-11-30"), exam("b", "2026-12-01"), exam("c", "2026-12-02"), exam("n", "2026-12-03", { kind: "nachschreibtermin", students: ["@anna:s"] })];
    assert.deepEqual(ids(check(NI, req("2026-12-04"), week)), { binding: ["ni-week"], warnings: [] });
  });
});

describe("several violations", () => {
  it("are reported together, binding and advisory apart", () => {
    const rules = defaultRules("NW");
    const existing = [exam("a", "2026-12-01"), exam("b", "2026-12-02"), exam("c", "2026-12-03", { course: "Deutsch 7a" })];
    const blocked: BlockedDay[] = [{ date: "2026-12-03", periods: [4, 5], category: "trip", reason: "Theaterbesuch" }];
    const r = check(rules, req("2026-12-03"), existing, blocked, "2026-11-30");
    assert.equal(r.ok, false);
    assert.deepEqual(ids(r), { binding: ["holidays-trips", "nw-s1-day"], warnings: ["nw-s1-week", "nw-notice"] });
    assert.ok(r.violations.every((v) => v.binding) && r.warnings.every((v) => !v.binding));
  });

  it("past, weekend and holiday at once", () => {
    const r = check(NI, req("2026-10-31"), [], [{ date: "2026-10-31", periods: null, category: "holiday", reason: "Reformationstag" }]);
    assert.deepEqual(ids(r).binding, ["past", "school-days", "holidays-trips"]);
  });
});

describe("checkExams", () => {
  it("checks many requests against one plan, independently of each other", () => {
    const results = checkExams({
      requests: [req("2026-12-03"), req("2026-12-03"), req("2026-12-04")],
      existing: [exam("a", "2026-12-04")],
      blocked: [],
      rules: NI,
      today: "2026-11-02",
    });
    assert.deepEqual(results.map((r) => r.ok), [true, true, false]);
  });

  it("refuses a request with an impossible date", () => {
    assert.throws(() => check(NI, req("2026-02-30")), RangeError);
  });
});
