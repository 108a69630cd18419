// The calendar API in-process against PGlite: a student's exam plan holds nothing of a pending request, the school's
// periods, the courses a teacher may plan for, the dry run of a move, deletions and edits in the projection at once,
// and the personal calendar made before the answer. Answers are checked against the OpenAPI file's schemas.
import assert from "node:assert/strict";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import express from "express";
import { DateTime } from "luxon";
import { parse } from "yaml";
import { createLogger, issueSession, migrate, openPglite, type AppserviceContext, type Db, type MatrixEvent, type OutboxAction } from "@schulhof/core";
import { API_PREFIX, calendarApi } from "../src/api/routes.ts";
import { CalendarConfigSchema, periodsOf } from "../src/config.ts";
import { CAL_EVENT, schoolPeriods, type CalendarEnv } from "../src/domain.ts";
import { defaultRules } from "../src/exams/index.ts";
import { onCalendarEvent } from "../src/handlers.ts";
import { personalRoomMaker } from "../src/personal.ts";
import { getEvent } from "../src/store/events.ts";
import { getExam } from "../src/store/exams.ts";
import { CALENDAR_MIGRATIONS } from "../src/store/migrations.ts";
import { saveMember, savePowerLevels, setRoomField } from "../src/store/rooms.ts";

const SECRET = "s".repeat(40);
const ADMIN = "@admin:x";
const TEACHER = "@lehrer:x";
const STUDENT = "@schueler:x";
const OWNER = "@eigen:x";
const SCHOOL = "!school:x";
const CLASS = "!class:x";
const COHORT = "!exams:x";
const MATHE = "!mathe:x";
const DEUTSCH = "!deutsch:x";
const OWN_ROOM = "!own:x";
/** A school with six periods a day (periodsPerDay 6): the planner must not offer or accept a seventh. */
const env: CalendarEnv = {
  botUserId: "@kalender:x",
  examBotUserId: "@klausuren:x",
  lang: "de",
  timezone: "Europe/Berlin",
  state: "NI",
  periodTimes: schoolPeriods(6),
  publicBaseUrl: "http://127.0.0.1",
  sessionSecret: SECRET,
};
const day = (weeks: number, weekday: number): string => DateTime.now().setZone(env.timezone).startOf("week").plus({ weeks, days: weekday }).toISODate()!;

const spec = parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), "..", "openapi.yaml"), "utf8")) as {
  components: { schemas: Record<string, { required?: string[]; properties?: Record<string, unknown>; additionalProperties?: boolean }> };
};
/** The answer carries every required field of the schema and no undocumented one. */
function assertShape(value: unknown, schema: string): void {
  const s = spec.components.schemas[schema];
  assert.ok(s !== undefined, `no schema ${schema}`);
  const keys = Object.keys(value as object);
  for (const k of s.required ?? []) assert.ok(keys.includes(k), `${schema}: ${k} missing in ${JSON.stringify(value)}`);
  if (s.additionalProperties !== true) for (const k of keys) assert.ok(Object.keys(s.properties ?? {}).includes(k), `${schema}: ${k} is not documented`);
}

let db: Db;
let base = "";
let close: () => Promise<void> = async () => undefined;
const sent: OutboxAction[] = [];
let roomsMade = 0;

