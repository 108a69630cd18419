// Video lessons controlled from the chat, kept up to date with the room, and robust when parts fail: `!video` commands
// of teachers act on the running call; a ban or a new power level counts at once; a LiveKit restart is survived with
// fresh tokens; a school that is down refuses only its own users. Real Synapse, school appservice, livekit-server.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { dispose } from "@livekit/rtc-node";
import { createLogger } from "@schulhof/core";
import { startVideoService, VideoServiceConfigSchema, type RunningVideoService } from "@schulhof/video";
import { testEnv } from "./harness/env.ts";
import { joinAsParticipant, startLivekit, type RunningLivekit, type TestParticipant } from "./harness/livekit.ts";
import { replyFrom } from "./harness/rooms.ts";
import { eventually, newUser, type TestUser } from "./harness/users.ts";
import { getToken, grantOf } from "./harness/video.ts";

const jwtOf = async (res: Response): Promise<string> => {
  const body = (await res.json()) as { jwt?: string; errcode?: string; error?: string };
  assert.equal(res.status, 200, JSON.stringify(body));
  return String(body.jwt);
};

/** A room made by a test admin with the school bot in it (so the school learns of its changes), a teacher at 50 and students. */
async function roomWithSchoolBot(admin: TestUser, name: string, teacher: TestUser, students: TestUser[]): Promise<string> {
  const schule = `@schule:${testEnv().serverName}`;
  const room = (await admin.client.createRoom({ name, power_level_content_override: { users: { [teacher.userId]: 50, [schule]: 100 } } })).room_id;
  for (const x of [teacher, ...students]) {
    await admin.client.invite(room, x.userId);
    await x.client.joinRoom(room);
  }
  await admin.client.invite(room, schule);
  await eventually("school bot joined", async () => (schule in (await admin.client.getJoinedRoomMembers(room)).joined ? true : undefined));
  return room;
}

