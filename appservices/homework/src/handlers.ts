// Handling of homework events: the projection of course rooms and submission rooms, with checks and replies.
import { hostedElsewhere, noticeContent, type HandlerContext, type MatrixEvent, type Queryable } from "@schulhof/core";
import { ASSIGNMENT, AssignmentSchema, EXTENSION, EXTENSION_NOTICE, FEEDBACK_NOTICE, RECEIPT, REFUSAL, ExtensionSchema, FEEDBACK, FeedbackSchema, SUBMISSION, SUBMISSION_ROOM, SubmissionRoomSchema, SubmissionSchema, type Assignment } from "./domain/schema.ts";
import { formatAtSchool, judgeSubmission } from "./domain/deadlines.ts";
import { gradeText, markFits } from "./domain/grades.ts";
import { deleteAssignment, getAssignment, saveAssignment } from "./store/assignments.ts";
import { courseName, powerOf, roleIn, saveCourse, saveCreators, saveMembership, savePowers, studentsOf, TEACHER_POWER } from "./store/courses.ts";
import { extensionOf, requestSubmissionRoom, requestTeamRoom, saveExtension, saveFeedback, saveSubmission, saveSubmissionRoom, submissionRoom } from "./store/submissions.ts";
import { T, type Lang } from "./bot/texts.ts";

/** What handling needs besides the transaction. */
export interface HomeworkEnv {
  botUserId: string;
  lang: Lang;
  timezone: string;
  /** This school's server; rooms made at another district school (a shared course) are only read here. */
  serverName?: string | undefined;
}

/**
 * Whether the room was made at another school of the district (a shared course there, or a submission room its
 * homework bot made): this appservice then only reads it, to show its own students their work; the host's bot
 * announces, confirms, reminds and makes rooms. Answers the room's creators too (the host's bot among them).
 */
export async function guestRoom(tx: Queryable, roomId: string, env: Pick<HomeworkEnv, "serverName">): Promise<{ guest: boolean; creators: string[] }> {
  if (env.serverName === undefined) return { guest: false, creators: [] };
  const creators = (await tx.query<{ creators: string[] }>(`SELECT creators FROM course_rooms WHERE room_id = $1`, [roomId])).rows[0]?.creators ?? [];
  return { guest: hostedElsewhere(creators, env.serverName), creators };
}

type Hctx = HandlerContext;

/** Sends a notice, as a reply when `replyTo` is given. */
export async function notice(ctx: Hctx, roomId: string, text: string, replyTo?: string, mentions: string[] = []): Promise<void> {
  await ctx.enqueue({ kind: "message", roomId, eventType: "m.room.message", content: noticeContent(text, { mentions, ...(replyTo === undefined ? {} : { replyTo }) }) });
}

/** Why the bot did not take a submission: the `code` of its refusal (clients show their own text for it). */
export type RefusalCode = "invalid" | "unknown_assignment" | "closed" | "kind_not_allowed" | "too_late";

/**
 * Refuses a submission with a reason: a readable notice for any client, and `de.schulhof.homework.refusal`
 * `{submission, assignment_id, status: "refused", code, …details}` for clients that show their own text. The marker
 * also lets reindex know the decision without judging again.
 */
async function refuse(ctx: Hctx, event: MatrixEvent, text: string, student: string, refusal: { code: RefusalCode; assignment_id: string | null } & Record<string, unknown>): Promise<void> {
  await ctx.enqueue({
    kind: "message",
    roomId: event.room_id,
    eventType: "m.room.message",
    content: { ...noticeContent(text, { replyTo: event.event_id, mentions: [student] }), [REFUSAL]: { submission: event.event_id, status: "refused", ...refusal } },
  });
}

