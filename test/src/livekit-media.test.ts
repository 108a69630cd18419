// Media through a real livekit-server on loopback with two rtc-node participants (tokens minted directly, not yet through
// Schulhof's token service): audio and video arrive, the RoomService mutes, removes and takes publish rights away,
// and tokens for another room, with a wrong signature, without roomJoin or expired get nobody into this room.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  AudioSource,
  AudioStream,
  DisconnectReason,
  LocalAudioTrack,
  Room,
  RoomEvent,
  TrackKind,
  TrackPublishOptions,
  TrackSource,
  VideoStream,
  dispose,
  type RemoteParticipant,
} from "@livekit/rtc-node";
import { RoomServiceClient } from "livekit-server-sdk";
import { hasLivekitServer, joinAsParticipant, mintTestToken, startLivekit, type RunningLivekit, type TestParticipant } from "./harness/livekit.ts";

const ROOM = "klasse-7a-mathe";
// No binary is a broken install (scripts/bootstrap.sh builds it), not a reason to pass quietly.
if (!hasLivekitServer()) throw new Error("livekit-server is missing: run scripts/bootstrap.sh (it builds it into .tools/bin)");

/** Resolves with what `next` answers once it is not undefined; rejects after `ms`. */
async function within<T>(ms: number, what: string, next: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const v = await next();
    if (v !== undefined) return v;
  }
  throw new Error(`timed out after ${ms} ms: ${what}`);
}

