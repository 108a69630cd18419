// Request bodies of /get_token and /sfu/get: accepted shapes, the refused ones and the field each refusal names.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assertClaimedUser, LEGACY_SLOT_ID, parseTokenRequest, VideoTokenError, type TokenEndpoint } from "../../src/token/index.ts";

const openid = { access_token: "syt_openid_abc", token_type: "Bearer", matrix_server_name: "schule-a.test", expires_in: 3600 };

/** What Element Call sends to /get_token. */
function getTokenBody(): Record<string, unknown> {
  return {
    room_id: "!room1:schule-a.test",
    slot_id: "m.call#ROOM",
    openid_token: { ...openid },
    member: { id: "xyzABCDEF10123", claimed_user_id: "@anna:schule-a.test", claimed_device_id: "DEVICEA" },
  };
}

/** What older Element Call sends to /sfu/get. */
function legacyBody(): Record<string, unknown> {
  return { room: "!room1:schule-a.test", openid_token: { ...openid }, device_id: "DEVICEA" };
}

/** Sets (or deletes, for undefined) the value at a dotted path of a fresh copy. */
function withField(body: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(body);
  const keys = path.split(".");
  let at = copy;
  for (const k of keys.slice(0, -1)) at = at[k] as Record<string, unknown>;
  const last = keys.at(-1) as string;
  if (value === undefined) delete at[last];
  else at[last] = value;
  return copy;
}

function refusal(endpoint: TokenEndpoint, body: unknown): VideoTokenError {
  try {
    parseTokenRequest(endpoint, body);
  } catch (e) {
    assert.ok(e instanceof VideoTokenError, `not a VideoTokenError: ${String(e)}`);
    assert.equal(e.status, 400);
    assert.equal(e.errcode, "M_BAD_JSON");
    return e;
  }
  assert.fail(`accepted ${JSON.stringify(body)}`);
}

describe("POST /get_token body", () => {
  it("accepts Element Call's body and normalises it", () => {
    assert.deepEqual(parseTokenRequest("get_token", getTokenBody()), {
      legacy: false,
      roomId: "!room1:schule-a.test",
      slotId: "m.call#ROOM",
      openid,
      deviceId: "DEVICEA",
      memberId: "xyzABCDEF10123",
      claimedUserId: "@anna:schule-a.test",
      delayedLeave: null,
    });
  });

  it("tolerates unknown fields and drops them", () => {
    const body: Record<string, unknown> = { ...getTokenBody(), future_field: { x: 1 }, delay_cs_api_url: "https://hs.example" };
    (body.member as Record<string, unknown>).extra = true;
    (body.openid_token as Record<string, unknown>).extra = "x";
    const r = parseTokenRequest("get_token", body);
    assert.deepEqual(r.openid, openid);
    assert.equal(r.memberId, "xyzABCDEF10123");
  });

  it("accepts a room id of room version 12 (no server part) and a token without token_type/expires_in", () => {
    const body = withField(withField(withField(getTokenBody(), "room_id", "!Ab3-_x9zQwErTy"), "openid_token.token_type", undefined), "openid_token.expires_in", undefined);
    const r = parseTokenRequest("get_token", body);
    assert.equal(r.roomId, "!Ab3-_x9zQwErTy");
    assert.deepEqual(r.openid, { access_token: "syt_openid_abc", matrix_server_name: "schule-a.test" });
  });

  for (const field of ["room_id", "slot_id", "openid_token", "openid_token.access_token", "openid_token.matrix_server_name", "member", "member.id", "member.claimed_user_id", "member.claimed_device_id"]) {
    it(`refuses a missing ${field}, naming it`, () => {
      const e = refusal("get_token", withField(getTokenBody(), field, undefined));
      assert.equal(e.field, field);
      assert.match(e.user.en, new RegExp(`"${field.replace(".", "\\.")}" is missing`));
      assert.match(e.user.de, /fehlt/);
    });
  }

  it("counts an empty string as missing", () => {
    assert.equal(refusal("get_token", withField(getTokenBody(), "member.id", "")).field, "member.id");
    assert.match(refusal("get_token", withField(getTokenBody(), "openid_token.access_token", "")).user.en, /is missing/);
  });

  const wrong: [string, unknown][] = [
    ["room_id", "room1"],
    ["room_id", 42],
    ["room_id", "#alias:schule-a.test"],
    ["slot_id", ["m.call#ROOM"]],
    ["slot_id", "m.call\n#ROOM"],
    ["openid_token", "syt_openid_abc"],
    ["openid_token.access_token", 1234],
    ["openid_token.matrix_server_name", "schule a/test"],
    ["openid_token.expires_in", "3600"],
    ["openid_token.token_type", 1],
    ["member", "anna"],
    ["member.id", { id: 1 }],
    ["member.claimed_user_id", "anna"],
    ["member.claimed_device_id", 7],
    ["delay_timeout", "1000"],
  ];
  for (const [field, value] of wrong) {
    it(`refuses ${field} = ${JSON.stringify(value)}, naming it`, () => {
      const e = refusal("get_token", withField(getTokenBody(), field, value));
      assert.equal(e.field, field);
      assert.match(e.user.en, /is invalid/);
      assert.match(e.user.de, /ist ungültig/);
    });
  }

  it("refuses an over-long room id", () => {
    assert.equal(refusal("get_token", withField(getTokenBody(), "room_id", `!${"a".repeat(300)}:x.test`)).field, "room_id");
  });

  it("refuses a body that is not an object", () => {
    for (const body of [null, "x", 3, [getTokenBody()], undefined]) {
      const e = refusal("get_token", body);
      assert.equal(e.field, "");
      assert.match(e.user.en, /JSON object/);
    }
  });

  it("takes the delayed-leave fields all or none", () => {
    const both = parseTokenRequest("get_token", { ...getTokenBody(), delay_id: "syd_abc", delay_timeout: 5000 });
    assert.deepEqual(both.delayedLeave, { delayId: "syd_abc", delayTimeoutMs: 5000 });
    assert.equal(parseTokenRequest("get_token", { ...getTokenBody(), delay_id: "", delay_timeout: 0 }).delayedLeave, null);
    assert.equal(refusal("get_token", { ...getTokenBody(), delay_id: "syd_abc" }).field, "delay_timeout");
    assert.equal(refusal("get_token", { ...getTokenBody(), delay_timeout: 5000 }).field, "delay_id");
  });
});

