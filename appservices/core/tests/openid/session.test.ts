// Session tokens: signed, tamper-proof and expiring, with no state on the server.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { describe, it } from "node:test";
import { isSchulhofError } from "../../src/errors.ts";
import { issueSession, OPENID_ERROR_CODES, verifySession } from "../../src/openid/index.ts";

const SECRET = "session-secret-0123456789abcdef0123456789";
const NOW = 1_700_000_000_000;

function rejected(kind: "invalid_session" | "expired_session") {
  return (e: unknown): boolean => isSchulhofError(e, OPENID_ERROR_CODES[kind]) && e.httpStatus === 401 && e.errcode === "M_UNKNOWN_TOKEN";
}

describe("session tokens", () => {
  it("round-trips the user id", () => {
    const { token, expiresAt } = issueSession("@anna:schule-a.test", SECRET, 60_000, NOW);
    assert.match(token, /^v1\.[\w-]+\.[\w-]+$/);
    assert.equal(expiresAt, NOW + 60_000);
    assert.equal(verifySession(token, SECRET, NOW + 59_999), "@anna:schule-a.test");
  });

  it("lasts 12 hours by default", () => {
    assert.equal(issueSession("@anna:schule-a.test", SECRET, undefined, NOW).expiresAt, NOW + 12 * 3600_000);
  });

  it("refuses a tampered payload", () => {
    const [v, , sig] = issueSession("@anna:schule-a.test", SECRET, 60_000, NOW).token.split(".");
    const forged = Buffer.from(JSON.stringify({ sub: "@admin:schule-a.test", exp: NOW + 60_000 })).toString("base64url");
    assert.throws(() => verifySession(`${v}.${forged}.${sig}`, SECRET, NOW), rejected("invalid_session"));
  });

  it("refuses a token signed with another secret", () => {
    const { token } = issueSession("@anna:schule-a.test", `${SECRET}-other`, 60_000, NOW);
    assert.throws(() => verifySession(token, SECRET, NOW), rejected("invalid_session"));
  });

  it("refuses an expired token as expired", () => {
    const { token } = issueSession("@anna:schule-a.test", SECRET, 60_000, NOW);
    assert.throws(() => verifySession(token, SECRET, NOW + 60_000), (e: unknown) => rejected("expired_session")(e) && (e as Error & { user: { de: string } }).user.de.startsWith("Sitzung abgelaufen"));
  });

  it("refuses malformed tokens", () => {
    for (const bad of ["", "v1", "v1..", "v2.e30.abc", "v1.e30", "x".repeat(5000), issueSession("@a:b", SECRET, 1, NOW).token + ".x"]) {
      assert.throws(() => verifySession(bad, SECRET, NOW), rejected("invalid_session"), bad.slice(0, 20));
    }
  });

  it("refuses a well-signed token whose payload is not a session", () => {
    const signed = `v1.${Buffer.from(JSON.stringify({ sub: 42 })).toString("base64url")}`;
    const token = `${signed}.${createHmac("sha256", SECRET).update(signed).digest("base64url")}`;
    assert.throws(() => verifySession(token, SECRET, NOW), rejected("invalid_session"));
  });

  it("refuses a short secret", () => {
    assert.throws(() => issueSession("@anna:schule-a.test", "short"), (e: unknown) => isSchulhofError(e, OPENID_ERROR_CODES.weak_secret));
  });
});
