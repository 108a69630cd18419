// The refusals: HTTP status, Matrix errcode, German and English text, retry_after_ms on 429.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isSchulhofError } from "@schulhof/core";
import { badJson, rateLimited, VIDEO_ERROR_CODES, videoError, VideoTokenError, type VideoErrorKind } from "../../src/token/index.ts";

describe("refusals", () => {
  const expected: [VideoErrorKind, number, string][] = [
    ["bad_json", 400, "M_BAD_JSON"],
    ["not_json", 400, "M_NOT_JSON"],
    ["invalid_openid_token", 401, "M_UNKNOWN_TOKEN"],
    ["user_mismatch", 401, "M_UNAUTHORIZED"],
    ["foreign_server", 403, "M_FORBIDDEN"],
    ["not_member", 403, "M_FORBIDDEN"],
    ["banned", 403, "M_FORBIDDEN"],
    ["homeserver_unreachable", 502, "M_UNKNOWN"],
    ["sfu_unavailable", 502, "M_UNKNOWN"],
    ["rate_limited", 429, "M_LIMIT_EXCEEDED"],
    ["internal", 500, "M_UNKNOWN"],
  ];
  for (const [kind, status, errcode] of expected) {
    it(`${kind}: ${status} ${errcode}, texts in German and English`, () => {
      const e = videoError(kind, "log only");
      assert.ok(e instanceof VideoTokenError);
      assert.ok(isSchulhofError(e, VIDEO_ERROR_CODES[kind]));
      assert.equal(e.status, status);
      assert.equal(e.httpStatus, status);
      assert.equal(e.errcode, errcode);
      assert.ok(e.user.de.length > 0 && e.user.en.length > 0 && e.user.de !== e.user.en);
      assert.deepEqual(e.toMatrixError("en"), { errcode, error: e.user.en, schulhof_code: VIDEO_ERROR_CODES[kind] });
      assert.equal(e.toMatrixError().error, e.user.de, "German by default");
    });
  }

  it("M_BAD_JSON names the field in both languages, and only in the log the detail", () => {
    const e = badJson("member.claimed_device_id", "missing", "expected string, received undefined");
    assert.equal(e.field, "member.claimed_device_id");
    assert.equal(e.user.de, "Die Anfrage ist fehlerhaft: „member.claimed_device_id“ fehlt.");
    assert.equal(e.user.en, 'The request is malformed: "member.claimed_device_id" is missing.');
    assert.match(e.message, /expected string/);
    assert.ok(!e.toMatrixError("en").error.includes("expected string"));
  });

  it("429 carries retry_after_ms in the body and Retry-After in whole seconds", () => {
    const e = rateLimited(1500.2, "user @anna:schule-a.test");
    assert.equal(e.retryAfterMs, 1501);
    assert.deepEqual(e.toMatrixError("en"), {
      errcode: "M_LIMIT_EXCEEDED",
      error: "Too many requests. Please try again in 2 seconds.",
      schulhof_code: VIDEO_ERROR_CODES.rate_limited,
      retry_after_ms: 1501,
    });
    const r = e.toResponse("de");
    assert.equal(r.status, 429);
    assert.equal(r.headers["retry-after"], "2");
    assert.equal(r.body.error, "Zu viele Anfragen. Bitte in 2 Sekunden erneut versuchen.");
    assert.equal(rateLimited(0, "x").retryAfterMs, 1);
    assert.equal(rateLimited(200, "x").toResponse().headers["retry-after"], "1");
  });

  it("other refusals have no retry_after_ms and no Retry-After", () => {
    const r = videoError("not_member", "x").toResponse("en");
    assert.equal(r.status, 403);
    assert.equal("retry_after_ms" in r.body, false);
    assert.equal(r.headers["retry-after"], undefined);
  });
});
