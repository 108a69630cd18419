// A private livekit-server on loopback for one test file, and rtc-node participants that publish generated audio
// (a 440 Hz sine, 48 kHz mono, 10 ms frames) and video (160×120 I420, 10 fps) and wait for what others do.
import { spawn, type ChildProcess } from "node:child_process";
import { createSocket } from "node:dgram";
import { existsSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  AudioFrame,
  AudioSource,
  type DisconnectReason,
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
  type RemoteParticipant,
  type RemoteTrack,
  type RemoteTrackPublication,
  type TrackPublication,
} from "@livekit/rtc-node";
import { AccessToken, type VideoGrant } from "livekit-server-sdk";
import { devConfig, randomKeys } from "../../../livekit/service/src/config/livekit-config.ts";
import { freePort } from "./ports.ts";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const HOST = "127.0.0.1";

export interface RunningLivekit {
  /** Signalling URL for clients: ws://127.0.0.1:port */
  url: string;
  /** The same port over HTTP, for RoomServiceClient and health checks. */
  httpUrl: string;
  apiKey: string;
  apiSecret: string;
  port: number;
  dataDir: string;
  /** livekit-server's stdout and stderr. */
  logFile: string;
  process: ChildProcess;
  /** SIGTERM (SIGKILL after 5 s), then removes the temp dir unless SCHULHOF_KEEP_TEST_DATA is set. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL, keeping the temp dir (stop() still cleans up). */
  kill(): Promise<void>;
  /** Starts the server again after kill(), with the same config (port, keys): a node that crashed and came back. */
  restart(): Promise<void>;
}

/** The livekit-server the bootstrap uses: one on PATH, else .tools/bin/livekit-server. */
export function livekitServerBinary(): string {
  for (const p of (process.env.PATH ?? "").split(delimiter)) {
    if (p !== "" && existsSync(join(p, "livekit-server"))) return join(p, "livekit-server");
  }
  const local = join(REPO_ROOT, ".tools", "bin", "livekit-server");
  if (existsSync(local)) return local;
  throw new Error("livekit-server not found on PATH nor in .tools/bin (scripts/bootstrap.sh builds it with go)");
}

/** True when a livekit-server binary is available (tests can skip without one). */
export function hasLivekitServer(): boolean {
  try {
    livekitServerBinary();
    return true;
  } catch {
    return false;
  }
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolveFree) => {
    const s = createSocket("udp4");
    s.once("error", () => resolveFree(false));
    s.bind(port, HOST, () => s.close(() => resolveFree(true)));
  });
}

/** A port free on loopback for both TCP and UDP. */
async function freeUdpPort(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const p = await freePort(HOST);
    if (await udpFree(p)) return p;
  }
  throw new Error("no free UDP port on loopback");
}

async function killChild(child: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  child.kill(signal);
  if (signal !== "SIGKILL") {
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    await exited;
    clearTimeout(timer);
    return;
  }
  await exited;
}

function logTail(file: string): string {
  try {
    return readFileSync(file, "utf8").split("\n").slice(-25).join("\n");
  } catch {
    return "(no log)";
  }
}

/**
 * Starts livekit-server with a dev config (loopback only, fresh random keys, free ports) in a temp dir and waits until
 * it answers HTTP. `webhook.url` receives room events signed with the returned key. Logs go to `<dataDir>/livekit.log`.
 */
