// The video benchmark's simulated participants (rtc-node), run in a child process that the lesson (video-lesson.ts)
// commands over IPC: each click on "join" asks Synapse for a fresh OpenID token and the token service for a LiveKit
// token, connects, publishes a generated microphone and camera, and counts the frames of the cameras it watches.
import {
  AudioFrame,
  dispose,
  AudioSource,
  LocalAudioTrack,
  LocalVideoTrack,
  Room,
  RoomEvent,
  TrackKind,
  TrackPublishOptions,
  TrackSource,
  VideoBufferType,
  VideoCodec,
  VideoFrame,
  VideoSource,
  VideoStream,
  type RemoteParticipant,
  type RemoteTrack,
  type RemoteTrackPublication,
} from "@livekit/rtc-node";
import type { JoinTiming, ParticipantsPlan } from "./video-lesson.ts";
import { requestOpenIdToken, tokenRequestBody, type Person } from "./video-people.ts";

/** A command from the lesson; every one is answered with its `id`. */
export type ParticipantsCommand = { id: number } & ({ init: ParticipantsPlan } | { join: number } | { snapshot: true } | { leave: true });
/** The answer to a command. */
export type ParticipantsReply = { id: number; value: unknown } | { id: number; error: string };

/** What the participants of this process saw so far, by their index in the plan's `people`. */
export interface ParticipantsSnapshot {
  participants: Record<number, { timing: JoinTiming; received: Record<string, number>; sent: number; connected: boolean }>;
  /** Share of the time since the last snapshot this process's event loop was busy. */
  eventLoopBusy: number;
}

const SAMPLE_RATE = 48_000;
const AUDIO_FRAME_MS = 20;
const SAMPLES_PER_FRAME = (SAMPLE_RATE * AUDIO_FRAME_MS) / 1000;

/** One second of a 440 Hz sine in frames of {@link AUDIO_FRAME_MS}. */
function sineFrames(): Int16Array[] {
  return Array.from({ length: 1000 / AUDIO_FRAME_MS }, (_, f) =>
    Int16Array.from({ length: SAMPLES_PER_FRAME }, (_, i) => Math.round(8_000 * Math.sin((2 * Math.PI * 440 * (f * SAMPLES_PER_FRAME + i)) / SAMPLE_RATE))),
  );
}

/** `fps` I420 frames of a bright bar moving across a grey picture whose shade tells the participants apart. */
function barFrames(width: number, height: number, fps: number, shade: number): VideoFrame[] {
  const ySize = width * height;
  return Array.from({ length: fps }, (_, f) => {
    const data = new Uint8Array(ySize * 1.5).fill(128);
    data.fill(shade, 0, ySize);
    const bar = Math.max(1, Math.floor(width / fps));
    for (let y = 0; y < height; y++) data.fill(235, y * width + f * bar, y * width + Math.min(width, (f + 1) * bar));
    return new VideoFrame(data, width, height, VideoBufferType.I420);
  });
}

interface Joined {
  room: Room;
  timing: JoinTiming;
  /** Frames received per remote user id. */
  frames: Map<string, number>;
  /** Frames this participant's camera produced. */
  sent(): number;
  stop(): Promise<void>;
}

