// Auskunft (DSGVO Art. 15): what the homework appservice holds about one person, from its own database only.
// A student's own submissions, the feedback and grades given to them, their extensions and reminders; a teacher's
// assignments, drafts and the feedback they wrote. Never another student's submission or grade.
import type { Queryable } from "@schulhof/core";

export interface HomeworkPersonExport {
  courses: { room_id: string; name: string; power: number; joined: boolean }[];
  submission_rooms: { room_id: string; course_room: string; course_name: string; assignment_id: string | null }[];
  submissions: { event_id: string; room_id: string; course_room: string; course_name: string; assignment_id: string; assignment_title: string; submitted_at: string; late: boolean; content: Record<string, unknown> }[];
  feedback_received: { event_id: string; course_room: string; course_name: string; assignment_id: string; assignment_title: string; sender: string; grade: string | null; points: number | null; comment: string; given_at: string }[];
  extensions: { course_room: string; assignment_id: string; due: string; cutoff: string | null }[];
  started: { course_room: string; assignment_id: string }[];
  reminders_received: { course_room: string; assignment_id: string; sent_at: string }[];
  /** As a teacher: the assignments they published and the drafts they keep. */
  assignments_published: { course_room: string; id: string; event_id: string; published_at: string; content: Record<string, unknown> }[];
  drafts: { id: string; course_room: string; updated_at: string; content: Record<string, unknown> }[];
  /** As a teacher: the feedback they wrote (it is about students, so only which and when; the grades are the students' data). */
  feedback_given: { event_id: string; course_room: string; assignment_id: string; given_at: string }[];
}

const iso = (ms: number | string): string => new Date(Number(ms)).toISOString();
const isoTs = (v: unknown): string => (v instanceof Date ? v.toISOString() : String(v));

/** The person's rows of the homework database (one schema), as plain JSON. */
export async function exportHomeworkPerson(db: Queryable, userId: string): Promise<HomeworkPersonExport> {
  const q = async <T>(sql: string): Promise<T[]> => (await db.query<T>(sql, [userId])).rows;
  const courses = await q<{ room_id: string; name: string | null; power: number; joined: boolean }>(
    `SELECT m.room_id, c.name, m.power, m.joined FROM course_members m LEFT JOIN course_rooms c ON c.room_id = m.room_id WHERE m.user_id = $1 ORDER BY c.name, m.room_id`,
  );
  const rooms = await q<{ room_id: string; course_room: string; course_name: string | null; assignment_id: string | null }>(
    `SELECT s.room_id, s.course_room, c.name AS course_name, s.assignment_id FROM submission_rooms s LEFT JOIN course_rooms c ON c.room_id = s.course_room
      WHERE s.students @> jsonb_build_array($1::text) ORDER BY s.room_id`,
  );
  const subs = await q<{ event_id: string; room_id: string; course_room: string; course_name: string | null; assignment_id: string; title: string | null; submitted_at: string; late: boolean; content: Record<string, unknown> }>(
    `SELECT s.event_id, s.room_id, s.course_room, c.name AS course_name, s.assignment_id, a.content->>'title' AS title, s.submitted_at, s.late, s.content
       FROM submissions s LEFT JOIN course_rooms c ON c.room_id = s.course_room LEFT JOIN assignments a ON a.course_room = s.course_room AND a.id = s.assignment_id
      WHERE s.student = $1 ORDER BY s.submitted_at`,
  );
  const fb = await q<{ event_id: string; course_room: string; course_name: string | null; assignment_id: string; title: string | null; sender: string; grade: string | null; points: number | null; comment: string; origin_ts: string }>(
    `SELECT f.event_id, f.course_room, c.name AS course_name, f.assignment_id, a.content->>'title' AS title, f.sender, f.grade, f.points, f.comment, f.origin_ts
       FROM feedback f LEFT JOIN course_rooms c ON c.room_id = f.course_room LEFT JOIN assignments a ON a.course_room = f.course_room AND a.id = f.assignment_id
      WHERE f.student = $1 ORDER BY f.origin_ts`,
  );
  return {
    courses: courses.map((c) => ({ room_id: c.room_id, name: c.name ?? "", power: c.power, joined: c.joined })),
    submission_rooms: rooms.map((r) => ({ room_id: r.room_id, course_room: r.course_room, course_name: r.course_name ?? "", assignment_id: r.assignment_id })),
    submissions: subs.map((s) => ({
      event_id: s.event_id, room_id: s.room_id, course_room: s.course_room, course_name: s.course_name ?? "", assignment_id: s.assignment_id,
      assignment_title: s.title ?? "", submitted_at: iso(s.submitted_at), late: s.late, content: s.content,
    })),
    feedback_received: fb.map((f) => ({
      event_id: f.event_id, course_room: f.course_room, course_name: f.course_name ?? "", assignment_id: f.assignment_id, assignment_title: f.title ?? "",
      sender: f.sender, grade: f.grade, points: f.points, comment: f.comment, given_at: iso(f.origin_ts),
    })),
    extensions: await q(`SELECT course_room, assignment_id, due, cutoff FROM extensions WHERE student = $1 ORDER BY course_room, assignment_id`),
    started: await q(`SELECT course_room, assignment_id FROM started WHERE student = $1 ORDER BY course_room, assignment_id`),
    reminders_received: (await q<{ course_room: string; assignment_id: string; sent_at: unknown }>(`SELECT course_room, assignment_id, sent_at FROM reminders_sent WHERE student = $1 ORDER BY sent_at`)).map((r) => ({ ...r, sent_at: isoTs(r.sent_at) })),
    assignments_published: (await q<{ course_room: string; id: string; event_id: string; origin_ts: string; content: Record<string, unknown> }>(
      `SELECT course_room, id, event_id, origin_ts, content FROM assignments WHERE sender = $1 ORDER BY origin_ts`,
    )).map((a) => ({ course_room: a.course_room, id: a.id, event_id: a.event_id, published_at: iso(a.origin_ts), content: a.content })),
    drafts: (await q<{ id: string; course_room: string; updated_at: unknown; content: Record<string, unknown> }>(`SELECT id, course_room, updated_at, content FROM drafts WHERE author = $1 ORDER BY updated_at`)).map((d) => ({ ...d, updated_at: isoTs(d.updated_at) })),
    feedback_given: (await q<{ event_id: string; course_room: string; assignment_id: string; origin_ts: string }>(`SELECT event_id, course_room, assignment_id, origin_ts FROM feedback WHERE sender = $1 ORDER BY origin_ts`)).map((f) => ({ event_id: f.event_id, course_room: f.course_room, assignment_id: f.assignment_id, given_at: iso(f.origin_ts) })),
  };
}
