// The calendar and exam-planning HTTP API for the web client (OpenID-authenticated), and the public feed URLs; the exam routes are in exams.ts.
import { randomBytes } from "node:crypto";
import express, { type Express, type Request, type Response } from "express";
import { DateTime, IANAZone } from "luxon";
import { z } from "zod";
import { langOf, openIdRoutes, OpenIdVerifier, requireUser, sendError, userOf, SchulhofError, noticeContent, type AppserviceContext, type OutboxAction, type Queryable } from "@schulhof/core";
import { occurrencesBetween, parseIcs, IcsError, validateEvent, type Occurrence } from "../model/index.ts";
import { CAL_EVENT, type CalendarEnv } from "../domain.ts";
import { announced } from "../handlers.ts";
import { deleteEvent, eventsIn, getEvent, PENDING_CHANGE, PENDING_NEW, saveEvent } from "../store/events.ts";
import { createFeed, feedsOf, revokeFeed } from "../store/feeds.ts";
import { calendarsOf, getRoom, isJoined, levelFor, powerIn, type RoomRow } from "../store/rooms.ts";
import { feedHandler } from "../feeds/serve.ts";
import { feedUrl, personalRoomOf, requestPersonalRoom } from "../personal.ts";
import { T } from "../bot/texts.ts";
import { Day, err, forbidden, MAX_RANGE_DAYS, notFound } from "./common.ts";
import { examApi } from "./exams.ts";

export const API_PREFIX = "/_schulhof/calendar/v1";

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
export function calendarApi(
  app: Express,
  ctx: AppserviceContext,
  env: CalendarEnv,
  opts: {
    homeservers: Record<string, string>;
    feedCacheEntries: number;
    /** Makes the personal rooms asked for now (the appservice's one runner); without it they wait for the background tick. */
    makePersonalRooms?: () => Promise<unknown>;
  },
): void {
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
      // The projection changes at once; the echo of the state event then announces it (new, or changed) and changes nothing else.
      const before = await getEvent(tx, room.roomId, uid);
      const fresh = before === null || before.eventId.startsWith(PENDING_NEW);
      await saveEvent(tx, { roomId: room.roomId, uid, content: checked.content, sender: user, eventId: `${fresh ? PENDING_NEW : PENDING_CHANGE}${uid}`, originTs: before?.originTs ?? 0 });
      await enqueue({ kind: "state", roomId: room.roomId, eventType: CAL_EVENT, stateKey: uid, content: checked.content as unknown as Record<string, unknown> });
    });
    return { room_id: room.roomId, uid };
  };
  router.post("/calendars/:room/events", auth, json, wrap((req, user) => putEvent(req, user, `${DateTime.now().toFormat("yyyyLLdd")}-${randomBytes(8).toString("hex")}@schulhof`)));
  router.put("/calendars/:room/events/:uid", auth, json, wrap((req, user) => putEvent(req, user, String(req.params.uid))));
  router.delete("/calendars/:room/events/:uid", auth, wrap(async (req, user) => {
    const room = await writable(user, String(req.params.room));
    const uid = String(req.params.uid);
    // Gone from the projection (lists, feeds, reminders) at once, and announced here: the echo finds nothing left to do.
    await withOutbox(`api-del:${randomBytes(8).toString("hex")}`, async (tx, enqueue) => {
      const before = await getEvent(tx, room.roomId, uid);
      if (before === null) throw notFound();
      await deleteEvent(tx, room.roomId, uid);
      await enqueue({ kind: "state", roomId: room.roomId, eventType: CAL_EVENT, stateKey: uid, content: {} });
      if (announced(before.content as unknown as Record<string, unknown>)) {
        await enqueue({ kind: "message", roomId: room.roomId, eventType: "m.room.message", content: noticeContent(T[env.lang].deleted(before.content.summary)) });
      }
    });
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
    // Made now rather than by the next background tick; if the homeserver fails, the tick tries again and the answer is null.
    if ((await personalRoomOf(ctx.db, user)) === null && opts.makePersonalRooms !== undefined) {
      await opts.makePersonalRooms().catch((e: unknown) => ctx.log.warn({ err: e }, "could not make a personal calendar room now; the background work retries"));
    }
    return { room_id: await personalRoomOf(ctx.db, user) };
  }));

  examApi({ router, ctx, env, auth, wrap, json, withOutbox });

  app.use(API_PREFIX, router);
}
