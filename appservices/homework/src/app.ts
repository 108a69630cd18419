// The homework appservice (`@hausaufgaben`): assignments, private submissions, feedback, reminders and the API.
import { asIntakeError, localpartOf, localUserId, requireBearer, serverOf, type AppserviceDefinition, type HandlerContext, type MatrixEvent } from "@schulhof/core";
import { HomeworkConfigSchema, type HomeworkConfig } from "./config.ts";
import { ASSIGNMENT, EXTENSION, FEEDBACK, SUBMISSION, SUBMISSION_ROOM } from "./domain/schema.ts";
import { handleCommand, isHomeworkCommand, type RoomReader } from "./bot/commands.ts";
import { guestRoom, MESSAGE_TYPES, onAssignment, onExtension, onFeedback, onRoomState, onSubmission, onSubmissionRoomMarker, STATE_TYPES, type HomeworkEnv } from "./handlers.ts";
import { API_PREFIX, homeworkApi } from "./api/routes.ts";
import { reindexHomework } from "./reindex.ts";
import { HOMEWORK_MIGRATIONS } from "./store/migrations.ts";
import { silent, syncRoomHistory, syncRoomState } from "./sync.ts";
import { submissionRoom } from "./store/submissions.ts";
import { courseName } from "./store/courses.ts";
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
    const env: HomeworkEnv = { botUserId: ctx.matrix.botUserId, lang: config.language, timezone: config.timezone, serverName: ctx.matrix.identity.serverName };
    const district = new Set(config.districtServers);
    const peerBot = (server: string): string => localUserId(localpartOf(env.botUserId), server);
    /**
     * Students of district schools in a course of ours (a shared course): their schools' homework bots are invited to read
     * along, so that their own school's web client lists the course's work. Once per bot and room.
     */
    const invitePeers = async (roomId: string, hctx: Pick<HandlerContext, "tx" | "enqueue">): Promise<void> => {
      if (district.size === 0 || (await courseName(hctx.tx, roomId)) === null || (await guestRoom(hctx.tx, roomId, env)).guest) return;
      const members = (await hctx.tx.query<{ user_id: string; joined: boolean }>(`SELECT user_id, joined FROM course_members WHERE room_id = $1`, [roomId])).rows;
      const known = new Set(members.map((m) => m.user_id));
      const servers = new Set(members.filter((m) => m.joined).map((m) => serverOf(m.user_id)).filter((s) => district.has(s)));
      for (const server of servers) if (!known.has(peerBot(server))) await hctx.enqueue({ kind: "invite", roomId, userId: peerBot(server) });
    };
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
        const rooms = (await runRoomJobs(ctx, config.language, 200, 4, district)) + (await runTeamJobs(ctx, config.language));
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
            else if (event.content.membership === "join") {
              await syncRoomState(event.room_id, ctx.matrix, hctx.tx, env);
              // Reading along in a district school's submission room: what was handed in before we came counts too.
              if ((await guestRoom(hctx.tx, event.room_id, env)).guest && (await submissionRoom(hctx.tx, event.room_id)) !== null)
                await syncRoomHistory(event.room_id, ctx.matrix, hctx.tx, env);
              await invitePeers(event.room_id, hctx);
            } else await onRoomState(event, hctx.tx);
            return;
          }
          // A room made at another district school: read along for our students, say nothing (its bot answers).
          const { guest } = await guestRoom(hctx.tx, event.room_id, env);
          const c = guest ? silent(hctx.tx) : hctx;
          switch (event.type) {
            case ASSIGNMENT:
              await onAssignment(event, c, env, { guest });
              if (!guest) setImmediate(() => void tick());
              return;
            case SUBMISSION_ROOM:
              return onSubmissionRoomMarker(event, hctx.tx, env);
            case EXTENSION:
              return onExtension(event, hctx.tx, env, c);
            case SUBMISSION:
              return onSubmission(event, c, env);
            case FEEDBACK:
              return onFeedback(event, c, env);
            case "m.room.message":
              if (guest) return;
              await handleCommand(event, hctx, env, reader);
              setImmediate(() => void tick());
              return;
            default:
              await onRoomState(event, hctx.tx);
              if (event.type === "m.room.member" && event.content.membership === "join" && event.state_key !== undefined && district.has(serverOf(event.state_key)))
                await invitePeers(event.room_id, hctx);
              return;
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
