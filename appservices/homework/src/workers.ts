// Background work of the homework appservice: making requested submission rooms, and reminders before the due date.
import type { AppserviceContext } from "@schulhof/core";
import { MatrixError } from "matrix-js-sdk";
import { formatAtSchool, toMillis } from "./domain/deadlines.ts";
import { T, type Lang } from "./bot/texts.ts";
import { ensureCourseSpace, createSubmissionRoom } from "./matrix/rooms.ts";
import { membersOf, courseName, TEACHER_POWER } from "./store/courses.ts";
import { finishRoomJob, finishTeamJob, pendingRoomJobs, pendingTeamJobs, saveSubmissionRoom, submissionRoomOf, latestSubmissions, claimReminder } from "./store/submissions.ts";
import { assignmentsOf } from "./store/assignments.ts";

const COURSE_ROOMS = `SELECT room_id FROM course_rooms WHERE is_course`;

/** Makes the submission rooms that were asked for (at publish, or by `!abgeben` in a course room). */
export async function runRoomJobs(ctx: AppserviceContext, lang: Lang, limit = 200, concurrency = 4): Promise<number> {
  const jobs = await pendingRoomJobs(ctx.db, limit);
  ctx.log.debug({ jobs: jobs.length }, "room jobs");
  const spaces = new Map<string, Promise<string>>();
  let made = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const job = jobs[next++];
      if (job === undefined) return;
      made += await makeRoom(ctx, lang, job, spaces);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, worker));
  return made;
}

async function makeRoom(ctx: AppserviceContext, lang: Lang, job: { courseRoom: string; student: string }, spaces: Map<string, Promise<string>>): Promise<number> {
  let made = 0;
  {
    try {
      const course = (await courseName(ctx.db, job.courseRoom)) ?? "";
      const members = await membersOf(ctx.db, job.courseRoom);
      const teachers = members.filter((m) => m.power >= TEACHER_POWER && m.userId !== ctx.matrix.botUserId).map((m) => m.userId);
      let pending = spaces.get(job.courseRoom);
      if (pending === undefined) {
        pending = ensureCourseSpace(ctx.matrix, job.courseRoom, course, T[lang].spaceName(course), teachers);
        spaces.set(job.courseRoom, pending);
        pending.catch(() => spaces.delete(job.courseRoom));
      }
      const space = await pending;
      if ((await submissionRoomOf(ctx.db, job.courseRoom, job.student)) === null) {
        const profile = await ctx.matrix.bot.getProfileInfo(job.student).catch(() => ({ displayname: job.student }));
        const roomId = await createSubmissionRoom(ctx.matrix, {
          courseRoom: job.courseRoom,
          spaceId: space,
          name: T[lang].roomName(course, profile.displayname ?? job.student),
          students: [job.student],
          teachers,
          assignmentId: null,
        });
        await ctx.matrix.bot.invite(space, job.student).catch((e: unknown) => {
          if (!(e instanceof MatrixError && e.errcode === "M_FORBIDDEN")) throw e;
        });
        await saveSubmissionRoom(ctx.db, { roomId, courseRoom: job.courseRoom, students: [job.student], assignmentId: null });
        made++;
      }
      await finishRoomJob(ctx.db, job.courseRoom, job.student);
    } catch (e) {
      ctx.log.warn({ err: e, course_room: job.courseRoom }, "submission room not made yet; will retry");
    }
  }
  return made;
}

/** Makes the rooms of team assignments: the team, the course's teachers and the bot. */
export async function runTeamJobs(ctx: AppserviceContext, lang: Lang, limit = 100): Promise<number> {
  let made = 0;
  for (const job of await pendingTeamJobs(ctx.db, limit)) {
    try {
      const course = (await courseName(ctx.db, job.courseRoom)) ?? "";
      const a = (await assignmentsOf(ctx.db, job.courseRoom)).find((x) => x.id === job.assignmentId);
      const teachers = (await membersOf(ctx.db, job.courseRoom)).filter((m) => m.power >= TEACHER_POWER && m.userId !== ctx.matrix.botUserId).map((m) => m.userId);
      const space = await ensureCourseSpace(ctx.matrix, job.courseRoom, course, T[lang].spaceName(course), teachers);
      const roomId = await createSubmissionRoom(ctx.matrix, {
        courseRoom: job.courseRoom,
        spaceId: space,
        name: T[lang].teamRoomName(course, a?.content.title ?? job.assignmentId, job.team),
        students: job.students,
        teachers,
        assignmentId: job.assignmentId,
      });
      await saveSubmissionRoom(ctx.db, { roomId, courseRoom: job.courseRoom, students: job.students, assignmentId: job.assignmentId });
      await finishTeamJob(ctx.db, job.courseRoom, job.assignmentId, job.team);
      made++;
    } catch (e) {
      ctx.log.warn({ err: e, course_room: job.courseRoom }, "team room not made yet; will retry");
    }
  }
  return made;
}

/**
 * Reminds students who have not submitted, `reminder_hours` before the due date, once each (in their
 * submission room, mentioning them). Runs every minute; a missed minute is caught up until the due date.
 */
export async function runReminders(ctx: AppserviceContext, lang: Lang, now = Date.now()): Promise<number> {
  const courses = (await ctx.db.query<{ room_id: string }>(COURSE_ROOMS)).rows.map((r) => r.room_id);
  let sent = 0;
  for (const courseRoom of courses) {
    for (const a of await assignmentsOf(ctx.db, courseRoom)) {
      if (a.content.status !== "published" || a.content.teams !== null) continue;
      const due = toMillis(a.content.due);
      if (now < due - a.content.reminder_hours * 3_600_000 || now >= due) continue;
      const submitted = await latestSubmissions(ctx.db, courseRoom, a.id);
      const students = (await membersOf(ctx.db, courseRoom)).filter((m) => m.power < TEACHER_POWER && m.userId !== ctx.matrix.botUserId);
      for (const s of students) {
        if (submitted.has(s.userId)) continue;
        const room = await submissionRoomOf(ctx.db, courseRoom, s.userId);
        if (room === null) continue;
        const queued = await ctx.db.transaction(async (tx) => {
          if (!(await claimReminder(tx, courseRoom, a.id, s.userId))) return false;
          await ctx.outbox.enqueue(tx, `reminder:${courseRoom}:${a.id}:${s.userId}`, {
            kind: "message",
            roomId: room,
            eventType: "m.room.message",
            content: { msgtype: "m.text", body: T[lang].reminder(a.content.title, formatAtSchool(a.content.due, a.content.timezone, lang)), "m.mentions": { user_ids: [s.userId] } },
          });
          return true;
        });
        if (queued) sent++;
      }
    }
  }
  if (sent > 0) ctx.outbox.kick();
  return sent;
}
