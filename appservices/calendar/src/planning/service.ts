// Exam requests, moves, cancellations and approvals: checked against the rules, decided in one transaction, announced.
import { randomBytes } from "node:crypto";
import { DateTime } from "luxon";
import type { OutboxAction, Queryable } from "@schulhof/core";
import { noticeContent } from "@schulhof/core";
import { checkExam, type ExamKind, type Violation } from "../exams/index.ts";
import type { EventContent } from "../model/index.ts";
import { CAL_EVENT, EXAM, periodCount, type CalendarEnv } from "../domain.ts";
import { getExam, saveExam, type ExamContent } from "../store/exams.ts";
import { lockRoom, powerIn, type RoomRow } from "../store/rooms.ts";
import { T } from "../bot/texts.ts";
import { cohortSituation, courseAndCohort, planned, planningError } from "./context.ts";

/** A way to queue Matrix actions inside the caller's transaction. */
export type Enqueue = (action: OutboxAction) => Promise<void>;

export interface ExamInput {
  courseRoom: string;
  kind: ExamKind;
  date: string;
  periods: number[];
  title?: string | undefined;
  note?: string | undefined;
  makeupOf?: string | undefined;
  students?: string[] | undefined;
  /** A school admin plans it despite binding rules; the reason is recorded. */
  overrideReason?: string | undefined;
}

/** The answer to a request or a check. */
export interface ExamDecision {
  ok: boolean;
  dryRun: boolean;
  exam: ExamContent | null;
  violations: Violation[];
  warnings: Violation[];
}

const ADMIN = 100;
const TEACHER = 50;

function today(env: CalendarEnv): string {
  return DateTime.now().setZone(env.timezone).toISODate()!;
}

function weekAround(date: string): { from: string; to: string } {
  const d = DateTime.fromISO(date);
  return { from: d.startOf("week").minus({ days: 7 }).toISODate()!, to: d.endOf("week").plus({ days: 7 }).toISODate()! };
}

/** Refuses periods the school does not have (`periodsPerDay`): they could be neither checked nor placed in the calendar. */
function requireSchoolPeriods(env: CalendarEnv, periods: readonly number[]): void {
  const count = periodCount(env.periodTimes);
  const unknown = periods.filter((p) => env.periodTimes[p] === undefined);
  if (unknown.length > 0) {
    throw planningError("BAD_PERIODS", `Diese Stunden gibt es nicht: ${unknown.join(", ")}. Der Tag hat die Stunden 1 bis ${count}.`, `No such periods: ${unknown.join(", ")}. A day has periods 1 to ${count}.`, 400);
  }
}

/** The school form for the rules engine, when configured. */
function formOf(env: CalendarEnv): { schoolForm?: string } {
  return env.schoolForm === undefined ? {} : { schoolForm: env.schoolForm };
}

/** Who may plan for a course: its teachers (power 50) and school admins. */
function mayPlan(course: RoomRow, cohort: RoomRow, user: string): { allowed: boolean; admin: boolean } {
  const admin = powerIn(cohort, user) >= ADMIN || powerIn(course, user) >= ADMIN;
  return { allowed: admin || powerIn(course, user) >= TEACHER, admin };
}

const KIND_LABEL: Record<string, { de: string; en: string }> = {
  klassenarbeit: { de: "Klassenarbeit", en: "Class test" },
  klausur: { de: "Klausur", en: "Exam" },
  test: { de: "Test", en: "Test" },
  nachschreibtermin: { de: "Nachschreibtermin", en: "Make-up exam" },
};

export function kindLabel(kind: string, lang: "de" | "en"): string {
  return KIND_LABEL[kind]?.[lang] ?? kind;
}

