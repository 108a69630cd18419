// Background work of the homework appservice: making requested submission rooms, and reminders before the due date.
import type { AppserviceContext } from "@schulhof/core";
import { localpartOf, localUserId, serverOf } from "@schulhof/core";
import { MatrixError } from "matrix-js-sdk";
import { formatAtSchool } from "./domain/deadlines.ts";
import { T, type Lang } from "./bot/texts.ts";
import { ensureCourseSpace, createSubmissionRoom } from "./matrix/rooms.ts";
import { courseName, saveSubmissionsSpace, submissionsSpaceOf, teachersOf } from "./store/courses.ts";
import { claimReminder, finishRoomJob, finishTeamJob, pendingRoomJobs, pendingTeamJobs, saveSubmissionRoom, submissionRoomOf } from "./store/submissions.ts";
import { getAssignment } from "./store/assignments.ts";

/**
 * Students who are due a reminder now: published individual assignments whose reminder time has
 * come and whose due date has not passed, students of the course without a submission or a
 * reminder so far, who have a submission room. One query instead of a walk over every course.
 */
const DUE_REMINDERS = `
SELECT a.course_room, a.id, a.content ->> 'title' AS title, a.content ->> 'due' AS due, a.content ->> 'timezone' AS timezone,
       m.user_id AS student, r.room_id
FROM assignments a
JOIN course_rooms c ON c.room_id = a.course_room AND c.is_course
  -- never in a course hosted by another district school (its bot reminds): a creator of ours, or none recorded
  -- (the rule of hostedElsewhere in @schulhof/core, in SQL)
  AND (c.creators = '[]'::jsonb OR EXISTS (SELECT 1 FROM jsonb_array_elements_text(c.creators) cr WHERE substring(cr from position(':' in cr) + 1) = $3))
JOIN course_members m ON m.room_id = a.course_room AND m.joined AND m.power < 50 AND m.user_id <> $2
JOIN submission_rooms r ON r.course_room = a.course_room AND r.assignment_id IS NULL AND r.students = jsonb_build_array(m.user_id)
WHERE a.content ->> 'status' = 'published' AND a.content -> 'teams' = 'null'::jsonb
  AND to_timestamp($1 / 1000.0) < (a.content ->> 'due')::timestamptz
  AND to_timestamp($1 / 1000.0) >= (a.content ->> 'due')::timestamptz - make_interval(secs => (a.content ->> 'reminder_hours')::float * 3600)
  AND NOT EXISTS (SELECT 1 FROM submissions s WHERE s.course_room = a.course_room AND s.assignment_id = a.id AND s.student = m.user_id)
  AND NOT EXISTS (SELECT 1 FROM reminders_sent x WHERE x.course_room = a.course_room AND x.assignment_id = a.id AND x.student = m.user_id)
LIMIT 500`;

/** The course's submissions space: from the store, else made (or found by alias) and stored. */
async function courseSpace(ctx: AppserviceContext, lang: Lang, courseRoom: string, course: string, teachers: string[]): Promise<string> {
  const known = await submissionsSpaceOf(ctx.db, courseRoom);
  if (known !== null) return known;
  const space = await ensureCourseSpace(ctx.matrix, courseRoom, course, T[lang].spaceName(course), teachers);
  await saveSubmissionsSpace(ctx.db, courseRoom, space);
  return space;
}

/** Makes the submission rooms that were asked for (at publish, or by `!abgeben` in a course room), `concurrency` at a time. */
export async function runRoomJobs(ctx: AppserviceContext, lang: Lang, limit = 200, concurrency = 4, district: ReadonlySet<string> = new Set()): Promise<number> {
  const jobs = await pendingRoomJobs(ctx.db, limit);
  // Rooms of one course share their space: make it once per course before its rooms.
  const spaces = new Map<string, Promise<string>>();
  let made = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let job = jobs[next++]; job !== undefined; job = jobs[next++]) {
      try {
        if (await makeRoom(ctx, lang, job, spaces, district)) made++;
        await finishRoomJob(ctx.db, job.courseRoom, job.student);
      } catch (e) {
        spaces.delete(job.courseRoom);
        ctx.log.warn({ err: e, course_room: job.courseRoom }, "submission room not made yet; will retry");
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, worker));
  return made;
}