type Json = Record<string, unknown>;
async function call(user: string | null, method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> {
  const headers: Record<string, string> = { "accept-language": "de" };
  if (user !== null) headers.authorization = `Bearer ${issueSession(user, SECRET).token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${base}${API_PREFIX}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: res.status, json: (await res.json()) as Json };
}
const ok = async (user: string, method: string, path: string, body?: unknown): Promise<Json> => {
  const r = await call(user, method, path, body);
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return r.json;
};
const enc = encodeURIComponent;

/** The homeserver's copy of the last state event queued for `uid` (an event id given again is a replay), as the appservice receives it. */
async function echo(roomId: string, uid: string, eventId: string, sender = TEACHER): Promise<OutboxAction[]> {
  const out: OutboxAction[] = [];
  const queued = sent.findLast((a) => a.kind === "state" && a.roomId === roomId && a.stateKey === uid);
  assert.ok(queued?.kind === "state", `nothing queued for ${uid}`);
  const event: MatrixEvent = { event_id: eventId, room_id: roomId, type: CAL_EVENT, state_key: uid, sender, origin_server_ts: Date.now(), content: queued.content };
  await db.transaction((tx) => onCalendarEvent(event, { tx, enqueue: async (a) => void out.push(a) }, env));
  return out;
}
const notices = (actions: readonly OutboxAction[]): string[] => actions.flatMap((a) => (a.kind === "message" ? [String(a.content.body)] : []));

before(async () => {
  db = await openPglite(null);
  await migrate(db, "calendar", CALENDAR_MIGRATIONS);
  await db.transaction(async (tx) => {
    await setRoomField(tx, SCHOOL, "kind", "school");
    await setRoomField(tx, SCHOOL, "school", { state: "NI" });
    await setRoomField(tx, SCHOOL, "calendar", { name: "Schule", scope: "school" });
    // The school wants approval: a teacher's request stays pending until an admin decides.
    await setRoomField(tx, SCHOOL, "exam_rules", { ...defaultRules("NI"), approval_required: true });
    await savePowerLevels(tx, SCHOOL, { users: { [ADMIN]: 100 } });
    await setRoomField(tx, CLASS, "calendar", { name: "8b", scope: "class" });
    await setRoomField(tx, COHORT, "exam_cohort", { kind: "class", name: "8b", stage: "sek1", grade: 8 });
    await setRoomField(tx, COHORT, "parent", CLASS);
    await savePowerLevels(tx, COHORT, { users: { [ADMIN]: 100, [env.examBotUserId]: 100 } });
    for (const [room, name, teacherLevel] of [[MATHE, "Mathematik 8b", 50], [DEUTSCH, "Deutsch 8b", 0]] as const) {
      await setRoomField(tx, room, "course", { name, cohort: { kind: "class", name: "8b" } });
      await setRoomField(tx, room, "calendar", { name, scope: "course" });
      await savePowerLevels(tx, room, { users: { [ADMIN]: 100, [TEACHER]: teacherLevel }, state_default: 50 });
    }
    for (const room of [SCHOOL, CLASS, COHORT, MATHE, DEUTSCH]) for (const u of [ADMIN, TEACHER, STUDENT]) await saveMember(tx, room, u, true);
  });
  const ctx = {
    db,
    log: createLogger("test", "silent"),
    matrix: {
      botUserId: env.botUserId,
      bot: {
        createRoom: async () => {
          roomsMade++;
          await new Promise((r) => setTimeout(r, 20));
          return { room_id: OWN_ROOM };
        },
      },
    },
    outbox: { enqueue: async (_tx: unknown, _cause: string, a: OutboxAction) => void sent.push(a), kick: () => undefined },
  } as unknown as AppserviceContext;
  const app = express();
  calendarApi(app, ctx, env, { homeservers: {}, feedCacheEntries: 0, makePersonalRooms: personalRoomMaker(ctx, env) });
  const server = app.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`;
  close = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
});
after(() => close());

interface PlanDay {
  date: string;
  free: boolean;
  free_periods: number[];
  exams: { id: string; course: string; status: string }[];
  reasons: { de: string; en: string }[];
  warnings: { de: string; en: string }[];
}
const planOf = async (user: string, from: string, to: string): Promise<{ json: Json; days: Map<string, PlanDay> }> => {
  const json = await ok(user, "GET", `/exams/plan?cohort_room=${enc(COHORT)}&from=${from}&to=${to}`);
  const weeks = json.weeks as { days: PlanDay[] }[];
  return { json, days: new Map(weeks.flatMap((w) => w.days).map((d) => [d.date, d])) };
};

