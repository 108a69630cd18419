// Every call of the Klausuren section to the calendar appservice's exam API; errors are thrown as ApiError.
import { apiClients, unwrap } from "../../lib/api/index.ts";
import { readCohorts, readDecision, readExam, readPlan, type Cohort, type Decision, type Exam, type ExamKind, type Plan } from "./plan.ts";

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

/** The cohorts (exam-planning rooms) the user is in. */
export async function loadCohorts(): Promise<Cohort[]> {
  return readCohorts(unwrap(await apiClients().calendar.GET("/exams/cohorts")) as unknown);
}

/** A cohort's weeks from `from` to `to` with exams, blocks and (for `kind`) which periods are free and why not. */
export async function loadPlan(cohortRoom: string, from: string, to: string, kind: ExamKind): Promise<Plan> {
  return readPlan(unwrap(await apiClients().calendar.GET("/exams/plan", { params: { query: { cohort_room: cohortRoom, from, to, kind } } })) as unknown);
}

/** The dry run: what the rules say about a request, without planning it. */
export async function checkExam(body: ExamRequestBody): Promise<Decision> {
  return readDecision(unwrap(await apiClients().calendar.POST("/exams/check", { body })));
}

/** The request: refused with every reason, or planned (confirmed, or requested when the school wants approval). */
export async function requestExam(body: ExamRequestBody): Promise<Decision> {
  return readDecision(unwrap(await apiClients().calendar.POST("/exams", { body })));
}

/** Moves an exam (checked again; refused with the reasons when the new slot breaks a rule). */
export async function moveExam(id: string, date: string, periods: number[], overrideReason?: string): Promise<Decision> {
  const body = { date, periods, ...(overrideReason === undefined ? {} : { override_reason: overrideReason }) };
  return readDecision(unwrap(await apiClients().calendar.POST("/exams/{id}/move", { params: { path: { id } }, body })));
}

/** Cancels an exam: it leaves the calendars and the course is told (with the reason, if given). */
export async function cancelExam(id: string, reason: string): Promise<Exam | null> {
  const answer = unwrap(await apiClients().calendar.POST("/exams/{id}/cancel", { params: { path: { id } }, body: { reason } })) as unknown;
  return readExam((answer as { exam?: unknown } | undefined)?.exam);
}

/** A school admin approves a requested exam (checked again first). */
export async function approveExam(id: string): Promise<Decision> {
  return readDecision(unwrap(await apiClients().calendar.POST("/exams/{id}/approve", { params: { path: { id } } })));
}