describe("video lessons under control and under failure", { concurrency: false }, () => {
  let admin: TestUser;
  let teacher: TestUser;
  let s1: TestUser;
  let s2: TestUser;
  const clients: TestParticipant[] = [];
  const schule = (): string => `@schule:${testEnv().serverName}`;

  before(async () => {
    const u = { unthrottled: true };
    [admin, teacher, s1, s2] = await Promise.all([newUser("vcadmin", u), newUser("vclehrer", u), newUser("vcschueler1", u), newUser("vcschueler2", u)]);
  });
  after(async () => {
    for (const c of clients) await c.leave().catch(() => undefined);
    await dispose();
  });

  it("lets a teacher mute, remove and end the call with !video in the chat, and refuses students", async () => {
    const room = await roomWithSchoolBot(admin, "Biologie 8c", teacher, [s1, s2]);
    const url = testEnv().livekit.url;
    const t = await joinAsParticipant(url, await jwtOf(await getToken(teacher, room)), { publishAudio: false, publishVideo: false, name: "lehrer" });
    const a = await joinAsParticipant(url, await jwtOf(await getToken(s1, room)), { publishAudio: true, publishVideo: false, name: "s1" });
    const b = await joinAsParticipant(url, await jwtOf(await getToken(s2, room)), { publishAudio: true, publishVideo: false, name: "s2" });
    clients.push(t, a, b);
    await t.waitForRemoteTrack(a.identity, "audio", 20_000);

    const ask = async (who: TestUser, text: string, mentions?: string[]): Promise<string> => {
      const content = { msgtype: "m.text", body: text, ...(mentions === undefined ? {} : { "m.mentions": { user_ids: mentions } }) };
      const sent = await who.client.sendEvent(room, "m.room.message" as never, content as never);
      return (await replyFrom(schule(), who, room, sent.event_id)).body;
    };
    assert.match(await ask(s1, "!video ende"), /nur Lehrkräfte/);
    // A student's command changed nothing: the call is still there.
    assert.equal(a.room.isConnected, true);

    assert.match(await ask(teacher, `!video stumm ${s1.userId}`), /ist stummgeschaltet/);
    await a.waitForTrackMuted(a.audioSid, 15_000);
    // A mention ("pill") as rich clients send it names the student too; English words answer in English.
    assert.match(await ask(teacher, "!video remove Schüler 2", [s2.userId]), /was removed/);
    await b.waitForDisconnect(15_000);
    assert.match(await ask(teacher, "!video ende"), /für alle beendet/);
    await t.waitForDisconnect(15_000);
    await a.waitForDisconnect(15_000);
    assert.match(await ask(teacher, "!video stumm alle"), /niemand/);
    assert.match(await ask(teacher, "!video kamera"), /So geht's/);
  });

  it("takes chat moderation only from a school with its secret, for its own teachers", async () => {
    const env = testEnv();
    const room = await roomWithSchoolBot(admin, "Erdkunde 8c", teacher, [s1]);
    const ask = (secret: string, actor: string): Promise<Response> =>
      fetch(`${env.videoUrl}/_schulhof/video/v1/school/moderate`, {
        method: "POST",
        headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
        body: JSON.stringify({ room_id: room, actor, action: "end" }),
      });
    assert.equal((await ask("falsch".repeat(8), teacher.userId)).status, 401);
    assert.equal((await ask(env.adminApiToken, teacher.userId)).status, 401);
    assert.equal((await ask(env.videoSecret, "@lehrer:andere-schule.test")).status, 403);
    assert.equal((await ask(env.videoSecret, s1.userId)).status, 403);
    assert.equal((await ask(env.videoSecret, teacher.userId)).status, 200);
  });

  it("refuses a token right after a ban and grants teacher rights right after a promotion, in a room the school follows", async () => {
    const room = await roomWithSchoolBot(admin, "Sport 8c", teacher, [s1, s2]);
    // Both answers come from the school's cached view of the room; the events empty it.
    assert.notEqual((await grantOf(await jwtOf(await getToken(s1, room)))).video.roomAdmin, true);
    await jwtOf(await getToken(s2, room));
    await admin.client.ban(room, s2.userId, "Test");
    await eventually("refused after the ban", async () => ((await getToken(s2, room)).status === 403 ? true : undefined), 10_000, 100);
    await admin.client.setPowerLevel(room, s1.userId, 50);
    await eventually("teacher rights after the promotion", async () => ((await grantOf(await jwtOf(await getToken(s1, room)))).video.roomAdmin === true ? true : undefined), 10_000, 100);
  });

  describe("with a LiveKit node and a token service of their own", () => {
    let livekit: RunningLivekit;
    let service: RunningVideoService;
    const downPort = 9; // discard: nothing listens on loopback port 9 here

    before(async () => {
      const env = testEnv();
      livekit = await startLivekit();
      service = await startVideoService(
        VideoServiceConfigSchema.parse({
          port: 0,
          livekit: { url: livekit.url, apiUrl: livekit.httpUrl, apiKey: livekit.apiKey, apiSecret: livekit.apiSecret },
          schools: {
            [env.serverName]: { homeserverUrl: env.synapseUrl, schoolApiUrl: new URL(env.schoolApiUrl).origin, secret: env.videoSecret },
            // A district school whose server is down.
            "schule-down.test": { homeserverUrl: `http://127.0.0.1:${downPort}`, schoolApiUrl: `http://127.0.0.1:${downPort}`, secret: "x".repeat(40) },
          },
          sessionSecret: env.sessionSecret,
        }),
        createLogger("video-test", "error"),
      );
    });
    after(async () => {
      await service.stop();
      await livekit.stop();
    });

    it("survives a LiveKit restart: the clients come back with fresh tokens and hear each other again", async () => {
      const room = await roomWithSchoolBot(admin, "Kunst 8c", teacher, [s1]);
      const serviceUrl = `http://127.0.0.1:${service.port}`;
      const join = async (u: TestUser, name: string): Promise<TestParticipant> => {
        const p = await joinAsParticipant(livekit.url, await jwtOf(await getToken(u, room, { serviceUrl })), { publishAudio: true, publishVideo: false, name });
        clients.push(p);
        return p;
      };
      const t1 = await join(teacher, "lehrer");
      const a1 = await join(s1, "s1");
      await t1.waitForRemoteTrack(a1.identity, "audio", 20_000);
      await livekit.kill();
      try {
        // While LiveKit is away the token service says so (502) instead of handing out tokens for a dead room.
        const during = await getToken(s1, room, { serviceUrl });
        assert.equal(during.status, 502, await during.text());
        // The SDK tries to resume first and gives up after its own retries; on a loaded machine that takes a while.
        await Promise.all([t1.waitForDisconnect(90_000), a1.waitForDisconnect(90_000)]);
      } finally {
        // Whatever failed above, the next test gets its LiveKit node back.
        await livekit.restart();
      }
      const t2 = await join(teacher, "lehrer");
      const a2 = await join(s1, "s1");
      await t2.waitForRemoteTrack(a2.identity, "audio", 20_000);
      assert.equal(t2.identity, t1.identity, "the same device keeps its identity across the restart");
    });

    it("refuses only the users of a school that is down, quickly, while the others get their tokens", async () => {
      const room = await roomWithSchoolBot(admin, "Musik 8c", teacher, [s1]);
      const serviceUrl = `http://127.0.0.1:${service.port}`;
      const t0 = performance.now();
      const down = await fetch(`${serviceUrl}/get_token`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          room_id: room,
          slot_id: "m.call#ROOM",
          openid_token: { access_token: "abcdefghijklmnop", token_type: "Bearer", matrix_server_name: "schule-down.test", expires_in: 3600 },
          member: { id: "m-x", claimed_user_id: "@lena:schule-down.test", claimed_device_id: "DEVX" },
        }),
      });
      const body = (await down.json()) as { errcode?: string; error?: string };
      assert.equal(down.status, 502, JSON.stringify(body));
      assert.ok(performance.now() - t0 < 6_000, "a down school is refused within the timeout, not after minutes");
      assert.equal((await getToken(s1, room, { serviceUrl })).status, 200);
      assert.equal((await getToken(teacher, room, { serviceUrl })).status, 200);
    });
  });
});
