// The calendar appservice (`@kalender`, `@klausuren`): calendars, feeds, reminders and exam planning.
import { asIntakeError, requireBearer, serverOf, type AppserviceDefinition, type MatrixEvent } from "@schulhof/core";
import { CalendarConfigSchema, periodsOf, type CalendarConfig } from "./config.ts";
import { CAL_EVENT, EXAM, STATE_TYPES, type CalendarEnv } from "./domain.ts";
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
            // Invites from this school's people only: the bots do not wander into foreign rooms.
            if (membership === "invite" && serverOf(event.sender) === config.serverName) {
              if (event.state_key === env.examBotUserId) await ctx.matrix.ensureRegistered(config.examBotLocalpart);
              await hctx.enqueue({ kind: "join", roomId: event.room_id, ...(event.state_key === env.botUserId ? {} : { asUser: event.state_key }) });
            } else if (membership === "join") {
              await onRoomState(event, hctx.tx);
              await syncRoomState(event.room_id, ctx.matrix, hctx.tx, env, event.state_key);
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
          return onRoomState(event, hctx.tx);
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