describe("exam plan privacy", () => {
  const confirmedDay = day(3, 1);
  const pendingDay = day(3, 3);
  let pendingId = "";
  let confirmedId = "";

  before(async () => {
    // A school admin's exam is confirmed at once; the teacher's waits for approval.
    const confirmed = await ok(ADMIN, "POST", "/exams", { course_room: DEUTSCH, kind: "klassenarbeit", date: confirmedDay, periods: [1, 2] });
    assert.equal((confirmed.exam as Json).status, "confirmed");
    confirmedId = String((confirmed.exam as Json).id);
    const pending = await ok(TEACHER, "POST", "/exams", { course_room: MATHE, kind: "klassenarbeit", date: pendingDay, periods: [3, 4], title: "Geheimes Thema" });
    assert.equal((pending.exam as Json).status, "requested");
    pendingId = String((pending.exam as Json).id);
  });

  it("gives a student's plan nothing of a pending request: no exam, no reason, and the day stays free", async () => {
    const { json, days } = await planOf(STUDENT, day(3, 0), day(3, 6));
    const text = JSON.stringify(json);
    for (const secret of [pendingId, "Mathematik 8b", "Geheimes Thema", TEACHER]) assert.ok(!text.includes(secret), `${secret} reached the student: ${text}`);
    const pending = days.get(pendingDay);
    assert.ok(pending !== undefined);
    assert.deepEqual(pending.exams, []);
    assert.equal(pending.free, true);
    assert.deepEqual(pending.free_periods, [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(pending.reasons, []);
    // The confirmed exam is there, without who asked for it, and its day is taken (NI: one a day) with its reason.
    const confirmed = days.get(confirmedDay);
    assert.deepEqual(confirmed?.exams.map((e) => e.id), [confirmedId]);
    assert.equal(confirmed?.free, false);
    assert.match(confirmed?.reasons.map((r) => r.de).join(" ") ?? "", /Deutsch 8b/);
    assert.deepEqual((json.exams as Json[]).map((e) => e.id), [confirmedId]);
    for (const e of json.exams as Json[]) {
      assertShape(e, "Exam");
      for (const hidden of ["requested_by", "approved_by", "students", "override", "warnings", "version"]) assert.ok(!(hidden in e), `${hidden} shown to a student`);
    }
  });

  it("gives the teachers the request, and the day it blocks, with the reason naming its course", async () => {
    const { json, days } = await planOf(TEACHER, day(3, 0), day(3, 6));
    assertShape(json, "ExamPlan");
    const pending = days.get(pendingDay);
    assert.deepEqual(pending?.exams.map((e) => [e.id, e.status]), [[pendingId, "requested"]]);
    assert.equal(pending?.free, false);
    assert.match(pending?.reasons.map((r) => r.de).join(" ") ?? "", /Mathematik 8b/);
    for (const d of days.values()) assertShape(d, "PlanDay");
    assert.deepEqual((json.exams as Json[]).map((e) => e.id).sort(), [confirmedId, pendingId].sort());
  });

  it("answers the school's periods, and plans, checks and places exams in them only", async () => {
    const { json, days } = await planOf(STUDENT, day(3, 0), day(3, 6));
    const periods = json.periods as Json[];
    assert.deepEqual(periods.map((p) => p.number), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(periods[5], { number: 6, start: "12:40", end: "13:25" });
    for (const p of periods) assertShape(p, "Period");
    for (const d of days.values()) assert.ok(d.free_periods.every((p) => p >= 1 && p <= 6));
    const seventh = await call(TEACHER, "POST", "/exams/check", { course_room: MATHE, kind: "test", date: day(4, 1), periods: [6, 7] });
    assert.equal(seventh.status, 400);
    assert.match(String(seventh.json.error), /Stunden 1 bis 6/);
    const rules = await ok(TEACHER, "GET", "/exams/rules");
    assert.deepEqual((rules.periods as Json[]).length, 6);
    assertShape(rules.rules, "ExamRules");
  });

  it("refuses a plan with a range that is backwards or not a date", async () => {
    assert.equal((await call(STUDENT, "GET", `/exams/plan?cohort_room=${enc(COHORT)}&from=${day(3, 6)}&to=${day(3, 0)}`)).status, 400);
    assert.equal((await call(STUDENT, "GET", `/exams/plan?cohort_room=${enc(COHORT)}&from=2027-02-30&to=2027-03-05`)).status, 400);
    assert.equal((await call(null, "GET", `/exams/plan?cohort_room=${enc(COHORT)}&from=${day(3, 0)}&to=${day(3, 6)}`)).status, 401);
  });

  it("checks a move before making it: the conflicts, and nothing stored or sent", async () => {
    const before = (await getExam(db, pendingId))?.content;
    const count = sent.length;
    const dry = await ok(TEACHER, "POST", `/exams/${pendingId}/move/check`, { date: confirmedDay, periods: [3] });
    assertShape(dry, "ExamDecision");
    assert.equal(dry.ok, false);
    assert.equal(dry.dry_run, true);
    assert.equal(dry.exam, null);
    assert.match(JSON.stringify(dry.violations), /Deutsch 8b/);
    assert.deepEqual((await getExam(db, pendingId))?.content, before);
    assert.equal(sent.length, count, "a dry run sends nothing");
    const fine = await ok(TEACHER, "POST", `/exams/${pendingId}/move/check`, { date: day(3, 4), periods: [2] });
    assert.equal(fine.ok, true);
    // Students may not even ask, and a move to a seventh period is refused as such.
    assert.equal((await call(STUDENT, "POST", `/exams/${pendingId}/move/check`, { date: day(3, 4), periods: [2] })).status, 403);
    assert.equal((await call(TEACHER, "POST", `/exams/${pendingId}/move/check`, { date: day(3, 4), periods: [7] })).status, 400);
    const moved = await ok(TEACHER, "POST", `/exams/${pendingId}/move`, { date: day(3, 4), periods: [2] });
    assert.equal(moved.ok, true);
    assert.equal((await getExam(db, pendingId))?.content.date, day(3, 4));
  });

  it("cancels with the exam in the answer", async () => {
    const cancelled = await ok(TEACHER, "POST", `/exams/${pendingId}/cancel`, { reason: "krank" });
    assertShape(cancelled.exam, "Exam");
    assert.equal((cancelled.exam as Json).status, "cancelled");
  });
});

describe("GET /exams/cohorts", () => {
  type Cohort = { room_id: string; can_plan: boolean; can_approve: boolean; courses: { room_id: string; name: string; can_plan: boolean }[] };
  const cohortOf = async (user: string): Promise<Cohort> => {
    const json = await ok(user, "GET", "/exams/cohorts");
    const list = json.cohorts as Cohort[];
    for (const c of list) {
      assertShape(c, "Cohort");
      for (const course of c.courses) assertShape(course, "CohortCourse");
    }
    assert.equal(list.length, 1);
    return list[0]!;
  };

  it("lists a teacher's courses of the cohort, and which of them they may plan for", async () => {
    const c = await cohortOf(TEACHER);
    assert.equal(c.can_plan, true, "a course's teacher plans though only a member of the planning room");
    assert.equal(c.can_approve, false);
    assert.deepEqual(c.courses, [
      { room_id: DEUTSCH, name: "Deutsch 8b", can_plan: false },
      { room_id: MATHE, name: "Mathematik 8b", can_plan: true },
    ]);
  });

  it("gives school admins every course and approval, and students no course", async () => {
    const admin = await cohortOf(ADMIN);
    assert.equal(admin.can_approve, true);
    assert.ok(admin.courses.every((x) => x.can_plan));
    assert.equal(admin.courses.length, 2);
    const student = await cohortOf(STUDENT);
    assert.deepEqual([student.can_plan, student.can_approve, student.courses], [false, false, []]);
  });
});

describe("events in the projection at once", () => {
  const lesson = { summary: "Sternwarte", start: `${day(2, 2)}T15:00`, end: `${day(2, 2)}T16:00`, all_day: false, tzid: env.timezone, category: "trip" };
  const listed = async (uid: string): Promise<boolean> =>
    ((await ok(STUDENT, "GET", `/events?from=${day(2, 0)}&to=${day(2, 6)}`)).occurrences as { uid: string }[]).some((o) => o.uid === uid);
  let uid = "";

  it("lists a new event before its echo, and the echo announces it once", async () => {
    uid = String((await ok(TEACHER, "POST", `/calendars/${enc(MATHE)}/events`, lesson)).uid);
    assert.equal(await listed(uid), true);
    const said = notices(await echo(MATHE, uid, "$new"));
    assert.equal(said.length, 1);
    assert.match(said[0] ?? "", /^📅 Neuer Termin: .*Sternwarte/);
    assert.deepEqual(notices(await echo(MATHE, uid, "$new")), [], "a replayed echo says nothing");
  });

  it("announces an edit made through the API as a change", async () => {
    const changed = { ...lesson, summary: "Sternwarte (verschoben)", start: `${day(2, 3)}T15:00`, end: `${day(2, 3)}T16:00` };
    await ok(TEACHER, "PUT", `/calendars/${enc(MATHE)}/events/${enc(uid)}`, changed);
    const said = notices(await echo(MATHE, uid, "$changed"));
    assert.equal(said.length, 1);
    assert.match(said[0] ?? "", /^📅 Termin geändert: .*Sternwarte \(verschoben\)/);
    assert.deepEqual(notices(await echo(MATHE, uid, "$changed")), [], "a replayed echo says nothing");
  });

  it("drops a deleted event from the lists at once and announces it; the echo then changes nothing", async () => {
    const count = sent.length;
    const res = await ok(TEACHER, "DELETE", `/calendars/${enc(MATHE)}/events/${enc(uid)}`);
    assert.deepEqual(res, { room_id: MATHE, uid, deleted: true });
    assert.equal(await listed(uid), false);
    assert.equal(await getEvent(db, MATHE, uid), null);
    const queued = sent.slice(count);
    assert.deepEqual(queued.map((a) => (a.kind === "state" ? ["state", a.stateKey, Object.keys(a.content).length] : [a.kind])), [["state", uid, 0], ["message"]]);
    assert.match(notices(queued)[0] ?? "", /Termin gelöscht: Sternwarte \(verschoben\)/);
    assert.deepEqual(await echo(MATHE, uid, "$deleted"), []);
    assert.equal((await call(TEACHER, "DELETE", `/calendars/${enc(MATHE)}/events/${enc(uid)}`)).status, 404);
    assert.equal((await call(STUDENT, "DELETE", `/calendars/${enc(MATHE)}/events/${enc(uid)}`)).status, 403);
  });
});

describe("POST /personal", () => {
  it("makes the room before answering: listed and writable at once, made once however often asked", async () => {
    assert.equal((await ok(OWNER, "GET", "/calendars")).personal_room, null);
    const answers = await Promise.all([ok(OWNER, "POST", "/personal"), ok(OWNER, "POST", "/personal")]);
    assert.deepEqual(answers, [{ room_id: OWN_ROOM }, { room_id: OWN_ROOM }]);
    assert.equal(roomsMade, 1);
    const list = await ok(OWNER, "GET", "/calendars");
    assert.equal(list.personal_room, OWN_ROOM);
    assert.deepEqual((list.calendars as Json[]).map((c) => [c.room_id, c.scope, c.can_write]), [[OWN_ROOM, "personal", true]]);
    const made = await ok(OWNER, "POST", `/calendars/${enc(OWN_ROOM)}/events`, { summary: "Zahnarzt", start: `${day(1, 1)}T14:00`, end: `${day(1, 1)}T15:00`, all_day: false, tzid: env.timezone, category: "other" });
    assert.equal(made.room_id, OWN_ROOM);
    assert.equal((await ok(OWNER, "POST", "/personal")).room_id, OWN_ROOM);
    assert.equal(roomsMade, 1);
  });
});

describe("configured periods", () => {
  const base = { serverName: "x", state: "NI", publicBaseUrl: "http://127.0.0.1", sessionSecret: SECRET, adminApiToken: SECRET, trustedHomeservers: {} };
  it("takes periodsPerDay of the default times (8 when not given), or of the school's own times", () => {
    assert.equal(Object.keys(periodsOf(CalendarConfigSchema.parse(base))).length, 8);
    assert.deepEqual(Object.keys(periodsOf(CalendarConfigSchema.parse({ ...base, periodsPerDay: 10 }))).length, 10);
    const own = periodsOf(CalendarConfigSchema.parse({ ...base, periodTimes: [["07:45", "08:30"], ["08:35", "09:20"], ["09:40", "10:25"]] }));
    assert.deepEqual(own, { 1: ["07:45", "08:30"], 2: ["08:35", "09:20"], 3: ["09:40", "10:25"] });
  });

  it("refuses more periods than times, and times that overlap", () => {
    assert.throws(() => CalendarConfigSchema.parse({ ...base, periodsPerDay: 12 }), /periodsPerDay/);
    assert.throws(() => CalendarConfigSchema.parse({ ...base, periodTimes: [["08:00", "08:45"], ["08:30", "09:15"]] }), /overlapping/);
  });
});
