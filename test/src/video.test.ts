// Video lessons: tokens from the district's token service only for verified joined members, media through a real
// livekit-server, and a teacher in control — against real Synapse, the school appservice and rtc-node clients.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { dispose } from "@livekit/rtc-node";
import { MatrixError } from "matrix-js-sdk";
import { testEnv } from "./harness/env.ts";
import { joinAsParticipant, type TestParticipant } from "./harness/livekit.ts";
import { eventually, newUser, type TestUser } from "./harness/users.ts";
import { replyFrom } from "./harness/rooms.ts";
import { getToken as getTokenAt, grantOf, openid } from "./harness/video.ts";

const video = (): string => testEnv().videoUrl;

async function getToken(u: TestUser, roomId: string, patch?: (b: Record<string, unknown>) => Record<string, unknown>): Promise<Response> {
  return getTokenAt(u, roomId, patch === undefined ? {} : { patch });
}

async function moderatorSession(u: TestUser): Promise<(action: Record<string, unknown>) => Promise<Response>> {
  const ex = await fetch(`${video()}/_schulhof/video/v1/openid/exchange`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ openid_token: await openid(u) }) });
  const { token } = (await ex.json()) as { token: string };
  return (action) => fetch(`${video()}/_schulhof/video/v1/moderate`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify(action) });
}

