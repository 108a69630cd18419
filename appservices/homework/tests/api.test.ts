// The homework API in-process against PGlite: the student's to-do list with their own rooms only, the teacher's view,
// "started" for oneself only, drafts with their full content, and publishing refused while the bot may not write.
import assert from "node:assert/strict";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import express from "express";
import { parse } from "yaml";
import { createLogger, issueSession, migrate, openPglite, type AppserviceContext, type Db, type MatrixEvent, type OutboxAction } from "@schulhof/core";
import { homeworkApi, API_PREFIX } from "../src/api/routes.ts";
import { handleCommand } from "../src/bot/commands.ts";
import { AssignmentSchema, ASSIGNMENT } from "../src/domain/schema.ts";
import { onRoomState, type HomeworkEnv } from "../src/handlers.ts";
import { saveAssignment } from "../src/store/assignments.ts";
import { saveCourse, saveMembership } from "../src/store/courses.ts";
import { HOMEWORK_MIGRATIONS } from "../src/store/migrations.ts";
import { saveSubmission, saveSubmissionRoom } from "../src/store/submissions.ts";

const SECRET = "s".repeat(40);
const BOT = "@hausaufgaben:x";
const TEACHER = "@t:x";
const A = "@a:x";
const B = "@b:x";
const OUTSIDER = "@o:x";
const MATHE = "!mathe:x";
const DEUTSCH = "!deutsch:x";
const env: HomeworkEnv = { botUserId: BOT, lang: "de", timezone: "Europe/Berlin" };
const future = (days: number): string => new Date(Date.now() + days * 86_400_000).toISOString();

/** The OpenAPI file's component schemas, for checking that answers carry exactly the documented fields. */
const spec = parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), "..", "openapi.yaml"), "utf8")) as {
  components: { schemas: Record<string, { required?: string[]; properties?: Record<string, unknown> }> };
};
function assertShape(value: unknown, schema: string): void {
  const s = spec.components.schemas[schema];
  assert.ok(s !== undefined, `no schema ${schema}`);
  const keys = Object.keys(value as object).sort();
  for (const k of s.required ?? []) assert.ok(keys.includes(k), `${schema}: ${k} missing`);
  for (const k of keys) assert.ok(Object.keys(s.properties ?? {}).includes(k), `${schema}: ${k} is not documented`);
}

let db: Db;
let base = "";
let close: () => Promise<void> = async () => undefined;
const sent: OutboxAction[] = [];

