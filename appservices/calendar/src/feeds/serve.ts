// Serving iCalendar feeds: one secret URL per feed, ETags so that a phone polling every 15 minutes costs one small query.
import { createHash } from "node:crypto";
import type { Request, Response } from "express";
import type { AppserviceContext, Queryable } from "@schulhof/core";
import { buildIcs } from "../model/index.ts";
import type { CalendarEnv } from "../domain.ts";
import { allEventsOf } from "../store/events.ts";
import { feedByToken, touchFeed, type FeedRow } from "../store/feeds.ts";
import { calendarsOf, getRoom, mayReadCalendar, type RoomRow } from "../store/rooms.ts";
import { personalRoomOf } from "../personal.ts";

/** The calendars a feed shows: one calendar (while the owner is still a member), or all the owner may read. */
export async function feedCalendars(q: Queryable, feed: FeedRow): Promise<RoomRow[]> {
  const own = await personalRoomOf(q, feed.userId);
  if (feed.roomId !== null) {
    const room = await getRoom(q, feed.roomId);
    if (room?.calendar === null || room === null) return [];
    return feed.roomId === own || (await mayReadCalendar(q, feed.roomId, feed.userId)) ? [room] : [];
  }
  const rooms = await calendarsOf(q, feed.userId);
  if (own !== null && !rooms.some((r) => r.roomId === own)) {
    const r = await getRoom(q, own);
    if (r !== null) rooms.push(r);
  }
  return rooms;
}

/** The ETag of a feed: changes when any of its calendars changes, or the set of calendars does. */
export function etagOf(feed: FeedRow, rooms: readonly RoomRow[]): string {
  const h = createHash("sha256").update(feed.id);
  for (const r of rooms) h.update(`\0${r.roomId}:${r.version}`);
  return `"${h.digest("base64url").slice(0, 27)}"`;
}

/** Builds the iCalendar text of a feed (events that appear in several calendars, such as exams, once). */
export async function renderFeed(q: Queryable, env: CalendarEnv, feed: FeedRow, rooms: readonly RoomRow[]): Promise<string> {
  const events = await allEventsOf(q, rooms.map((r) => r.roomId));
  const names = new Map(rooms.map((r) => [r.roomId, r.calendar?.name ?? r.name]));
  const seen = new Set<string>();
  const unique = events.filter((e) => (seen.has(e.uid) ? false : (seen.add(e.uid), true)));
  const name = feed.roomId === null ? (env.lang === "de" ? "Schulhof – alle meine Termine" : "Schulhof – all my events") : (names.get(feed.roomId) ?? "Schulhof");
  return buildIcs({
    name,
    timezone: env.timezone,
    events: unique.map((e) => ({ uid: e.uid, content: e.content, calendarName: names.get(e.roomId) ?? "" })),
  });
}

/** A small LRU of rendered feeds, keyed by feed id and valid for one ETag. */
class FeedCache {
  private readonly map = new Map<string, { etag: string; body: string }>();
  private readonly max: number;
  constructor(max: number) {
    this.max = max;
  }
  get(id: string, etag: string): string | null {
    const hit = this.map.get(id);
    if (hit === undefined || hit.etag !== etag) return null;
    this.map.delete(id);
    this.map.set(id, hit);
    return hit.body;
  }
  set(id: string, etag: string, body: string): void {
    if (this.max === 0) return;
    this.map.delete(id);
    this.map.set(id, { etag, body });
    while (this.map.size > this.max) this.map.delete(this.map.keys().next().value as string);
  }
}

/** The express handler of `GET /feed/{token}.ics`. Unknown, revoked and wrong tokens all get the same 404. */
export function feedHandler(ctx: AppserviceContext, env: CalendarEnv, cacheEntries: number): (req: Request, res: Response) => Promise<void> {
  const cache = new FeedCache(cacheEntries);
  return async (req, res) => {
    try {
      const token = String(req.params.token ?? "");
      const feed = /^[A-Za-z0-9_-]{43}$/.test(token) ? await feedByToken(ctx.db, token) : null;
      if (feed === null) {
        res.status(404).type("text/plain").send("Not found\n");
        return;
      }
      const rooms = await feedCalendars(ctx.db, feed);
      const etag = etagOf(feed, rooms);
      res.setHeader("ETag", etag);
      res.setHeader("Cache-Control", "private, max-age=900");
      res.setHeader("X-Content-Type-Options", "nosniff");
      void touchFeed(ctx.db, feed.id).catch(() => undefined);
      const match = req.headers["if-none-match"];
      if (typeof match === "string" && match.split(/\s*,\s*/).some((m) => m === etag || m === `W/${etag}`)) {
        res.status(304).end();
        return;
      }
      let body = cache.get(feed.id, etag);
      if (body === null) {
        body = await renderFeed(ctx.db, env, feed, rooms);
        cache.set(feed.id, etag, body);
      }
      res.status(200).type("text/calendar; charset=utf-8").send(body);
    } catch (e) {
      ctx.log.error({ err: e }, "feed failed");
      res.status(500).type("text/plain").send("Internal error\n");
    }
  };
}
