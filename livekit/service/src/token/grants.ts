// What a person may do in a LiveKit room: teacher, student, or student waiting in the lobby; and the room's video settings.
import { TrackSource, type VideoGrant } from "livekit-server-sdk";
import { z } from "zod";

/** The Matrix state event (state key `""`) that holds a room's video settings. */
export const VIDEO_SETTINGS_EVENT_TYPE = "de.schulhof.video.settings";

/** The power level from which on someone is a teacher, unless the caller says otherwise. */
export const DEFAULT_TEACHER_LEVEL = 50;

/** Content of `de.schulhof.video.settings`; missing fields take the defaults, unknown fields are dropped. */
export const VideoSettingsSchema = z.object({
  /** Students wait until a teacher admits them. */
  lobby: z.boolean().default(false),
  /** Students may share their screen (with its audio). */
  students_screen_share: z.boolean().default(false),
  /** Students may send video from their camera. */
  students_camera: z.boolean().default(true),
  /** Students may send audio from their microphone. */
  students_microphone: z.boolean().default(true),
});

/** A room's video settings. */
export type VideoSettings = z.infer<typeof VideoSettingsSchema>;

/** The settings of a room without `de.schulhof.video.settings`. */
export const DEFAULT_VIDEO_SETTINGS: Readonly<VideoSettings> = Object.freeze(VideoSettingsSchema.parse({}));

/** The most restrictive value of each setting, taken when the event holds something that is not a boolean there. */
const RESTRICTIVE: Readonly<VideoSettings> = Object.freeze({ lobby: true, students_screen_share: false, students_camera: false, students_microphone: false });

/**
 * Reads the settings from the event content as the school reports it (any JSON, `{}` when the room has none).
 * Never throws: a missing field takes its default, a field of the wrong type takes its most restrictive value
 * (lobby on, students may not send), so a damaged event fails closed rather than open.
 */
export function readVideoSettings(content: unknown): VideoSettings {
  const c = typeof content === "object" && content !== null && !Array.isArray(content) ? (content as Record<string, unknown>) : {};
  const pick = (key: keyof VideoSettings): boolean => {
    const v = c[key];
    if (v === undefined) return DEFAULT_VIDEO_SETTINGS[key];
    return typeof v === "boolean" ? v : RESTRICTIVE[key];
  };
  return {
    lobby: pick("lobby"),
    students_screen_share: pick("students_screen_share"),
    students_camera: pick("students_camera"),
    students_microphone: pick("students_microphone"),
  };
}

/** The role a token is minted for. */
export type VideoRole = "teacher" | "student" | "waiting";

/** Input of {@link grantsFor}. */
export interface GrantInput {
  /** The person's power level in the Matrix room. */
  power: number;
  settings: VideoSettings;
  /** Whether a teacher has let this student in (only matters when `settings.lobby`). */
  admitted: boolean;
  /** Power level from which on someone is a teacher; default {@link DEFAULT_TEACHER_LEVEL} (50). */
  teacherLevel?: number;
}

/**
 * The LiveKit grant for a person, without `room` (the minting sets it). Every grant has roomJoin, never roomCreate
 * (MSC4195: it would allow deleting rooms) and never `hidden` (MSC4195: no lurking).
 *
 * - teacher (power ≥ teacherLevel): roomAdmin, publishes every source, subscribes, sends data, updates own metadata.
 * - student: subscribes and sends data; publishes camera and microphone as the settings allow, screen share (with
 *   screen-share audio) only when `students_screen_share`. When nothing is allowed canPublish is false, because an
 *   empty canPublishSources means "all sources" to LiveKit.
 * - waiting (lobby on, not admitted): may connect and is visible to the teachers (so they can admit them, e.g. with
 *   RoomService.UpdateParticipant), but publishes nothing, subscribes to nothing and sends no data: sees and hears nothing.
 */
export function grantsFor(input: GrantInput): { grant: VideoGrant; role: VideoRole } {
  const teacherLevel = input.teacherLevel ?? DEFAULT_TEACHER_LEVEL;
  const base = { roomJoin: true, roomCreate: false, hidden: false } satisfies VideoGrant;
  if (input.power >= teacherLevel) {
    return {
      role: "teacher",
      grant: { ...base, roomAdmin: true, canPublish: true, canSubscribe: true, canPublishData: true, canUpdateOwnMetadata: true },
    };
  }
  if (input.settings.lobby && !input.admitted) {
    return {
      role: "waiting",
      grant: { ...base, canPublish: false, canSubscribe: false, canPublishData: false, canUpdateOwnMetadata: false },
    };
  }
  const sources = studentSources(input.settings);
  return {
    role: "student",
    grant: {
      ...base,
      canPublish: sources.length > 0,
      ...(sources.length > 0 ? { canPublishSources: sources } : {}),
      canSubscribe: true,
      canPublishData: true,
      canUpdateOwnMetadata: false,
    },
  };
}

/** The track sources a student may publish under the settings. */
export function studentSources(settings: VideoSettings): TrackSource[] {
  const sources: TrackSource[] = [];
  if (settings.students_camera) sources.push(TrackSource.CAMERA);
  if (settings.students_microphone) sources.push(TrackSource.MICROPHONE);
  if (settings.students_screen_share) sources.push(TrackSource.SCREEN_SHARE, TrackSource.SCREEN_SHARE_AUDIO);
  return sources;
}