/** The calendar entry of an exam (in the course calendar and the cohort's class calendar). */
export function examCalendarEvent(c: ExamContent, env: CalendarEnv): EventContent {
  const first = Math.min(...c.periods);
  const last = Math.max(...c.periods);
  const start = env.periodTimes[first]?.[0] ?? "08:00";
  const end = env.periodTimes[last]?.[1] ?? "09:30";
  const periods = c.periods.length === 1 ? `${first}.` : `${first}.–${last}.`;
  return {
    summary: c.title ?? `${kindLabel(c.kind, "de")} ${c.course}`,
    start: `${c.date}T${start}`,
    end: `${c.date}T${end}`,
    all_day: false,
    tzid: env.timezone,
    category: "exam",
    description: [`${periods} Stunde`, c.note ?? ""].filter((s) => s !== "").join("\n"),
    exam_id: c.id,
    exam_kind: c.kind,
    exam_periods: [...c.periods],
    sequence: c.version,
  } as EventContent;
}

/** Queues the exam's state and, once confirmed, its calendar entries; cancelled exams leave the calendars. */
async function publish(c: ExamContent, cohort: RoomRow, env: CalendarEnv, enqueue: Enqueue): Promise<void> {
  const as = env.examBotUserId;
  await enqueue({ kind: "state", roomId: cohort.roomId, eventType: EXAM, stateKey: c.id, content: c as unknown as Record<string, unknown>, asUser: as });
  const calendars = [c.course_room, ...(cohort.parent === null ? [] : [cohort.parent])];
  const uid = `exam-${c.id}`;
  const content = c.status === "confirmed" ? (examCalendarEvent(c, env) as unknown as Record<string, unknown>) : {};
  if (c.status === "requested" && c.version === 1) return;
  for (const room of calendars) await enqueue({ kind: "state", roomId: room, eventType: CAL_EVENT, stateKey: uid, content, asUser: as });
}

function message(env: CalendarEnv, roomId: string, text: string): OutboxAction {
  return { kind: "message", roomId, eventType: "m.room.message", content: noticeContent(text), asUser: env.examBotUserId };
}

/** Checks a request (dry run) or decides it: refused with every reason, or stored and announced. */
export async function requestExam(tx: Queryable, env: CalendarEnv, user: string, input: ExamInput, enqueue: Enqueue, opts: { dryRun: boolean }): Promise<ExamDecision> {
  const { course, cohort } = await courseAndCohort(tx, input.courseRoom);
  const who = mayPlan(course, cohort, user);
  if (!who.allowed) throw planningError("FORBIDDEN", "Klausuren planen nur Lehrkräfte des Kurses und die Schulleitung.", "Only the course's teachers and school admins plan exams.", 403);
  if (input.overrideReason !== undefined && !who.admin) {
    throw planningError("OVERRIDE_FORBIDDEN", "Regeln übergehen darf nur die Schulleitung (Admin).", "Only school admins may override rules.", 403);
  }
  requireSchoolPeriods(env, input.periods);
  if (!opts.dryRun) await lockRoom(tx, cohort.roomId);
  const { from, to } = weekAround(input.date);
  const situation = await cohortSituation(tx, env, cohort, course.roomId, from, to);
  const id = `x${randomBytes(6).toString("hex")}`;
  const courseName = course.course?.name ?? course.name;
  const request = planned(
    {
      id,
      course_room: course.roomId,
      course: courseName,
      cohort: cohort.examCohort?.name ?? "",
      kind: input.kind,
      date: input.date,
      periods: input.periods,
      status: "requested",
      requested_by: user,
      requested_at: "",
      version: 0,
      ...(input.makeupOf === undefined ? {} : { makeup_of: input.makeupOf }),
      ...(input.students === undefined ? {} : { students: input.students }),
    },
    cohort,
  );
  const result = checkExam({ request, existing: situation.existing, blocked: situation.blocked, rules: situation.rules, today: today(env), ...formOf(env) });
  const overridden = !result.ok && input.overrideReason !== undefined;
  const ok = result.ok || overridden;
  if (opts.dryRun || !ok) return { ok, dryRun: opts.dryRun, exam: null, violations: result.violations, warnings: result.warnings };
  const status = situation.rules.approval_required && !who.admin ? "requested" : "confirmed";
  const exam: ExamContent = {
    id,
    course_room: course.roomId,
    course: courseName,
    cohort: cohort.examCohort?.name ?? "",
    kind: input.kind,
    date: input.date,
    periods: [...input.periods].sort((a, b) => a - b),
    status,
    requested_by: user,
    requested_at: new Date().toISOString(),
    version: 1,
    ...(input.title === undefined ? {} : { title: input.title }),
    ...(input.note === undefined ? {} : { note: input.note }),
    ...(input.makeupOf === undefined ? {} : { makeup_of: input.makeupOf }),
    ...(input.students === undefined ? {} : { students: input.students }),
    ...(status === "confirmed" ? { approved_by: user } : {}),
    ...(overridden ? { override: { by: user, reason: input.overrideReason ?? "", at: new Date().toISOString(), violations: result.violations.map((v) => v.reason.de) } } : {}),
    ...(result.warnings.length > 0 ? { warnings: result.warnings.map((w) => w.reason.de) } : {}),
  };
  await saveExam(tx, cohort.roomId, exam);
  await publish(exam, cohort, env, enqueue);
  const t = T[env.lang];
  const line = t.examLine(exam, kindLabel(exam.kind, env.lang));
  if (status === "confirmed") {
    await enqueue(message(env, course.roomId, t.examAnnounced(line)));
    await enqueue(message(env, cohort.roomId, t.examPlanned(line, overridden ? exam.override?.reason ?? "" : null)));
  } else {
    await enqueue(message(env, cohort.roomId, t.examRequested(line)));
  }
  return { ok: true, dryRun: false, exam, violations: overridden ? result.violations : [], warnings: result.warnings };
}