/** Projects membership and power levels of any room the bot is in (course rooms and submission rooms). */
export async function onRoomState(event: MatrixEvent, tx: Queryable): Promise<void> {
  if (event.type === "m.room.member" && event.state_key !== undefined) {
    const joined = event.content.membership === "join";
    await saveMembership(tx, event.room_id, event.state_key, joined, await powerOf(tx, event.room_id, event.state_key));
  } else if (event.type === "m.room.power_levels") {
    const users = (event.content.users ?? {}) as Record<string, number>;
    const usersDefault = typeof event.content.users_default === "number" ? event.content.users_default : 0;
    const stateDefault = typeof event.content.state_default === "number" ? event.content.state_default : TEACHER_POWER;
    const events = Object.fromEntries(Object.entries((event.content.events ?? {}) as Record<string, unknown>).filter((e): e is [string, number] => typeof e[1] === "number"));
    await savePowers(tx, event.room_id, users, usersDefault, { stateDefault, events });
  } else if (event.type === "m.room.create") {
    const version = String(event.content.room_version ?? "1");
    if (Number(version) >= 12) {
      const extra = Array.isArray(event.content.additional_creators) ? (event.content.additional_creators as string[]) : [];
      await saveCreators(tx, event.room_id, [event.sender, ...extra]);
    }
  } else if (event.type === "de.schulhof.course") {
    const name = typeof event.content.name === "string" ? event.content.name : "";
    await saveCourse(tx, event.room_id, name);
  }
}

/** An assignment state event: checked, stored, announced in the course room, submission rooms requested. */
export async function onAssignment(event: MatrixEvent, ctx: Hctx, env: HomeworkEnv, opts: { guest?: boolean } = {}): Promise<void> {
  const id = event.state_key ?? "";
  const course = await courseName(ctx.tx, event.room_id);
  if (course === null || id === "") return;
  if (Object.keys(event.content).length === 0) {
    await deleteAssignment(ctx.tx, event.room_id, id);
    return;
  }
  const senderPower = event.sender === env.botUserId ? 100 : await powerOf(ctx.tx, event.room_id, event.sender);
  if (senderPower < TEACHER_POWER) return; // the homeserver refuses this; a stale projection must not accept it either
  const parsed = AssignmentSchema.safeParse(event.content);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    await notice(ctx, event.room_id, T[env.lang].invalid(`${issue?.path.join(".") ?? ""}: ${issue?.message ?? ""}`), event.event_id, [event.sender]);
    return;
  }
  const before = await getAssignment(ctx.tx, event.room_id, id);
  if (before !== null && before.originTs > event.origin_server_ts) return;
  const a = parsed.data;
  await saveAssignment(ctx.tx, { courseRoom: event.room_id, id, content: a, sender: event.sender, eventId: event.event_id, originTs: event.origin_server_ts });
  const due = formatAtSchool(a.due, a.timezone, env.lang);
  const t = T[env.lang];
  if (a.status === "closed") {
    if (before?.content.status !== "closed") await notice(ctx, event.room_id, t.closedAssignment(a.title));
    return;
  }
  const students = await studentsOf(ctx.tx, event.room_id, env.botUserId);
  if (before === null) {
    await ctx.enqueue({ kind: "message", roomId: event.room_id, eventType: "m.room.message", content: announcement(`${t.newAssignment(a.title, due)} ${t.gradingLine(t.gradings[a.grading])}`, a, id) });
    // In a course hosted elsewhere, the host's bot makes the rooms.
    if (opts.guest === true) return;
    if (a.teams === null) for (const s of students) await requestSubmissionRoom(ctx.tx, event.room_id, s);
    else for (const [i, team] of a.teams.entries()) await requestTeamRoom(ctx.tx, event.room_id, id, i + 1, [...team].sort());
  } else if (JSON.stringify(before.content) !== JSON.stringify(a)) {
    await ctx.enqueue({
      kind: "message",
      roomId: event.room_id,
      eventType: "m.room.message",
      content: { ...announcement(t.changedAssignment(a.title, due), a, id), "m.mentions": { user_ids: students } },
    });
  }
}

function announcement(text: string, a: Assignment, id: string): Record<string, unknown> {
  const body = a.description.body === "" ? text : `${text}\n\n${a.description.body}`;
  return { msgtype: "m.text", body, "de.schulhof.homework.assignment_id": id };
}

/** The room's submission-room marker (written by the bot only). */
export async function onSubmissionRoomMarker(event: MatrixEvent, tx: Queryable, env: HomeworkEnv): Promise<void> {
  // Ours, or in a room a district school's bot made (then that bot is its creator).
  if (event.sender !== env.botUserId) {
    const { guest, creators } = await guestRoom(tx, event.room_id, env);
    if (!guest || !creators.includes(event.sender)) return;
  }
  const parsed = SubmissionRoomSchema.safeParse(event.content);
  if (!parsed.success) return;
  await saveSubmissionRoom(tx, { roomId: event.room_id, courseRoom: parsed.data.course_room, students: parsed.data.students, assignmentId: parsed.data.assignment_id });
}

