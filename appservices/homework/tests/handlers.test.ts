// Submission handling without a homeserver: lateness by the event's own time (a backlog after downtime), cut-off, extension, replays, feedback rights and readable notices.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { migrate, openPglite, type Db, type MatrixEvent, type OutboxAction } from "@schulhof/core";
import { onExtension, onFeedback, onSubmission, type HomeworkEnv } from "../src/handlers.ts";
import { AssignmentSchema } from "../src/domain/schema.ts";
import { toMillis } from "../src/domain/deadlines.ts";
import { saveAssignment } from "../src/store/assignments.ts";
import { saveCourse, saveMembership } from "../src/store/courses.ts";
import { saveExtension, saveSubmissionRoom } from "../src/store/submissions.ts";
import { HOMEWORK_MIGRATIONS } from "../src/store/migrations.ts";

const env: HomeworkEnv = { botUserId: "@hausaufgaben:x", lang: "de", timezone: "Europe/Berlin" };
const DUE = "2026-03-29T18:00:00+02:00";
const CUTOFF = "2026-03-30T08:00:00+02:00";
let db: Db;
let n = 0;

function submission(student: string, room: string, ts: number, extra: Record<string, unknown> = {}): MatrixEvent {
  return { event_id: `$s${++n}`, room_id: room, type: "de.schulhof.homework.submission", sender: student, origin_server_ts: ts, content: { assignment_id: "a1", text: "Lösung", ...extra } };
}

async function handle(ev: MatrixEvent, fn = onSubmission): Promise<OutboxAction[]> {
  const sent: OutboxAction[] = [];
  await db.transaction((tx) => fn(ev, { tx, enqueue: async (a) => void sent.push(a) }, env));
  return sent;
}

async function stored(student: string): Promise<{ late: boolean; submitted_at: number }[]> {
  const rows = (await db.query<{ late: boolean; submitted_at: string | number }>("SELECT late, submitted_at FROM submissions WHERE student = $1 ORDER BY submitted_at", [student])).rows;
  return rows.map((r) => ({ late: r.late, submitted_at: Number(r.submitted_at) }));
}

before(async () => {
  db = await openPglite(null);
  await migrate(db, "homework", HOMEWORK_MIGRATIONS);
  await saveCourse(db, "!c:x", "Mathematik 7a");
  await saveMembership(db, "!c:x", "@t:x", true, 50);
  for (const s of ["@a:x", "@b:x", "@c:x", "@d:x"]) {
    await saveMembership(db, "!c:x", s, true, 0);
    await saveSubmissionRoom(db, { roomId: `!r${s}`, courseRoom: "!c:x", students: [s], assignmentId: null });
  }
  const content = AssignmentSchema.parse({ title: "Bruchrechnung", due: DUE, cutoff: CUTOFF });
  await saveAssignment(db, { courseRoom: "!c:x", id: "a1", content, sender: "@t:x", eventId: "$a1", originTs: 0 });
});

