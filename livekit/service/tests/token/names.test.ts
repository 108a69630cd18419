// LiveKit room names and identities: the MSC4195 / lk-jwt-service formulas, their test vectors, and what they must not leak.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { legacyLivekitIdentity, livekitIdentity, livekitNamesFor, livekitRoomName, matrixRtcHash, parseTokenRequest } from "../../src/token/index.ts";

const openid = { access_token: "t", matrix_server_name: "schule-a.test" };

describe("matrixRtcHash", () => {
  it("matches the MSC4195 test vectors (unpadded standard Base64 of SHA-256 over canonical JSON)", () => {
    assert.equal(matrixRtcHash(["!roomid:example.com", "slot1234"]), "O8437W3+jmzMVjoIP3tNwbm+XxHQk2iKpOA7aqw3qSc");
    assert.equal(matrixRtcHash(["!roomid:example.com", "slot123", "random123"]), "IMeDd+K3MIqJTI20EXBIrepKkhhORvf3q8fx3rlrhTk");
    assert.equal(matrixRtcHash(["@alice:example.com", "memberABC"]), "M3VnsLXrkbxIDINXO64u8PZzFyD9ZYFiQULR2dshWYs");
  });

  it("is the hex digest of the vector in Base64", () => {
    const hex = createHash("sha256").update('["!roomid:example.com","slot1234"]').digest("hex");
    assert.equal(hex, "3bce37ed6dfe8e6ccc563a083f7b4dc1b9be5f11d093688aa4e03b6aac37a927");
    assert.equal(Buffer.from(matrixRtcHash(["!roomid:example.com", "slot1234"]), "base64").toString("hex"), hex);
  });

  it("keeps the parts apart: no delimiter can make two inputs collide", () => {
    assert.notEqual(matrixRtcHash(["a|b", "c"]), matrixRtcHash(["a", "b|c"]));
    assert.notEqual(matrixRtcHash(['a","b', "c"]), matrixRtcHash(["a", 'b","c']));
  });
});

describe("livekitRoomName", () => {
  it("is the same for the same room and slot, 43 characters, no padding", () => {
    const a = livekitRoomName("!room1:schule-a.test", "m.call#ROOM");
    assert.equal(a, livekitRoomName("!room1:schule-a.test", "m.call#ROOM"));
    assert.equal(a.length, 43);
    assert.match(a, /^[A-Za-z0-9+/]{43}$/);
  });

  it("differs for different rooms and for different slots of one room", () => {
    const names = new Set([
      livekitRoomName("!room1:schule-a.test", "m.call#ROOM"),
      livekitRoomName("!room2:schule-a.test", "m.call#ROOM"),
      livekitRoomName("!room1:schule-b.test", "m.call#ROOM"),
      livekitRoomName("!room1:schule-a.test", "m.call#other"),
    ]);
    assert.equal(names.size, 4);
  });

  it("holds neither the room id, its server nor the slot", () => {
    const name = livekitRoomName("!room1:schule-a.test", "m.call#ROOM");
    for (const leak of ["room1", "schule", "m.call", "ROOM", "!"]) assert.ok(!name.includes(leak), `${name} contains ${leak}`);
  });
});

describe("identities", () => {
  it("/get_token: hash of [user, device, member], as matrix-js-sdk computeRtcIdentityRaw", () => {
    assert.equal(livekitIdentity("@alice:example.com", "DEVICE123", "memberABC"), "J+T45tGruxc+HrUOqJJlyQSV33m728Cme4+vt8/SWrU");
  });

  it("differs per device and per member id, and per user", () => {
    const ids = new Set([
      livekitIdentity("@anna:schule-a.test", "DEVA", "m1"),
      livekitIdentity("@anna:schule-a.test", "DEVB", "m1"),
      livekitIdentity("@anna:schule-a.test", "DEVA", "m2"),
      livekitIdentity("@bert:schule-a.test", "DEVA", "m1"),
    ]);
    assert.equal(ids.size, 4);
    assert.ok(!livekitIdentity("@anna:schule-a.test", "DEVA", "m1").includes("anna"));
  });

  it("/sfu/get: `${user}:${device}`, unhashed, as lk-jwt-service and old clients have it", () => {
    assert.equal(legacyLivekitIdentity("@anna:schule-a.test", "DEVA"), "@anna:schule-a.test:DEVA");
    assert.notEqual(legacyLivekitIdentity("@anna:schule-a.test", "DEVA"), legacyLivekitIdentity("@anna:schule-a.test", "DEVB"));
  });
});

describe("livekitNamesFor", () => {
  const current = parseTokenRequest("get_token", {
    room_id: "!room1:schule-a.test",
    slot_id: "m.call#ROOM",
    openid_token: openid,
    member: { id: "m1", claimed_user_id: "@anna:schule-a.test", claimed_device_id: "DEVA" },
  });
  const legacy = parseTokenRequest("sfu_get", { room: "!room1:schule-a.test", openid_token: openid, device_id: "DEVA" });

  it("uses the verified user and the request's device and member", () => {
    assert.deepEqual(livekitNamesFor(current, "@anna:schule-a.test"), {
      room: livekitRoomName("!room1:schule-a.test", "m.call#ROOM"),
      identity: livekitIdentity("@anna:schule-a.test", "DEVA", "m1"),
    });
    assert.notEqual(livekitNamesFor(current, "@bert:schule-a.test").identity, livekitNamesFor(current, "@anna:schule-a.test").identity);
  });

  it("puts legacy and current callers of a room's call into the same LiveKit room", () => {
    const l = livekitNamesFor(legacy, "@anna:schule-a.test");
    assert.equal(l.room, livekitNamesFor(current, "@anna:schule-a.test").room);
    assert.equal(l.identity, "@anna:schule-a.test:DEVA");
  });
});
