// Marking an assignment as begun ("begonnen"): the one path that the `!begonnen` command and the API both take.
import type { Queryable } from "@schulhof/core";
import { HomeworkError } from "../domain/errors.ts";
import { todoStatus, type TodoStatus } from "../domain/status.ts";
import { getAssignment, type AssignmentRow } from "../store/assignments.ts";
import { roleIn } from "../store/courses.ts";
import { extensionOf, markStarted, startedKeys, submittedKeys } from "../store/submissions.ts";

/**
 * Marks `assignmentId` of a course as started by `student` (kept in the appservice's table only; a mark is no room
 * event). Only a student of the course marks, and only for themselves: callers pass the person who asked, never a
 * name from a request. Throws a HomeworkError (403 not a student of the course, 404 no such assignment, 409 closed).
 */
export async function startAssignment(db: Queryable, courseRoom: string, assignmentId: string, student: string): Promise<AssignmentRow> {
  if ((await roleIn(db, courseRoom, student)) !== "student") {
    throw new HomeworkError(
      "SCHULHOF_HOMEWORK_NOT_STUDENT",
      "only students of the course mark assignments as started",
      { de: "Als begonnen markieren können nur Schülerinnen und Schüler dieses Kurses.", en: "Only students of this course can mark an assignment as started." },
      403,
      "M_FORBIDDEN",
    );
  }
  const a = await getAssignment(db, courseRoom, assignmentId);
  if (a === null) throw new HomeworkError("SCHULHOF_HOMEWORK_NOT_FOUND", "no such assignment", { de: "Diese Aufgabe gibt es nicht.", en: "No such assignment." }, 404, "M_NOT_FOUND");
  if (a.content.status === "closed") {
    throw new HomeworkError(
      "SCHULHOF_HOMEWORK_CLOSED",
      "assignment is closed",
      { de: `„${a.content.title}“ ist geschlossen.`, en: `"${a.content.title}" is closed.` },
      409,
      "M_FORBIDDEN",
    );
  }
  await markStarted(db, courseRoom, a.id, student);
  return a;
}

/** A student's status for one assignment now (the same rules as `GET /todo`). */
export async function statusOf(db: Queryable, a: AssignmentRow, student: string, now = Date.now()): Promise<TodoStatus> {
  const key = `${a.courseRoom}\0${a.id}`;
  const ext = await extensionOf(db, a.courseRoom, a.id, student);
  return todoStatus({
    now,
    due: ext?.due ?? a.content.due,
    cutoff: ext === null ? a.content.cutoff : ext.cutoff,
    closed: a.content.status === "closed",
    submitted: (await submittedKeys(db, student)).has(key),
    started: (await startedKeys(db, student)).has(key),
  });
}
