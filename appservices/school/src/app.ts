// The school appservice (`@schule`): provisioning from the roster, the school bot's commands, the admin API.
import { videoMembership, videoRoutes } from "./api/video.ts";
import { RoomFactsCache } from "./api/room-cache.ts";
import { moderateVia } from "./api/video-moderation.ts";
import { asIntakeError, noticeContent, SynapseAdmin, type AppserviceDefinition, type HandlerContext, type MatrixEvent } from "@schulhof/core";
import { adminRoutes } from "./api/admin.ts";
import { webRoutes } from "./api/web.ts";
import { handleCommand, parseCommand, type CommandPort } from "./bot/commands.ts";
import type { SchoolAppserviceConfig } from "./config.ts";
import { activePersonByUser } from "./store/people.ts";
import { roomsOfUser } from "./store/rooms.ts";
import { SCHOOL_MIGRATIONS } from "./store/migrations.ts";
import { syncDistrictDirectory, type DirectoryConfig } from "./district-directory.ts";

/** Events the school appservice keeps: commands addressed to bots and invites of its bot. Nothing else. */
export function schoolAccepts(event: MatrixEvent, botUserId: string): boolean {
  if (event.sender === botUserId) return false;
  if (event.type === "m.room.message") {
    const body = event.content.body;
    return typeof body === "string" && parseCommand(body) !== null;
  }
  return event.type === "m.room.member" && event.state_key === botUserId && event.content.membership === "invite";
}

export const schoolAppservice: AppserviceDefinition<SchoolAppserviceConfig> = {
  name: "school",
  migrations: SCHOOL_MIGRATIONS,
  accepts: schoolAccepts,
  async create(ctx, config) {
    const admin = new SynapseAdmin(config.homeserverUrl, config.systemAdminToken);
    const rooms = new RoomFactsCache({ admin, botUserId: ctx.matrix.botUserId });
    const portFor = (hctx: HandlerContext): CommandPort => ({
      defaultLang: config.language,
      bots: [ctx.matrix.botUserId, ...config.courseBots, ...(config.calendarBot === null ? [] : [config.calendarBot]), ...(config.examBot === null ? [] : [config.examBot])],
      homework: config.courseBots.length > 0,
      calendar: config.calendarBot !== null,
      async reply(roomId, replyTo, text, html) {
        await hctx.enqueue({ kind: "message", roomId, eventType: "m.room.message", content: noticeContent(text, { html, replyTo }) });
      },
      async personOf(userId) {
        const p = await activePersonByUser(hctx.tx, userId);
        return p === null ? null : { role: p.role, className: p.className, courses: p.courses };
      },
      roomsOf: (userId) => roomsOfUser(hctx.tx, userId),
      ...(config.videoSecret === null
        ? {}
        : {
            video: {
              async read(roomId: string, userId: string) {
                const m = await videoMembership(rooms, roomId, userId);
                return { power: m.power, settings: m.settings };
              },
              async write(roomId: string, settings: Record<string, unknown>) {
                await hctx.enqueue({ kind: "state", roomId, eventType: "de.schulhof.video.settings", stateKey: "", content: settings });
              },
              ...(config.videoServiceUrl === null ? {} : { moderate: moderateVia(config.videoServiceUrl, config.videoSecret) }),
            },
          }),
    });
    const directory: DirectoryConfig = {
      serverName: config.serverName,
      schoolName: config.schoolName,
      districtServers: config.districtServers,
      shareDirectory: config.shareDirectory,
      language: config.language,
    };
    /** Brings the district directory room in line with the roster (after each import, and at start). */
    const syncDirectory = async (): Promise<void> => {
      if (config.districtServers.length === 0 && !config.shareDirectory) return;
      try {
        const r = await syncDistrictDirectory(ctx, directory);
        ctx.log.info({ room_id: r.roomId, joined: r.joined, left: r.left }, "district directory in line with the roster");
      } catch (e) {
        ctx.log.warn({ err: e }, "district directory not updated; will retry at the next import or start");
      }
    };
    return {
      started: syncDirectory,
      observe: (event) => rooms.observe(event),
      async handle(event, hctx) {
        try {
          if (event.type === "m.room.member") {
            await hctx.enqueue({ kind: "join", roomId: event.room_id });
            return;
          }
          await handleCommand(event, portFor(hctx));
        } catch (e) {
          throw asIntakeError(e);
        }
      },
      routes(app) {
        adminRoutes(app, ctx, config, admin, syncDirectory);
        webRoutes(app, ctx, config);
        if (config.videoSecret !== null) videoRoutes(app, ctx, { secret: config.videoSecret, serverName: config.serverName, rooms });
      },
    };
  },
};