describe("onSubmission", () => {
  it("judges a backlog handled long after the due date by each event's own time", async () => {
    // Handled now (months after the due date), sent one second before it: on time.
    const sent = await handle(submission("@a:x", "!r@a:x", toMillis(DUE) - 1000));
    assert.deepEqual(await stored("@a:x"), [{ late: false, submitted_at: toMillis(DUE) - 1000 }]);
    assert.equal(sent.length, 1);
    const content = (sent[0] as unknown as { content: Record<string, unknown> }).content;
    assert.match(String(content.body), /erhalten\.$/);
    assert.deepEqual(content["de.schulhof.homework.receipt"], { submission: `$s${n}`, assignment_id: "a1", late: false, status: "received", code: "on_time" });
    // The submission event itself is shown by no other client: the receipt repeats it for the teachers.
    assert.equal(content.body, "Abgegeben:\nLösung\n\nAbgabe für „Bruchrechnung“ erhalten.");
  });

  it("marks one second after the due date late, and refuses one second after the cut-off", async () => {
    const late = await handle(submission("@b:x", "!r@b:x", toMillis(DUE) + 1000));
    assert.deepEqual((await stored("@b:x")).map((r) => r.late), [true]);
    assert.deepEqual((late[0] as unknown as { content: Record<string, { code: string; late: boolean }> }).content["de.schulhof.homework.receipt"]?.code, "late");
    const refused = await handle(submission("@c:x", "!r@c:x", toMillis(CUTOFF) + 1000));
    assert.deepEqual(await stored("@c:x"), []);
    const content = (refused[0] as unknown as { content: Record<string, unknown> }).content;
    assert.match(String(content.body), /nicht angenommen: Abgabeschluss war Mo, 30\.03\.2026, 08:00 Uhr/);
    assert.deepEqual(content["de.schulhof.homework.refusal"], { submission: `$s${n}`, status: "refused", code: "too_late", assignment_id: "a1", cutoff: CUTOFF });
    assert.equal(content["de.schulhof.homework.receipt"], undefined, "a refusal is no receipt");
  });

  it("gives every refusal a code for clients: wrong kind, unknown assignment, malformed content", async () => {
    const codeOf = async (ev: MatrixEvent): Promise<unknown> =>
      ((await handle(ev))[0] as unknown as { content: Record<string, { code?: string }> }).content["de.schulhof.homework.refusal"]?.code;
    const files = [{ url: "mxc://x/f", name: "f.txt", size: 1, mimetype: "text/plain" }];
    await saveAssignment(db, { courseRoom: "!c:x", id: "a2", content: AssignmentSchema.parse({ title: "Nur Text", due: DUE, submission_kinds: ["text"] }), sender: "@t:x", eventId: "$a2", originTs: 0 });
    assert.equal(await codeOf(submission("@d:x", "!r@d:x", toMillis(DUE) - 1000, { assignment_id: "a2", text: "", files })), "kind_not_allowed");
    assert.equal(await codeOf(submission("@d:x", "!r@d:x", toMillis(DUE) - 1000, { assignment_id: "gibt-es-nicht" })), "unknown_assignment");
    assert.equal(await codeOf(submission("@d:x", "!r@d:x", toMillis(DUE) - 1000, { assignment_id: 7 })), "invalid");
  });

  it("stores a replayed event once", async () => {
    const ev = submission("@d:x", "!r@d:x", toMillis(DUE) - 5000);
    await handle(ev);
    await handle(ev);
    assert.equal((await stored("@d:x")).length, 1);
  });

  it("takes the command's time for a submission the bot made from !abgeben, and honours an extension", async () => {
    await saveExtension(db, "!c:x", "a1", "@c:x", "2026-04-02T18:00:00+02:00", null);
    const late = toMillis(CUTOFF) + 86_400_000;
    await handle({ ...submission(env.botUserId, "!r@c:x", Date.now()), content: { assignment_id: "a1", text: "per Befehl", student: "@c:x", submitted_at: late } });
    assert.deepEqual(await stored("@c:x"), [{ late: false, submitted_at: late }]);
  });

  it("ignores a submission from someone who is not the room's student", async () => {
    const sent = await handle(submission("@b:x", "!r@a:x", toMillis(DUE) - 1000));
    assert.equal(sent.length, 0);
    assert.equal((await stored("@b:x")).length, 1, "only b's own earlier submission");
  });
});

