// The homework API as the section uses it (typed client `apiClients().homework`): every call answers data or throws an ApiError.
import { apiClients, unwrap } from "../../lib/api/index.ts";
import type { components } from "../../lib/api/generated/homework.ts";
import { parseDrafts, parseFileRefs, type Draft, type FileRef, type TodoStatus } from "./model.ts";

export type TodoItem = components["schemas"]["TodoItem"] & { status: TodoStatus };

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

/** The signed-in student's assignments across their courses (`GET /todo`). */
export async function loadTodo(): Promise<TodoItem[]> {
  return unwrap(await homework().GET("/todo")).items as TodoItem[];
}

/** Who submitted one assignment, who is late and who has not (`GET …/overview`, teachers only). */
export async function loadOverview(course: string, id: string): Promise<OverviewRow[]> {
  const data = unwrap(await homework().GET("/courses/{course}/assignments/{id}/overview", { params: { path: { course, id } } }));
  return data.students.map((s) => ({
    userId: s.user_id,
    status: s.status,
    submittedAt: s.submitted_at ?? null,
    submissionRoom: s.submission_room ?? null,
    extension: s.extension?.due === undefined ? null : { due: s.extension.due, cutoff: s.extension.cutoff ?? null },
    grade: s.grade?.grade ?? null,
    points: s.grade?.points ?? null,
  }));
}

/** One student's submissions (oldest first) and latest feedback per assignment; for the course's teachers and that student. */
export async function loadStudentWork(course: string, student: string): Promise<{ submissions: SubmissionRecord[]; feedback: FeedbackRecord[] }> {
  const data = unwrap(await homework().GET("/courses/{course}/students/{student}/submissions", { params: { path: { course, student } } }));
  return {
    submissions: data.submissions.map((s) => ({
      assignmentId: s.assignment_id ?? "",
      eventId: s.event_id ?? "",
      roomId: s.room_id ?? "",
      submittedAt: s.submitted_at ?? 0,
      late: s.late === true,
      text: s.text ?? "",
      files: parseFileRefs(s.files),
    })),
    feedback: data.feedback.map((f) => ({
      assignmentId: f.assignment_id ?? "",
      grade: f.grade ?? null,
      points: f.points ?? null,
      comment: f.comment ?? "",
      by: f.by ?? "",
      at: f.at ?? 0,
    })),
  };
}

/** The course's drafts, newest first (teachers). */
export async function loadDrafts(course: string): Promise<Draft[]> {
  return parseDrafts(unwrap(await homework().GET("/courses/{course}/drafts", { params: { path: { course } } })));
}

/** Saves a draft (at least a title). */
export async function saveDraft(course: string, id: string, content: Record<string, unknown>): Promise<void> {
  const body = content as { title: string } & Record<string, unknown>;
  unwrap(await homework().PUT("/courses/{course}/drafts/{id}", { params: { path: { course, id } }, body }));
}

/** Publishes a saved draft; the bot writes the assignment into the course room. Answers the assignment's id. */
export async function publishDraft(course: string, id: string): Promise<string> {
  const data = unwrap(await homework().POST("/courses/{course}/drafts/{id}/publish", { params: { path: { course, id } } }));
  if (typeof data.assignment_id !== "string") throw new Error("publish answered without assignment_id");
  return data.assignment_id;
}

/** Closes an assignment early; students are told. */
export async function closeAssignment(course: string, id: string): Promise<void> {
  unwrap(await homework().POST("/courses/{course}/assignments/{id}/close", { params: { path: { course, id } } }));
}

/** Grants one student a later due date (and cut-off). */
export async function grantExtension(course: string, id: string, student: string, due: string, cutoff: string | null): Promise<void> {
  unwrap(await homework().POST("/courses/{course}/assignments/{id}/extensions", { params: { path: { course, id } }, body: { student, due, cutoff } }));
}
