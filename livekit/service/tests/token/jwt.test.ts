// Minted LiveKit tokens decode with the SDK's verifier: right room, identity, grants, name, metadata and lifetime.
import assert from "node:assert/strict";
import { describe, it, mock } from "node:test";
import { DEFAULT_TTL_SECONDS, grantsFor, livekitIdentity, livekitRoomName, mintToken, verifyToken, DEFAULT_VIDEO_SETTINGS, type MintOptions } from "../../src/token/index.ts";

const apiKey = "APIschulhof";
const apiSecret = "a-secret-of-at-least-thirty-two-characters!";
const room = livekitRoomName("!room1:schule-a.test", "m.call#ROOM");
const identity = livekitIdentity("@anna:schule-a.test", "DEVA", "m1");

function opts(over: Partial<MintOptions> = {}): MintOptions {
  return {
    apiKey,
    apiSecret,
    room,
    identity,
    name: "Anna Schmidt",
    metadata: { role: "student", school: "schule-a.test" },
    grant: grantsFor({ power: 0, settings: DEFAULT_VIDEO_SETTINGS, admitted: true }).grant,
    ...over,
  };
}

describe("mintToken", () => {
  it("decodes with the right room, identity, name, metadata and student grants; lives 5 minutes by default", async () => {
    const before = Math.floor(Date.now() / 1000);
    const claims = await verifyToken(await mintToken(opts()), apiKey, apiSecret);
    const after = Math.ceil(Date.now() / 1000);
    assert.equal(claims.sub, identity);
    assert.equal(claims.iss, apiKey);
    assert.equal(claims.name, "Anna Schmidt");
    assert.deepEqual(JSON.parse(claims.metadata ?? ""), { role: "student", school: "schule-a.test" });
    assert.deepEqual(claims.video, {
      room,
      roomJoin: true,
      roomCreate: false,
      hidden: false,
      canPublish: true,
      canPublishSources: ["camera", "microphone"],
      canSubscribe: true,
      canPublishData: true,
      canUpdateOwnMetadata: false,
    });
    assert.ok(claims.exp !== undefined && claims.nbf !== undefined);
    assert.ok(claims.nbf >= before - 1 && claims.nbf <= after);
    assert.ok(claims.exp - claims.nbf <= DEFAULT_TTL_SECONDS && claims.exp - claims.nbf >= DEFAULT_TTL_SECONDS - 1);
    assert.equal(DEFAULT_TTL_SECONDS, 300);
  });

  it("carries teacher and waiting grants as given", async () => {
    const teacher = await verifyToken(await mintToken(opts({ grant: grantsFor({ power: 50, settings: DEFAULT_VIDEO_SETTINGS, admitted: false }).grant })), apiKey, apiSecret);
    assert.equal(teacher.video?.roomAdmin, true);
    assert.equal(teacher.video?.canUpdateOwnMetadata, true);
    assert.equal(teacher.video?.canPublishSources, undefined);
    const waiting = await verifyToken(
      await mintToken(opts({ grant: grantsFor({ power: 0, settings: { ...DEFAULT_VIDEO_SETTINGS, lobby: true }, admitted: false }).grant })),
      apiKey,
      apiSecret,
    );
    assert.equal(waiting.video?.roomJoin, true);
    assert.equal(waiting.video?.canPublish, false);
    assert.equal(waiting.video?.canSubscribe, false);
    assert.equal(waiting.video?.canPublishData, false);
  });

  it("honours ttlSeconds up to one hour and refuses more, less or fractions", async () => {
    const c = await verifyToken(await mintToken(opts({ ttlSeconds: 3600 })), apiKey, apiSecret);
    assert.ok(c.exp !== undefined && c.nbf !== undefined && c.exp - c.nbf <= 3600);
    const short = await verifyToken(await mintToken(opts({ ttlSeconds: 60 })), apiKey, apiSecret);
    assert.ok(short.exp !== undefined && short.nbf !== undefined && short.exp - short.nbf <= 60);
    for (const ttlSeconds of [3601, 0, -5, 1.5, Number.NaN]) await assert.rejects(mintToken(opts({ ttlSeconds })), RangeError);
  });

  it("binds the grant to the room, forces roomCreate off, refuses a grant for another room", async () => {
    const c = await verifyToken(await mintToken(opts({ grant: { roomJoin: true, roomCreate: true, canSubscribe: true } })), apiKey, apiSecret);
    assert.equal(c.video?.room, room);
    assert.equal(c.video?.roomCreate, false);
    await assert.rejects(mintToken(opts({ grant: { roomJoin: true, room: "elsewhere" } })), RangeError);
    await assert.rejects(mintToken(opts({ room: "" })), RangeError);
    await assert.rejects(mintToken(opts({ identity: "" })), RangeError);
  });

  it("does not verify with another secret or key, nor after expiry", async () => {
    const jwt = await mintToken(opts({ ttlSeconds: 1 }));
    await assert.rejects(verifyToken(jwt, apiKey, "another-secret-of-at-least-thirty-two-chars"));
    await assert.rejects(verifyToken(jwt, "APIother", apiSecret));
    // An hour later (well beyond the verifier's 10 s tolerance) the token is refused.
    await verifyToken(jwt, apiKey, apiSecret);
    mock.timers.enable({ apis: ["Date"], now: Date.now() + 3_600_000 });
    try {
      await assert.rejects(verifyToken(jwt, apiKey, apiSecret), /exp/);
    } finally {
      mock.timers.reset();
    }
  });
});
