// What an exam check needs from the projection: the course, its cohort room, the rules, the cohort's exams and blocked days.
import { DateTime } from "luxon";
import type { Queryable } from "@schulhof/core";
import { SchulhofError } from "@schulhof/core";
import { defaultRules, ExamRulesSchema, type BlockedDay, type ExamRules, type PlannedExam } from "../exams/index.ts";
import { occurrencesBetween } from "../model/index.ts";
import type { CalendarEnv, PeriodTimes } from "../domain.ts";
import { eventsIn } from "../store/events.ts";
import { examsOfCohort, type ExamContent } from "../store/exams.ts";
import { roomsWhere, type RoomRow } from "../store/rooms.ts";

export const planningError = (code: string, de: string, en: string, status = 400): SchulhofError =>
  new SchulhofError(`SCHULHOF_EXAM_${code}`, en, { de, en }, { httpStatus: status, errcode: status === 403 ? "M_FORBIDDEN" : status === 404 ? "M_NOT_FOUND" : "M_BAD_JSON" });

/** The school space (it carries the school calendar and the exam rules). */
export async function schoolRoom(q: Queryable): Promise<RoomRow | null> {
  return (await roomsWhere(q, `kind = 'school' OR school IS NOT NULL ORDER BY room_id LIMIT 1`))[0] ?? null;
}

/** The exam rules in force: the school's `de.schulhof.exam.rules`, else the defaults of its Bundesland. */
export async function rulesInForce(q: Queryable, env: CalendarEnv): Promise<{ rules: ExamRules; source: "school" | "default" }> {
  const school = await schoolRoom(q);
  if (school?.examRules !== null && school?.examRules !== undefined) {
    const parsed = ExamRulesSchema.safeParse(school.examRules);
    if (parsed.success) return { rules: parsed.data, source: "school" };
  }
  return { rules: defaultRules(env.state, env.schoolForm), source: "default" };
}

/** The exam-planning room of a cohort, by its name. */
export async function cohortRoomByName(q: Queryable, name: string): Promise<RoomRow | null> {
  return (await roomsWhere(q, `exam_cohort->>'name' = $1 ORDER BY room_id LIMIT 1`, [name]))[0] ?? null;
}

/** A course room and the exam-planning room of its cohort. */
export async function courseAndCohort(q: Queryable, courseRoomId: string): Promise<{ course: RoomRow; cohort: RoomRow }> {
  const course = (await roomsWhere(q, `room_id = $1`, [courseRoomId]))[0];
  if (course?.course === null || course === undefined) throw planningError("NO_COURSE", "Das ist kein Kursraum.", "This is not a course room.", 404);
  const name = course.course.cohort?.name;
  const cohort = name === undefined ? null : await cohortRoomByName(q, name);
  if (cohort === null) throw planningError("NO_COHORT", "Für diesen Kurs gibt es keinen Klausurplan (keine Klasse oder Stufe).", "This course has no exam plan (no class or year group).", 404);
  return { course, cohort };
}

/** The exam as the rules engine sees it. */
export function planned(c: ExamContent, cohort: RoomRow): PlannedExam {
  return {
    id: c.id,
    course: c.course,
    cohort: c.cohort,
    kind: c.kind,
    date: c.date,
    periods: c.periods,
    grade: cohort.examCohort?.grade ?? null,
    stage: cohort.examCohort?.stage ?? "sek1",
    status: c.status,
    ...(c.makeup_of === undefined ? {} : { makeup_of: c.makeup_of }),
    ...(c.students === undefined ? {} : { students: c.students }),
  };
}

/** The periods a local time span overlaps. */
function periodsOverlapping(startLocal: string, endLocal: string, times: PeriodTimes): number[] {
  const s = startLocal.slice(11, 16);
  const e = endLocal.slice(11, 16);
  return Object.entries(times)
    .filter(([, [ps, pe]]) => s < pe && e > ps)
    .map(([n]) => Number(n));
}

/** Days blocked by calendar events (holidays, trips, school events) of the school, the cohort's class calendar and the course. */
export async function blockedDays(q: Queryable, env: CalendarEnv, rooms: readonly string[], from: string, to: string): Promise<BlockedDay[]> {
  const events = await eventsIn(q, rooms, from, to);
  const relevant = events.filter((e) => e.content.category !== "lesson" && e.content.category !== "exam");
  const fromDt = DateTime.fromISO(from, { zone: env.timezone });
  const toDt = DateTime.fromISO(to, { zone: env.timezone }).plus({ days: 1 });
  const out: BlockedDay[] = [];
  for (const o of occurrencesBetween(relevant.map((e) => ({ uid: e.uid, content: e.content })), fromDt.toJSDate(), toDt.toJSDate())) {
    if (o.allDay) {
      for (let d = DateTime.fromISO(o.startLocal, { zone: env.timezone }); d.toISODate()! < o.endLocal.slice(0, 10); d = d.plus({ days: 1 })) {
        out.push({ date: d.toISODate()!, periods: null, category: o.category, reason: o.summary });
      }
    } else {
      const day = o.startLocal.slice(0, 10);
      const sameDay = o.endLocal.slice(0, 10) === day;
      const periods = sameDay ? periodsOverlapping(o.startLocal, o.endLocal, env.periodTimes) : null;
      out.push({ date: day, periods: periods !== null && periods.length === Object.keys(env.periodTimes).length ? null : periods, category: o.category, reason: o.summary });
    }
  }
  return out;
}

/** Calendars whose events block a cohort's days: the school calendar, the cohort's class calendar, and the given course. */
export async function blockingCalendars(q: Queryable, cohort: RoomRow, courseRoom: string | null): Promise<string[]> {
  const rooms = new Set<string>();
  const school = await schoolRoom(q);
  if (school !== null) rooms.add(school.roomId);
  if (cohort.parent !== null) rooms.add(cohort.parent);
  if (courseRoom !== null) rooms.add(courseRoom);
  return [...rooms];
}

/** Everything a check needs for a cohort between two days. */
export async function cohortSituation(
  q: Queryable,
  env: CalendarEnv,
  cohort: RoomRow,
  courseRoom: string | null,
  from: string,
  to: string,
): Promise<{ existing: PlannedExam[]; blocked: BlockedDay[]; rules: ExamRules; rows: ExamContent[] }> {
  const rows = (await examsOfCohort(q, cohort.roomId)).map((r) => r.content);
  const blocked = await blockedDays(q, env, await blockingCalendars(q, cohort, courseRoom), from, to);
  const { rules } = await rulesInForce(q, env);
  return { existing: rows.map((c) => planned(c, cohort)), blocked, rules, rows };
}