/**
 * A submission in a submission room. Lateness is judged by the event's own time (or, for one the
 * bot made from `!abgeben`, by the command's time), with the student's extension if any, so a
 * backlog handled after a downtime is judged as if it were handled at once. `decided` (reindex)
 * takes the verdict the bot's receipt recorded instead of judging again.
 */
export async function onSubmission(event: MatrixEvent, ctx: Hctx, env: HomeworkEnv, decided?: "on_time" | "late"): Promise<void> {
  const room = await submissionRoom(ctx.tx, event.room_id);
  if (room === null) return;
  const parsed = SubmissionSchema.safeParse(event.content);
  const t = T[env.lang];
  if (!parsed.success) {
    const assignmentId = typeof event.content.assignment_id === "string" ? event.content.assignment_id : null;
    if (room.students.includes(event.sender)) await refuse(ctx, event, t.invalid(parsed.error.issues[0]?.message ?? ""), event.sender, { code: "invalid", assignment_id: assignmentId });
    else await notice(ctx, event.room_id, t.invalid(parsed.error.issues[0]?.message ?? ""), event.event_id);
    return;
  }
  const s = parsed.data;
  // A submission the bot made for `!abgeben`: ours, or in a guest room the host's bot (the room's creator).
  const byBot = event.sender === env.botUserId || (await guestRoom(ctx.tx, event.room_id, env)).creators.includes(event.sender);
  const student = byBot ? s.student : event.sender;
  if (student === undefined || !room.students.includes(student)) return;
  const submittedAt = byBot && s.submitted_at !== undefined ? s.submitted_at : event.origin_server_ts;
  const assignment = await getAssignment(ctx.tx, room.courseRoom, s.assignment_id);
  if (assignment === null || (room.assignmentId !== null && room.assignmentId !== s.assignment_id)) {
    await refuse(ctx, event, t.invalid(`Aufgabe ${s.assignment_id}?`), student, { code: "unknown_assignment", assignment_id: s.assignment_id });
    return;
  }
  const a = assignment.content;
  if (decided === undefined && a.status === "closed") {
    await refuse(ctx, event, t.closed(a.title), student, { code: "closed", assignment_id: assignment.id });
    return;
  }
  if (decided === undefined && ((s.text.trim() !== "" && !a.submission_kinds.includes("text")) || (s.files.length > 0 && !a.submission_kinds.includes("file")))) {
    await refuse(ctx, event, t.kindNotAllowed(a.submission_kinds.map((k) => t.kinds[k]).join(" / ")), student, {
      code: "kind_not_allowed",
      assignment_id: assignment.id,
      submission_kinds: a.submission_kinds,
    });
    return;
  }
  const ext = await extensionOf(ctx.tx, room.courseRoom, assignment.id, student);
  const due = ext?.due ?? a.due;
  const cutoff = ext === null ? a.cutoff : ext.cutoff;
  const verdict = decided ?? judgeSubmission(submittedAt, due, cutoff);
  if (verdict === "too_late") {
    await refuse(ctx, event, t.tooLate(a.title, formatAtSchool(cutoff ?? due, a.timezone, env.lang)), student, { code: "too_late", assignment_id: assignment.id, cutoff: cutoff ?? due });
    return;
  }
  for (const member of room.students) {
    await saveSubmission(ctx.tx, room.courseRoom, {
      eventId: room.students.length === 1 ? event.event_id : `${event.event_id}#${member}`,
      roomId: event.room_id,
      assignmentId: assignment.id,
      student: member,
      submittedAt,
      late: verdict === "late",
      content: s,
    });
  }
  await ctx.enqueue({
    kind: "message",
    roomId: event.room_id,
    eventType: "m.room.message",
    content: {
      msgtype: "m.notice",
      // A submission sent as its own event (the web client) is not shown by other clients: the receipt repeats its text
      // and file names for the teachers (a `!abgeben` submission is made of messages already in the room).
      body: byBot ? t.received(a.title, verdict === "late") : [t.submitted(cut(s.text), s.files.map((f) => f.name)), t.received(a.title, verdict === "late")].filter((x) => x !== "").join("\n\n"),
      [RECEIPT]: { submission: event.event_id, assignment_id: assignment.id, late: verdict === "late", status: "received", code: verdict === "late" ? "late" : "on_time" },
      "m.relates_to": { "m.in_reply_to": { event_id: event.event_id } },
    },
  });
}

