// Submission rooms, submissions, feedback, extensions, "started" marks and reminders.
import type { Queryable } from "@schulhof/core";
import type { Submission } from "../domain/schema.ts";

const UPSERT_ROOM = `
INSERT INTO submission_rooms (room_id, course_room, students, assignment_id) VALUES ($1, $2, $3, $4)
ON CONFLICT (room_id) DO UPDATE SET course_room = $2, students = $3, assignment_id = $4`;
const ROOM = `SELECT room_id, course_room, students, assignment_id FROM submission_rooms WHERE room_id = $1`;
const ROOM_OF = `
SELECT room_id FROM submission_rooms WHERE course_room = $1 AND assignment_id IS NULL AND students @> $2::jsonb AND jsonb_array_length(students) = 1`;
const TEAM_ROOM_OF = `SELECT room_id FROM submission_rooms WHERE course_room = $1 AND assignment_id = $2 AND students @> $3::jsonb`;
const INSERT_SUBMISSION = `
INSERT INTO submissions (event_id, room_id, course_room, assignment_id, student, submitted_at, late, content)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (event_id) DO NOTHING`;
const LATEST = `
SELECT DISTINCT ON (student) student, event_id, room_id, submitted_at, late, content FROM submissions
WHERE course_room = $1 AND assignment_id = $2 ORDER BY student, submitted_at DESC, event_id DESC`;
const OF_STUDENT = `
SELECT assignment_id, event_id, room_id, submitted_at, late, content FROM submissions
WHERE course_room = $1 AND student = $2 ORDER BY submitted_at`;
const SUBMITTED_SET = `SELECT DISTINCT course_room, assignment_id FROM submissions WHERE student = $1`;
const INSERT_FEEDBACK = `
INSERT INTO feedback (event_id, room_id, course_room, assignment_id, student, sender, grade, points, comment, origin_ts)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (event_id) DO NOTHING`;
const FEEDBACK_OF = `
SELECT DISTINCT ON (assignment_id) assignment_id, sender, grade, points, comment, origin_ts FROM feedback
WHERE course_room = $1 AND student = $2 ORDER BY assignment_id, origin_ts DESC`;
const FEEDBACK_FOR = `
SELECT DISTINCT ON (student) student, grade, points, origin_ts FROM feedback
WHERE course_room = $1 AND assignment_id = $2 ORDER BY student, origin_ts DESC`;
const UPSERT_EXTENSION = `
INSERT INTO extensions (course_room, assignment_id, student, due, cutoff) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (course_room, assignment_id, student) DO UPDATE SET due = $4, cutoff = $5`;
const EXTENSION = `SELECT due, cutoff FROM extensions WHERE course_room = $1 AND assignment_id = $2 AND student = $3`;
const EXTENSIONS_FOR = `SELECT student, due, cutoff FROM extensions WHERE course_room = $1 AND assignment_id = $2`;
const EXTENSIONS_OF = `SELECT course_room, assignment_id, due, cutoff FROM extensions WHERE student = $1`;
const MARK_STARTED = `INSERT INTO started (course_room, assignment_id, student) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`;
const STARTED_OF = `SELECT course_room, assignment_id FROM started WHERE student = $1`;
const REMINDED = `INSERT INTO reminders_sent (course_room, assignment_id, student) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING student`;
const REQUEST_ROOM = `INSERT INTO room_jobs (course_room, student) VALUES ($1, $2) ON CONFLICT DO NOTHING`;
const ROOM_JOBS = `
SELECT j.course_room, j.student FROM room_jobs j
WHERE NOT EXISTS (SELECT 1 FROM submission_rooms s WHERE s.course_room = j.course_room AND s.assignment_id IS NULL AND s.students @> jsonb_build_array(j.student))
ORDER BY j.requested_at LIMIT $1`;
const DONE_JOB = `DELETE FROM room_jobs WHERE course_room = $1 AND student = $2`;
const REQUEST_TEAM = `INSERT INTO team_jobs (course_room, assignment_id, team, students) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`;
const TEAM_JOBS = `
SELECT j.course_room, j.assignment_id, j.team, j.students FROM team_jobs j
WHERE NOT EXISTS (SELECT 1 FROM submission_rooms s WHERE s.course_room = j.course_room AND s.assignment_id = j.assignment_id AND s.students = j.students)
LIMIT $1`;
const DONE_TEAM = `DELETE FROM team_jobs WHERE course_room = $1 AND assignment_id = $2 AND team = $3`;

export interface SubmissionRoomRow {
  roomId: string;
  courseRoom: string;
  students: string[];
  assignmentId: string | null;
}