describe("onFeedback", () => {
  // A grade needs an assignment graded with grades (a1 is ungraded: its grades are refused, see below).
  before(async () => {
    await saveAssignment(db, { courseRoom: "!c:x", id: "ag", content: AssignmentSchema.parse({ title: "Benotet", due: DUE, grading: "grade" }), sender: "@t:x", eventId: "$ag", originTs: 0 });
  });
  const feedback = (sender: string, content: Record<string, unknown> = {}): MatrixEvent => ({
    event_id: `$f${++n}`,
    room_id: "!r@a:x",
    type: "de.schulhof.homework.feedback",
    sender,
    origin_server_ts: Date.now(),
    content: { assignment_id: "ag", student: "@a:x", grade: "1", comment: "", ...content },
  });
  const bodies = (sent: OutboxAction[]): string[] => sent.map((a) => String((a as unknown as { content: { body?: unknown } }).content.body));
  it("stores feedback from a teacher of the course, and none from a student", async () => {
    await handle(feedback("@b:x"), onFeedback);
    assert.equal((await db.query("SELECT 1 FROM feedback")).rows.length, 0);
    await handle(feedback("@t:x"), onFeedback);
    assert.deepEqual((await db.query("SELECT student, grade, sender FROM feedback")).rows, [{ student: "@a:x", grade: "1", sender: "@t:x" }]);
  });

  it("tells the submission room the grade and the comment in a notice every client shows", async () => {
    const ev = feedback("@t:x", { grade: "2", comment: "gut gemacht" });
    const sent = await handle(ev, onFeedback);
    assert.equal(sent.length, 1);
    const action = sent[0] as unknown as { roomId: string; eventType: string; content: Record<string, unknown> };
    assert.equal(action.roomId, "!r@a:x", "only in the student's private room");
    assert.equal(action.eventType, "m.room.message");
    assert.equal(action.content.msgtype, "m.notice");
    assert.equal(action.content.body, "Rückmeldung zu „Benotet“\nBewertung: 2\nKommentar: gut gemacht");
    assert.deepEqual(action.content["de.schulhof.homework.feedback_notice"], { feedback: ev.event_id, assignment_id: "ag" });
  });

  it("refuses a grade on an ungraded assignment with the reason, and stores nothing", async () => {
    const before = (await db.query("SELECT 1 FROM feedback")).rows.length;
    const sent = await handle(feedback("@t:x", { assignment_id: "a1", grade: "2", comment: "gut gemacht" }), onFeedback);
    assert.equal((await db.query("SELECT 1 FROM feedback")).rows.length, before);
    assert.equal(sent.length, 1);
    assert.match(bodies(sent)[0] ?? "", /^„Bruchrechnung“ wird nicht bewertet \(ohne Note\), deshalb habe ich „2“ nicht gespeichert/);
  });

  it("refuses points on an assignment graded with grades", async () => {
    const sent = await handle(feedback("@t:x", { grade: null, points: 11 }), onFeedback);
    assert.match(bodies(sent)[0] ?? "", /„11“ ist keine Note: „Benotet“ wird mit Noten von 1 bis 6/);
  });

  it("takes a comment without a mark on an ungraded assignment", async () => {
    const sent = await handle(feedback("@t:x", { assignment_id: "a1", grade: null, comment: "Schön" }), onFeedback);
    assert.deepEqual(bodies(sent), ["Rückmeldung zu „Bruchrechnung“\nKommentar: Schön"]);
  });
});

describe("onExtension", () => {
  it("tells the student's room the new due date", async () => {
    const ev: MatrixEvent = {
      event_id: `$e${++n}`,
      room_id: "!r@d:x",
      type: "de.schulhof.homework.extension",
      state_key: "a1",
      sender: "@t:x",
      origin_server_ts: Date.now(),
      content: { due: "2026-04-01T18:00:00+02:00", cutoff: null },
    };
    const sent: OutboxAction[] = [];
    await db.transaction((tx) => onExtension(ev, tx, env, { tx, enqueue: async (a) => void sent.push(a) }));
    const content = (sent[0] as unknown as { content: Record<string, unknown> }).content;
    assert.equal(content.body, "Neue Frist für dich bei „Bruchrechnung“: fällig Mi, 01.04.2026, 18:00 Uhr.");
    assert.deepEqual(content["m.mentions"], { user_ids: ["@d:x"] });
  });
});