/** Races `p` against a timer; the timer never keeps the process alive. */
function timeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, rej) => {
    timer = setTimeout(() => rej(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    timer.unref();
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe("LiveKit media with rtc-node participants", () => {
  let lk: RunningLivekit;
  let svc: RoomServiceClient;
  let a: TestParticipant;
  let b: TestParticipant;
  const extra: Room[] = [];

  const token = (identity: string, room = ROOM, grants = {}, opts = {}): Promise<string> => mintTestToken(lk.apiKey, lk.apiSecret, room, identity, grants, opts);
  const identitiesIn = async (room: string): Promise<string[]> => (await svc.listParticipants(room)).map((p) => p.identity);

  before(async () => {
    lk = await startLivekit();
    svc = new RoomServiceClient(lk.httpUrl, lk.apiKey, lk.apiSecret);
    a = await joinAsParticipant(lk.url, await token("lehrerin-a"), { publishAudio: true, publishVideo: true, name: "a" });
    b = await joinAsParticipant(lk.url, await token("schueler-b", ROOM, { canPublish: false }));
  });

  after(async () => {
    for (const p of [a, b]) await p?.leave().catch(() => undefined);
    for (const r of extra) await r.disconnect().catch(() => undefined);
    await lk?.stop();
    await dispose();
  });

  it("B receives A's audio frames and a video frame", async () => {
    assert.equal(a.published.length, 2);
    const audio = await b.waitForRemoteTrack(a.identity, "audio", 20_000);
    assert.equal(audio.track.kind, TrackKind.KIND_AUDIO);
    assert.equal(audio.publication.sid, a.audioSid);
    const video = await b.waitForRemoteTrack(a.identity, "video", 20_000);
    assert.equal(video.track.kind, TrackKind.KIND_VIDEO);

    // The sine arrives: frames with real signal, not just the silence a fresh subscription starts with.
    const audioReader = new AudioStream(audio.track, { sampleRate: 48_000, numChannels: 1 }).getReader();
    let frames = 0;
    let loud = 0;
    try {
      await within(15_000, "audible frames from A", async () => {
        const { done, value } = await timeout(audioReader.read(), 15_000, "an audio frame");
        if (done) throw new Error("audio stream ended");
        frames++;
        let peak = 0;
        for (const s of value.data) peak = Math.max(peak, Math.abs(s));
        if (peak > 2_000) loud++;
        return loud >= 10 ? true : undefined;
      });
    } finally {
      await audioReader.cancel();
    }
    assert.ok(loud >= 10, `${loud} loud frames of ${frames}`);

    const videoReader = new VideoStream(video.track).getReader();
    try {
      const { done, value } = await timeout(videoReader.read(), 15_000, "a video frame from A");
      assert.equal(done, false);
      assert.ok(value !== undefined && value.frame.width > 0 && value.frame.height > 0, "decoded frame has a size");
    } finally {
      await videoReader.cancel();
    }
  });

  it("the RoomService mutes A's microphone and B sees it muted", async () => {
    const sid = a.audioSid as string;
    const info = await svc.mutePublishedTrack(ROOM, a.identity, sid, true);
    assert.equal(info.muted, true);
    await b.waitForTrackMuted(sid, 10_000);
    const pub = b.room.remoteParticipants.get(a.identity)?.trackPublications.get(sid);
    assert.equal(pub?.muted, true);
  });

  it("taking canPublish away unpublishes A's tracks and refuses new ones", async () => {
    const unpublishedAtB = new Promise<void>((res) => {
      const check = (): void => {
        if ((b.room.remoteParticipants.get(a.identity)?.trackPublications.size ?? 0) === 0) {
          b.room.off(RoomEvent.TrackUnpublished, check);
          res();
        }
      };
      b.room.on(RoomEvent.TrackUnpublished, check);
      check();
    });
    await svc.updateParticipant(ROOM, a.identity, { permission: { canPublish: false, canSubscribe: true, canPublishData: true } });
    await timeout(unpublishedAtB, 10_000, "B to see A's tracks unpublished");
    await within(10_000, "the server to list A without tracks", async () => {
      const p = await svc.getParticipant(ROOM, a.identity);
      if (p.tracks.length === 0 && p.permission?.canPublish === false) return true;
      await sleep(200);
      return undefined;
    });

    // A tries again: the server does not answer the request (the SDK gives up after 10 s) and nothing reaches the room.
    const source = new AudioSource(48_000, 1);
    try {
      const track = LocalAudioTrack.createAudioTrack("again", source);
      const attempt = a.room.localParticipant?.publishTrack(track, new TrackPublishOptions({ source: TrackSource.SOURCE_MICROPHONE })) ?? Promise.reject(new Error("no local participant"));
      await assert.rejects(timeout(attempt, 20_000, "publishTrack without canPublish"));
      assert.equal((await svc.getParticipant(ROOM, a.identity)).tracks.length, 0);
    } finally {
      await source.close();
    }
  });

  it("removeParticipant disconnects A, and B sees A leave", async () => {
    const leftAtB = new Promise<void>((res) => {
      const h = (p: RemoteParticipant): void => {
        if (p.identity === a.identity) {
          b.room.off(RoomEvent.ParticipantDisconnected, h);
          res();
        }
      };
      b.room.on(RoomEvent.ParticipantDisconnected, h);
    });
    await svc.removeParticipant(ROOM, a.identity);
    const { reason } = await a.waitForDisconnect(10_000);
    assert.equal(reason, DisconnectReason.PARTICIPANT_REMOVED);
    await timeout(leftAtB, 10_000, "B to see A leave");
    assert.ok(!(await identitiesIn(ROOM)).includes(a.identity));
  });

  it("a token for another room joins that room, never this one", async () => {
    const other = new Room();
    extra.push(other);
    let seenByB = false;
    const h = (p: RemoteParticipant): void => {
      if (p.identity === "gast-c") seenByB = true;
    };
    b.room.on(RoomEvent.ParticipantConnected, h);
    await other.connect(lk.url, await token("gast-c", "klasse-9b-deutsch"), { autoSubscribe: false, dynacast: false });
    assert.equal(other.name, "klasse-9b-deutsch");
    assert.deepEqual(await identitiesIn("klasse-9b-deutsch"), ["gast-c"]);
    assert.ok(!(await identitiesIn(ROOM)).includes("gast-c"));
    await sleep(500);
    b.room.off(RoomEvent.ParticipantConnected, h);
    assert.equal(seenByB, false);
    await other.disconnect();
  });

  it("a token signed with another secret is refused", async () => {
    const forged = await mintTestToken(lk.apiKey, "x".repeat(43), ROOM, "falsch-d");
    await assert.rejects(new Room().connect(lk.url, forged, { autoSubscribe: false, dynacast: false }), /401 Unauthorized.*cryptographic/);
    assert.ok(!(await identitiesIn(ROOM)).includes("falsch-d"));
  });

  it("a token without roomJoin is refused", async () => {
    const noJoin = await token("zuschauer-f", ROOM, { roomJoin: false });
    await assert.rejects(new Room().connect(lk.url, noJoin, { autoSubscribe: false, dynacast: false }), /401 Unauthorized.*permissions denied/);
    assert.ok(!(await identitiesIn(ROOM)).includes("zuschauer-f"));
  });

  it("an expired token is refused", async () => {
    // LiveKit allows a minute of clock skew, so the token expired ten minutes ago.
    const expired = await token("spaet-e", ROOM, {}, { ttl: "-10m" });
    await assert.rejects(new Room().connect(lk.url, expired, { autoSubscribe: false, dynacast: false }), /401 Unauthorized.*token is expired/);
    assert.ok(!(await identitiesIn(ROOM)).includes("spaet-e"));
  });
});