/** The exam and its rooms, after the permission check; the cohort is locked unless `lock` is false (a dry run decides nothing). */
async function loadForChange(tx: Queryable, user: string, id: string, lock = true): Promise<{ exam: ExamContent; cohort: RoomRow; course: RoomRow; admin: boolean }> {
  const row = await getExam(tx, id);
  if (row === null) throw planningError("NOT_FOUND", "Diese Klausur gibt es nicht.", "No such exam.", 404);
  const { course, cohort } = await courseAndCohort(tx, row.content.course_room);
  const who = mayPlan(course, cohort, user);
  if (!who.allowed) throw planningError("FORBIDDEN", "Das dürfen nur Lehrkräfte des Kurses und die Schulleitung.", "Only the course's teachers and school admins may do that.", 403);
  if (lock) await lockRoom(tx, cohort.roomId);
  return { exam: row.content, cohort, course, admin: who.admin };
}

/**
 * Moves an exam to another date and periods, after the same checks (it does not conflict with itself). With
 * `dryRun` it only answers what the rules say (the conflicts a teacher sees before moving): nothing is locked,
 * stored or sent, and `exam` is null.
 */
export async function moveExam(
  tx: Queryable,
  env: CalendarEnv,
  user: string,
  id: string,
  to: { date: string; periods: number[]; overrideReason?: string | undefined },
  enqueue: Enqueue,
  opts: { dryRun: boolean } = { dryRun: false },
): Promise<ExamDecision> {
  const { exam, cohort, course, admin } = await loadForChange(tx, user, id, !opts.dryRun);
  if (exam.status === "cancelled") throw planningError("CANCELLED", "Die Klausur ist abgesagt.", "The exam is cancelled.", 409);
  if (to.overrideReason !== undefined && !admin) throw planningError("OVERRIDE_FORBIDDEN", "Regeln übergehen darf nur die Schulleitung (Admin).", "Only school admins may override rules.", 403);
  requireSchoolPeriods(env, to.periods);
  const range = weekAround(to.date);
  const situation = await cohortSituation(tx, env, cohort, course.roomId, range.from, range.to);
  const request = planned({ ...exam, date: to.date, periods: to.periods }, cohort);
  const result = checkExam({ request, existing: situation.existing, blocked: situation.blocked, rules: situation.rules, today: today(env), ...formOf(env) });
  const overridden = !result.ok && to.overrideReason !== undefined;
  if (opts.dryRun) return { ok: result.ok || overridden, dryRun: true, exam: null, violations: result.violations, warnings: result.warnings };
  if (!result.ok && !overridden) return { ok: false, dryRun: false, exam: null, violations: result.violations, warnings: result.warnings };
  const before = exam;
  const moved: ExamContent = {
    ...exam,
    date: to.date,
    periods: [...to.periods].sort((a, b) => a - b),
    version: exam.version + 1,
    ...(overridden ? { override: { by: user, reason: to.overrideReason ?? "", at: new Date().toISOString(), violations: result.violations.map((v) => v.reason.de) } } : {}),
    ...(result.warnings.length > 0 ? { warnings: result.warnings.map((w) => w.reason.de) } : {}),
  };
  await saveExam(tx, cohort.roomId, moved);
  await publish(moved, cohort, env, enqueue);
  const t = T[env.lang];
  const text = t.examMoved(t.examLine(before, kindLabel(before.kind, env.lang)), t.examLine(moved, kindLabel(moved.kind, env.lang)));
  if (moved.status === "confirmed") await enqueue(message(env, course.roomId, text));
  await enqueue(message(env, cohort.roomId, text));
  return { ok: true, dryRun: false, exam: moved, violations: overridden ? result.violations : [], warnings: result.warnings };
}

