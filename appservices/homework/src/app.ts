// The homework appservice (`@hausaufgaben`): assignments, private submissions, feedback, reminders and the API.
import { asIntakeError, requireBearer, type AppserviceDefinition, type MatrixEvent } from "@schulhof/core";
import { HomeworkConfigSchema, type HomeworkConfig } from "./config.ts";
import { ASSIGNMENT, EXTENSION, FEEDBACK, SUBMISSION, SUBMISSION_ROOM } from "./domain/schema.ts";
import { handleCommand, isHomeworkCommand, type RoomReader } from "./bot/commands.ts";
import { MESSAGE_TYPES, onAssignment, onExtension, onFeedback, onRoomState, onSubmission, onSubmissionRoomMarker, STATE_TYPES, type HomeworkEnv } from "./handlers.ts";
import { API_PREFIX, homeworkApi } from "./api/routes.ts";
import { reindexHomework } from "./reindex.ts";
import { HOMEWORK_MIGRATIONS } from "./store/migrations.ts";
import { syncRoomState } from "./sync.ts";
import { runReminders, runRoomJobs, runTeamJobs } from "./workers.ts";

/** Events kept at intake: room state the projection needs, submissions, feedback, and this bot's commands. */
export function homeworkAccepts(event: MatrixEvent, botUserId: string): boolean {
  if (event.state_key !== undefined && STATE_TYPES.has(event.type)) return true;
  if (MESSAGE_TYPES.has(event.type)) return true;
  if (event.type === "m.room.message" && event.sender !== botUserId) {
    const body = event.content.body;
    return typeof body === "string" && isHomeworkCommand(body);
  }
  return false;
}

export const homeworkAppservice: AppserviceDefinition<HomeworkConfig> = {
  name: "homework",
  migrations: HOMEWORK_MIGRATIONS,
  accepts: homeworkAccepts,
  async create(ctx, rawConfig) {
    const config = HomeworkConfigSchema.parse(rawConfig);
    const env: HomeworkEnv = { botUserId: ctx.matrix.botUserId, lang: config.language, timezone: config.timezone };
    const reader: RoomReader = {
      async recentEvents(roomId, limit) {
        const page = (await ctx.matrix.bot.createMessagesRequest(roomId, null, limit, "b" as never)) as { chunk: MatrixEvent[] };
        return page.chunk;
      },
    };
    let timer: NodeJS.Timeout | null = null;
    let ticking = false;
    const tick = async (): Promise<void> => {
      if (ticking) return;
      ticking = true;
      try {
        const rooms = (await runRoomJobs(ctx, config.language)) + (await runTeamJobs(ctx, config.language));
        const reminders = await runReminders(ctx, config.language);
        if (rooms + reminders > 0) ctx.log.info({ rooms, reminders }, "homework background work");
      } catch (e) {
        ctx.log.warn({ err: e }, "homework background work failed; next tick retries");
      } finally {
        ticking = false;
      }
    };
    return {
      async handle(event, hctx) {
        try {
          if (event.type === "m.room.member" && event.state_key === env.botUserId) {
            if (event.content.membership === "invite") await hctx.enqueue({ kind: "join", roomId: event.room_id });
            else if (event.content.membership === "join") await syncRoomState(event.room_id, ctx.matrix, hctx.tx, env);
            else await onRoomState(event, hctx.tx);
            return;
          }
          switch (event.type) {
            case ASSIGNMENT:
              await onAssignment(event, hctx, env);
              setImmediate(() => void tick());
              return;
            case SUBMISSION_ROOM:
              return onSubmissionRoomMarker(event, hctx.tx, env);
            case EXTENSION:
              return onExtension(event, hctx.tx, env);
            case SUBMISSION:
              return onSubmission(event, hctx, env);
            case FEEDBACK:
              return onFeedback(event, hctx, env);
            case "m.room.message":
              await handleCommand(event, hctx, env, reader);
              setImmediate(() => void tick());
              return;
            default:
              return onRoomState(event, hctx.tx);
          }
        } catch (e) {
          throw asIntakeError(e);
        }
      },
      routes(app) {
        homeworkApi(app, ctx, { sessionSecret: config.sessionSecret, homeservers: config.trustedHomeservers });
        app.post(`${API_PREFIX}/admin/reindex`, requireBearer(config.adminApiToken), async (_req, res) => {
          try {
            res.json({ rooms: await reindexHomework(ctx.db, ctx.matrix, env) });
          } catch (e) {
            ctx.log.error({ err: e }, "homework reindex failed");
            res.status(500).json({ errcode: "M_UNKNOWN", error: String((e as Error).message ?? e) });
          }
        });
      },
      async started() {
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