export async function startLivekit(opts: { webhook?: { url: string }; logLevel?: "debug" | "info" | "warn" | "error" } = {}): Promise<RunningLivekit> {
  const bin = livekitServerBinary();
  const dataDir = mkdtempSync(join(tmpdir(), "schulhof-livekit-"));
  const { apiKey, apiSecret } = randomKeys();
  const port = await freePort(HOST);
  const udpPort = await freeUdpPort();
  const configFile = join(dataDir, "livekit.yaml");
  writeFileSync(
    configFile,
    devConfig({
      port,
      rtcUdpPortRange: [udpPort, udpPort],
      bind: HOST,
      keys: { [apiKey]: apiSecret },
      ...(opts.webhook === undefined ? {} : { webhook: { url: opts.webhook.url, apiKey } }),
      logLevel: opts.logLevel ?? "info",
    }),
  );
  // livekit-server reads flags from these variables; one left in the environment would override the file.
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith("LIVEKIT_") || ["NODE_IP", "UDP_PORT", "REDIS_HOST", "REDIS_PASSWORD"].includes(k)) continue;
    env[k] = v;
  }
  const logFile = join(dataDir, "livekit.log");
  const httpUrl = `http://${HOST}:${port}`;
  const launch = async (): Promise<ChildProcess> => {
    const log = openSync(logFile, "a");
    const child = spawn(bin, ["--config", configFile], { stdio: ["ignore", log, log], env });
    closeSync(log);
    let exitInfo: string | undefined;
    child.once("exit", (code, signal) => {
      exitInfo = `exited with ${signal ?? code}`;
    });
    const deadline = Date.now() + 30_000;
    let last: string;
    for (;;) {
      if (exitInfo !== undefined) {
        rmSync(dataDir, { recursive: true, force: true });
        throw new Error(`livekit-server ${exitInfo} before answering:\n${logTail(logFile)}`);
      }
      try {
        const res = await fetch(httpUrl, { signal: AbortSignal.timeout(2_000) });
        if (res.ok) return child;
        last = `HTTP ${res.status}`;
      } catch (e) {
        last = (e as Error).message;
      }
      if (Date.now() > deadline) {
        await killChild(child, "SIGKILL", 0);
        throw new Error(`livekit-server did not answer at ${httpUrl} within 30 s (${last}); log in ${logFile}:\n${logTail(logFile)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  let child = await launch();

  let stopped = false;
  return {
    url: `ws://${HOST}:${port}`,
    httpUrl,
    apiKey,
    apiSecret,
    port,
    dataDir,
    logFile,
    get process() {
      return child;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await killChild(child, "SIGTERM", 5_000);
      if (process.env.SCHULHOF_KEEP_TEST_DATA === undefined) rmSync(dataDir, { recursive: true, force: true });
    },
    async kill() {
      await killChild(child, "SIGKILL", 0);
    },
    async restart() {
      child = await launch();
    },
  };
}

/**
 * A LiveKit access token signed with the server's key. `grants` are merged over roomJoin, canPublish, canSubscribe and
 * canPublishData (all true) for `room`; `opts.ttl` is seconds or a jose period ("10m", "-10m" for an expired token).
 */
export async function mintTestToken(
  apiKey: string,
  apiSecret: string,
  room: string,
  identity: string,
  grants: Partial<VideoGrant> = {},
  opts: { ttl?: number | string; name?: string } = {},
): Promise<string> {
  const at = new AccessToken(apiKey, apiSecret, { identity, name: opts.name ?? identity, ttl: opts.ttl ?? "10m" });
  at.addGrant({ roomJoin: true, canPublish: true, canSubscribe: true, canPublishData: true, ...grants, room });
  return at.toJwt();
}

export interface RemoteTrackInfo {
  track: RemoteTrack;
  publication: RemoteTrackPublication;
  participant: RemoteParticipant;
}

export interface TestParticipant {
  room: Room;
  identity: string;
  /** Sids of the tracks this participant published, audio first. */
  published: string[];
  audioSid?: string;
  videoSid?: string;
  /** Resolves once a track of `fromIdentity` (of `kind`, if given) is subscribed here; answers at once if it already is. */
  waitForRemoteTrack(fromIdentity: string, kind?: "audio" | "video", timeoutMs?: number): Promise<RemoteTrackInfo>;
  /** Resolves when the room is disconnected (by the server or by leave()); `reason` is rtc-node's DisconnectReason. */
  waitForDisconnect(timeoutMs?: number): Promise<{ reason: DisconnectReason }>;
  /** Resolves when a track (`trackSid`, or any) is muted, as seen from this participant; at once if it already is. */
  waitForTrackMuted(trackSid?: string, timeoutMs?: number): Promise<void>;
  /** Stops the generators, disconnects and closes the sources. Idempotent. */
  leave(): Promise<void>;
}

const SAMPLE_RATE = 48_000;
const SAMPLES_PER_FRAME = SAMPLE_RATE / 100;
const VIDEO_W = 160;
const VIDEO_H = 120;

/** One second of a 440 Hz sine at half scale, as 100 separate 10 ms frames (AudioFrame passes its whole buffer). */
function sineFrames(): Int16Array[] {
  const frames: Int16Array[] = [];
  for (let f = 0; f < 100; f++) {
    const data = new Int16Array(SAMPLES_PER_FRAME);
    for (let i = 0; i < SAMPLES_PER_FRAME; i++) data[i] = Math.round(16_000 * Math.sin((2 * Math.PI * 440 * (f * SAMPLES_PER_FRAME + i)) / SAMPLE_RATE));
    frames.push(data);
  }
  return frames;
}

/** Ten I420 frames with a bright bar moving across a grey picture. */
function barFrames(): VideoFrame[] {
  const ySize = VIDEO_W * VIDEO_H;
  const frames: VideoFrame[] = [];
  for (let f = 0; f < 10; f++) {
    const data = new Uint8Array(ySize * 1.5);
    data.fill(128);
    const x0 = f * (VIDEO_W / 10);
    for (let y = 0; y < VIDEO_H; y++) for (let x = x0; x < x0 + VIDEO_W / 10; x++) data[y * VIDEO_W + x] = 235;
    frames.push(new VideoFrame(data, VIDEO_W, VIDEO_H, VideoBufferType.I420));
  }
  return frames;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string, cleanup: () => void): Promise<T> {
  return new Promise<T>((res, rej) => {
    const timer = setTimeout(() => {
      cleanup();
      rej(new Error(`timed out after ${ms} ms waiting for ${what}`));
    }, ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        res(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        rej(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

function kindMatches(kind: TrackKind | undefined, want: "audio" | "video" | undefined): boolean {
  if (want === undefined) return true;
  return want === "audio" ? kind === TrackKind.KIND_AUDIO : kind === TrackKind.KIND_VIDEO;
}

/**
 * Connects to `url` with `token` (autoSubscribe on) and publishes a generated microphone and/or camera track.
 * The generators run on timers and stop when the room disconnects; throws what rtc-node's connect throws.
 */
export async function joinAsParticipant(
  url: string,
  token: string,
  opts: { publishAudio?: boolean; publishVideo?: boolean; name?: string } = {},
): Promise<TestParticipant> {
  const room = new Room();
  let disconnected: { reason: DisconnectReason } | undefined;
  const disconnectWaiters: ((v: { reason: DisconnectReason }) => void)[] = [];
  room.on(RoomEvent.Disconnected, (reason) => {
    disconnected = { reason };
    stopGenerators();
    for (const w of disconnectWaiters.splice(0)) w(disconnected);
  });
  const timers: NodeJS.Timeout[] = [];
  const stopGenerators = (): void => {
    for (const t of timers.splice(0)) clearInterval(t);
  };

  await room.connect(url, token, { autoSubscribe: true, dynacast: false });
  const local = room.localParticipant;
  if (local === undefined) throw new Error("connected without a local participant");
  const identity = local.identity;
  const published: string[] = [];
  let audioSource: AudioSource | undefined;
  let videoSource: VideoSource | undefined;
  let audioSid: string | undefined;
  let videoSid: string | undefined;

  if (opts.publishAudio === true) {
    audioSource = new AudioSource(SAMPLE_RATE, 1, 200);
    const track = LocalAudioTrack.createAudioTrack(opts.name === undefined ? "microphone" : `${opts.name}-microphone`, audioSource);
    const pub = await local.publishTrack(track, new TrackPublishOptions({ source: TrackSource.SOURCE_MICROPHONE, dtx: false, red: false }));
    audioSid = pub.sid ?? "";
    published.push(audioSid);
    // Feed frames owed since the start (the timer drifts; the source queues up to 200 ms).
    const src = audioSource;
    const frames = sineFrames();
    const start = performance.now();
    let sent = 0;
    let busy = false;
    timers.push(
      setInterval(() => {
        if (busy || src.closed) return;
        busy = true;
        void (async () => {
          try {
            const owed = Math.min(Math.floor((performance.now() - start) / 10) - sent, 10);
            for (let i = 0; i < owed; i++) {
              const data = frames[sent % frames.length] as Int16Array;
              await src.captureFrame(new AudioFrame(data, SAMPLE_RATE, 1, SAMPLES_PER_FRAME));
              sent++;
            }
            const behind = Math.floor((performance.now() - start) / 10) - sent;
            if (behind > 50) sent += behind; // skip what a stalled loop could not send rather than burst it
          } catch {
            stopGenerators();
          } finally {
            busy = false;
          }
        })();
      }, 20),
    );
  }

  if (opts.publishVideo === true) {
    videoSource = new VideoSource(VIDEO_W, VIDEO_H);
    const track = LocalVideoTrack.createVideoTrack(opts.name === undefined ? "camera" : `${opts.name}-camera`, videoSource);
    const pub = await local.publishTrack(
      track,
      new TrackPublishOptions({ source: TrackSource.SOURCE_CAMERA, videoCodec: VideoCodec.VP8, simulcast: false, videoEncoding: { maxBitrate: 150_000n, maxFramerate: 10 } }),
    );
    videoSid = pub.sid ?? "";
    published.push(videoSid);
    const src = videoSource;
    const frames = barFrames();
    let n = 0;
    timers.push(
      setInterval(() => {
        if (src.closed) return;
        try {
          src.captureFrame(frames[n++ % frames.length] as VideoFrame);
        } catch {
          stopGenerators();
        }
      }, 100),
    );
  }

  const findRemote = (fromIdentity: string, kind: "audio" | "video" | undefined): RemoteTrackInfo | undefined => {
    const participant = room.remoteParticipants.get(fromIdentity);
    if (participant === undefined) return undefined;
    for (const publication of participant.trackPublications.values()) {
      if (publication.track !== undefined && kindMatches(publication.kind, kind)) return { track: publication.track, publication, participant };
    }
    return undefined;
  };

  const mutedNow = (trackSid: string | undefined): boolean => {
    const pubs: TrackPublication[] = [...local.trackPublications.values()];
    for (const p of room.remoteParticipants.values()) pubs.push(...p.trackPublications.values());
    return pubs.some((p) => (trackSid === undefined || p.sid === trackSid) && p.muted === true);
  };

  let left = false;
  return {
    room,
    identity,
    published,
    ...(audioSid === undefined ? {} : { audioSid }),
    ...(videoSid === undefined ? {} : { videoSid }),
    waitForRemoteTrack(fromIdentity, kind, timeoutMs = 15_000) {
      const have = findRemote(fromIdentity, kind);
      if (have !== undefined) return Promise.resolve(have);
      let handler: ((track: RemoteTrack, publication: RemoteTrackPublication, participant: RemoteParticipant) => void) | undefined;
      const p = new Promise<RemoteTrackInfo>((res) => {
        handler = (track, publication, participant) => {
          if (participant.identity === fromIdentity && kindMatches(track.kind, kind)) {
            room.off(RoomEvent.TrackSubscribed, handler as NonNullable<typeof handler>);
            res({ track, publication, participant });
          }
        };
        room.on(RoomEvent.TrackSubscribed, handler);
      });
      return withTimeout(p, timeoutMs, `${identity} to receive a ${kind ?? "track"} of ${fromIdentity}`, () => {
        if (handler !== undefined) room.off(RoomEvent.TrackSubscribed, handler);
      });
    },
    waitForDisconnect(timeoutMs = 15_000) {
      if (disconnected !== undefined) return Promise.resolve(disconnected);
      let waiter: ((v: { reason: DisconnectReason }) => void) | undefined;
      const p = new Promise<{ reason: DisconnectReason }>((res) => {
        waiter = res;
        disconnectWaiters.push(res);
      });
      return withTimeout(p, timeoutMs, `${identity} to be disconnected`, () => {
        const i = waiter === undefined ? -1 : disconnectWaiters.indexOf(waiter);
        if (i >= 0) disconnectWaiters.splice(i, 1);
      });
    },
    waitForTrackMuted(trackSid, timeoutMs = 15_000) {
      if (mutedNow(trackSid)) return Promise.resolve();
      let handler: ((publication: TrackPublication) => void) | undefined;
      const p = new Promise<void>((res) => {
        handler = (publication) => {
          if (trackSid === undefined || publication.sid === trackSid) {
            room.off(RoomEvent.TrackMuted, handler as NonNullable<typeof handler>);
            res();
          }
        };
        room.on(RoomEvent.TrackMuted, handler);
      });
      return withTimeout(p, timeoutMs, `${identity} to see track ${trackSid ?? "(any)"} muted`, () => {
        if (handler !== undefined) room.off(RoomEvent.TrackMuted, handler);
      });
    },
    async leave() {
      if (left) return;
      left = true;
      stopGenerators();
      await room.disconnect();
      await audioSource?.close();
      await videoSource?.close();
    },
  };
}