/** A student's text as a receipt repeats it: at most 4,000 characters. */
function cut(text: string): string {
  const t = text.trim();
  return t.length <= 4000 ? t : `${t.slice(0, 4000)} […]`;
}

/** Feedback from a teacher of the course in a submission room. */
export async function onFeedback(event: MatrixEvent, ctx: Hctx, env: HomeworkEnv): Promise<void> {
  const room = await submissionRoom(ctx.tx, event.room_id);
  if (room === null) return;
  if ((await roleIn(ctx.tx, room.courseRoom, event.sender)) !== "teacher" && event.sender !== env.botUserId && !(await guestRoom(ctx.tx, event.room_id, env)).creators.includes(event.sender)) return;
  const parsed = FeedbackSchema.safeParse(event.content);
  if (!parsed.success || !room.students.includes(parsed.data.student)) {
    await notice(ctx, event.room_id, T[env.lang].invalid(parsed.success ? parsed.data.student : (parsed.error.issues[0]?.message ?? "")), event.event_id);
    return;
  }
  const f = parsed.data;
  const assignment = await getAssignment(ctx.tx, room.courseRoom, f.assignment_id);
  if (assignment === null) return;
  const t = T[env.lang];
  // A mark that does not fit the assignment's grading is not stored, and the room is told why: a grade never vanishes.
  const misfit = markFits(f, assignment.content.grading);
  if (misfit !== null) {
    const given = f.grade ?? String(f.points ?? "");
    await notice(ctx, event.room_id, t.markRefused(assignment.content.title, misfit, given), event.event_id, [event.sender]);
    return;
  }
  const sender = event.sender;
  for (const member of room.students) {
    await saveFeedback(ctx.tx, room.students.length === 1 ? event.event_id : `${event.event_id}#${member}`, event.room_id, room.courseRoom, {
      assignmentId: f.assignment_id,
      student: member,
      sender,
      grade: f.grade,
      points: f.points,
      comment: f.comment,
      originTs: event.origin_server_ts,
    });
  }
  // The feedback event is for clients that know it; every client shows this notice, to the student and the teachers
  // of this private room only. It points at the feedback event, so a client that shows the feedback can hide it.
  await ctx.enqueue({
    kind: "message",
    roomId: event.room_id,
    eventType: "m.room.message",
    content: {
      ...noticeContent(t.feedback(assignment.content.title, gradeText(f, env.lang), f.comment), { replyTo: event.event_id, mentions: room.students }),
      [FEEDBACK_NOTICE]: { feedback: event.event_id, assignment_id: f.assignment_id },
    },
  });
}

/**
 * An extension for one student, as state in their submission room, written by a teacher. With `ctx` (live handling,
 * not reindex) the room is told the new due date in a notice every client shows.
 */
export async function onExtension(event: MatrixEvent, tx: Queryable, env: HomeworkEnv, ctx?: Hctx): Promise<void> {
  const room = await submissionRoom(tx, event.room_id);
  if (room === null || event.state_key === undefined) return;
  if (event.sender !== env.botUserId && (await roleIn(tx, room.courseRoom, event.sender)) !== "teacher") return;
  const parsed = ExtensionSchema.safeParse(event.content);
  if (!parsed.success) return;
  for (const s of room.students) await saveExtension(tx, room.courseRoom, event.state_key, s, parsed.data.due, parsed.data.cutoff);
  const assignment = await getAssignment(tx, room.courseRoom, event.state_key);
  if (ctx === undefined || assignment === null) return;
  const t = T[env.lang];
  const due = formatAtSchool(parsed.data.due, assignment.content.timezone, env.lang);
  await ctx.enqueue({
    kind: "message",
    roomId: event.room_id,
    eventType: "m.room.message",
    content: {
      ...noticeContent(t.extensionNotice(assignment.content.title, due), { mentions: room.students }),
      [EXTENSION_NOTICE]: { assignment_id: event.state_key, due: parsed.data.due, cutoff: parsed.data.cutoff },
    },
  });
}

/** Event types this appservice keeps (see `accepts`). */
export const STATE_TYPES = new Set(["m.room.create", "m.room.member", "m.room.power_levels", "de.schulhof.course", ASSIGNMENT, EXTENSION, SUBMISSION_ROOM]);
export const MESSAGE_TYPES = new Set([SUBMISSION, FEEDBACK]);
