// Assignments as stored from their state events in course rooms.
import type { Queryable } from "@schulhof/core";
import type { Assignment } from "../domain/schema.ts";

/** A stored assignment with where it came from. */
export interface AssignmentRow {
  courseRoom: string;
  id: string;
  content: Assignment;
  sender: string;
  eventId: string;
  originTs: number;
}

const UPSERT = `
INSERT INTO assignments (course_room, id, content, sender, event_id, origin_ts) VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (course_room, id) DO UPDATE SET content = $3, sender = $4, event_id = $5, origin_ts = $6
WHERE assignments.origin_ts <= $6`;
const DELETE = `DELETE FROM assignments WHERE course_room = $1 AND id = $2`;
const SELECT_ONE = `SELECT course_room, id, content, sender, event_id, origin_ts FROM assignments WHERE course_room = $1 AND id = $2`;
const SELECT_COURSE = `SELECT course_room, id, content, sender, event_id, origin_ts FROM assignments WHERE course_room = $1 ORDER BY content ->> 'due', id`;
const SELECT_BY_ID = `SELECT course_room, id, content, sender, event_id, origin_ts FROM assignments WHERE id = $1`;

interface Raw {
  course_room: string;
  id: string;
  content: Assignment | string;
  sender: string;
  event_id: string;
  origin_ts: string | number;
}

const toRow = (r: Raw): AssignmentRow => ({
  courseRoom: r.course_room,
  id: r.id,
  content: typeof r.content === "string" ? (JSON.parse(r.content) as Assignment) : r.content,
  sender: r.sender,
  eventId: r.event_id,
  originTs: Number(r.origin_ts),
});

/** Stores the newest state of an assignment (an older event replayed later does not win). */
export async function saveAssignment(db: Queryable, row: AssignmentRow): Promise<void> {
  await db.query(UPSERT, [row.courseRoom, row.id, JSON.stringify(row.content), row.sender, row.eventId, row.originTs]);
}

/** Removes an assignment whose state was emptied. */
export async function deleteAssignment(db: Queryable, courseRoom: string, id: string): Promise<void> {
  await db.query(DELETE, [courseRoom, id]);
}

export async function getAssignment(db: Queryable, courseRoom: string, id: string): Promise<AssignmentRow | null> {
  const r = (await db.query<Raw>(SELECT_ONE, [courseRoom, id])).rows[0];
  return r === undefined ? null : toRow(r);
}

/** An assignment by id alone (ids are unique across courses). */
export async function findAssignment(db: Queryable, id: string): Promise<AssignmentRow | null> {
  const r = (await db.query<Raw>(SELECT_BY_ID, [id])).rows[0];
  return r === undefined ? null : toRow(r);
}

/** The assignments of a course, by due date. */
export async function assignmentsOf(db: Queryable, courseRoom: string): Promise<AssignmentRow[]> {
  return (await db.query<Raw>(SELECT_COURSE, [courseRoom])).rows.map(toRow);
}
