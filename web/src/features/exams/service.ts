// Every call of the Klausuren section to the calendar appservice's exam API (typed client); errors are thrown as ApiError.
import { apiClients, unwrap } from "../../lib/api/index.ts";
import { toCohort, toDecision, toExam, toPlan, type Cohort, type Decision, type Exam, type ExamKind, type Plan } from "./plan.ts";

/** What a teacher asks for. */
export interface ExamRequestBody {
  course_room: string;
  kind: ExamKind;
  date: string;
  periods: number[];
  title?: string;
  note?: string;
  /** School admins only: plan it despite binding rules; recorded with the exam. */
  override_reason?: string;
}

/** Where an exam is to move. */
export interface ExamMoveBody {
  date: string;
  periods: number[];
  /** School admins only. */
  override_reason?: string;
}

/** The cohorts (exam-planning rooms) the user is in, with what they may do there and the courses they may plan for. */
export async function loadCohorts(): Promise<Cohort[]> {
  return unwrap(await apiClients().calendar.GET("/exams/cohorts")).cohorts.map(toCohort);
}

/** A cohort's weeks from `from` to `to` with exams, blocks, the school's periods and (for `kind`) which periods are free and why not. */
export async function loadPlan(cohortRoom: string, from: string, to: string, kind: ExamKind): Promise<Plan> {
  return toPlan(unwrap(await apiClients().calendar.GET("/exams/plan", { params: { query: { cohort_room: cohortRoom, from, to, kind } } })));
}

/** The dry run: what the rules say about a request, without planning it. */
export async function checkExam(body: ExamRequestBody): Promise<Decision> {
  return toDecision(unwrap(await apiClients().calendar.POST("/exams/check", { body })));
}

/** The request: refused with every reason, or planned (confirmed, or requested when the school wants approval). */
export async function requestExam(body: ExamRequestBody): Promise<Decision> {
  return toDecision(unwrap(await apiClients().calendar.POST("/exams", { body })));
}

/** The dry run of a move: what the rules say about the new slot, without moving. */
export async function checkMove(id: string, body: ExamMoveBody): Promise<Decision> {
  return toDecision(unwrap(await apiClients().calendar.POST("/exams/{id}/move/check", { params: { path: { id } }, body })));
}

/** Moves an exam (checked again; refused with the reasons when the new slot breaks a rule). */
export async function moveExam(id: string, body: ExamMoveBody): Promise<Decision> {
  return toDecision(unwrap(await apiClients().calendar.POST("/exams/{id}/move", { params: { path: { id } }, body })));
}

/** Cancels an exam: it leaves the calendars and the course is told (with the reason, if given). */
export async function cancelExam(id: string, reason: string): Promise<Exam> {
  return toExam(unwrap(await apiClients().calendar.POST("/exams/{id}/cancel", { params: { path: { id } }, body: { reason } })).exam);
}

/** A school admin approves a requested exam (checked again first). */
export async function approveExam(id: string): Promise<Decision> {
  return toDecision(unwrap(await apiClients().calendar.POST("/exams/{id}/approve", { params: { path: { id } } })));
}