export interface SubmissionRow {
  eventId: string;
  roomId: string;
  assignmentId: string;
  student: string;
  submittedAt: number;
  late: boolean;
  content: Submission;
}

export interface FeedbackRow {
  assignmentId: string;
  student: string;
  sender: string;
  grade: string | null;
  points: number | null;
  comment: string;
  originTs: number;
}

const json = <T>(v: T | string): T => (typeof v === "string" ? (JSON.parse(v) as T) : v);

export async function saveSubmissionRoom(db: Queryable, r: SubmissionRoomRow): Promise<void> {
  await db.query(UPSERT_ROOM, [r.roomId, r.courseRoom, JSON.stringify(r.students), r.assignmentId]);
}

export async function submissionRoom(db: Queryable, roomId: string): Promise<SubmissionRoomRow | null> {
  const r = (await db.query<{ room_id: string; course_room: string; students: string[] | string; assignment_id: string | null }>(ROOM, [roomId])).rows[0];
  return r === undefined ? null : { roomId: r.room_id, courseRoom: r.course_room, students: json(r.students), assignmentId: r.assignment_id };
}

/** The private submission room of `student` in a course, or null when it does not exist yet. */
export async function submissionRoomOf(db: Queryable, courseRoom: string, student: string): Promise<string | null> {
  return (await db.query<{ room_id: string }>(ROOM_OF, [courseRoom, JSON.stringify([student])])).rows[0]?.room_id ?? null;
}

/** The team room of `student` for a team assignment, or null. */
export async function teamRoomOf(db: Queryable, courseRoom: string, assignmentId: string, student: string): Promise<string | null> {
  return (await db.query<{ room_id: string }>(TEAM_ROOM_OF, [courseRoom, assignmentId, JSON.stringify([student])])).rows[0]?.room_id ?? null;
}

/** Records a submission; a replay of the same event changes nothing. */
export async function saveSubmission(db: Queryable, courseRoom: string, s: SubmissionRow): Promise<void> {
  await db.query(INSERT_SUBMISSION, [s.eventId, s.roomId, courseRoom, s.assignmentId, s.student, s.submittedAt, s.late, JSON.stringify(s.content)]);
}

/** The latest submission of each student (team members each get their row) for an assignment. */
export async function latestSubmissions(db: Queryable, courseRoom: string, assignmentId: string): Promise<Map<string, SubmissionRow>> {
  const rows = (
    await db.query<{ student: string; event_id: string; room_id: string; submitted_at: string | number; late: boolean; content: Submission | string }>(LATEST, [
      courseRoom,
      assignmentId,
    ])
  ).rows;
  return new Map(
    rows.map((r) => [
      r.student,
      { eventId: r.event_id, roomId: r.room_id, assignmentId, student: r.student, submittedAt: Number(r.submitted_at), late: r.late, content: json(r.content) },
    ]),
  );
}

/** Every submission of one student in a course, oldest first. */
export async function submissionsOfStudent(db: Queryable, courseRoom: string, student: string): Promise<SubmissionRow[]> {
  const rows = (
    await db.query<{ assignment_id: string; event_id: string; room_id: string; submitted_at: string | number; late: boolean; content: Submission | string }>(OF_STUDENT, [
      courseRoom,
      student,
    ])
  ).rows;
  return rows.map((r) => ({ eventId: r.event_id, roomId: r.room_id, assignmentId: r.assignment_id, student, submittedAt: Number(r.submitted_at), late: r.late, content: json(r.content) }));
}

/** `course_room\0assignment_id` of everything a student submitted. */
export async function submittedKeys(db: Queryable, student: string): Promise<Set<string>> {
  const rows = (await db.query<{ course_room: string; assignment_id: string }>(SUBMITTED_SET, [student])).rows;
  return new Set(rows.map((r) => `${r.course_room}\0${r.assignment_id}`));
}

export async function saveFeedback(db: Queryable, eventId: string, roomId: string, courseRoom: string, f: FeedbackRow): Promise<void> {
  await db.query(INSERT_FEEDBACK, [eventId, roomId, courseRoom, f.assignmentId, f.student, f.sender, f.grade, f.points, f.comment, f.originTs]);
}

/** The latest feedback per assignment for one student in a course. */
export async function feedbackOfStudent(db: Queryable, courseRoom: string, student: string): Promise<Map<string, FeedbackRow>> {
  const rows = (
    await db.query<{ assignment_id: string; sender: string; grade: string | null; points: number | null; comment: string; origin_ts: string | number }>(FEEDBACK_OF, [
      courseRoom,
      student,
    ])
  ).rows;
  return new Map(rows.map((r) => [r.assignment_id, { assignmentId: r.assignment_id, student, sender: r.sender, grade: r.grade, points: r.points, comment: r.comment, originTs: Number(r.origin_ts) }]));
}