describe("video lessons with a real LiveKit", { concurrency: false }, () => {
  let admin: TestUser;
  let teacher: TestUser;
  let s1: TestUser;
  let s2: TestUser;
  let banned: TestUser;
  let outsider: TestUser;
  let room: string;
  const clients: TestParticipant[] = [];

  before(async () => {
    const u = { unthrottled: true };
    [admin, teacher, s1, s2, banned, outsider] = await Promise.all([newUser("vadmin", u), newUser("vlehrer", u), newUser("vschueler1", u), newUser("vschueler2", u), newUser("vgesperrt", u), newUser("vfremd", u)]);
    room = (await admin.client.createRoom({ name: "Physik 9z", power_level_content_override: { users: { [teacher.userId]: 50 } } })).room_id;
    for (const x of [teacher, s1, s2, banned]) {
      await admin.client.invite(room, x.userId);
      await x.client.joinRoom(room);
    }
    await admin.client.ban(room, banned.userId, "Test");
  });
  after(async () => {
    for (const c of clients) await c.leave().catch(() => undefined);
    // rtc-node's native side keeps the process alive until it is disposed.
    await dispose();
  });

  it("gives a teacher and a student tokens for the same LiveKit room, with the teacher as room admin", async () => {
    const t = (await (await getToken(teacher, room)).json()) as { url: string; jwt: string };
    const s = (await (await getToken(s1, room)).json()) as { url: string; jwt: string };
    assert.equal(t.url, testEnv().livekit.url);
    const tg = await grantOf(t.jwt);
    const sg = await grantOf(s.jwt);
    assert.equal(tg.video.room, sg.video.room);
    assert.ok(!String(tg.video.room).includes(room), "the Matrix room id is not leaked into LiveKit");
    assert.equal(tg.video.roomAdmin, true);
    assert.notEqual(sg.video.roomAdmin, true);
    assert.deepEqual([...((sg.video.canPublishSources as string[]) ?? [])].sort(), ["camera", "microphone"]);
    // The legacy endpoint (older Element Call) answers the same room.
    const legacy = await fetch(`${video()}/sfu/get`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ room, openid_token: await openid(s1), device_id: "DEV1" }) });
    assert.equal(legacy.status, 200);
    assert.equal((await grantOf(((await legacy.json()) as { jwt: string }).jwt)).video.room, sg.video.room);
  });

  it("advertises the token service as the MatrixRTC transport, through the homeserver (MSC4143)", async () => {
    let found: unknown = null;
    for (const path of ["/_matrix/client/v1/rtc/transports", "/_matrix/client/unstable/org.matrix.msc4143/rtc/transports"]) {
      const res = await fetch(`${testEnv().synapseUrl}${path}`, { headers: { authorization: `Bearer ${s1.accessToken}` } });
      if (res.ok) {
        found = await res.json();
        break;
      }
    }
    assert.match(JSON.stringify(found), /"type":"livekit"/);
    assert.match(JSON.stringify(found), /livekit_service_url/);
  });

  it("refuses non-members, banned users, forged and foreign OpenID tokens, a wrong claimed user and malformed requests", async () => {
    const expect = async (res: Response, status: number, errcode: string): Promise<void> => {
      const body = (await res.json()) as { errcode?: string };
      assert.equal(res.status, status, JSON.stringify(body));
      assert.equal(body.errcode, errcode);
    };
    await expect(await getToken(outsider, room), 403, "M_FORBIDDEN");
    await expect(await getToken(banned, room), 403, "M_FORBIDDEN");
    await expect(await getToken(s1, room, (b) => ({ ...b, openid_token: { access_token: "gefälscht", token_type: "Bearer", matrix_server_name: testEnv().serverName, expires_in: 3600 } })), 401, "M_UNKNOWN_TOKEN");
    await expect(await getToken(s1, room, (b) => ({ ...b, openid_token: { ...(b.openid_token as object), matrix_server_name: "fremde-schule.test" } })), 403, "M_FORBIDDEN");
    await expect(await getToken(s1, room, (b) => ({ ...b, member: { id: "x", claimed_user_id: teacher.userId, claimed_device_id: "D" } })), 401, "M_UNAUTHORIZED");
    await expect(await fetch(`${video()}/get_token`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ room_id: room }) }), 400, "M_BAD_JSON");
  });

  it("carries media between two participants; the teacher mutes and then removes the student, who sees both", async () => {
    const t = (await (await getToken(teacher, room)).json()) as { url: string; jwt: string };
    const s = (await (await getToken(s1, room)).json()) as { url: string; jwt: string };
    const student = await joinAsParticipant(s.url, s.jwt, { publishAudio: true, publishVideo: true, name: "s1" });
    clients.push(student);
    const teacherClient = await joinAsParticipant(t.url, t.jwt, { name: "teacher" });
    clients.push(teacherClient);
    await teacherClient.waitForRemoteTrack(student.identity, "audio", 20_000);
    await teacherClient.waitForRemoteTrack(student.identity, "video", 20_000);
    const moderate = await moderatorSession(teacher);
    // A student may not moderate.
    const asStudent = await moderatorSession(s1);
    assert.equal((await asStudent({ room_id: room, action: "remove", identity: teacherClient.identity })).status, 403);
    assert.equal((await moderate({ room_id: room, action: "mute", identity: student.identity })).status, 200);
    await student.waitForTrackMuted(student.audioSid, 15_000);
    assert.equal((await moderate({ room_id: room, action: "remove", identity: student.identity })).status, 200);
    await student.waitForDisconnect(15_000);
  });

  it("answers the school's membership and directory questions only with the right secret, and only about its own people", async () => {
    const env = testEnv();
    const base = env.schoolApiUrl.replace(/\/admin$/, "");
    const q = (userId: string): string => `${base}/video/membership?${new URLSearchParams({ room_id: room, user_id: userId })}`;
    assert.equal((await fetch(q(s1.userId))).status, 401);
    assert.equal((await fetch(q(s1.userId), { headers: { authorization: "Bearer falsch" } })).status, 401);
    const ok = (await (await fetch(q(s1.userId), { headers: { authorization: `Bearer ${env.videoSecret}` } })).json()) as { joined: boolean; power: number };
    assert.deepEqual([ok.joined, ok.power], [true, 0]);
    const t = (await (await fetch(q(teacher.userId), { headers: { authorization: `Bearer ${env.videoSecret}` } })).json()) as { power: number };
    assert.equal(t.power, 50);
    assert.equal((await fetch(q("@jemand:andere-schule.test"), { headers: { authorization: `Bearer ${env.videoSecret}` } })).status, 403);
    // The admin token of the school API is another secret: it does not open the membership endpoint, nor the video secret the directory.
    assert.equal((await fetch(q(s1.userId), { headers: { authorization: `Bearer ${env.adminApiToken}` } })).status, 401);
    assert.equal((await fetch(`${env.schoolApiUrl}/directory`, { headers: { authorization: `Bearer ${env.videoSecret}` } })).status, 401);
    const dir = await fetch(`${env.schoolApiUrl}/directory`, { headers: { authorization: `Bearer ${env.adminApiToken}` } });
    assert.equal(dir.status, 200);
    assert.ok(Array.isArray(((await dir.json()) as { people: unknown[] }).people));
  });

  it("lets teachers change a room's video settings with !video in any client, and refuses students", async () => {
    const schule = `@schule:${testEnv().serverName}`;
    const chem = (await admin.client.createRoom({ name: "Chemie 9z", power_level_content_override: { users: { [teacher.userId]: 50, [schule]: 100 } } })).room_id;
    for (const x of [teacher, s1]) {
      await admin.client.invite(chem, x.userId);
      await x.client.joinRoom(chem);
    }
    await admin.client.invite(chem, schule);
    await eventually("school bot joined", async () => (schule in (await admin.client.getJoinedRoomMembers(chem)).joined ? true : undefined));
    const on = await teacher.client.sendTextMessage(chem, "!video warteraum an");
    assert.match((await replyFrom(schule, teacher, chem, on.event_id)).body, /Warteraum an/);
    await eventually("lobby setting in the room", async () => {
      const c = (await teacher.client.getStateEvent(chem, "de.schulhof.video.settings" as never, "").catch(() => ({}))) as { lobby?: boolean };
      return c.lobby === true ? true : undefined;
    });
    const denied = await s1.client.sendTextMessage(chem, "!video bildschirm an");
    assert.match((await replyFrom(schule, s1, chem, denied.event_id)).body, /nur Lehrkräfte/);
    const status = await s1.client.sendTextMessage(chem, "!video");
    assert.match((await replyFrom(schule, s1, chem, status.event_id)).body, /Warteraum an, Bildschirm teilen für Schüler:innen nicht erlaubt/);
  });

  it("keeps students in the lobby when the room says so, until the teacher admits them", async () => {
    await admin.client.sendStateEvent(room, "de.schulhof.video.settings" as never, { lobby: true } as never, "");
    const waiting = await eventually("a waiting token", async () => {
      const r = (await (await getToken(s2, room)).json()) as { jwt: string };
      const g = await grantOf(r.jwt);
      return g.video.canSubscribe === false ? { jwt: r.jwt, g } : undefined;
    });
    assert.equal(waiting.g.video.canPublish, false);
    const s = await joinAsParticipant(testEnv().livekit.url, waiting.jwt, { name: "s2" });
    clients.push(s);
    const moderate = await moderatorSession(teacher);
    assert.equal((await moderate({ room_id: room, action: "admit", identity: s.identity })).status, 200);
    // A fresh token (a reconnect) keeps the admission: it lives in LiveKit, not in the token service.
    const again = await grantOf(((await (await getToken(s2, room)).json()) as { jwt: string }).jwt);
    assert.equal(again.video.canSubscribe, true);
    await assert.rejects(s1.client.sendStateEvent(room, "de.schulhof.video.settings" as never, { lobby: false } as never, ""), (e: unknown) => e instanceof MatrixError && e.httpStatus === 403);
  });
});
