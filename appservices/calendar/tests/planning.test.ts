// Exam requests, approval, overrides, make-up exams and reminders against the projection (PGlite), Matrix actions collected.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { DateTime } from "luxon";
import { migrate, openPglite, type AppserviceContext, type Db, type OutboxAction, type Queryable } from "@schulhof/core";
import { CALENDAR_MIGRATIONS } from "../src/store/migrations.ts";
import { saveMember, savePowerLevels, setRoomField } from "../src/store/rooms.ts";
import { saveEvent } from "../src/store/events.ts";
import { getExam } from "../src/store/exams.ts";
import { approveExam, cancelExam, requestExam, type ExamInput } from "../src/planning/service.ts";
import { runReminders, reminderTime, DEFAULT_REMINDERS } from "../src/workers.ts";
import { DEFAULT_PERIOD_TIMES, type CalendarEnv } from "../src/domain.ts";
import type { EventContent } from "../src/model/index.ts";

const env: CalendarEnv = {
  botUserId: "@kalender:s",
  examBotUserId: "@klausuren:s",
  lang: "de",
  timezone: "Europe/Berlin",
  state: "NI",
  periodTimes: DEFAULT_PERIOD_TIMES,
  publicBaseUrl: "http://127.0.0.1",
  sessionSecret: "x".repeat(40),
};
const ADMIN = "@admin:s";
const TEACHER = "@lehrer:s";
const STUDENT = "@schueler:s";
const day = (weeks: number, weekday: number): string => DateTime.now().setZone(env.timezone).startOf("week").plus({ weeks, days: weekday }).toISODate()!;

let db: Db;
const collect = (): { actions: OutboxAction[]; enqueue: (a: OutboxAction) => Promise<void> } => {
  const actions: OutboxAction[] = [];
  return { actions, enqueue: async (a) => void actions.push(a) };
};
const request = async (user: string, input: Partial<ExamInput> & { date: string }, dryRun = false) => {
  const c = collect();
  const d = await db.transaction((tx) => requestExam(tx, env, user, { courseRoom: "!mathe:s", kind: "klassenarbeit", periods: [3, 4], ...input }, c.enqueue, { dryRun }));
  return { d, actions: c.actions };
};

async function course(tx: Queryable, room: string, name: string): Promise<void> {
  await setRoomField(tx, room, "course", { name, cohort: { kind: "class", name: "8b" } });
  await setRoomField(tx, room, "calendar", { name, scope: "course" });
  await savePowerLevels(tx, room, { users: { [ADMIN]: 100, [TEACHER]: 50 }, state_default: 50 });
  for (const u of [ADMIN, TEACHER, STUDENT]) await saveMember(tx, room, u, true);
}