async function call(user: string | null, method: string, path: string, body?: unknown, lang = "de"): Promise<{ status: number; json: Record<string, unknown> }> {
  const headers: Record<string, string> = { "accept-language": lang };
  if (user !== null) headers.authorization = `Bearer ${issueSession(user, SECRET).token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${base}${API_PREFIX}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}
const enc = encodeURIComponent;

/** Projects a power-level event of a room, as the bot would see it arrive. */
async function powerLevels(room: string, content: Record<string, unknown>): Promise<void> {
  const ev: MatrixEvent = { event_id: `$pl${room}${Math.random()}`, room_id: room, type: "m.room.power_levels", state_key: "", sender: TEACHER, origin_server_ts: Date.now(), content };
  await db.transaction((tx) => onRoomState(ev, tx));
}

async function assignment(room: string, id: string, fields: Record<string, unknown>): Promise<void> {
  const content = AssignmentSchema.parse({ due: future(3), ...fields });
  await saveAssignment(db, { courseRoom: room, id, content, sender: TEACHER, eventId: `$${id}`, originTs: Date.now() });
}

before(async () => {
  db = await openPglite(null);
  await migrate(db, "homework", HOMEWORK_MIGRATIONS);
  // Mathe: the bot at 50 may write assignments. Deutsch: the bot is joined but at 0, and state needs 50.
  await saveCourse(db, MATHE, "Mathematik 7a");
  await saveCourse(db, DEUTSCH, "Deutsch 7a");
  for (const [room, bot] of [[MATHE, 50], [DEUTSCH, 0]] as const) {
    for (const u of [TEACHER, A, B, BOT]) await saveMembership(db, room, u, true, 0);
    await powerLevels(room, { users: { [TEACHER]: 100, [BOT]: bot }, users_default: 0, state_default: 50, events: { "m.room.name": 50 } });
  }
  // Private submission rooms (no course rooms: the teacher has 50 there, and they must not count as taught courses).
  for (const [room, students, assignmentId] of [["!ra:x", [A], null], ["!rb:x", [B], null], ["!team:x", [A], "team1"]] as const) {
    await saveSubmissionRoom(db, { roomId: room, courseRoom: MATHE, students: [...students], assignmentId });
    for (const u of [TEACHER, ...students]) await saveMembership(db, room, u, true, 0);
    await powerLevels(room, { users: { [TEACHER]: 50, [BOT]: 100 }, users_default: 0 });
  }
  await assignment(MATHE, "a1", {
    title: "Bruchrechnung",
    description: { body: "Seite 42", html: "<p>Seite <b>42</b></p>" },
    attachments: [{ url: "mxc://x/blatt", name: "blatt.pdf", size: 10, mimetype: "application/pdf" }],
    submission_kinds: ["file"],
    grading: "grade",
  });
  await assignment(MATHE, "team1", { title: "Plakat", teams: [[A]] });
  await assignment(MATHE, "shut", { title: "Geschlossen", status: "closed" });
  await assignment(DEUTSCH, "d1", { title: "Gedicht" });
  await saveSubmission(db, MATHE, { eventId: "$sa", roomId: "!ra:x", assignmentId: "a1", student: A, submittedAt: Date.now(), late: false, content: { assignment_id: "a1", text: "", files: [] } });
  await saveSubmission(db, MATHE, { eventId: "$sb", roomId: "!rb:x", assignmentId: "shut", student: B, submittedAt: Date.now(), late: true, content: { assignment_id: "shut", text: "x", files: [] } });

  const ctx = {
    db,
    log: createLogger("test", "silent"),
    matrix: { botUserId: BOT },
    outbox: { enqueue: async (_tx: unknown, _cause: string, a: OutboxAction) => void sent.push(a), kick: () => undefined },
  } as unknown as AppserviceContext;
  const app = express();
  homeworkApi(app, ctx, { sessionSecret: SECRET, homeservers: {} });
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

interface Item {
  assignment_id: string;
  course_room: string;
  status: string;
  submission_room: string | null;
  description: unknown;
  attachments: unknown;
  submission_kinds: unknown;
}
const todo = async (user: string): Promise<Item[]> => (await call(user, "GET", "/todo")).json.items as Item[];
const itemOf = async (user: string, id: string): Promise<Item | undefined> => (await todo(user)).find((i) => i.assignment_id === id);

describe("GET /todo", () => {
  it("gives each student their own submission room (the team's for a team task), the description, attachments and kinds", async () => {
    const res = await call(A, "GET", "/todo");
    assert.equal(res.status, 200);
    const items = res.json.items as Item[];
    for (const item of items) assertShape(item, "TodoItem");
    const a1 = items.find((i) => i.assignment_id === "a1");
    assert.equal(a1?.submission_room, "!ra:x");
    assert.deepEqual(a1?.description, { body: "Seite 42", html: "<p>Seite <b>42</b></p>" });
    assert.deepEqual(a1?.attachments, [{ url: "mxc://x/blatt", name: "blatt.pdf", size: 10, mimetype: "application/pdf" }]);
    assert.deepEqual(a1?.submission_kinds, ["file"]);
    assert.equal(a1?.status, "submitted");
    assert.equal(items.find((i) => i.assignment_id === "team1")?.submission_room, "!team:x");
    assert.deepEqual(res.json.courses, [
      { course_room: DEUTSCH, course: "Deutsch 7a" },
      { course_room: MATHE, course: "Mathematik 7a" },
    ]);
  });

  it("never names another student's room: B sees only B's room, and none for a team B is not in", async () => {
    const items = await todo(B);
    assert.equal(items.find((i) => i.assignment_id === "a1")?.submission_room, "!rb:x");
    assert.equal(items.find((i) => i.assignment_id === "team1")?.submission_room, null);
    const rooms = JSON.stringify(await call(B, "GET", "/todo"));
    for (const other of ["!ra:x", "!team:x"]) assert.ok(!rooms.includes(other), `${other} leaked to B`);
  });

  it("answers null until the room is made, and nothing for someone without courses", async () => {
    assert.equal((await itemOf(A, "d1"))?.submission_room, null);
    assert.deepEqual((await call(OUTSIDER, "GET", "/todo")).json, { items: [], courses: [] });
    assert.equal((await call(null, "GET", "/todo")).status, 401);
  });
});

describe("GET /teaching", () => {
  it("lists the courses a teacher teaches with assignments, counts and drafts, and no submission rooms", async () => {
    const put = await call(TEACHER, "PUT", `/courses/${enc(MATHE)}/drafts/dteach`, { title: "Entwurf Mathe" });
    assert.equal(put.status, 200);
    const res = await call(TEACHER, "GET", "/teaching");
    assert.equal(res.status, 200);
    const courses = res.json.courses as { course_room: string; assignments: { id: string; status: string; team: boolean; counts: unknown }[]; drafts: { id: string; title: string }[] }[];
    assert.deepEqual(
      courses.map((c) => c.course_room),
      [DEUTSCH, MATHE],
    );
    for (const c of courses) assertShape(c, "TaughtCourse");
    const mathe = courses.find((c) => c.course_room === MATHE);
    assert.deepEqual(
      mathe?.assignments.map((a) => [a.id, a.status, a.team]).sort(),
      [
        ["a1", "published", false],
        ["shut", "closed", false],
        ["team1", "published", true],
      ],
    );
    assert.deepEqual(mathe?.assignments.find((a) => a.id === "a1")?.counts, { students: 2, submitted: 1, late: 0, missing: 1 });
    assert.deepEqual(mathe?.assignments.find((a) => a.id === "shut")?.counts, { students: 2, submitted: 0, late: 1, missing: 1 });
    assert.deepEqual(
      mathe?.drafts.map((d) => [d.id, d.title]),
      [["dteach", "Entwurf Mathe"]],
    );
  });

  it("answers students and outsiders an empty list (what they teach is nothing); no session 401", async () => {
    for (const who of [A, B, OUTSIDER]) assert.deepEqual((await call(who, "GET", "/teaching")).json, { courses: [] });
    assert.equal((await call(null, "GET", "/teaching")).status, 401);
  });
});

describe("POST …/started", () => {
  const started = (user: string | null, id: string, body?: unknown, lang?: string) => call(user, "POST", `/courses/${enc(MATHE)}/assignments/${enc(id)}/started`, body, lang);

  it("marks only the signed-in student, whatever the body names", async () => {
    const res = await started(B, "team1", { student: A });
    assert.deepEqual(res, { status: 200, json: { assignment_id: "team1", status: "started" } });
    assert.equal((await itemOf(B, "team1"))?.status, "started");
    assert.equal((await itemOf(A, "team1"))?.status, "new", "A was not marked by B");
    assert.equal((await started(A, "team1")).json.status, "started");
    assert.equal((await itemOf(A, "team1"))?.status, "started");
  });

  it("refuses teachers, outsiders, unknown and closed assignments, in the asker's language", async () => {
    const teacher = await started(TEACHER, "team1");
    assert.equal(teacher.status, 403);
    assert.equal(teacher.json.error, "Als begonnen markieren können nur Schülerinnen und Schüler dieses Kurses.");
    assert.equal((await started(OUTSIDER, "team1", undefined, "en")).json.error, "Only students of this course can mark an assignment as started.");
    assert.equal((await started(A, "nope")).status, 404);
    const closed = await started(A, "shut");
    assert.equal(closed.status, 409);
    assert.equal(closed.json.schulhof_code, "SCHULHOF_HOMEWORK_CLOSED");
    assert.equal((await started(null, "team1")).status, 401);
  });

  it("is the same path as !begonnen: the command marks, and refuses a teacher with the same words", async () => {
    const replies: string[] = [];
    const run = async (sender: string, body: string): Promise<void> => {
      const ev: MatrixEvent = { event_id: `$c${Math.random()}`, room_id: MATHE, type: "m.room.message", sender, origin_server_ts: Date.now(), content: { msgtype: "m.text", body } };
      await db.transaction((tx) =>
        handleCommand(ev, { tx, enqueue: async (a) => void replies.push(String((a as unknown as { content: { body: string } }).content.body)) }, env, { recentEvents: async () => [] }),
      );
    };
    await run(B, "!begonnen d1");
    assert.match(replies.at(-1) ?? "", /Dieser Befehl|keine offenen|Welche Aufgabe/, "d1 is not a Mathe assignment");
    await run(B, "!begonnen a1");
    assert.equal(replies.at(-1), "„Bruchrechnung“ als begonnen markiert.");
    assert.equal((await itemOf(B, "a1"))?.status, "started");
    await run(TEACHER, "!begonnen a1");
    assert.equal(replies.at(-1), "Als begonnen markieren können nur Schülerinnen und Schüler dieses Kurses.");
  });
});

describe("drafts", () => {
  const path = (course: string, id: string): string => `/courses/${enc(course)}/drafts/${enc(id)}`;
  const full = {
    title: "Gedichtanalyse",
    description: { body: "Seite 5" },
    due: future(4),
    cutoff: null,
    timezone: "Europe/Berlin",
    attachments: [{ url: "mxc://x/gedicht", name: "gedicht.pdf", size: 3, mimetype: "application/pdf" }],
    submission_kinds: ["text"],
    grading: "points",
    unknown_field: "dropped",
  };

  it("keeps the full content and lists it typed, newest first", async () => {
    assert.deepEqual((await call(TEACHER, "PUT", path(MATHE, "dfull"), full)).json, { id: "dfull" });
    const list = (await call(TEACHER, "GET", `/courses/${enc(MATHE)}/drafts`)).json.drafts as { id: string; content: Record<string, unknown>; updated_at: string; author: string }[];
    const d = list[0];
    assert.equal(d?.id, "dfull");
    assertShape(d, "Draft");
    assertShape(d?.content, "DraftContent");
    const { unknown_field: _dropped, ...kept } = full;
    assert.deepEqual(d?.content, kept);
    assert.equal(d?.author, TEACHER);
    assert.ok(!Number.isNaN(Date.parse(d?.updated_at ?? "")));
  });

  it("refuses a bad draft, a student, and an id that belongs to another course", async () => {
    assert.equal((await call(TEACHER, "PUT", path(MATHE, "dbad"), { title: "x", due: "morgen" })).status, 400);
    assert.equal((await call(TEACHER, "PUT", path(MATHE, "dbad"), { title: " " })).status, 400);
    assert.equal((await call(TEACHER, "PUT", path(MATHE, "d bad"), { title: "x" })).status, 400);
    assert.equal((await call(A, "PUT", path(MATHE, "dstudent"), { title: "x" })).status, 403);
    assert.equal((await call(A, "GET", `/courses/${enc(MATHE)}/drafts`)).status, 403);
    assert.equal((await call(TEACHER, "PUT", path(DEUTSCH, "dfull"), { title: "fremd" })).status, 409);
  });
});

describe("publishing and closing", () => {
  it("queues the assignment where the bot may write, and answers its id", async () => {
    sent.length = 0;
    await call(TEACHER, "PUT", `/courses/${enc(MATHE)}/drafts/dpub`, { title: "Veröffentlicht", due: future(2) });
    const res = await call(TEACHER, "POST", `/courses/${enc(MATHE)}/drafts/dpub/publish`);
    assert.equal(res.status, 200);
    assert.match(String(res.json.assignment_id), /^a[0-9a-f]{12}$/);
    assert.equal(sent.length, 1);
    assert.deepEqual([sent[0]?.kind, sent[0]?.roomId, sent[0]?.kind === "state" ? sent[0].eventType : ""], ["state", MATHE, ASSIGNMENT]);
    const drafts = (await call(TEACHER, "GET", `/courses/${enc(MATHE)}/drafts`)).json.drafts as { id: string }[];
    assert.ok(!drafts.some((d) => d.id === "dpub"), "the published draft is gone");
  });

  it("answers 409 in the asker's language while the bot may not write there, and keeps the draft", async () => {
    sent.length = 0;
    await call(TEACHER, "PUT", `/courses/${enc(DEUTSCH)}/drafts/dde`, { title: "Erörterung", due: future(2) });
    const de = await call(TEACHER, "POST", `/courses/${enc(DEUTSCH)}/drafts/dde/publish`);
    assert.equal(de.status, 409);
    assert.equal(de.json.errcode, "M_FORBIDDEN");
    assert.equal(de.json.schulhof_code, "SCHULHOF_HOMEWORK_BOT_POWER");
    assert.match(String(de.json.error), /^Der Hausaufgaben-Bot @hausaufgaben:x darf in diesem Kursraum keine Aufgaben eintragen\..*Dein Entwurf bleibt gespeichert\.$/);
    const en = await call(TEACHER, "POST", `/courses/${enc(DEUTSCH)}/drafts/dde/publish`, undefined, "en");
    assert.match(String(en.json.error), /^The homework bot @hausaufgaben:x may not write assignments into this course room\./);
    assert.equal(sent.length, 0);
    const drafts = (await call(TEACHER, "GET", `/courses/${enc(DEUTSCH)}/drafts`)).json.drafts as { id: string }[];
    assert.deepEqual(
      drafts.map((d) => d.id),
      ["dde"],
    );
    assert.equal((await call(TEACHER, "POST", `/courses/${enc(DEUTSCH)}/assignments/d1/close`)).status, 409);
  });

  it("follows the room's levels: a higher level for assignments, or the bot leaving, stops publishing", async () => {
    await powerLevels(MATHE, { users: { [TEACHER]: 100, [BOT]: 50 }, state_default: 50, events: { [ASSIGNMENT]: 75 } });
    await call(TEACHER, "PUT", `/courses/${enc(MATHE)}/drafts/dlvl`, { title: "Level", due: future(2) });
    assert.equal((await call(TEACHER, "POST", `/courses/${enc(MATHE)}/drafts/dlvl/publish`)).status, 409);
    await powerLevels(MATHE, { users: { [TEACHER]: 100, [BOT]: 75 }, state_default: 50, events: { [ASSIGNMENT]: 75 } });
    assert.equal((await call(TEACHER, "POST", `/courses/${enc(MATHE)}/drafts/dlvl/publish`)).status, 200);
    await saveMembership(db, MATHE, BOT, false, 75);
    await call(TEACHER, "PUT", `/courses/${enc(MATHE)}/drafts/dgone`, { title: "Weg", due: future(2) });
    assert.equal((await call(TEACHER, "POST", `/courses/${enc(MATHE)}/drafts/dgone/publish`)).status, 409);
    await saveMembership(db, MATHE, BOT, true, 75);
  });

  it("answers the overview's assignment as the documented Assignment, and refuses it to students", async () => {
    const res = await call(TEACHER, "GET", `/courses/${enc(MATHE)}/assignments/a1/overview`);
    assert.equal(res.status, 200);
    assertShape(res.json.assignment, "Assignment");
    for (const row of res.json.students as unknown[]) assert.ok(typeof row === "object");
    assert.equal((await call(A, "GET", `/courses/${enc(MATHE)}/assignments/a1/overview`)).status, 403);
  });
});