/** Clicks "join" for `person`: a fresh OpenID token, a LiveKit token from the token service, connect, publish. */
async function join(person: Person, teacherId: string, opts: ParticipantsPlan, shade: number): Promise<Joined> {
  const isTeacher = person.userId === teacherId;
  const click = performance.now();
  const since = (): number => Math.round(performance.now() - click);
  const timing: JoinTiming = { userId: person.userId, teacher: isTeacher, openId: 0, token: 0, connected: 0, published: 0, firstFrame: null };
  const frames = new Map<string, number>();
  const readers: ReadableStreamDefaultReader[] = [];
  const timers: NodeJS.Timeout[] = [];
  const room = new Room();
  let framesSent = (): number => 0;

  const wants = (kind: TrackKind | undefined, from: RemoteParticipant): boolean =>
    isTeacher || opts.studentsSee === "everyone" || from.name === teacherId || (opts.studentsSee === "teacher+microphones" && kind === TrackKind.KIND_AUDIO);
  const readFrames = (track: RemoteTrack, from: RemoteParticipant): void => {
    if (track.kind !== TrackKind.KIND_VIDEO || (!isTeacher && from.name !== teacherId)) return;
    const reader = new VideoStream(track).getReader();
    readers.push(reader);
    const who = from.name ?? from.identity;
    void (async () => {
      for (let r = await reader.read(); !r.done; r = await reader.read()) {
        if (timing.firstFrame === null) timing.firstFrame = since();
        frames.set(who, (frames.get(who) ?? 0) + 1);
      }
    })().catch(() => undefined);
  };
  room.on(RoomEvent.TrackSubscribed, (track: RemoteTrack, _pub: RemoteTrackPublication, from: RemoteParticipant) => readFrames(track, from));
  room.on(RoomEvent.TrackPublished, (pub: RemoteTrackPublication, from: RemoteParticipant) => {
    if (!isTeacher && wants(pub.kind, from)) pub.setSubscribed(true);
  });

  const openId = await requestOpenIdToken(opts.hs, person.userId, person.accessToken);
  timing.openId = since();
  const res = await fetch(`${opts.tokenServiceUrl}/get_token`, { method: "POST", headers: { "content-type": "application/json" }, body: tokenRequestBody(person, opts.serverName, openId) });
  if (!res.ok) throw new Error(`/get_token for ${person.userId}: ${res.status} ${await res.text()}`);
  const { url, jwt } = (await res.json()) as { url: string; jwt: string };
  timing.token = since();
  await room.connect(url, jwt, { autoSubscribe: isTeacher, dynacast: false });
  timing.connected = since();
  if (!isTeacher) for (const p of room.remoteParticipants.values()) for (const pub of p.trackPublications.values()) if (wants(pub.kind, p)) pub.setSubscribed(true);

  const local = room.localParticipant;
  if (local === undefined) throw new Error("connected without a local participant");
  const index = opts.people.indexOf(person);
  const audio = index < opts.microphones ? new AudioSource(SAMPLE_RATE, 1, 200) : null;
  if (audio !== null) {
    await local.publishTrack(LocalAudioTrack.createAudioTrack("microphone", audio), new TrackPublishOptions({ source: TrackSource.SOURCE_MICROPHONE, dtx: false, red: false }));
  }
  const { width, height, fps, maxBitrate } = opts.video;
  const video = index < opts.cameras ? new VideoSource(width, height) : null;
  if (video !== null) {
    await local.publishTrack(
      LocalVideoTrack.createVideoTrack("camera", video),
      new TrackPublishOptions({ source: TrackSource.SOURCE_CAMERA, videoCodec: VideoCodec.VP8, simulcast: false, videoEncoding: { maxBitrate: BigInt(maxBitrate), maxFramerate: fps } }),
    );
  }
  timing.published = since();

  if (audio !== null) {
    // The microphone: the 20 ms frames owed since the start, every 20 ms (the timer drifts; the source queues 200 ms).
    const sine = sineFrames();
    const audioStart = performance.now();
    let sent = 0;
    let busy = false;
    timers.push(
      setInterval(() => {
        if (busy || audio.closed) return;
        busy = true;
        void (async () => {
          const owed = Math.min(Math.floor((performance.now() - audioStart) / AUDIO_FRAME_MS) - sent, 5);
          for (let i = 0; i < owed; i++, sent++) await audio.captureFrame(new AudioFrame(sine[sent % sine.length] as Int16Array, SAMPLE_RATE, 1, SAMPLES_PER_FRAME));
          const behind = Math.floor((performance.now() - audioStart) / AUDIO_FRAME_MS) - sent;
          if (behind > 10) sent += behind;
        })()
          .catch(() => undefined)
          .finally(() => (busy = false));
      }, AUDIO_FRAME_MS),
    );
  }
  if (video !== null) {
    const pictures = barFrames(width, height, fps, shade);
    let n = 0;
    timers.push(
      setInterval(() => {
        if (!video.closed) video.captureFrame(pictures[n++ % pictures.length] as VideoFrame);
      }, 1000 / fps),
    );
    framesSent = () => n;
  }

  return {
    room,
    timing,
    frames,
    sent: () => framesSent(),
    async stop() {
      for (const t of timers) clearInterval(t);
      for (const r of readers) await r.cancel().catch(() => undefined);
      await room.disconnect();
      await audio?.close();
      await video?.close();
    },
  };
}

/** Answers the lesson's commands until it says leave. */
function serve(): void {
  let plan: ParticipantsPlan | undefined;
  const joined = new Map<number, Joined>();
  let elu = performance.eventLoopUtilization();
  const handle = async (m: ParticipantsCommand): Promise<unknown> => {
    if ("init" in m) {
      plan = m.init;
      return null;
    }
    if (plan === undefined) throw new Error("no plan yet");
    if ("join" in m) {
      const person = plan.people[m.join];
      const teacher = plan.people[0];
      if (person === undefined || teacher === undefined) throw new Error(`no person ${m.join}`);
      const j = await join(person, teacher.userId, plan, 40 + ((m.join * 7) % 160));
      joined.set(m.join, j);
      return j.timing;
    }
    if ("snapshot" in m) {
      const snapshot: ParticipantsSnapshot = { participants: {}, eventLoopBusy: performance.eventLoopUtilization(elu).utilization };
      elu = performance.eventLoopUtilization();
      for (const [i, j] of joined) snapshot.participants[i] = { timing: { ...j.timing }, received: Object.fromEntries(j.frames), sent: j.sent(), connected: j.room.isConnected };
      return snapshot;
    }
    for (const j of joined.values()) await j.stop().catch(() => undefined);
    await dispose();
    return null;
  };
  process.on("message", (m: ParticipantsCommand) => {
    handle(m).then(
      (value) => process.send?.({ id: m.id, value } satisfies ParticipantsReply, () => ("leave" in m ? process.exit(0) : undefined)),
      (e: unknown) => process.send?.({ id: m.id, error: String((e as Error).message ?? e) } satisfies ParticipantsReply),
    );
  });
}

if (import.meta.main) serve();
