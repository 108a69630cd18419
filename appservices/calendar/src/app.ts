// The calendar appservice (`@kalender`, `@klausuren`): calendars, feeds, reminders and exam planning.
import { asIntakeError, localpartOf, localUserId, requireBearer, serverOf, type AppserviceDefinition, type HandlerContext, type MatrixEvent, type Queryable } from "@schulhof/core";
import { CalendarConfigSchema, periodsOf, type CalendarConfig } from "./config.ts";
import { CAL_EVENT, EXAM, isGuestRoom, STATE_TYPES, type CalendarEnv } from "./domain.ts";
import { getRoom } from "./store/rooms.ts";
import { onCalendarEvent, onExamState, onRoomState } from "./handlers.ts";
import { handleCommand, isCalendarCommand } from "./bot/commands.ts";
import { API_PREFIX, calendarApi } from "./api/routes.ts";
import { CALENDAR_MIGRATIONS } from "./store/migrations.ts";
import { syncRoomState, reindexCalendar } from "./sync.ts";
import { personalRoomMaker } from "./personal.ts";
import { runHolidays, runReminders } from "./workers.ts";

/** Events kept at intake: the state the projection needs and this appservice's commands. */
export function calendarAccepts(event: MatrixEvent, botUserId: string): boolean {
  if (event.state_key !== undefined && STATE_TYPES.has(event.type)) return true;
  if (event.type === "m.room.message" && event.sender !== botUserId) {
    const body = event.content.body;
    return typeof body === "string" && isCalendarCommand(body);
  }
  return false;
}

/** Whether the room has any membership of `userId` on record (invited, joined or gone): then it is not invited again. */
async function knownMember(tx: Queryable, roomId: string, userId: string): Promise<boolean> {
  return (await tx.query(`SELECT 1 FROM members WHERE room_id = $1 AND user_id = $2`, [roomId, userId])).rows.length > 0;
}

export const calendarAppservice: AppserviceDefinition<CalendarConfig> = {
  name: "calendar",
  migrations: CALENDAR_MIGRATIONS,
  accepts: calendarAccepts,
  async create(ctx, rawConfig) {
    const config = CalendarConfigSchema.parse(rawConfig);
    const env: CalendarEnv = {
      botUserId: ctx.matrix.botUserId,
      examBotUserId: `@${config.examBotLocalpart}:${config.serverName}`,
      lang: config.language,
      timezone: config.timezone,
      state: config.state,
      schoolForm: config.schoolForm,
      periodTimes: periodsOf(config),
      publicBaseUrl: config.publicBaseUrl,
      sessionSecret: config.sessionSecret,
      serverName: config.serverName,
    };
    const district = new Set(config.districtServers);
    const peerBot = (server: string): string => localUserId(localpartOf(env.botUserId), server);
    /**
     * Students of district schools in a calendar room of ours (a shared course): their schools' calendar bots are invited
     * too, so that their own school's feeds and calendar show the course's dates. Once per bot and room.
     */
    const invitePeers = async (roomId: string, hctx: Pick<HandlerContext, "tx" | "enqueue">): Promise<void> => {
      const room = await getRoom(hctx.tx, roomId);
      if (room === null || room.calendar === null || isGuestRoom(room, env)) return;
      const joined = (await hctx.tx.query<{ user_id: string }>(`SELECT user_id FROM members WHERE room_id = $1 AND joined`, [roomId])).rows;
      const servers = new Set(joined.map((r) => serverOf(r.user_id)).filter((s) => district.has(s)));
      for (const server of servers) {
        const peer = peerBot(server);
        if (!(await knownMember(hctx.tx, roomId, peer))) await hctx.enqueue({ kind: "invite", roomId, userId: peer });
      }
    };
    const bots = new Set([env.botUserId, env.examBotUserId]);
    const makePersonalRooms = personalRoomMaker(ctx, env);
    let timer: NodeJS.Timeout | null = null;
    let ticking = false;
    const tick = async (): Promise<void> => {
      if (ticking) return;
      ticking = true;
      try {
        const rooms = await makePersonalRooms();
        const holidays = await runHolidays(ctx, env);
        const reminders = await runReminders(ctx, env);
        if (rooms + holidays + reminders > 0) ctx.log.info({ rooms, holidays, reminders }, "calendar background work");
      } catch (e) {
        ctx.log.warn({ err: e }, "calendar background work failed; next tick retries");
      } finally {
        ticking = false;
      }
    };
    return {
      async handle(event, hctx) {
        try {
          if (event.type === "m.room.member" && event.state_key !== undefined && bots.has(event.state_key)) {
            const membership = event.content.membership;
            // Invites from this school's people only, and from a district school's calendar bot for its shared courses:
            // the bots do not wander into foreign rooms.
            const fromPeer = event.state_key === env.botUserId && district.has(serverOf(event.sender)) && event.sender === peerBot(serverOf(event.sender));
            if (membership === "invite" && (serverOf(event.sender) === config.serverName || fromPeer)) {
              if (event.state_key === env.examBotUserId) await ctx.matrix.ensureRegistered(config.examBotLocalpart);
              await hctx.enqueue({ kind: "join", roomId: event.room_id, ...(event.state_key === env.botUserId ? {} : { asUser: event.state_key }) });
            } else if (membership === "join") {
              await onRoomState(event, hctx.tx);
              await syncRoomState(event.room_id, ctx.matrix, hctx.tx, env, event.state_key);
              if (event.state_key === env.botUserId && district.size > 0) await invitePeers(event.room_id, hctx);
            } else await onRoomState(event, hctx.tx);
            return;
          }
          if (event.type === CAL_EVENT) {
            await onCalendarEvent(event, hctx, env);
            return;
          }
          if (event.type === EXAM) return onExamState(event, hctx.tx, env);
          if (event.type === "m.room.message") {
            await handleCommand(event, hctx, env);
            setImmediate(() => void tick());
            // A command's writes (`!abo` asking for a personal room) are committed only after this returns: look again shortly.
            setTimeout(() => void makePersonalRooms().catch((e: unknown) => ctx.log.warn({ err: e }, "could not make personal calendar rooms; the next tick retries")), 500).unref();
            return;
          }
          await onRoomState(event, hctx.tx);
          if (event.type === "m.room.member" && event.content.membership === "join" && event.state_key !== undefined && district.has(serverOf(event.state_key)))
            await invitePeers(event.room_id, hctx);
          return;
        } catch (e) {
          throw asIntakeError(e);
        }
      },
      routes(app) {
        calendarApi(app, ctx, env, { homeservers: config.trustedHomeservers, feedCacheEntries: config.feedCacheEntries, makePersonalRooms });
        app.post(`${API_PREFIX}/admin/reindex`, requireBearer(config.adminApiToken), async (_req, res) => {
          try {
            res.json({ rooms: await reindexCalendar(ctx.db, ctx.matrix, env) });
          } catch (e) {
            ctx.log.error({ err: e }, "calendar reindex failed");
            res.status(500).json({ errcode: "M_UNKNOWN", error: String((e as Error).message ?? e) });
          }
        });
      },
      async started() {
        // The exam bot is a user of this appservice's namespace: it must exist before it can join.
        await ctx.matrix.ensureRegistered(config.examBotLocalpart).catch((e: unknown) => ctx.log.warn({ err: e }, "could not register the exam bot yet"));
        timer = setInterval(() => void tick(), config.tickMs);
        timer.unref();
        await tick();
      },
      async stop() {
        if (timer !== null) clearInterval(timer);
      },
    };
  },
};
