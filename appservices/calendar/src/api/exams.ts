// The exam-planning part of the calendar API: cohorts and the courses one may plan for, a cohort's plan (students see decided exams only), the start page's exams, requests and moves with their dry runs, cancellations, approvals and the rules.
import { randomBytes } from "node:crypto";
import { DateTime } from "luxon";
import { z } from "zod";
import type { Queryable } from "@schulhof/core";
import { EXAM_KINDS, ExamRulesSchema, isIsoDate, planWeeks, type ExamKind } from "../exams/index.ts";
import { EXAM_RULES, isGuestRoom, periodCount, periodList } from "../domain.ts";
import { eventsIn } from "../store/events.ts";
import { examsOfCohort, examsOfCohorts, type ExamContent } from "../store/exams.ts";
import { calendarsOf, getRoom, isJoined, joinedOf, powerIn, roomsWhere, type RoomRow } from "../store/rooms.ts";
import { blockedDays, blockingCalendars, planned, rulesInForce, schoolRoom } from "../planning/context.ts";
import { approveExam, cancelExam, moveExam, requestExam, type ExamDecision } from "../planning/service.ts";
import { Day, err, forbidden, MAX_RANGE_DAYS, notFound, type ApiKit } from "./common.ts";

const TEACHER = 50;
const ADMIN = 100;

/** A course of a cohort as the planner lists it. */
interface CourseInfo {
  room_id: string;
  name: string;
  can_plan: boolean;
}

/** What a user may do in a cohort. */
interface CohortAccess {
  /** Sees requests and plans: a teacher in the planning room, a teacher of one of its courses, or a school admin. */
  planner: boolean;
  /** Approves requests and overrides rules: a school admin (level 100 in the planning room). */
  admin: boolean;
  /** For planners: the cohort's courses they are in (school admins: all), and whether they may plan for each. */
  courses: CourseInfo[];
}

/**
 * Who the user is in a cohort, by the same power levels the planning service checks (a course's teachers and school
 * admins plan). Students get `courses: []`: what they may plan is nothing.
 */
async function cohortAccess(q: Queryable, cohort: RoomRow, user: string): Promise<CohortAccess> {
  const name = cohort.examCohort?.name;
  const all = name === undefined ? [] : await roomsWhere(q, `course IS NOT NULL AND course->'cohort'->>'name' = $1`, [name]);
  const admin = powerIn(cohort, user) >= ADMIN;
  const joined = await joinedOf(q, user, all.map((r) => r.roomId));
  const listed = all
    .filter((r) => admin || joined.has(r.roomId))
    .map((r) => ({ room_id: r.roomId, name: r.course?.name ?? r.name, can_plan: admin || powerIn(r, user) >= TEACHER }))
    .sort((a, b) => a.name.localeCompare(b.name, "de") || a.room_id.localeCompare(b.room_id));
  const planner = admin || powerIn(cohort, user) >= TEACHER || listed.some((c) => c.can_plan);
  return { planner, admin, courses: planner ? listed : [] };
}

/** An exam as students see it: no requester, make-up list, override or warnings. */
function publicExam(c: ExamContent): Partial<ExamContent> {
  return {
    id: c.id,
    course_room: c.course_room,
    course: c.course,
    cohort: c.cohort,
    kind: c.kind,
    date: c.date,
    periods: c.periods,
    status: c.status,
    ...(c.title === undefined ? {} : { title: c.title }),
    ...(c.note === undefined ? {} : { note: c.note }),
    ...(c.makeup_of === undefined ? {} : { makeup_of: c.makeup_of }),
  };
}

const examDecision = (d: ExamDecision): unknown => ({ ok: d.ok, dry_run: d.dryRun, exam: d.exam, violations: d.violations, warnings: d.warnings });

const Periods = z.array(z.number().int().min(1).max(16)).min(1).max(10);
const Kind = z.enum(EXAM_KINDS as unknown as [ExamKind, ...ExamKind[]]);
const ExamBody = z.object({
  course_room: z.string(),
  kind: Kind,
  date: Day,
  periods: Periods,
  title: z.string().max(200).optional(),
  note: z.string().max(2000).optional(),
  makeup_of: z.string().optional(),
  students: z.array(z.string()).max(100).optional(),
  override_reason: z.string().trim().min(3).max(1000).optional(),
});
const MoveBody = z.object({ date: Day, periods: Periods, override_reason: z.string().trim().min(3).max(1000).optional() });

