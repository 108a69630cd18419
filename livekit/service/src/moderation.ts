// What a teacher can do to a room's call, by LiveKit identity (web client) or by Matrix user (chat commands): the
// LiveKit server API does it; admissions from the lobby are kept in the LiveKit room's metadata.
import { TrackSource, type ParticipantInfo, type RoomServiceClient } from "livekit-server-sdk";
import { z } from "zod";
import { LEGACY_SLOT_ID, livekitRoomName, videoError, VideoTokenError } from "./token/index.ts";

export const MODERATION_ACTIONS = ["mute", "mute_all", "camera_off", "screen_share_off", "remove", "admit", "admit_all", "end"] as const;
export type ModerationAction = (typeof MODERATION_ACTIONS)[number];

/** Actions that need one participant (by identity or Matrix user). */
const TARGETED = new Set<ModerationAction>(["mute", "camera_off", "screen_share_off", "remove", "admit"]);

export const ModerationRequestSchema = z.object({
  room_id: z.string().regex(/^!\S+$/),
  action: z.enum(MODERATION_ACTIONS),
  /** A LiveKit participant identity (one device). */
  identity: z.string().min(1).optional(),
  /** A Matrix user: every device of theirs in the call. */
  user_id: z.string().regex(/^@[^\s:]+:\S+$/).optional(),
});
export type ModerationRequest = z.infer<typeof ModerationRequestSchema>;

type Meta = { user_id?: string; role?: string };
const metaOf = (p: ParticipantInfo): Meta => {
  try {
    return JSON.parse(p.metadata || "{}") as Meta;
  } catch {
    return {};
  }
};

/** The Matrix user behind a participant. */
export const userOfParticipant = (p: ParticipantInfo): string => metaOf(p).user_id ?? p.name;
/** teacher, student or waiting, as the token said. */
export const roleOfParticipant = (p: ParticipantInfo): string | null => metaOf(p).role ?? null;

/** Carries out one moderation request; answers how many participants it touched (0: nobody to act on). */
export async function moderateCall(rooms: RoomServiceClient, req: ModerationRequest): Promise<{ affected: number }> {
  try {
    return await moderate(rooms, req);
  } catch (e) {
    if (e instanceof VideoTokenError) throw e;
    // LiveKit did not answer or refused: an upstream failure, as for /get_token.
    throw videoError("sfu_unavailable", `LiveKit: ${String((e as Error).message ?? e)}`, e);
  }
}

/** The room's admission list; damaged metadata counts as none. */
function admittedOf(metadata: string | undefined): Record<string, unknown> & { admitted?: string[] } {
  try {
    const meta = JSON.parse(metadata || "{}") as unknown;
    return typeof meta === "object" && meta !== null && !Array.isArray(meta) ? (meta as { admitted?: string[] }) : {};
  } catch {
    return {};
  }
}

async function moderate(rooms: RoomServiceClient, req: ModerationRequest): Promise<{ affected: number }> {
  const room = livekitRoomName(req.room_id, LEGACY_SLOT_ID);
  if (req.action === "end") {
    const exists = (await rooms.listRooms([room]).catch(() => [])).length > 0;
    if (exists) await rooms.deleteRoom(room);
    return { affected: exists ? 1 : 0 };
  }
  const participants = await rooms.listParticipants(room).catch(() => [] as ParticipantInfo[]);
  let targets: ParticipantInfo[];
  if (TARGETED.has(req.action)) {
    if (req.identity === undefined && req.user_id === undefined) throw videoError("bad_json", `${req.action} needs identity or user_id`);
    targets = participants.filter((p) => (req.identity !== undefined ? p.identity === req.identity : userOfParticipant(p) === req.user_id));
    if (targets.length === 0 && req.identity !== undefined) throw videoError("no_participant", "no such participant in the call");
  } else if (req.action === "admit_all") {
    targets = participants.filter((p) => roleOfParticipant(p) === "waiting" && p.permission?.canSubscribe !== true);
  } else {
    // mute_all: everyone but the teachers.
    targets = participants.filter((p) => roleOfParticipant(p) !== "teacher");
  }
  const muteSources = async (p: ParticipantInfo, sources: TrackSource[]): Promise<void> => {
    for (const t of p.tracks) if (sources.includes(t.source) && !t.muted) await rooms.mutePublishedTrack(room, p.identity, t.sid, true);
  };
  switch (req.action) {
    case "mute":
    case "mute_all":
      for (const p of targets) await muteSources(p, [TrackSource.MICROPHONE]);
      break;
    case "camera_off":
    case "screen_share_off": {
      const off = req.action === "camera_off" ? TrackSource.CAMERA : TrackSource.SCREEN_SHARE;
      for (const p of targets) {
        await muteSources(p, [off]);
        const allowed = (p.permission?.canPublishSources ?? []).filter((s) => s !== off);
        await rooms.updateParticipant(room, p.identity, { permission: { canPublish: true, canSubscribe: true, canPublishData: true, canPublishSources: allowed } });
      }
      break;
    }
    case "remove":
      for (const p of targets) await rooms.removeParticipant(room, p.identity);
      break;
    case "admit":
    case "admit_all": {
      // The admission outlives this connection: a fresh token (a reconnect) reads it from the room's metadata.
      const users = targets.map(userOfParticipant);
      if (req.action === "admit" && req.user_id !== undefined) users.push(req.user_id);
      if (users.length === 0) break;
      const [r] = await rooms.listRooms([room]);
      if (r === undefined) break;
      const meta = admittedOf(r.metadata);
      const before = Array.isArray(meta.admitted) ? meta.admitted.filter((u): u is string => typeof u === "string") : [];
      await rooms.updateRoomMetadata(room, JSON.stringify({ ...meta, admitted: [...new Set([...before, ...users])] }));
      for (const p of targets) {
        await rooms.updateParticipant(room, p.identity, { permission: { canPublish: true, canSubscribe: true, canPublishData: true, canPublishSources: [TrackSource.CAMERA, TrackSource.MICROPHONE] } });
      }
      break;
    }
  }
  return { affected: targets.length };
}
