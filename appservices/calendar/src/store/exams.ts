// Exams of the cohorts as the projection holds them (the `de.schulhof.exam` state of the exam-planning rooms).
import type { Queryable } from "@schulhof/core";
import type { ExamKind } from "../exams/index.ts";

/** The content of `de.schulhof.exam` (state_key = id) in a cohort's exam-planning room. */
export interface ExamContent {
  id: string;
  course_room: string;
  course: string;
  cohort: string;
  kind: ExamKind;
  date: string;
  periods: number[];
  status: "requested" | "confirmed" | "cancelled";
  title?: string;
  note?: string;
  makeup_of?: string;
  students?: string[];
  requested_by: string;
  requested_at: string;
  approved_by?: string;
  /** A school admin's decision to plan it despite binding rules: who, why, and what was overridden. */
  override?: { by: string; reason: string; at: string; violations: string[] };
  warnings?: string[];
  version: number;
}

export interface ExamRow {
  id: string;
  cohortRoom: string;
  content: ExamContent;
}

const parse = (v: unknown): ExamContent => (typeof v === "string" ? JSON.parse(v) : v) as ExamContent;

export async function saveExam(tx: Queryable, cohortRoom: string, c: ExamContent): Promise<void> {
  await tx.query(
    `INSERT INTO exams (id, cohort_room, course_room, status, date, content) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (id) DO UPDATE SET cohort_room = $2, course_room = $3, status = $4, date = $5, content = $6, updated_at = now()`,
    [c.id, cohortRoom, c.course_room, c.status, c.date, JSON.stringify(c)],
  );
}

/** Takes a state event written by someone else than the exam bot (a school admin), if it is well-formed. */
export async function saveExamFromState(tx: Queryable, cohortRoom: string, id: string, content: Record<string, unknown>): Promise<void> {
  if (Object.keys(content).length === 0) {
    await tx.query(`DELETE FROM exams WHERE id = $1 AND cohort_room = $2`, [id, cohortRoom]);
    return;
  }
  const ok =
    typeof content.date === "string" &&
    /^\d{4}-\d{2}-\d{2}$/.test(content.date) &&
    typeof content.course_room === "string" &&
    ["requested", "confirmed", "cancelled"].includes(String(content.status)) &&
    Array.isArray(content.periods);
  if (!ok) return;
  await saveExam(tx, cohortRoom, { ...(content as unknown as ExamContent), id });
}

export async function getExam(q: Queryable, id: string): Promise<ExamRow | null> {
  const r = (await q.query<{ id: string; cohort_room: string; content: unknown }>(`SELECT id, cohort_room, content FROM exams WHERE id = $1`, [id])).rows[0];
  return r === undefined ? null : { id: r.id, cohortRoom: r.cohort_room, content: parse(r.content) };
}

/** Exams of a cohort (all statuses), optionally within local days [from, to]. */
export async function examsOfCohort(q: Queryable, cohortRoom: string, from?: string, to?: string): Promise<ExamRow[]> {
  const range = from === undefined || to === undefined ? "" : " AND date >= $2 AND date <= $3";
  const params = from === undefined || to === undefined ? [cohortRoom] : [cohortRoom, from, to];
  const r = await q.query<{ id: string; cohort_room: string; content: unknown }>(`SELECT id, cohort_room, content FROM exams WHERE cohort_room = $1${range} ORDER BY date, id`, params);
  return r.rows.map((x) => ({ id: x.id, cohortRoom: x.cohort_room, content: parse(x.content) }));
}

/** Confirmed and requested exams in the given cohort rooms between two days. */
export async function examsOfCohorts(q: Queryable, cohortRooms: readonly string[], from: string, to: string): Promise<ExamRow[]> {
  if (cohortRooms.length === 0) return [];
  const r = await q.query<{ id: string; cohort_room: string; content: unknown }>(
    `SELECT id, cohort_room, content FROM exams WHERE cohort_room = ANY($1::text[]) AND date >= $2 AND date <= $3 AND status <> 'cancelled' ORDER BY date, id`,
    [cohortRooms, from, to],
  );
  return r.rows.map((x) => ({ id: x.id, cohortRoom: x.cohort_room, content: parse(x.content) }));
}