async function makeRoom(
  ctx: AppserviceContext,
  lang: Lang,
  job: { courseRoom: string; student: string },
  spaces: Map<string, Promise<string>>,
  district: ReadonlySet<string>,
): Promise<boolean> {
  if ((await submissionRoomOf(ctx.db, job.courseRoom, job.student)) !== null) return false;
  const course = (await courseName(ctx.db, job.courseRoom)) ?? "";
  const teachers = await teachersOf(ctx.db, job.courseRoom, ctx.matrix.botUserId);
  let space = spaces.get(job.courseRoom);
  if (space === undefined) {
    space = courseSpace(ctx, lang, job.courseRoom, course, teachers);
    spaces.set(job.courseRoom, space);
  }
  const spaceId = await space;
  const profile = await ctx.matrix.bot.getProfileInfo(job.student).catch(() => ({ displayname: job.student }));
  const roomId = await createSubmissionRoom(ctx.matrix, {
    courseRoom: job.courseRoom,
    spaceId,
    name: T[lang].roomName(course, profile.displayname ?? job.student),
    students: [job.student],
    teachers,
    assignmentId: null,
    // A student of a district school: their school's homework bot reads along (their own web client lists the work).
    readers: district.has(serverOf(job.student)) ? [localUserId(localpartOf(ctx.matrix.botUserId), serverOf(job.student))] : [],
  });
  await ctx.matrix.bot.invite(spaceId, job.student).catch((e: unknown) => {
    if (!(e instanceof MatrixError && e.errcode === "M_FORBIDDEN")) throw e;
  });
  await saveSubmissionRoom(ctx.db, { roomId, courseRoom: job.courseRoom, students: [job.student], assignmentId: null });
  return true;
}

/** Makes the rooms of team assignments: the team, the course's teachers and the bot. */
export async function runTeamJobs(ctx: AppserviceContext, lang: Lang, limit = 100): Promise<number> {
  let made = 0;
  for (const job of await pendingTeamJobs(ctx.db, limit)) {
    try {
      const course = (await courseName(ctx.db, job.courseRoom)) ?? "";
      const a = await getAssignment(ctx.db, job.courseRoom, job.assignmentId);
      const teachers = await teachersOf(ctx.db, job.courseRoom, ctx.matrix.botUserId);
      const spaceId = await courseSpace(ctx, lang, job.courseRoom, course, teachers);
      const roomId = await createSubmissionRoom(ctx.matrix, {
        courseRoom: job.courseRoom,
        spaceId,
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
 * submission room, mentioning them). Runs on every tick; a missed tick is caught up until the due date.
 */
export async function runReminders(ctx: AppserviceContext, lang: Lang, now = Date.now()): Promise<number> {
  const due = (
    await ctx.db.query<{ course_room: string; id: string; title: string; due: string; timezone: string | null; student: string; room_id: string }>(DUE_REMINDERS, [
      now,
      ctx.matrix.botUserId,
      ctx.matrix.identity.serverName,
    ])
  ).rows;
  let sent = 0;
  for (const r of due) {
    const queued = await ctx.db.transaction(async (tx) => {
      if (!(await claimReminder(tx, r.course_room, r.id, r.student))) return false;
      await ctx.outbox.enqueue(tx, `reminder:${r.course_room}:${r.id}:${r.student}`, {
        kind: "message",
        roomId: r.room_id,
        eventType: "m.room.message",
        content: { msgtype: "m.text", body: T[lang].reminder(r.title, formatAtSchool(r.due, r.timezone ?? "Europe/Berlin", lang)), "m.mentions": { user_ids: [r.student] } },
      });
      return true;
    });
    if (queued) sent++;
  }
  if (sent > 0) ctx.outbox.kick();
  return sent;
}
