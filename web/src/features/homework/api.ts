// The homework API as the section uses it (typed client `apiClients().homework`): every call answers data or throws an ApiError.
import { apiClients, unwrap } from "../../lib/api/index.ts";
import type { components } from "../../lib/api/generated/homework.ts";
import { parseFileRefs, type DraftContent, type FileRef, type TodoStatus } from "./model.ts";

type Schemas = components["schemas"];
/** One of the student's assignments; `submission_room` is their own room (or their team's), null until the bot made it. */
export type TodoItem = Schemas["TodoItem"];
/** A course the signed-in user teaches, with its assignments (counts of who submitted) and drafts. */
export type TaughtCourse = Schemas["TaughtCourse"];
/** A saved draft with its content. */
export type Draft = Schemas["Draft"];

/** One student's row of a teacher's overview. */
export interface OverviewRow {
  userId: string;
  status: "submitted" | "late" | "missing";
  submittedAt: number | null;
  submissionRoom: string | null;
  extension: { due: string; cutoff: string | null } | null;
  grade: string | null;
  points: number | null;
}

/** A submission as the API reports it; text and file names are untrusted. */
export interface SubmissionRecord {
  assignmentId: string;
  eventId: string;
  roomId: string;
  submittedAt: number;
  late: boolean;
  text: string;
  files: FileRef[];
}

/** The latest feedback on one assignment. */
export interface FeedbackRecord {
  assignmentId: string;
  grade: string | null;
  points: number | null;
  comment: string;
  by: string;
  at: number;
}

const homework = (): ReturnType<typeof apiClients>["homework"] => apiClients().homework;

/** The signed-in student's assignments across their courses, and the courses they take part in (`GET /todo`). */
export async function loadTodo(): Promise<{ items: TodoItem[]; courses: { course_room: string; course: string }[] }> {
  return unwrap(await homework().GET("/todo"));
}

/** The courses the signed-in user teaches, with assignments and drafts (`GET /teaching`); empty for students. */
export async function loadTeaching(): Promise<TaughtCourse[]> {
  return unwrap(await homework().GET("/teaching")).courses;
}

/** Who submitted one assignment, who is late and who has not (`GET …/overview`, teachers only). */
export async function loadOverview(course: string, id: string): Promise<OverviewRow[]> {
  const data = unwrap(await homework().GET("/courses/{course}/assignments/{id}/overview", { params: { path: { course, id } } }));
  return data.students.map((s) => ({
    userId: s.user_id,
    status: s.status,
    submittedAt: s.submitted_at,
    submissionRoom: s.submission_room,
    extension: s.extension,
    grade: s.grade?.grade ?? null,
    points: s.grade?.points ?? null,
  }));
}

/** One student's submissions (oldest first) and latest feedback per assignment; for the course's teachers and that student. */
export async function loadStudentWork(course: string, student: string): Promise<{ submissions: SubmissionRecord[]; feedback: FeedbackRecord[] }> {
  const data = unwrap(await homework().GET("/courses/{course}/students/{student}/submissions", { params: { path: { course, student } } }));
  return {
    submissions: data.submissions.map((s) => ({
      assignmentId: s.assignment_id,
      eventId: s.event_id,
      roomId: s.room_id,
      submittedAt: s.submitted_at,
      late: s.late,
      text: s.text,
      files: parseFileRefs(s.files),
    })),
    feedback: data.feedback.map((f) => ({ assignmentId: f.assignment_id, grade: f.grade, points: f.points, comment: f.comment, by: f.by, at: f.at })),
  };
}

/** Marks an assignment as started for the signed-in student; answers their status now. */
export async function markStarted(course: string, id: string): Promise<TodoStatus> {
  return unwrap(await homework().POST("/courses/{course}/assignments/{id}/started", { params: { path: { course, id } } })).status;
}

/** The course's drafts, the latest edited first (teachers). */
export async function loadDrafts(course: string): Promise<Draft[]> {
  return unwrap(await homework().GET("/courses/{course}/drafts", { params: { path: { course } } })).drafts;
}

/** Saves a draft (at least a title). */
export async function saveDraft(course: string, id: string, content: DraftContent): Promise<void> {
  unwrap(await homework().PUT("/courses/{course}/drafts/{id}", { params: { path: { course, id } }, body: content }));
}

/**
 * Publishes a saved draft; the bot writes the assignment into the course room. Answers the assignment's id. A 409
 * (`SCHULHOF_HOMEWORK_BOT_POWER`) says the bot may not write there; its text is for the teacher, and the draft stays.
 */
export async function publishDraft(course: string, id: string): Promise<string> {
  return unwrap(await homework().POST("/courses/{course}/drafts/{id}/publish", { params: { path: { course, id } } })).assignment_id;
}

/** Closes an assignment early; students are told. */
export async function closeAssignment(course: string, id: string): Promise<void> {
  unwrap(await homework().POST("/courses/{course}/assignments/{id}/close", { params: { path: { course, id } } }));
}

/** Grants one student a later due date (and cut-off). */
export async function grantExtension(course: string, id: string, student: string, due: string, cutoff: string | null): Promise<void> {
  unwrap(await homework().POST("/courses/{course}/assignments/{id}/extensions", { params: { path: { course, id } }, body: { student, due, cutoff } }));
}
