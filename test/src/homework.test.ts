// Homework against real Synapse and PostgreSQL: a teacher and three students as real clients, every forbidden path tried.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { MatrixError } from "matrix-js-sdk";
import { testEnv } from "./harness/env.ts";
import { databaseUrl, pgQuery } from "./harness/pg.ts";
import { apiSession } from "./harness/openid.ts";
import { joinInvite, replyFrom } from "./harness/rooms.ts";
import { eventually, newUser, roomMessages, type TestUser } from "./harness/users.ts";

const HW = "de.schulhof.homework";
const replyTo = (user: TestUser, roomId: string, eventId: string): Promise<{ body: string; content: Record<string, unknown> }> => replyFrom(bot(), user, roomId, eventId);
const bot = (): string => `@hausaufgaben:${testEnv().serverName}`;
const api = (): string => `${testEnv().homeworkUrl}/_schulhof/homework/v1`;

async function forbidden(p: Promise<unknown>): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof MatrixError && (e.errcode === "M_FORBIDDEN" || e.httpStatus === 403));
}

const homeworkQuery = <T>(sql: string, params: unknown[] = []): Promise<T[]> => pgQuery<T>(databaseUrl(testEnv().pgUrl, "appservices"), "homework", sql, params);

describe("homework with real clients", { concurrency: false }, () => {
  let teacher: TestUser;
  let s1: TestUser;
  let s2: TestUser;
  let s3: TestUser;
  let outsider: TestUser;
  let course: string;
  const rooms = new Map<string, string>();
  const assignmentId = "a-integration-1";

  before(async () => {
    teacher = await newUser("lehrerin", { unthrottled: true });
    s1 = await newUser("schueler1", { unthrottled: true });
    s2 = await newUser("schueler2", { unthrottled: true });
    s3 = await newUser("schueler3", { unthrottled: true });
    outsider = await newUser("fremd", { unthrottled: true });
    course = (
      await teacher.client.createRoom({
        name: "Mathematik 9z",
        initial_state: [{ type: "de.schulhof.course", state_key: "", content: { name: "Mathematik 9z", subject: "Mathematik" } }],
        power_level_content_override: { users: { [bot()]: 50 }, state_default: 50, events_default: 0 },
      })
    ).room_id;
    for (const u of [s1, s2, s3, { userId: bot() }]) await teacher.client.invite(course, u.userId);
    for (const s of [s1, s2, s3]) await s.client.joinRoom(course);
    await eventually("bot joined the course", async () => (bot() in (await teacher.client.getJoinedRoomMembers(course)).joined ? true : undefined));
  });

  it("publishes a teacher's assignment, announces it and opens a private submission room per student", async () => {
    const due = new Date(Date.now() + 3600_000).toISOString();
    await teacher.client.sendStateEvent(course, `${HW}.assignment` as never, { title: "Bruchrechnung", due, cutoff: new Date(Date.now() + 7200_000).toISOString(), grading: "grade", description: { body: "Seite 42" } } as never, assignmentId);
    const msgs = await eventually("announcement", async () => {
      const m = (await roomMessages(s1, course)).find((x) => x.sender === bot() && x.content[`${HW}.assignment_id`] === assignmentId);
      return m;
    });
    assert.match(String(msgs.content.body), /Neue Aufgabe: „Bruchrechnung“/);
    for (const s of [s1, s2, s3]) rooms.set(s.userId, await joinInvite(s, "Abgaben Mathematik 9z:"));
    assert.equal(new Set(rooms.values()).size, 3, "one room per student");
  });

  it("answers a malformed assignment from a teacher with the reason and stores nothing", async () => {
    const bad = await teacher.client.sendStateEvent(course, `${HW}.assignment` as never, { title: "Ohne Datum", due: "morgen" } as never, "a-bad");
    assert.match((await replyTo(teacher, course, bad.event_id)).body, /Das habe ich nicht verstanden: due/);
    assert.equal((await homeworkQuery("SELECT 1 FROM assignments WHERE id = 'a-bad'")).length, 0);
  });

  it("refuses what students must not do (homeserver) and what outsiders must not see", async () => {
    await forbidden(s1.client.sendStateEvent(course, `${HW}.assignment` as never, { title: "x", due: new Date().toISOString() } as never, "a-evil"));
    await forbidden(s3.client.joinRoom(rooms.get(s1.userId) ?? ""));
    await forbidden(s3.client.createMessagesRequest(rooms.get(s1.userId) ?? "", null, 10, "b" as never));
    await forbidden(outsider.client.getStateEvent(course, `${HW}.assignment` as never, assignmentId));
    await forbidden(s1.client.sendEvent(rooms.get(s1.userId) ?? "", `${HW}.feedback` as never, { assignment_id: assignmentId, student: s1.userId, grade: "1" } as never));
  });

  it("takes a submission from the web client's event and from !abgeben in a plain client, and confirms both", async () => {
    const r1 = rooms.get(s1.userId) ?? "";
    const sub = await s1.client.sendEvent(r1, `${HW}.submission` as never, { assignment_id: assignmentId, text: "3/4 + 1/4 = 1", body: "Abgabe" } as never);
    assert.match((await replyTo(s1, r1, sub.event_id)).body, /Abgabe für „Bruchrechnung“ erhalten/);
    const r2 = rooms.get(s2.userId) ?? "";
    await s2.client.sendTextMessage(r2, "Meine Lösung: 1/2");
    await s2.client.sendTextMessage(r2, "!abgeben");
    const made = await eventually("bot submission for s2", async () => (await roomMessages(s2, r2)).find((x) => x.type === `${HW}.submission` && x.sender === bot()));
    assert.equal(made.content.text, "Meine Lösung: 1/2");
    assert.equal(made.content.student, s2.userId);
  });

  it("shows the teacher who submitted and who has not, and refuses the overview to students", async () => {
    const t = await apiSession(teacher, api());
    const overview = await eventually("overview", async () => {
      const res = await t(`/courses/${encodeURIComponent(course)}/assignments/${assignmentId}/overview`);
      const body = (await res.json()) as { students: { user_id: string; status: string }[] };
      const s2row = body.students.find((x) => x.user_id === s2.userId);
      return s2row?.status === "submitted" ? body : undefined;
    });
    const status = Object.fromEntries(overview.students.map((x) => [x.user_id, x.status]));
    assert.deepEqual(status, { [s1.userId]: "submitted", [s2.userId]: "submitted", [s3.userId]: "missing" });
    const s3api = await apiSession(s3, api());
    assert.equal((await s3api(`/courses/${encodeURIComponent(course)}/assignments/${assignmentId}/overview`)).status, 403);
    assert.equal((await s3api(`/courses/${encodeURIComponent(course)}/students/${encodeURIComponent(s1.userId)}/submissions`)).status, 403);
    const outApi = await apiSession(outsider, api());
    assert.equal((await outApi(`/courses/${encodeURIComponent(course)}/students/${encodeURIComponent(s1.userId)}/submissions`)).status, 403);
    assert.equal((await fetch(`${api()}/todo`)).status, 401);
  });

  it("lets the teacher grade; the student sees the grade, nobody else does", async () => {
    const r1 = rooms.get(s1.userId) ?? "";
    await teacher.client.joinRoom(r1);
    await teacher.client.sendEvent(r1, `${HW}.feedback` as never, { assignment_id: assignmentId, student: s1.userId, grade: "2+", comment: "Gut gemacht", body: "2+" } as never);
    const s1api = await apiSession(s1, api());
    const todo = await eventually("grade in todo", async () => {
      const body = (await (await s1api("/todo")).json()) as { items: { assignment_id: string; status: string; feedback: { grade: string } | null }[] };
      const item = body.items.find((i) => i.assignment_id === assignmentId);
      return item?.feedback?.grade === "2+" ? item : undefined;
    });
    assert.equal(todo.status, "submitted");
    const own = (await (await s1api(`/courses/${encodeURIComponent(course)}/students/${encodeURIComponent(s1.userId)}/submissions`)).json()) as { feedback: { grade: string }[] };
    assert.equal(own.feedback[0]?.grade, "2+");
    const s2api = await apiSession(s2, api());
    const s2todo = (await (await s2api("/todo")).json()) as { items: { assignment_id: string; feedback: unknown }[] };
    assert.equal(s2todo.items.find((i) => i.assignment_id === assignmentId)?.feedback, null);
  });

  it("refuses a submission after the cut-off, with the reason, and records nothing", async () => {
    const past = "a-integration-past";
    await teacher.client.sendStateEvent(course, `${HW}.assignment` as never, { title: "Vorbei", due: new Date(Date.now() - 60_000).toISOString(), cutoff: new Date(Date.now() - 1000).toISOString() } as never, past);
    await eventually("assignment stored", async () => ((await homeworkQuery("SELECT id FROM assignments WHERE id = $1", [past])).length === 1 ? true : undefined));
    const r3 = rooms.get(s3.userId) ?? "";
    const sub = await s3.client.sendEvent(r3, `${HW}.submission` as never, { assignment_id: past, text: "zu spät", body: "zu spät" } as never);
    assert.match((await replyTo(s3, r3, sub.event_id)).body, /nicht angenommen: Abgabeschluss war/);
    assert.equal((await homeworkQuery("SELECT 1 FROM submissions WHERE assignment_id = $1", [past])).length, 0);
  });

  it("reminds a student who has not submitted, once, in their own room", async () => {
    const r3 = rooms.get(s3.userId) ?? "";
    const reminders = await eventually("reminder", async () => {
      const msgs = (await roomMessages(s3, r3)).filter((m) => m.sender === bot() && String(m.content.body).startsWith("Erinnerung: „Bruchrechnung“"));
      return msgs.length > 0 ? msgs : undefined;
    });
    assert.equal(reminders.length, 1);
    assert.deepEqual((reminders[0]?.content["m.mentions"] as { user_ids: string[] }).user_ids, [s3.userId]);
    const r1 = rooms.get(s1.userId) ?? "";
    assert.equal((await roomMessages(s1, r1)).filter((m) => String(m.content.body).startsWith("Erinnerung")).length, 1, "s1 was reminded before submitting, once");
  });

  it("takes commands from plain clients: teachers publish, students may not; teachers see who submitted", async () => {
    const t0 = (await homeworkQuery("SELECT id FROM assignments WHERE course_room = $1", [course])).length;
    const refused = await s1.client.sendTextMessage(course, "!aufgabe Schummeln | 24.12.2030 18:00");
    assert.match((await replyTo(s1, course, refused.event_id)).body, /Das dürfen nur Lehrkräfte/);
    await teacher.client.sendTextMessage(course, "!aufgabe Gedichtanalyse | 24.12.2030 18:00 | Seite 5");
    const row = await eventually("bot-written assignment", async () => {
      const rows = await homeworkQuery<{ content: { title: string; due: string } }>("SELECT content FROM assignments WHERE course_room = $1 AND content ->> 'title' = 'Gedichtanalyse'", [course]);
      return rows[0];
    });
    assert.equal(row.content.due, "2030-12-24T18:00:00+01:00");
    assert.equal((await homeworkQuery("SELECT id FROM assignments WHERE course_room = $1", [course])).length, t0 + 1);
    const ask = await teacher.client.sendTextMessage(course, `!abgaben ${assignmentId}`);
    assert.match((await replyTo(teacher, course, ask.event_id)).body, /„Bruchrechnung“: 2 abgegeben \(davon 0 verspätet\), 1 fehlen/);
  });

  it("runs a team task: one member submits for the team, every member sees it", async () => {
    const teamTask = "a-integration-team";
    await teacher.client.sendStateEvent(course, `${HW}.assignment` as never, { title: "Plakat", due: new Date(Date.now() + 86_400_000 * 3).toISOString(), teams: [[s1.userId, s2.userId]] } as never, teamTask);
    const teamRoom = await joinInvite(s1, "Abgaben Mathematik 9z: Plakat, Team 1");
    await joinInvite(s2, "Abgaben Mathematik 9z: Plakat, Team 1");
    await forbidden(s3.client.joinRoom(teamRoom));
    const sub = await s1.client.sendEvent(teamRoom, `${HW}.submission` as never, { assignment_id: teamTask, text: "Unser Plakat", body: "Abgabe" } as never);
    await replyTo(s2, teamRoom, sub.event_id);
    const s2api = await apiSession(s2, api());
    const item = ((await (await s2api("/todo")).json()) as { items: { assignment_id: string; status: string }[] }).items.find((i) => i.assignment_id === teamTask);
    assert.equal(item?.status, "submitted");
  });

  it("keeps drafts away from students until published, and lets teachers close early and extend", async () => {
    const t = await apiSession(teacher, api());
    const base = `/courses/${encodeURIComponent(course)}`;
    const put = await t(`${base}/drafts/d1`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ title: "Entwurf", due: new Date(Date.now() + 86_400_000).toISOString() }) });
    assert.equal(put.status, 200);
    const s1api = await apiSession(s1, api());
    assert.equal((await s1api(`${base}/drafts`)).status, 403);
    assert.equal((await s1api(`${base}/drafts/d1`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ title: "x" }) })).status, 403);
    assert.equal(((await (await t(`${base}/drafts`)).json()) as { drafts: unknown[] }).drafts.length, 1);
    const { assignment_id: published } = (await (await t(`${base}/drafts/d1/publish`, { method: "POST" })).json()) as { assignment_id: string };
    await eventually("published draft", async () => ((await homeworkQuery("SELECT 1 FROM assignments WHERE id = $1", [published])).length === 1 ? true : undefined));
    assert.equal((await t(`${base}/assignments/${published}/close`, { method: "POST" })).status, 200);
    await eventually("closed", async () => ((await homeworkQuery<{ s: string }>("SELECT content ->> 'status' AS s FROM assignments WHERE id = $1", [published]))[0]?.s === "closed" ? true : undefined));
    // The cut-off of "Vorbei" has passed; an extension lets s3 submit after all.
    const ext = await t(`${base}/assignments/a-integration-past/extensions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ student: s3.userId, due: new Date(Date.now() + 3600_000).toISOString(), cutoff: null }),
    });
    assert.equal(ext.status, 200);
    await eventually("extension stored", async () => ((await homeworkQuery("SELECT 1 FROM extensions WHERE student = $1", [s3.userId])).length === 1 ? true : undefined));
    const r3 = rooms.get(s3.userId) ?? "";
    const sub = await s3.client.sendEvent(r3, `${HW}.submission` as never, { assignment_id: "a-integration-past", text: "jetzt", body: "jetzt" } as never);
    assert.match((await replyTo(s3, r3, sub.event_id)).body, /Abgabe für „Vorbei“ erhalten\.$/);
  });

  it("rebuilds the same homework tables from the rooms with reindex", async () => {
    const snapshot = async (): Promise<string> =>
      JSON.stringify({
        assignments: await homeworkQuery("SELECT course_room, id, content, sender, event_id FROM assignments ORDER BY course_room, id"),
        submissions: await homeworkQuery("SELECT event_id, room_id, assignment_id, student, submitted_at, late FROM submissions ORDER BY event_id"),
        feedback: await homeworkQuery("SELECT event_id, assignment_id, student, sender, grade, points, comment FROM feedback ORDER BY event_id"),
        rooms: await homeworkQuery("SELECT room_id, course_room, students FROM submission_rooms ORDER BY room_id"),
      });
    const before = await snapshot();
    const res = await fetch(`${api()}/admin/reindex`, { method: "POST", headers: { authorization: `Bearer ${testEnv().adminApiToken}` } });
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(await snapshot()), JSON.parse(before));
  });
});
