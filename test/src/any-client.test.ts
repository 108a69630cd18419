// Every bot command of the README's tables, played by a teacher and students with plain HTTP (no matrix-js-sdk), asserting what their own clients show.
// (`@mail`'s `!mail` needs a mail stack with a Synapse of its own: mail.test.ts plays it with plain HTTP as well.)
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { DateTime } from "luxon";
import { testEnv } from "./harness/env.ts";
import { MatrixHttpError, PlainClient } from "./harness/plain-client.ts";
import { eventually, newUser } from "./harness/users.ts";

const bot = (name: string): string => `@${name}:${testEnv().serverName}`;
const SCHULE = (): string => bot("schule");
const HW = (): string => bot("hausaufgaben");
const KAL = (): string => bot("kalender");
const KLA = (): string => bot("klausuren");
const COURSE = "Mathematik 6x";
const zone = "Europe/Berlin";
/** A day `days` from now at school, as teachers type it (`24.03.2026`). */
const day = (days: number): string => DateTime.now().setZone(zone).plus({ days }).toFormat("dd.MM.yyyy");
/** A school day (Monday + `weekday`) `weeks` weeks ahead. */
const schoolDay = (weeks: number, weekday: number): DateTime => DateTime.now().setZone(zone).startOf("week").plus({ weeks, days: weekday });

