// The calendar and exam-planning HTTP API for the web client (OpenID-authenticated), and the public feed URLs.
import { randomBytes } from "node:crypto";
import express, { type Express, type Request, type Response } from "express";
import { DateTime, IANAZone } from "luxon";
import { z } from "zod";
import { langOf, openIdRoutes, OpenIdVerifier, requireUser, sendError, userOf, SchulhofError, noticeContent, type AppserviceContext, type OutboxAction, type Queryable } from "@schulhof/core";
import { EXAM_KINDS, ExamRulesSchema, planWeeks, type ExamKind } from "../exams/index.ts";
import { occurrencesBetween, parseIcs, IcsError, validateEvent, type Occurrence } from "../model/index.ts";
import { CAL_EVENT, EXAM_RULES, type CalendarEnv } from "../domain.ts";
import { eventsIn, getEvent, saveEvent } from "../store/events.ts";
import { examsOfCohort, examsOfCohorts } from "../store/exams.ts";
import { createFeed, feedsOf, revokeFeed } from "../store/feeds.ts";
import { calendarsOf, getRoom, isJoined, levelFor, powerIn, roomsWhere, type RoomRow } from "../store/rooms.ts";
import { feedHandler } from "../feeds/serve.ts";
import { feedUrl, personalRoomOf, requestPersonalRoom } from "../personal.ts";
import { blockedDays, blockingCalendars, planned, rulesInForce, schoolRoom } from "../planning/context.ts";
import { approveExam, cancelExam, moveExam, requestExam, type ExamDecision } from "../planning/service.ts";
import { T } from "../bot/texts.ts";

export const API_PREFIX = "/_schulhof/calendar/v1";

const err = (code: string, status: number, de: string, en: string): SchulhofError =>
  new SchulhofError(`SCHULHOF_CALENDAR_${code}`, en, { de, en }, { httpStatus: status, errcode: status === 403 ? "M_FORBIDDEN" : status === 404 ? "M_NOT_FOUND" : "M_BAD_JSON" });
const notFound = (): SchulhofError => err("NOT_FOUND", 404, "Nicht gefunden.", "Not found.");
const forbidden = (): SchulhofError => err("FORBIDDEN", 403, "Das darfst du hier nicht.", "You may not do that here.");

const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const MAX_RANGE_DAYS = 400;

/** A calendar as the web client lists it. */
function calendarInfo(r: RoomRow, user: string, own: string | null): Record<string, unknown> {
  return {
    room_id: r.roomId,
    name: r.calendar?.name ?? r.name,
    colour: r.calendar?.colour ?? "#6e7781",
    scope: r.roomId === own ? "personal" : (r.calendar?.scope ?? "course"),
    can_write: r.roomId === own || powerIn(r, user) >= levelFor(r, CAL_EVENT),
    reminders: r.calendar?.reminders ?? null,
  };
}