/** Mounts the exam-planning routes. */
export function examApi({ router, ctx, env, auth, wrap, json, withOutbox }: ApiKit): void {
  /** The exam-planning rooms the user has joined. */
  const cohortsOf = (user: string): Promise<RoomRow[]> =>
    roomsWhere(ctx.db, `exam_cohort IS NOT NULL AND room_id IN (SELECT room_id FROM members WHERE user_id = $1 AND joined) ORDER BY name, room_id`, [user]);
  const memberCohort = async (user: string, roomId: string): Promise<RoomRow> => {
    const room = await getRoom(ctx.db, roomId);
    if (room?.examCohort === null || room === null || !(await isJoined(ctx.db, roomId, user))) throw notFound();
    return room;
  };

  router.get("/exams/cohorts", auth, wrap(async (_req, user) => {
    const cohorts = [];
    for (const r of await cohortsOf(user)) {
      const access = await cohortAccess(ctx.db, r, user);
      cohorts.push({
        room_id: r.roomId,
        name: r.examCohort?.name ?? r.name,
        stage: r.examCohort?.stage ?? null,
        grade: r.examCohort?.grade ?? null,
        can_plan: access.planner,
        can_approve: access.admin,
        courses: access.courses,
      });
    }
    return { cohorts };
  }));

  router.get("/exams/plan", auth, wrap(async (req, user) => {
    const q = z.object({ cohort_room: z.string(), from: Day, to: Day, kind: Kind.default("klassenarbeit") }).safeParse(req.query);
    if (!q.success) throw err("BAD_QUERY", 400, "cohort_room, from, to (JJJJ-MM-TT) angeben.", "Give cohort_room, from, to (YYYY-MM-DD).");
    const { from, to } = q.data;
    if (!isIsoDate(from) || !isIsoDate(to) || to < from) throw err("BAD_RANGE", 400, "Ungültiger Zeitraum.", "Invalid range.");
    if (DateTime.fromISO(to).diff(DateTime.fromISO(from), "days").days > MAX_RANGE_DAYS) throw err("RANGE_TOO_LONG", 400, "Zeitraum zu lang.", "Range too long.");
    const cohort = await memberCohort(user, q.data.cohort_room);
    const access = await cohortAccess(ctx.db, cohort, user);
    const rows = (await examsOfCohort(ctx.db, cohort.roomId)).map((r) => r.content);
    // Students: everything — the exams, which days are free, the reasons and warnings — from confirmed exams only. A
    // request is the teachers' business until it is decided, so nothing of it may reach a student, not even a reason's text.
    const visible = access.planner ? rows : rows.filter((c) => c.status === "confirmed");
    const shown = new Map(visible.map((c) => [c.id, access.planner ? c : publicExam(c)]));
    const weeks = planWeeks({
      cohort: cohort.examCohort?.name ?? "",
      from,
      to,
      existing: visible.map((c) => planned(c, cohort)),
      blocked: await blockedDays(ctx.db, env, await blockingCalendars(ctx.db, cohort, null), from, to),
      rules: (await rulesInForce(ctx.db, env)).rules,
      today: DateTime.now().setZone(env.timezone).toISODate()!,
      periodsPerDay: periodCount(env.periodTimes),
      probe: { kind: q.data.kind, grade: cohort.examCohort?.grade ?? null, stage: cohort.examCohort?.stage ?? "sek1" },
      ...(env.schoolForm === undefined ? {} : { schoolForm: env.schoolForm }),
    });
    return {
      cohort: cohort.examCohort?.name ?? "",
      periods: periodList(env.periodTimes),
      weeks: weeks.map((w) => ({ week: w.week, days: w.days.map((d) => ({ ...d, exams: d.exams.flatMap((e) => shown.get(e.id) ?? []) })) })),
      exams: [...shown.values()],
    };
  }));

  // The start page: confirmed exams of the user's cohorts in the next days.
  router.get("/exams/upcoming", auth, wrap(async (req, user) => {
    const { rules } = await rulesInForce(ctx.db, env);
    const days = Math.min(Number(req.query.days ?? rules.announce_days_on_start_page ?? 14) || 14, 120);
    const today = DateTime.now().setZone(env.timezone);
    const cohorts = (await cohortsOf(user)).map((r) => r.roomId);
    const exams = (await examsOfCohorts(ctx.db, cohorts, today.toISODate()!, today.plus({ days }).toISODate()!)).filter((e) => e.content.status === "confirmed");
    // A make-up exam is shown only to its students (and teachers of the course).
    const visible = [];
    for (const e of exams) {
      if (e.content.students !== undefined && !e.content.students.includes(user)) {
        const course = await getRoom(ctx.db, e.content.course_room);
        if (course === null || powerIn(course, user) < TEACHER) continue;
      }
      visible.push({ id: e.id, course: e.content.course, course_room: e.content.course_room, kind: e.content.kind, date: e.content.date, periods: e.content.periods, title: e.content.title ?? null });
    }
    // Shared courses hosted by another district school: their confirmed exams are entries of the course calendar, which
    // this school reads along (docs/district.md).
    const guests = (await calendarsOf(ctx.db, user)).filter((r) => isGuestRoom(r, env));
    if (guests.length > 0) {
      const to = today.plus({ days }).toISODate()!;
      for (const ev of await eventsIn(ctx.db, guests.map((r) => r.roomId), today.toISODate()!, to, ["exam"])) {
        const room = guests.find((r) => r.roomId === ev.roomId);
        const c = ev.content;
        visible.push({ id: c.exam_id ?? ev.uid, course: room?.course?.name ?? room?.name ?? "", course_room: ev.roomId, kind: c.exam_kind ?? "klausur", date: c.start.slice(0, 10), periods: c.exam_periods ?? [], title: c.summary });
      }
    }
    return { days, exams: visible };
  }));

  const examRoute = (dryRun: boolean) =>
    wrap(async (req, user) => {
      const b = ExamBody.safeParse(req.body);
      if (!b.success) throw err("BAD_EXAM", 400, `Ungültige Anfrage: ${b.error.issues[0]?.path.join(".") ?? ""}`, `Invalid request: ${b.error.issues[0]?.path.join(".") ?? ""}`);
      const input = {
        courseRoom: b.data.course_room,
        kind: b.data.kind,
        date: b.data.date,
        periods: b.data.periods,
        title: b.data.title,
        note: b.data.note,
        makeupOf: b.data.makeup_of,
        students: b.data.students,
        overrideReason: b.data.override_reason,
      };
      return examDecision(await withOutbox(`exam:${randomBytes(8).toString("hex")}`, (tx, enqueue) => requestExam(tx, env, user, input, enqueue, { dryRun })));
    });
  router.post("/exams/check", auth, json, examRoute(true));
  router.post("/exams", auth, json, examRoute(false));

  const moveRoute = (dryRun: boolean) =>
    wrap(async (req, user) => {
      const b = MoveBody.safeParse(req.body);
      if (!b.success) throw err("BAD_EXAM", 400, "date und periods angeben.", "Give date and periods.");
      const to = { date: b.data.date, periods: b.data.periods, overrideReason: b.data.override_reason };
      return examDecision(await withOutbox(`exam-move:${randomBytes(8).toString("hex")}`, (tx, enqueue) => moveExam(tx, env, user, String(req.params.id), to, enqueue, { dryRun })));
    });
  router.post("/exams/:id/move/check", auth, json, moveRoute(true));
  router.post("/exams/:id/move", auth, json, moveRoute(false));
  router.post("/exams/:id/cancel", auth, json, wrap(async (req, user) => {
    const reason = typeof (req.body as { reason?: unknown } | undefined)?.reason === "string" ? String((req.body as { reason: string }).reason).slice(0, 500) : "";
    return { exam: await withOutbox(`exam-cancel:${randomBytes(8).toString("hex")}`, (tx, enqueue) => cancelExam(tx, env, user, String(req.params.id), reason, enqueue)) };
  }));
  router.post("/exams/:id/approve", auth, wrap(async (req, user) => examDecision(await withOutbox(`exam-approve:${randomBytes(8).toString("hex")}`, (tx, enqueue) => approveExam(tx, env, user, String(req.params.id), enqueue)))));

  // The rules in force with the school's periods, and (school admins) new rules.
  router.get("/exams/rules", auth, wrap(async () => ({ ...(await rulesInForce(ctx.db, env)), periods: periodList(env.periodTimes) })));
  router.put("/exams/rules", auth, json, wrap(async (req, user) => {
    const school = await schoolRoom(ctx.db);
    if (school === null) throw notFound();
    if (powerIn(school, user) < ADMIN) throw forbidden();
    const parsed = ExamRulesSchema.safeParse(req.body);
    if (!parsed.success) throw err("BAD_RULES", 400, `Ungültige Regeln: ${parsed.error.issues[0]?.path.join(".") ?? ""} ${parsed.error.issues[0]?.message ?? ""}`, `Invalid rules: ${parsed.error.issues[0]?.path.join(".") ?? ""} ${parsed.error.issues[0]?.message ?? ""}`);
    await withOutbox(`rules:${randomBytes(8).toString("hex")}`, async (tx, enqueue) => {
      await tx.query(`UPDATE rooms SET exam_rules = $2 WHERE room_id = $1`, [school.roomId, JSON.stringify(parsed.data)]);
      await enqueue({ kind: "state", roomId: school.roomId, eventType: EXAM_RULES, stateKey: "", content: { ...parsed.data, changed_by: user } as Record<string, unknown> });
    });
    return { rules: parsed.data };
  }));
}