describe("POST /sfu/get body (legacy)", () => {
  it("accepts the legacy body and normalises it to the m.call#ROOM slot", () => {
    assert.deepEqual(parseTokenRequest("sfu_get", legacyBody()), {
      legacy: true,
      roomId: "!room1:schule-a.test",
      slotId: LEGACY_SLOT_ID,
      openid,
      deviceId: "DEVICEA",
      memberId: null,
      claimedUserId: null,
      delayedLeave: null,
    });
    assert.equal(LEGACY_SLOT_ID, "m.call#ROOM");
  });

  it("tolerates unknown fields", () => {
    assert.equal(parseTokenRequest("sfu_get", { ...legacyBody(), whatever: 1 }).deviceId, "DEVICEA");
  });

  for (const field of ["room", "openid_token", "openid_token.access_token", "openid_token.matrix_server_name", "device_id"]) {
    it(`refuses a missing ${field}, naming it`, () => {
      assert.equal(refusal("sfu_get", withField(legacyBody(), field, undefined)).field, field);
    });
  }

  for (const [field, value] of [["room", "room1"], ["room", null], ["device_id", 5], ["openid_token.access_token", false]] as [string, unknown][]) {
    it(`refuses ${field} = ${JSON.stringify(value)}`, () => {
      assert.equal(refusal("sfu_get", withField(legacyBody(), field, value)).field, field);
    });
  }

  it("does not take a /get_token body (no room, no device_id)", () => {
    assert.equal(refusal("sfu_get", getTokenBody()).field, "room");
  });
});

describe("assertClaimedUser", () => {
  it("passes when the token's user is the claimed one, refuses another (401 M_UNAUTHORIZED)", () => {
    const r = parseTokenRequest("get_token", getTokenBody());
    assertClaimedUser(r, "@anna:schule-a.test");
    assert.throws(
      () => assertClaimedUser(r, "@bert:schule-a.test"),
      (e: unknown) => e instanceof VideoTokenError && e.status === 401 && e.errcode === "M_UNAUTHORIZED" && e.kind === "user_mismatch",
    );
  });

  it("has nothing to check for the legacy endpoint", () => {
    assertClaimedUser(parseTokenRequest("sfu_get", legacyBody()), "@bert:schule-a.test");
  });
});