/** Cancels an exam: it leaves the calendars and the students are told. */
export async function cancelExam(tx: Queryable, env: CalendarEnv, user: string, id: string, reason: string, enqueue: Enqueue): Promise<ExamContent> {
  const { exam, cohort, course } = await loadForChange(tx, user, id);
  if (exam.status === "cancelled") return exam;
  const wasConfirmed = exam.status === "confirmed";
  const cancelled: ExamContent = { ...exam, status: "cancelled", version: exam.version + 1, ...(reason === "" ? {} : { note: reason }) };
  await saveExam(tx, cohort.roomId, cancelled);
  await publish(cancelled, cohort, env, enqueue);
  const t = T[env.lang];
  const text = t.examCancelled(t.examLine(exam, kindLabel(exam.kind, env.lang)), reason);
  if (wasConfirmed) await enqueue(message(env, course.roomId, text));
  await enqueue(message(env, cohort.roomId, text));
  return cancelled;
}

/** A school admin approves a requested exam (when the school wants approval); it is checked again first. */
export async function approveExam(tx: Queryable, env: CalendarEnv, user: string, id: string, enqueue: Enqueue): Promise<ExamDecision> {
  const { exam, cohort, course, admin } = await loadForChange(tx, user, id);
  if (!admin) throw planningError("FORBIDDEN", "Genehmigen darf nur die Schulleitung (Admin).", "Only school admins approve exams.", 403);
  if (exam.status !== "requested") throw planningError("NOT_REQUESTED", "Die Klausur wartet nicht auf Genehmigung.", "The exam is not waiting for approval.", 409);
  const range = weekAround(exam.date);
  const situation = await cohortSituation(tx, env, cohort, course.roomId, range.from, range.to);
  const result = checkExam({ request: planned(exam, cohort), existing: situation.existing, blocked: situation.blocked, rules: situation.rules, today: today(env), ...formOf(env) });
  if (!result.ok && exam.override === undefined) return { ok: false, dryRun: false, exam: null, violations: result.violations, warnings: result.warnings };
  const confirmed: ExamContent = { ...exam, status: "confirmed", approved_by: user, version: exam.version + 1 };
  await saveExam(tx, cohort.roomId, confirmed);
  await publish(confirmed, cohort, env, enqueue);
  const t = T[env.lang];
  const line = t.examLine(confirmed, kindLabel(confirmed.kind, env.lang));
  await enqueue(message(env, course.roomId, t.examAnnounced(line)));
  await enqueue(message(env, cohort.roomId, t.examApproved(line)));
  return { ok: true, dryRun: false, exam: confirmed, violations: [], warnings: result.warnings };
}