describe("any Matrix client: every bot command with plain HTTP", { concurrency: false }, () => {
  let admin: PlainClient;
  let teacher: PlainClient;
  let anna: PlainClient;
  let ben: PlainClient;
  let course: string;
  const subRooms = new Map<string, string>();

  before(async () => {
    const u = { unthrottled: true };
    const [a, t, s1, s2] = await Promise.all([newUser("ac-leitung", u), newUser("ac-lehrerin", u), newUser("ac-anna", u), newUser("ac-ben", u)]);
    [admin, teacher, anna, ben] = [a, t, s1, s2].map((x) => new PlainClient(x.userId, x.accessToken)) as [PlainClient, PlainClient, PlainClient, PlainClient];
    const pl = (bots: Record<string, number>): Record<string, unknown> => ({
      users: { [teacher.userId]: 50, ...bots },
      state_default: 50,
      events_default: 0,
      events: { "de.schulhof.calendar": 100, "de.schulhof.exam": 100, "de.schulhof.exam.cohort": 100 },
    });
    const classSpace = await admin.createRoom({
      name: "Klasse 6x",
      creation_content: { type: "m.space" },
      initial_state: [
        { type: "de.schulhof.room", state_key: "", content: { kind: "class" } },
        { type: "de.schulhof.calendar", state_key: "", content: { name: "Kalender 6x", colour: "#1f6feb", scope: "class" } },
      ],
      power_level_content_override: pl({ [KAL()]: 50, [KLA()]: 50 }),
    });
    const examRoom = await admin.createRoom({
      name: "Klausurplan 6x",
      initial_state: [
        { type: "de.schulhof.room", state_key: "", content: { kind: "exams" } },
        { type: "de.schulhof.exam.cohort", state_key: "", content: { kind: "class", name: "6x", stage: "sek1", grade: 6 } },
        { type: "m.space.parent", state_key: classSpace, content: { via: [testEnv().serverName], canonical: true } },
      ],
      power_level_content_override: pl({ [KLA()]: 100 }),
    });
    course = await admin.createRoom({
      name: COURSE,
      initial_state: [
        { type: "de.schulhof.room", state_key: "", content: { kind: "course" } },
        { type: "de.schulhof.course", state_key: "", content: { name: COURSE, subject: "Mathematik", cohort: { kind: "class", name: "6x" }, teachers: [teacher.userId] } },
        { type: "de.schulhof.calendar", state_key: "", content: { name: COURSE, colour: "#2da44e", scope: "course" } },
      ],
      power_level_content_override: pl({ [HW()]: 50, [KAL()]: 50, [KLA()]: 50, [SCHULE()]: 100 }),
    });
    for (const room of [classSpace, examRoom, course]) {
      for (const p of [teacher, anna, ben]) {
        await admin.invite(room, p.userId);
        await p.join(room);
      }
      await admin.invite(room, KLA());
      if (room !== examRoom) await admin.invite(room, KAL());
    }
    await admin.invite(course, HW());
    await admin.invite(course, SCHULE());
    await eventually(
      "bots joined",
      async () => {
        const inCourse = await admin.members(course);
        return [HW(), KAL(), KLA(), SCHULE()].every((b) => inCourse.includes(b)) && (await admin.members(examRoom)).includes(KLA()) ? true : undefined;
      },
      60_000,
    );
  });

  it("@schule: !hilfe, !ich, !räume answer in words, in German and English", async () => {
    const help = await anna.ask(course, SCHULE(), "!hilfe");
    assert.match(help, /^Befehle des Schulhof-Bots/);
    assert.match(help, /!aufgabe Titel \| fällig \| Beschreibung \[\| Note\/Punkte\/ohne\]/);
    assert.match(await anna.ask(course, SCHULE(), "!help"), /^Commands of the Schulhof bot/);
    // Not imported from a roster: the bot says so instead of staying silent.
    assert.match(await anna.ask(course, SCHULE(), "!ich"), /Dich kenne ich nicht aus der Schülerliste\./);
    assert.match(await anna.ask(course, SCHULE(), "!whoami"), /You are not in the school's roster\./);
    assert.match(await anna.ask(course, SCHULE(), "!räume"), /Du bist noch in keinem Schulraum\.|Deine Räume:/);
  });

  it("@schule: !video shows the settings; teachers change them, a student's attempt is refused readably", async () => {
    assert.match(await teacher.ask(course, SCHULE(), "!video warteraum an"), /Warteraum an/);
    assert.match(await anna.ask(course, SCHULE(), "!video bildschirm an"), /nur Lehrkräfte/);
    assert.match(await anna.ask(course, SCHULE(), "!video"), /Warteraum an/);
  });

  it("@hausaufgaben: !aufgabe with and without grading; students read the announcement and its grading; a student's !aufgabe is refused", async () => {
    await teacher.say(course, `!aufgabe Gedicht | ${day(2)} 18:00 | Seite 42 | Note`);
    assert.match(await anna.waitFor(course, HW(), /^Neue Aufgabe: „Gedicht“/), /Neue Aufgabe: „Gedicht“, fällig .*\. Bewertung: Noten 1 bis 6\.\n\nSeite 42$/);
    await teacher.say(course, `!aufgabe Lesetagebuch | ${day(3)} 18:00 | Kapitel 3`);
    assert.match(await ben.waitFor(course, HW(), /^Neue Aufgabe: „Lesetagebuch“/), /Bewertung: ohne Bewertung\./);
    assert.match(await anna.ask(course, HW(), `!aufgabe Unfug | ${day(2)} 18:00 | x`), /Das dürfen nur Lehrkräfte dieses Kurses\./);
    for (const s of [anna, ben]) subRooms.set(s.userId, await s.joinInvite(`Abgaben ${COURSE}:`));
    assert.notEqual(subRooms.get(anna.userId), subRooms.get(ben.userId));
  });

  it("@hausaufgaben: !aufgaben, !begonnen, !abgeben, !abgaben and !hilfe in words", async () => {
    const list = await anna.ask(course, HW(), "!aufgaben");
    assert.match(list, /1\. Gedicht, fällig .*: neu/);
    assert.match(list, /2\. Lesetagebuch/);
    assert.match(await anna.ask(course, HW(), "!begonnen 1"), /„Gedicht“ als begonnen markiert\./);
    assert.match(await anna.ask(course, HW(), "!homework"), /1\. Gedicht, due .*: started/);
    const r1 = subRooms.get(anna.userId) ?? "";
    assert.match(await anna.ask(r1, HW(), "!hilfe"), /!note Nr Note \[Kommentar\]/);
    await anna.say(r1, "Rosen sind rot, Veilchen sind blau.");
    await anna.say(r1, "!abgeben 1");
    assert.match(await anna.waitFor(r1, HW(), /^Abgabe für „Gedicht“/), /^Abgabe für „Gedicht“ erhalten\.$/);
    assert.match(await teacher.ask(course, HW(), "!abgaben 1"), /^„Gedicht“: 1 abgegeben \(davon 0 verspätet\), 1 fehlen: /);
    assert.match(await anna.ask(course, HW(), "!abgaben 1"), /nur Lehrkräfte/);
  });

  it("@hausaufgaben: a submission sent as an event (as the web client does) reaches a teacher's plain client through the receipt", async () => {
    const r2 = subRooms.get(ben.userId) ?? "";
    const state = await ben.call<{ type: string; state_key: string; content: { title?: string } }[]>("GET", `/rooms/${encodeURIComponent(course)}/state`);
    const id = state.find((e) => e.type === "de.schulhof.homework.assignment" && e.content.title === "Lesetagebuch")?.state_key ?? "";
    await ben.call("PUT", `/rooms/${encodeURIComponent(r2)}/send/de.schulhof.homework.submission/web-1`, { assignment_id: id, text: "Kapitel 3 gelesen.", files: [], body: "Abgabe" });
    await teacher.join(r2);
    assert.equal(await teacher.waitFor(r2, HW(), /Abgabe für „Lesetagebuch“/), "Abgegeben:\nKapitel 3 gelesen.\n\nAbgabe für „Lesetagebuch“ erhalten.");
  });

  it("@hausaufgaben: !verlängern tells the teacher, and the student reads the new due date in their own room", async () => {
    assert.match(await teacher.ask(course, HW(), `!verlängern 1 ${ben.userId} ${day(5)} 18:00`), /Frist für .* bei „Gedicht“ verlängert bis/);
    assert.match(await ben.waitFor(subRooms.get(ben.userId) ?? "", HW(), /^Neue Frist/), /^Neue Frist für dich bei „Gedicht“: fällig .*18:00 Uhr\.$/);
  });

  it("@hausaufgaben: !note reaches the student with the grade and the comment; another student sees nothing of it", async () => {
    const r1 = subRooms.get(anna.userId) ?? "";
    await teacher.join(r1);
    await teacher.say(r1, "!note 1 2 gut gemacht");
    const shown = await anna.waitFor(r1, HW(), /^Rückmeldung zu „Gedicht“/);
    assert.equal(shown, "Rückmeldung zu „Gedicht“\nBewertung: 2\nKommentar: gut gemacht");
    // The teacher's client shows the same notice: the confirmation.
    assert.equal(await teacher.waitFor(r1, HW(), /^Rückmeldung zu „Gedicht“/), shown);
    // Ben cannot read Anna's room, and nothing of her feedback reaches a room he is in.
    await assert.rejects(ben.timeline(r1), (e: unknown) => e instanceof MatrixHttpError && e.status === 403);
    for (const room of [course, subRooms.get(ben.userId) ?? ""]) {
      assert.ok(!(await ben.shown(room)).some((m) => /gut gemacht|Bewertung: 2/.test(m.body)), `nothing of Anna's feedback in ${room}`);
    }
  });

  it("@hausaufgaben: a grade that does not fit the assignment is refused in words, never dropped", async () => {
    const r1 = subRooms.get(anna.userId) ?? "";
    assert.match(await teacher.ask(r1, HW(), "!note 2 2 prima"), /^„Lesetagebuch“ wird nicht bewertet \(ohne Note\), deshalb habe ich „2“ nicht gespeichert/);
    assert.match(await teacher.ask(r1, HW(), "!note 1 7"), /^„7“ ist keine Note: „Gedicht“ wird mit Noten von 1 bis 6/);
    assert.match(await teacher.ask(r1, HW(), "!grade 2 2"), /^"Lesetagebuch" is not graded, so I did not save "2"/);
    await teacher.say(r1, "!note 2 Schön gelesen");
    assert.equal(await anna.waitFor(r1, HW(), /^Rückmeldung zu „Lesetagebuch“/), "Rückmeldung zu „Lesetagebuch“\nKommentar: Schön gelesen");
    assert.match(await anna.ask(r1, HW(), "!note 1 1"), /nur Lehrkräfte/);
  });

  it("@kalender: !termin, !heute, !woche, !termine and !abo in words; a student's !termin is refused", async () => {
    const tomorrow = day(1);
    await teacher.say(course, `!termin ${tomorrow} 10:00-11:30 Wandertag Harz #ausflug`);
    assert.match(await anna.waitFor(course, KAL(), /Neuer Termin: .*Wandertag Harz/), /Wandertag Harz/);
    assert.match(await anna.ask(course, KAL(), "!termine"), /Wandertag Harz/);
    assert.match(await anna.ask(course, KAL(), "!heute"), /Termine|heute/);
    assert.match(await anna.ask(course, KAL(), "!woche"), /Termin|Woche|Wandertag/);
    assert.match(await anna.ask(course, KAL(), `!termin ${tomorrow} 12:00 Party`), /nur Lehrkräfte/);
    assert.match(await ben.ask(course, KAL(), "!abo"), /privaten Raum „Mein Kalender“/);
    const own = await ben.joinInvite("Mein Kalender");
    assert.match(await ben.waitFor(own, KAL(), /\/feed\/[A-Za-z0-9_-]{43}\.ics/), /\.ics/);
  });

  it("@klausuren: !klausur announces an exam, !klausuren lists it, students are refused, !klausur absagen tells everyone", async () => {
    const when = schoolDay(4, 2);
    await teacher.say(course, `!klausur ${when.toFormat("dd.MM.yyyy")} 3-4 klassenarbeit`);
    const announced = await anna.waitFor(course, KLA(), /Angekündigt: Klassenarbeit Mathematik 6x|Eingetragen: Klassenarbeit Mathematik 6x|Beantragt/, undefined, 60_000);
    const id = /\(Nr\. ([^)]+)\)/.exec(announced)?.[1];
    assert.ok(id !== undefined, announced);
    assert.match(await anna.ask(course, KLA(), "!klausuren"), new RegExp(`Klassenarbeit Mathematik 6x am .*\\(Nr\\. ${id}\\)`));
    assert.match(await anna.ask(course, KLA(), `!klausur ${when.toFormat("dd.MM.yyyy")} 5 test`), /nur Lehrkräfte/);
    await admin.join(course).catch(() => undefined);
    await admin.say(course, `!klausur absagen ${id} Lehrkraft krank`);
    assert.match(await ben.waitFor(course, KLA(), /Abgesagt/, undefined, 60_000), /❌ Abgesagt: Klassenarbeit Mathematik 6x .*\nGrund: Lehrkraft krank/);
  });
});
