// Personal calendars: a private room per user, made by `@kalender` on first use; it also carries private answers (feed links).
import type { AppserviceContext, OutboxAction, Queryable } from "@schulhof/core";
import { noticeContent } from "@schulhof/core";
import { CALENDAR, type CalendarEnv } from "./domain.ts";
import { createFeed } from "./store/feeds.ts";
import { saveMember, savePowerLevels, setRoomField } from "./store/rooms.ts";
import { T } from "./bot/texts.ts";

/** The public URL of a feed token. */
export function feedUrl(env: CalendarEnv, token: string): string {
  return `${env.publicBaseUrl.replace(/\/$/, "")}/_schulhof/calendar/v1/feed/${token}.ics`;
}

/** The personal calendar room of a user, if made. */
export async function personalRoomOf(q: Queryable, userId: string): Promise<string | null> {
  const r = (await q.query<{ room_id: string | null }>(`SELECT room_id FROM personal WHERE user_id = $1`, [userId])).rows[0];
  return r?.room_id ?? null;
}

/**
 * Makes sure the user gets a personal calendar room; with `sendFeed`, a new feed link is posted
 * there (now, if the room exists, else when the worker has made it). Returns whether the link was
 * posted into `inRoom`.
 */
export async function requestPersonalRoom(
  tx: Queryable,
  env: CalendarEnv,
  userId: string,
  opts: { sendFeed: boolean; enqueue: (a: OutboxAction) => Promise<void>; lang: "de" | "en"; inRoom: string | null },
): Promise<boolean> {
  const room = await personalRoomOf(tx, userId);
  if (room === null) {
    await tx.query(
      `INSERT INTO personal (user_id, send_feed) VALUES ($1, $2) ON CONFLICT (user_id) DO UPDATE SET send_feed = personal.send_feed OR $2`,
      [userId, opts.sendFeed],
    );
    return false;
  }
  if (opts.sendFeed) {
    const feed = await createFeed(tx, userId, null, "Matrix", env.sessionSecret);
    await opts.enqueue({ kind: "message", roomId: room, eventType: "m.room.message", content: noticeContent(T[opts.lang].feedLink(feedUrl(env, feed.token))) });
  }
  return opts.inRoom === room;
}

/**
 * Creates the personal rooms that were asked for (outside any transaction: one room at a time) and projects each at
 * once (marker, power levels, the bot's membership), so that the API lists it and writes to it before the
 * homeserver's copy of the room's state arrives (which then changes nothing). Must not run twice at the same time
 * (two runs would make two rooms for one user): call it through {@link personalRoomMaker}.
 */
export async function runPersonalRooms(ctx: AppserviceContext, env: CalendarEnv): Promise<number> {
  const wanted = (await ctx.db.query<{ user_id: string }>(`SELECT user_id FROM personal WHERE room_id IS NULL ORDER BY requested_at LIMIT 20`)).rows;
  let made = 0;
  for (const { user_id: userId } of wanted) {
    const t = T[env.lang];
    const marker = { name: t.personalName, colour: "#6e7781", scope: "personal", owner: userId };
    const powerLevels = { users: { [userId]: 50 }, events: { [CALENDAR]: 100, "m.room.power_levels": 100 } };
    const { room_id: roomId } = await ctx.matrix.bot.createRoom({
      name: t.personalName,
      topic: t.personalTopic,
      invite: [userId],
      is_direct: true,
      preset: "private_chat" as never,
      initial_state: [
        { type: CALENDAR, state_key: "", content: marker },
        { type: "de.schulhof.room", state_key: "", content: { kind: "personal-calendar", owner: userId } },
        { type: "m.room.history_visibility", state_key: "", content: { history_visibility: "shared" } },
      ],
      // The bot created the room (room version 12: creators are above all levels and not listed).
      power_level_content_override: powerLevels,
    });
    await ctx.db.transaction(async (tx) => {
      const r = await tx.query<{ send_feed: boolean }>(`UPDATE personal SET room_id = $2 WHERE user_id = $1 RETURNING send_feed`, [userId, roomId]);
      await setRoomField(tx, roomId, "kind", "personal-calendar");
      await setRoomField(tx, roomId, "name", t.personalName);
      await setRoomField(tx, roomId, "calendar", marker);
      await savePowerLevels(tx, roomId, { ...powerLevels, state_default: 50 });
      await saveMember(tx, roomId, env.botUserId, true);
      if (r.rows[0]?.send_feed === true) {
        const feed = await createFeed(tx, userId, null, "Matrix", env.sessionSecret);
        await ctx.outbox.enqueue(tx, `feed:${feed.id}`, { kind: "message", roomId, eventType: "m.room.message", content: noticeContent(t.feedLink(feedUrl(env, feed.token))) });
        await tx.query(`UPDATE personal SET send_feed = false WHERE user_id = $1`, [userId]);
      }
    });
    made++;
  }
  if (made > 0) ctx.outbox.kick();
  return made;
}

/**
 * One runner of {@link runPersonalRooms} per appservice: a call while a run is going waits for it and runs once more
 * afterwards (so a request made meanwhile is seen), and calls meanwhile share that second run. Used by the
 * background tick and by `POST /personal`, which makes the room at once instead of waiting for the tick.
 */
export function personalRoomMaker(ctx: AppserviceContext, env: CalendarEnv): () => Promise<number> {
  let running: Promise<number> | null = null;
  let queued: Promise<number> | null = null;
  const start = (): Promise<number> => {
    const run = runPersonalRooms(ctx, env).finally(() => {
      if (running === run) running = null;
    });
    running = run;
    return run;
  };
  return () => {
    if (queued !== null) return queued;
    if (running === null) return start();
    const next = running
      .catch(() => 0)
      .then(() => {
        queued = null;
        return start();
      });
    queued = next;
    return next;
  };
}
