// A teacher's view for the web client: the courses they teach, each with its assignments (counts of who submitted) and drafts.
import type { Queryable } from "@schulhof/core";
import { assignmentsOf } from "../store/assignments.ts";
import { coursesOf, studentsOf } from "../store/courses.ts";
import { draftsOf } from "../store/drafts.ts";
import { latestSubmissions } from "../store/submissions.ts";

/** Counts over the course's current students; `submitted` (on time), `late` and `missing` add up to `students`. */
export interface SubmissionCounts {
  students: number;
  submitted: number;
  late: number;
  missing: number;
}

/** One assignment in the teacher's view. */
export interface TaughtAssignment {
  id: string;
  title: string;
  due: string;
  cutoff: string | null;
  timezone: string;
  status: "published" | "closed";
  grading: "grade" | "points" | "none";
  team: boolean;
  counts: SubmissionCounts;
}

/** One course in the teacher's view. */
export interface TaughtCourse {
  course_room: string;
  course: string;
  assignments: TaughtAssignment[];
  drafts: { id: string; title: string; due: string | null; author: string; updated_at: string }[];
}

/**
 * The courses `user` teaches (power 50 and up in the course room, by the projection), with their published and
 * closed assignments and their drafts. A student (or anyone teaching nothing) gets an empty list, not a refusal:
 * the answer is "what you teach", and that is nothing.
 */
export async function teachingOf(db: Queryable, user: string, bot: string): Promise<TaughtCourse[]> {
  const out: TaughtCourse[] = [];
  for (const course of await coursesOf(db, user)) {
    if (course.role !== "teacher") continue;
    const students = await studentsOf(db, course.roomId, bot);
    const assignments: TaughtAssignment[] = [];
    for (const a of await assignmentsOf(db, course.roomId)) {
      const subs = await latestSubmissions(db, course.roomId, a.id);
      const counts: SubmissionCounts = { students: students.length, submitted: 0, late: 0, missing: 0 };
      for (const s of students) {
        const sub = subs.get(s);
        if (sub === undefined) counts.missing++;
        else if (sub.late) counts.late++;
        else counts.submitted++;
      }
      assignments.push({
        id: a.id,
        title: a.content.title,
        due: a.content.due,
        cutoff: a.content.cutoff,
        timezone: a.content.timezone,
        status: a.content.status,
        grading: a.content.grading,
        team: a.content.teams !== null,
        counts,
      });
    }
    const drafts = (await draftsOf(db, course.roomId)).map((d) => ({ id: d.id, title: d.content.title, due: d.content.due ?? null, author: d.author, updated_at: d.updatedAt }));
    out.push({ course_room: course.roomId, course: course.name, assignments, drafts });
  }
  return out;
}