describe("exam planning service", () => {
  before(async () => {
    db = await openPglite(null);
    await migrate(db, "calendar", CALENDAR_MIGRATIONS);
    await db.transaction(async (tx) => {
      await setRoomField(tx, "!school:s", "kind", "school");
      await setRoomField(tx, "!school:s", "school", { state: "NI" });
      await setRoomField(tx, "!school:s", "calendar", { name: "Schule", scope: "school" });
      await savePowerLevels(tx, "!school:s", { users: { [ADMIN]: 100 } });
      await setRoomField(tx, "!class:s", "calendar", { name: "8b", scope: "class" });
      await setRoomField(tx, "!exams:s", "exam_cohort", { kind: "class", name: "8b", stage: "sek1", grade: 8 });
      await setRoomField(tx, "!exams:s", "parent", "!class:s");
      await savePowerLevels(tx, "!exams:s", { users: { [ADMIN]: 100, [TEACHER]: 50, [env.examBotUserId]: 100 } });
      await course(tx, "!mathe:s", "Mathematik 8b");
      await course(tx, "!deutsch:s", "Deutsch 8b");
    });
  });

  it("plans a valid request at once (no approval): exam state, two calendar entries, two notices", async () => {
    const { d, actions } = await request(TEACHER, { date: day(3, 1) });
    assert.equal(d.ok, true);
    assert.equal(d.exam?.status, "confirmed");
    const states = actions.filter((a) => a.kind === "state");
    assert.deepEqual(states.map((a) => (a.kind === "state" ? [a.roomId, a.eventType, a.asUser] : [])), [
      ["!exams:s", "de.schulhof.exam", env.examBotUserId],
      ["!mathe:s", "de.schulhof.calendar.event", env.examBotUserId],
      ["!class:s", "de.schulhof.calendar.event", env.examBotUserId],
    ]);
    const entry = states[1]?.kind === "state" ? (states[1].content as unknown as EventContent) : null;
    assert.equal(entry?.start, `${day(3, 1)}T09:55`);
    assert.equal(entry?.end, `${day(3, 1)}T11:30`);
    assert.equal(actions.filter((a) => a.kind === "message").length, 2);
  });

  it("refuses a second exam that day with the reason; a dry run says the same and stores nothing", async () => {
    const dry = await request(TEACHER, { courseRoom: "!deutsch:s", date: day(3, 1), periods: [1] }, true);
    assert.equal(dry.d.ok, false);
    assert.equal(dry.actions.length, 0);
    const { d, actions } = await request(TEACHER, { courseRoom: "!deutsch:s", date: day(3, 1), periods: [1] });
    assert.equal(d.ok, false);
    assert.match(d.violations.map((v) => v.reason.de).join(" "), /Mathematik 8b/);
    assert.equal(actions.length, 0);
    const n = (await db.query<{ n: string }>("SELECT count(*) AS n FROM exams")).rows[0]?.n;
    assert.equal(Number(n), 1);
  });

  it("refuses students, and overrides by teachers; lets a school admin override with a recorded reason", async () => {
    await assert.rejects(request(STUDENT, { date: day(4, 2) }), /Only the course's teachers/);
    await assert.rejects(request(TEACHER, { courseRoom: "!deutsch:s", date: day(3, 1), overrideReason: "bitte" }), /Only school admins may override/);
    const { d } = await request(ADMIN, { courseRoom: "!deutsch:s", date: day(3, 1), periods: [1], overrideReason: "Abschlussprüfung, mit Eltern abgestimmt" });
    assert.equal(d.ok, true);
    assert.equal(d.exam?.override?.by, ADMIN);
    assert.equal(d.exam?.override?.reason, "Abschlussprüfung, mit Eltern abgestimmt");
    assert.ok((d.exam?.override?.violations.length ?? 0) >= 1);
  });

  it("holds a teacher's request for approval when the school wants it; the admin approves it", async () => {
    await db.query(`UPDATE rooms SET exam_rules = $1 WHERE room_id = '!school:s'`, [JSON.stringify({ state: "NI", approval_required: true, announce_days_on_start_page: 14, rules: [] })]);
    try {
      const { d, actions } = await request(TEACHER, { date: day(5, 2) });
      assert.equal(d.exam?.status, "requested");
      assert.equal(actions.filter((a) => a.kind === "state" && a.eventType === "de.schulhof.calendar.event").length, 0, "no calendar entry before approval");
      const id = d.exam?.id ?? "";
      const c = collect();
      await assert.rejects(db.transaction((tx) => approveExam(tx, env, TEACHER, id, c.enqueue)), /Only school admins approve/);
      const ok = await db.transaction((tx) => approveExam(tx, env, ADMIN, id, c.enqueue));
      assert.equal(ok.exam?.status, "confirmed");
      assert.equal(ok.exam?.approved_by, ADMIN);
      assert.equal(c.actions.filter((a) => a.kind === "state" && a.eventType === "de.schulhof.calendar.event").length, 2);
    } finally {
      await db.query(`UPDATE rooms SET exam_rules = NULL WHERE room_id = '!school:s'`);
    }
  });

  it("plans a make-up exam for the absent students only; it does not block the others' day", async () => {
    const first = (await db.query<{ id: string }>("SELECT id FROM exams WHERE course_room = '!mathe:s' ORDER BY date LIMIT 1")).rows[0]?.id ?? "";
    const other = await request(TEACHER, { courseRoom: "!deutsch:s", date: day(6, 3), periods: [2] });
    assert.equal(other.d.ok, true);
    const { d } = await request(TEACHER, { kind: "nachschreibtermin", date: day(6, 3), periods: [6], makeupOf: first, students: [STUDENT] });
    assert.equal(d.exam?.kind, "nachschreibtermin");
    assert.deepEqual(d.exam?.students, [STUDENT]);
  });

  it("a blocked day from the school calendar (a holiday) refuses the request with its name", async () => {
    const holiday = day(7, 0);
    await db.transaction((tx) =>
      saveEvent(tx, { roomId: "!school:s", uid: "frei@s", content: { summary: "Beweglicher Ferientag", start: holiday, end: day(7, 1), all_day: true, tzid: env.timezone, category: "holiday" } as EventContent, sender: ADMIN, eventId: "$h", originTs: 1 }),
    );
    const { d } = await request(TEACHER, { date: holiday });
    assert.equal(d.ok, false);
    assert.match(d.violations.map((v) => v.reason.de).join(" "), /Beweglicher Ferientag/);
  });

  it("cancels: calendar entries are emptied", async () => {
    const { d } = await request(TEACHER, { date: day(8, 1) });
    const c = collect();
    const cancelled = await db.transaction((tx) => cancelExam(tx, env, TEACHER, d.exam?.id ?? "", "krank", c.enqueue));
    assert.equal(cancelled.status, "cancelled");
    const entries = c.actions.filter((a) => a.kind === "state" && a.eventType === "de.schulhof.calendar.event");
    assert.equal(entries.length, 2);
    assert.ok(entries.every((a) => a.kind === "state" && Object.keys(a.content).length === 0));
    assert.equal((await getExam(db, d.exam?.id ?? ""))?.content.status, "cancelled");
  });
});

describe("reminders", () => {
  it("are due the evening before an exam or a trip, are sent once, and not for lessons", async () => {
    const now = DateTime.fromISO("2026-12-02T18:30", { zone: env.timezone });
    assert.equal(reminderTime("2026-12-03T09:55", env.timezone, DEFAULT_REMINDERS).toISO(), DateTime.fromISO("2026-12-02T18:00", { zone: env.timezone }).toISO());
    const rdb = await openPglite(null);
    await migrate(rdb, "calendar", CALENDAR_MIGRATIONS);
    const ev = (summary: string, category: string, start: string, end: string): EventContent => ({ summary, start, end, all_day: false, tzid: env.timezone, category }) as EventContent;
    await rdb.transaction(async (tx) => {
      await setRoomField(tx, "!c:s", "calendar", { name: "Kurs", scope: "course" });
      await setRoomField(tx, "!quiet:s", "calendar", { name: "Still", scope: "course", reminders: null });
      await saveEvent(tx, { roomId: "!c:s", uid: "ka", content: ev("Mathearbeit", "exam", "2026-12-03T09:55", "2026-12-03T11:30"), sender: TEACHER, eventId: "$1", originTs: 1 });
      await saveEvent(tx, { roomId: "!c:s", uid: "later", content: ev("Ausflug", "trip", "2026-12-05T08:00", "2026-12-05T15:00"), sender: TEACHER, eventId: "$2", originTs: 1 });
      await saveEvent(tx, { roomId: "!c:s", uid: "std", content: ev("Mathe", "lesson", "2026-12-03T08:00", "2026-12-03T08:45"), sender: TEACHER, eventId: "$3", originTs: 1 });
      await saveEvent(tx, { roomId: "!quiet:s", uid: "q", content: ev("Arbeit", "exam", "2026-12-03T09:55", "2026-12-03T11:30"), sender: TEACHER, eventId: "$4", originTs: 1 });
    });
    const sent: OutboxAction[] = [];
    const ctx = { db: rdb, outbox: { enqueue: async (_tx: Queryable, _c: string, a: OutboxAction) => void sent.push(a), kick: () => undefined } } as unknown as AppserviceContext;
    assert.equal(await runReminders(ctx, env, DateTime.fromISO("2026-12-02T17:59", { zone: env.timezone })), 0, "not before 18:00");
    assert.equal(await runReminders(ctx, env, now), 1);
    assert.equal(sent[0]?.roomId, "!c:s");
    assert.match(JSON.stringify(sent[0]), /Erinnerung: .*Mathearbeit/);
    assert.equal(await runReminders(ctx, env, now.plus({ minutes: 5 })), 0, "sent once");
    assert.equal(await runReminders(ctx, env, DateTime.fromISO("2026-12-03T10:00", { zone: env.timezone })), 0, "not after it started");
  });
});
