// Drafts of assignments: kept only here until a teacher publishes them (a draft never reaches a room).
import type { Queryable } from "@schulhof/core";
import type { Draft } from "../domain/schema.ts";

const LIST = `SELECT id, author, content, updated_at FROM drafts WHERE course_room = $1 ORDER BY updated_at DESC, id`;
const UPSERT = `
INSERT INTO drafts (id, course_room, author, content) VALUES ($1, $2, $3, $4)
ON CONFLICT (id) DO UPDATE SET content = $4, author = $3, updated_at = now() WHERE drafts.course_room = $2
RETURNING id`;
const GET = `SELECT id, author, content, updated_at FROM drafts WHERE id = $1 AND course_room = $2`;
const DELETE = `DELETE FROM drafts WHERE id = $1 AND course_room = $2`;

/** A stored draft; `content` is what the teacher saved (at least a title). */
export interface DraftRow {
  id: string;
  author: string;
  content: Draft;
  /** RFC 3339, UTC. */
  updatedAt: string;
}

interface Raw {
  id: string;
  author: string;
  content: Draft | string;
  updated_at: Date | string;
}

const toRow = (r: Raw): DraftRow => ({
  id: r.id,
  author: r.author,
  content: typeof r.content === "string" ? (JSON.parse(r.content) as Draft) : r.content,
  updatedAt: new Date(r.updated_at).toISOString(),
});

/** The drafts of a course, the latest edited first. */
export async function draftsOf(db: Queryable, courseRoom: string): Promise<DraftRow[]> {
  return (await db.query<Raw>(LIST, [courseRoom])).rows.map(toRow);
}

/** Saves a draft; an id that belongs to another course is left alone (and answers false). */
export async function saveDraft(db: Queryable, courseRoom: string, id: string, author: string, content: Draft): Promise<boolean> {
  return (await db.query(UPSERT, [id, courseRoom, author, JSON.stringify(content)])).rows.length > 0;
}

export async function getDraft(db: Queryable, courseRoom: string, id: string): Promise<DraftRow | null> {
  const r = (await db.query<Raw>(GET, [id, courseRoom])).rows[0];
  return r === undefined ? null : toRow(r);
}

export async function deleteDraft(db: Queryable, courseRoom: string, id: string): Promise<void> {
  await db.query(DELETE, [id, courseRoom]);
}