/** The latest grade per student for one assignment. */
export async function gradesFor(db: Queryable, courseRoom: string, assignmentId: string): Promise<Map<string, { grade: string | null; points: number | null }>> {
  const rows = (await db.query<{ student: string; grade: string | null; points: number | null }>(FEEDBACK_FOR, [courseRoom, assignmentId])).rows;
  return new Map(rows.map((r) => [r.student, { grade: r.grade, points: r.points }]));
}

export async function saveExtension(db: Queryable, courseRoom: string, assignmentId: string, student: string, due: string, cutoff: string | null): Promise<void> {
  await db.query(UPSERT_EXTENSION, [courseRoom, assignmentId, student, due, cutoff]);
}

/** A student's extension, or null. */
export async function extensionOf(db: Queryable, courseRoom: string, assignmentId: string, student: string): Promise<{ due: string; cutoff: string | null } | null> {
  return (await db.query<{ due: string; cutoff: string | null }>(EXTENSION, [courseRoom, assignmentId, student])).rows[0] ?? null;
}

export async function extensionsFor(db: Queryable, courseRoom: string, assignmentId: string): Promise<Map<string, { due: string; cutoff: string | null }>> {
  const rows = (await db.query<{ student: string; due: string; cutoff: string | null }>(EXTENSIONS_FOR, [courseRoom, assignmentId])).rows;
  return new Map(rows.map((r) => [r.student, { due: r.due, cutoff: r.cutoff }]));
}

/** Every extension of one student, keyed `course_room\0assignment_id`. */
export async function extensionsOfStudent(db: Queryable, student: string): Promise<Map<string, { due: string; cutoff: string | null }>> {
  const rows = (await db.query<{ course_room: string; assignment_id: string; due: string; cutoff: string | null }>(EXTENSIONS_OF, [student])).rows;
  return new Map(rows.map((r) => [`${r.course_room}\0${r.assignment_id}`, { due: r.due, cutoff: r.cutoff }]));
}

export async function markStarted(db: Queryable, courseRoom: string, assignmentId: string, student: string): Promise<void> {
  await db.query(MARK_STARTED, [courseRoom, assignmentId, student]);
}

export async function startedKeys(db: Queryable, student: string): Promise<Set<string>> {
  const rows = (await db.query<{ course_room: string; assignment_id: string }>(STARTED_OF, [student])).rows;
  return new Set(rows.map((r) => `${r.course_room}\0${r.assignment_id}`));
}

/** Records a reminder; answers false when it was sent before (reminders go out once). */
export async function claimReminder(db: Queryable, courseRoom: string, assignmentId: string, student: string): Promise<boolean> {
  return (await db.query(REMINDED, [courseRoom, assignmentId, student])).rows.length > 0;
}

/** Asks for a student's submission room in a course (made by the room worker). */
export async function requestSubmissionRoom(db: Queryable, courseRoom: string, student: string): Promise<void> {
  await db.query(REQUEST_ROOM, [courseRoom, student]);
}

/** Requested rooms that do not exist yet. */
export async function pendingRoomJobs(db: Queryable, limit: number): Promise<{ courseRoom: string; student: string }[]> {
  return (await db.query<{ course_room: string; student: string }>(ROOM_JOBS, [limit])).rows.map((r) => ({ courseRoom: r.course_room, student: r.student }));
}

export async function finishRoomJob(db: Queryable, courseRoom: string, student: string): Promise<void> {
  await db.query(DONE_JOB, [courseRoom, student]);
}

/** Asks for the room of one team of a team assignment. */
export async function requestTeamRoom(db: Queryable, courseRoom: string, assignmentId: string, team: number, students: string[]): Promise<void> {
  await db.query(REQUEST_TEAM, [courseRoom, assignmentId, team, JSON.stringify(students)]);
}

/** Requested team rooms that do not exist yet. */
export async function pendingTeamJobs(db: Queryable, limit: number): Promise<{ courseRoom: string; assignmentId: string; team: number; students: string[] }[]> {
  const rows = (await db.query<{ course_room: string; assignment_id: string; team: number; students: string[] | string }>(TEAM_JOBS, [limit])).rows;
  return rows.map((r) => ({ courseRoom: r.course_room, assignmentId: r.assignment_id, team: r.team, students: json(r.students) }));
}

export async function finishTeamJob(db: Queryable, courseRoom: string, assignmentId: string, team: number): Promise<void> {
  await db.query(DONE_TEAM, [courseRoom, assignmentId, team]);
}