/** Mounts the API on `app`. */
export function calendarApi(app: Express, ctx: AppserviceContext, env: CalendarEnv, opts: { homeservers: Record<string, string>; feedCacheEntries: number }): void {
  // The feed URL is public (its token is the secret), so it sits outside the authenticated router.
  app.get(`${API_PREFIX}/feed/:token.ics`, feedHandler(ctx, env, opts.feedCacheEntries));

  const router = express.Router();
  router.use((_req, res, next) => {
    res.set("cache-control", "no-store");
    next();
  });
  openIdRoutes(router, { verifier: new OpenIdVerifier({ homeservers: opts.homeservers }), secret: env.sessionSecret, prefix: "", log: ctx.log });
  const auth = requireUser(env.sessionSecret);
  const wrap =
    (fn: (req: Request, user: string) => Promise<unknown>) =>
    async (req: Request, res: Response): Promise<void> => {
      try {
        res.json(await fn(req, userOf(res)));
      } catch (e) {
        sendError(res, e, langOf(req), ctx.log);
      }
    };
  const json = express.json({ limit: "256kb" });
  /** Runs `fn` in a transaction with an outbox, then sends. */
  const withOutbox = async <R>(cause: string, fn: (tx: Queryable, enqueue: (a: OutboxAction) => Promise<void>) => Promise<R>): Promise<R> => {
    const out = await ctx.db.transaction((tx) => fn(tx, (a) => ctx.outbox.enqueue(tx, cause, a)));
    ctx.outbox.kick();
    return out;
  };
  const readable = async (user: string): Promise<RoomRow[]> => {
    const rooms = await calendarsOf(ctx.db, user);
    const own = await personalRoomOf(ctx.db, user);
    if (own !== null && !rooms.some((r) => r.roomId === own)) {
      const r = await getRoom(ctx.db, own);
      if (r !== null) rooms.push(r);
    }
    return rooms;
  };
  const writable = async (user: string, roomId: string): Promise<RoomRow> => {
    const room = await getRoom(ctx.db, roomId);
    if (room?.calendar === null || room === null) throw notFound();
    const own = await personalRoomOf(ctx.db, user);
    if (roomId !== own) {
      if (!(await isJoined(ctx.db, roomId, user))) throw notFound();
      if (powerIn(room, user) < levelFor(room, CAL_EVENT)) throw forbidden();
    }
    return room;
  };

  router.get("/calendars", auth, wrap(async (_req, user) => {
    const own = await personalRoomOf(ctx.db, user);
    return { calendars: (await readable(user)).map((r) => calendarInfo(r, user, own)), personal_room: own };
  }));

  // A user's occurrences in a range of days, recurrences expanded, times in the viewer's zone.
  router.get("/events", auth, wrap(async (req, user) => {
    const q = z.object({ from: Day, to: Day, tz: z.string().optional(), calendars: z.string().optional() }).safeParse(req.query);
    if (!q.success) throw err("BAD_RANGE", 400, "from und to als JJJJ-MM-TT angeben.", "Give from and to as YYYY-MM-DD.");
    const tz = q.data.tz ?? env.timezone;
    if (!IANAZone.isValidZone(tz)) throw err("BAD_TZ", 400, `Unbekannte Zeitzone: ${tz}`, `Unknown time zone: ${tz}`);
    const from = DateTime.fromISO(q.data.from, { zone: tz });
    const to = DateTime.fromISO(q.data.to, { zone: tz }).plus({ days: 1 });
    if (!from.isValid || !to.isValid || to <= from) throw err("BAD_RANGE", 400, "Ungültiger Zeitraum.", "Invalid range.");
    if (to.diff(from, "days").days > MAX_RANGE_DAYS) throw err("RANGE_TOO_LONG", 400, `Höchstens ${MAX_RANGE_DAYS} Tage auf einmal.`, `At most ${MAX_RANGE_DAYS} days at once.`);
    let rooms = await readable(user);
    if (q.data.calendars !== undefined) {
      const want = new Set(q.data.calendars.split(","));
      rooms = rooms.filter((r) => want.has(r.roomId));
    }
    const events = await eventsIn(ctx.db, rooms.map((r) => r.roomId), from.minus({ days: 1 }).toISODate()!, to.plus({ days: 1 }).toISODate()!);
    const byUid = new Map<string, { roomIds: string[]; ev: (typeof events)[number] }>();
    for (const e of events) {
      const have = byUid.get(e.uid);
      if (have === undefined) byUid.set(e.uid, { roomIds: [e.roomId], ev: e });
      else have.roomIds.push(e.roomId);
    }
    const occ = occurrencesBetween([...byUid.values()].map((x) => ({ uid: x.ev.uid, content: x.ev.content })), from.toJSDate(), to.toJSDate());
    const fmt = (d: Date, allDay: boolean, local: string): string => (allDay ? local.slice(0, 10) : DateTime.fromJSDate(d, { zone: tz }).toISO({ suppressMilliseconds: true })!);
    return {
      tz,
      occurrences: occ.map((o: Occurrence) => {
        const src = byUid.get(o.uid);
        return {
          uid: o.uid,
          recurrence_id: o.recurrenceId,
          calendars: src?.roomIds ?? [],
          summary: o.summary,
          start: fmt(o.start, o.allDay, o.startLocal),
          end: fmt(o.end, o.allDay, o.endLocal),
          all_day: o.allDay,
          location: o.location ?? null,
          description: o.description ?? null,
          category: o.category,
          recurring: src?.ev.content.rrule !== undefined,
          exam_id: (src?.ev.content as { exam_id?: string } | undefined)?.exam_id ?? null,
        };
      }),
    };
  }));

  router.get("/calendars/:room/events/:uid", auth, wrap(async (req, user) => {
    const roomId = String(req.params.room);
    if (!(await readable(user)).some((r) => r.roomId === roomId)) throw notFound();
    const ev = await getEvent(ctx.db, roomId, String(req.params.uid));
    if (ev === null) throw notFound();
    return { uid: ev.uid, content: ev.content };
  }));

  const putEvent = async (req: Request, user: string, uid: string): Promise<unknown> => {
    const roomId = String(req.params.room);
    const room = await writable(user, roomId);
    const checked = validateEvent({ ...(req.body as object), created_by: user });
    if (!checked.ok) {
      throw new SchulhofError("SCHULHOF_CALENDAR_INVALID_EVENT", checked.reasons.map((r) => r.en).join("; "), {
        de: checked.reasons.map((r) => r.de).join(" "),
        en: checked.reasons.map((r) => r.en).join(" "),
      }, { httpStatus: 400, errcode: "M_BAD_JSON" });
    }
    await withOutbox(`api:${randomBytes(8).toString("hex")}`, async (tx, enqueue) => {
      const before = await getEvent(tx, room.roomId, uid);
      await saveEvent(tx, { roomId: room.roomId, uid, content: checked.content, sender: user, eventId: before === null ? `pending:${uid}` : before.eventId, originTs: before?.originTs ?? 0 });
      await enqueue({ kind: "state", roomId: room.roomId, eventType: CAL_EVENT, stateKey: uid, content: checked.content as unknown as Record<string, unknown> });
    });
    return { room_id: room.roomId, uid };
  };
  router.post("/calendars/:room/events", auth, json, wrap((req, user) => putEvent(req, user, `${DateTime.now().toFormat("yyyyLLdd")}-${randomBytes(8).toString("hex")}@schulhof`)));
  router.put("/calendars/:room/events/:uid", auth, json, wrap((req, user) => putEvent(req, user, String(req.params.uid))));
  router.delete("/calendars/:room/events/:uid", auth, wrap(async (req, user) => {
    const room = await writable(user, String(req.params.room));
    const uid = String(req.params.uid);
    if ((await getEvent(ctx.db, room.roomId, uid)) === null) throw notFound();
    await withOutbox(`api-del:${randomBytes(8).toString("hex")}`, (_tx, enqueue) => enqueue({ kind: "state", roomId: room.roomId, eventType: CAL_EVENT, stateKey: uid, content: {} }));
    return { room_id: room.roomId, uid, deleted: true };
  }));

  // Import of an .ics file (e.g. a Land's school holidays): idempotent by UID.
  router.post("/calendars/:room/import", auth, express.text({ type: () => true, limit: "2mb" }), wrap(async (req, user) => {
    const room = await writable(user, String(req.params.room));
    const text = typeof req.body === "string" ? req.body : "";
    let parsed;
    try {
      parsed = parseIcs(text, { defaultTzid: env.timezone, defaultCategory: req.query.category === undefined ? "other" : (String(req.query.category) as "other") });
    } catch (e) {
      if (e instanceof IcsError) throw err("BAD_ICS", 400, e.reason.de, e.reason.en);
      throw e;
    }
    const importId = `import-${randomBytes(6).toString("hex")}`;
    await withOutbox(importId, async (tx, enqueue) => {
      for (const ev of parsed.events) {
        await enqueue({ kind: "state", roomId: room.roomId, eventType: CAL_EVENT, stateKey: ev.uid, content: { ...ev.content, import_id: importId, created_by: user } });
      }
      await enqueue({ kind: "message", roomId: room.roomId, eventType: "m.room.message", content: noticeContent(T[env.lang].imported(parsed.events.length, parsed.errors.length)) });
      void tx;
    });
    return { imported: parsed.events.length, uids: parsed.events.map((e) => e.uid), errors: parsed.errors };
  }));

  // Secret feed URLs: list (with URL, only for their owner), create, revoke.
  router.get("/feeds", auth, wrap(async (_req, user) => ({
    feeds: (await feedsOf(ctx.db, user, env.sessionSecret)).map((f) => ({ id: f.id, room_id: f.roomId, label: f.label, url: feedUrl(env, f.token), created_at: f.createdAt, last_used_at: f.lastUsedAt })),
  })));
  router.post("/feeds", auth, json, wrap(async (req, user) => {
    const body = z.object({ room_id: z.string().nullable().default(null), label: z.string().max(100).default("") }).safeParse(req.body ?? {});
    if (!body.success) throw err("BAD_FEED", 400, "room_id oder label ungültig.", "Invalid room_id or label.");
    if (body.data.room_id !== null && !(await readable(user)).some((r) => r.roomId === body.data.room_id)) throw notFound();
    const f = await ctx.db.transaction((tx) => createFeed(tx, user, body.data.room_id, body.data.label, env.sessionSecret));
    return { id: f.id, url: feedUrl(env, f.token) };
  }));
  router.delete("/feeds/:id", auth, wrap(async (req, user) => {
    if (!(await ctx.db.transaction((tx) => revokeFeed(tx, user, String(req.params.id))))) throw notFound();
    return { id: String(req.params.id), revoked: true };
  }));
  router.post("/personal", auth, wrap(async (_req, user) => {
    await withOutbox(`personal:${user}`, (tx, enqueue) => requestPersonalRoom(tx, env, user, { sendFeed: false, enqueue, lang: env.lang, inRoom: null }));
    return { room_id: await personalRoomOf(ctx.db, user) };
  }));

  // Exam planning.
  const cohortsOf = async (user: string): Promise<RoomRow[]> => {
    const rooms = await roomsWhere(ctx.db, `exam_cohort IS NOT NULL AND room_id IN (SELECT room_id FROM members WHERE user_id = $1 AND joined) ORDER BY name, room_id`, [user]);
    return rooms;
  };
  router.get("/exams/cohorts", auth, wrap(async (_req, user) => {
    const mine = [];
    for (const r of await cohortsOf(user)) mine.push({ room_id: r.roomId, name: r.examCohort?.name, stage: r.examCohort?.stage ?? null, grade: r.examCohort?.grade ?? null, can_plan: powerIn(r, user) >= 50 });
    return { cohorts: mine };
  }));
  const memberCohort = async (user: string, roomId: string): Promise<RoomRow> => {
    const room = await getRoom(ctx.db, roomId);
    if (room?.examCohort === null || room === null || !(await isJoined(ctx.db, roomId, user))) throw notFound();
    return room;
  };
  router.get("/exams/plan", auth, wrap(async (req, user) => {
    const q = z.object({ cohort_room: z.string(), from: Day, to: Day, kind: z.enum(EXAM_KINDS as unknown as [ExamKind, ...ExamKind[]]).default("klassenarbeit" as ExamKind) }).safeParse(req.query);
    if (!q.success) throw err("BAD_QUERY", 400, "cohort_room, from, to (JJJJ-MM-TT) angeben.", "Give cohort_room, from, to (YYYY-MM-DD).");
    const cohort = await memberCohort(user, q.data.cohort_room);
    if (DateTime.fromISO(q.data.to).diff(DateTime.fromISO(q.data.from), "days").days > MAX_RANGE_DAYS) throw err("RANGE_TOO_LONG", 400, "Zeitraum zu lang.", "Range too long.");
    const rows = (await examsOfCohort(ctx.db, cohort.roomId)).map((r) => r.content);
    const blocked = await blockedDays(ctx.db, env, await blockingCalendars(ctx.db, cohort, null), q.data.from, q.data.to);
    const { rules } = await rulesInForce(ctx.db, env);
    // Students see confirmed dates and courses, not requests, make-up lists or why an admin overrode a rule.
    const teacher = powerIn(cohort, user) >= 50;
    const weeks = planWeeks({
      cohort: cohort.examCohort?.name ?? "",
      from: q.data.from,
      to: q.data.to,
      existing: rows.map((c) => planned(c, cohort)),
      blocked,
      rules,
      today: DateTime.now().setZone(env.timezone).toISODate()!,
      periodsPerDay: Object.keys(env.periodTimes).length,
      probe: { kind: q.data.kind, grade: cohort.examCohort?.grade ?? null, stage: cohort.examCohort?.stage ?? "sek1" },
    });
    const shownWeeks = teacher
      ? weeks
      : weeks.map((w) => ({ ...w, days: w.days.map((d) => ({ ...d, exams: d.exams.filter((x) => x.status === "confirmed").map(({ students: _s, ...x }) => x) })) }));
    return { cohort: cohort.examCohort?.name, weeks: shownWeeks, exams: rows.filter((c) => teacher || c.status === "confirmed").map((c) => (teacher ? c : { id: c.id, course: c.course, kind: c.kind, date: c.date, periods: c.periods, status: c.status, title: c.title ?? null })) };
  }));
  // The start page: confirmed exams of the user's cohorts in the next days.
  router.get("/exams/upcoming", auth, wrap(async (req, user) => {
    const { rules } = await rulesInForce(ctx.db, env);
    const days = Math.min(Number(req.query.days ?? rules.announce_days_on_start_page ?? 14) || 14, 120);
    const today = DateTime.now().setZone(env.timezone);
    const cohorts = [];
    for (const r of await cohortsOf(user)) cohorts.push(r.roomId);
    const exams = (await examsOfCohorts(ctx.db, cohorts, today.toISODate()!, today.plus({ days }).toISODate()!)).filter((e) => e.content.status === "confirmed");
    // A make-up exam is shown only to its students (and teachers of the course).
    const visible = [];
    for (const e of exams) {
      if (e.content.students !== undefined && !e.content.students.includes(user)) {
        const course = await getRoom(ctx.db, e.content.course_room);
        if (course === null || powerIn(course, user) < 50) continue;
      }
      visible.push({ id: e.id, course: e.content.course, course_room: e.content.course_room, kind: e.content.kind, date: e.content.date, periods: e.content.periods, title: e.content.title ?? null });
    }
    return { days, exams: visible };
  }));

  const ExamBody = z.object({
    course_room: z.string(),
    kind: z.enum(EXAM_KINDS as unknown as [ExamKind, ...ExamKind[]]),
    date: Day,
    periods: z.array(z.number().int().min(1).max(16)).min(1).max(10),
    title: z.string().max(200).optional(),
    note: z.string().max(2000).optional(),
    makeup_of: z.string().optional(),
    students: z.array(z.string()).max(100).optional(),
    override_reason: z.string().trim().min(3).max(1000).optional(),
  });
  const examDecision = (d: ExamDecision): unknown => ({ ok: d.ok, dry_run: d.dryRun, exam: d.exam, violations: d.violations, warnings: d.warnings });
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
  router.post("/exams/:id/move", auth, json, wrap(async (req, user) => {
    const b = z.object({ date: Day, periods: z.array(z.number().int().min(1).max(16)).min(1).max(10), override_reason: z.string().trim().min(3).max(1000).optional() }).safeParse(req.body);
    if (!b.success) throw err("BAD_EXAM", 400, "date und periods angeben.", "Give date and periods.");
    return examDecision(await withOutbox(`exam-move:${randomBytes(8).toString("hex")}`, (tx, enqueue) => moveExam(tx, env, user, String(req.params.id), { date: b.data.date, periods: b.data.periods, overrideReason: b.data.override_reason }, enqueue)));
  }));
  router.post("/exams/:id/cancel", auth, json, wrap(async (req, user) => {
    const reason = typeof (req.body as { reason?: unknown } | undefined)?.reason === "string" ? String((req.body as { reason: string }).reason).slice(0, 500) : "";
    return { exam: await withOutbox(`exam-cancel:${randomBytes(8).toString("hex")}`, (tx, enqueue) => cancelExam(tx, env, user, String(req.params.id), reason, enqueue)) };
  }));
  router.post("/exams/:id/approve", auth, wrap(async (req, user) => examDecision(await withOutbox(`exam-approve:${randomBytes(8).toString("hex")}`, (tx, enqueue) => approveExam(tx, env, user, String(req.params.id), enqueue)))));

  // The rules in force, and (school admins) new rules.
  router.get("/exams/rules", auth, wrap(async () => rulesInForce(ctx.db, env)));
  router.put("/exams/rules", auth, json, wrap(async (req, user) => {
    const school = await schoolRoom(ctx.db);
    if (school === null) throw notFound();
    if (powerIn(school, user) < 100) throw forbidden();
    const parsed = ExamRulesSchema.safeParse(req.body);
    if (!parsed.success) throw err("BAD_RULES", 400, `Ungültige Regeln: ${parsed.error.issues[0]?.path.join(".") ?? ""} ${parsed.error.issues[0]?.message ?? ""}`, `Invalid rules: ${parsed.error.issues[0]?.path.join(".") ?? ""} ${parsed.error.issues[0]?.message ?? ""}`);
    await withOutbox(`rules:${randomBytes(8).toString("hex")}`, async (tx, enqueue) => {
      await tx.query(`UPDATE rooms SET exam_rules = $2 WHERE room_id = $1`, [school.roomId, JSON.stringify(parsed.data)]);
      await enqueue({ kind: "state", roomId: school.roomId, eventType: EXAM_RULES, stateKey: "", content: { ...parsed.data, changed_by: user } as Record<string, unknown> });
    });
    return { rules: parsed.data };
  }));

  app.use(API_PREFIX, router);
}
