// OpenIdVerifier: asks only trusted homeservers, refuses foreign users, caches by token hash, tells outages from bad tokens.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { isSchulhofError } from "../../src/errors.ts";
import { OpenIdVerifier, OPENID_ERROR_CODES, type OpenIdToken } from "../../src/openid/index.ts";
import { closedPortUrl, startFakeHomeserver, type FakeHomeserver } from "./fake-homeserver.ts";

const SERVER = "schule-a.test";
let hs: FakeHomeserver;
let clock: number;

function verifier(extra: { cacheTtlMs?: number; cacheSize?: number; fetchFn?: typeof fetch } = {}): OpenIdVerifier {
  return new OpenIdVerifier({ homeservers: { [SERVER]: `${hs.url}/` }, now: () => clock, ...extra });
}

function token(accessToken: string, more: Partial<OpenIdToken> = {}): OpenIdToken {
  return { access_token: accessToken, matrix_server_name: SERVER, token_type: "Bearer", expires_in: 3600, ...more };
}

/** Asserts that `promise` rejects with the SchulhofError of `kind`, answering `status` and `errcode`. */
async function rejectsWith(promise: Promise<unknown>, kind: keyof typeof OPENID_ERROR_CODES, status: number, errcode: string): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(isSchulhofError(e, OPENID_ERROR_CODES[kind]), `expected ${kind}, got ${String(e)}`);
    assert.equal(e.httpStatus, status);
    assert.equal(e.errcode, errcode);
    return true;
  });
}

before(async () => {
  hs = await startFakeHomeserver({ good: "@anna:schule-a.test", other: "@ben:schule-a.test", foreign: "@mallory:evil.test", garbage: "not a user id" });
});
after(() => hs.close());
beforeEach(() => {
  hs.calls = 0;
  clock = 1_000_000;
});

describe("OpenIdVerifier", () => {
  it("resolves a valid token to its user id", async () => {
    assert.equal(await verifier().verify(token("good")), "@anna:schule-a.test");
    assert.equal(hs.calls, 1);
  });

  it("serves the second verification from the cache", async () => {
    const v = verifier();
    await v.verify(token("good"));
    assert.equal(await v.verify(token("good")), "@anna:schule-a.test");
    assert.equal(hs.calls, 1);
  });

  it("asks again once the cache entry has expired", async () => {
    const v = verifier({ cacheTtlMs: 60_000 });
    await v.verify(token("good"));
    clock += 60_001;
    await v.verify(token("good"));
    assert.equal(hs.calls, 2);
  });

  it("caches no longer than the token's expires_in", async () => {
    const v = verifier();
    await v.verify(token("good", { expires_in: 10 }));
    clock += 10_001;
    await v.verify(token("good", { expires_in: 10 }));
    assert.equal(hs.calls, 2);
  });

  it("drops the oldest entries when the cache is full", async () => {
    const v = verifier({ cacheSize: 1 });
    await v.verify(token("good"));
    await v.verify(token("other"));
    await v.verify(token("good"));
    assert.equal(hs.calls, 3);
  });

  it("refuses a token the homeserver does not know", async () => {
    await rejectsWith(verifier().verify(token("unknown")), "invalid_openid_token", 401, "M_UNKNOWN_TOKEN");
  });

  it("refuses an untrusted server without any HTTP call", async () => {
    let fetched = 0;
    const fetchFn: typeof fetch = (...args) => ((fetched += 1), fetch(...args));
    await rejectsWith(verifier({ fetchFn }).verify(token("good", { matrix_server_name: "evil.test" })), "untrusted_server", 403, "M_FORBIDDEN");
    await rejectsWith(verifier({ fetchFn }).verify(token("good", { matrix_server_name: "constructor" })), "untrusted_server", 403, "M_FORBIDDEN");
    assert.equal(fetched, 0);
    assert.equal(hs.calls, 0);
  });

  it("refuses a sub on another server (GHSA-vc7j-h8xg-fv5x)", async () => {
    await rejectsWith(verifier().verify(token("foreign")), "invalid_openid_token", 401, "M_UNKNOWN_TOKEN");
  });

  it("refuses a malformed sub", async () => {
    await rejectsWith(verifier().verify(token("garbage")), "invalid_openid_token", 401, "M_UNKNOWN_TOKEN");
  });

  it("answers 502 when the homeserver is down or failing", async () => {
    const down = new OpenIdVerifier({ homeservers: { [SERVER]: await closedPortUrl() } });
    await rejectsWith(down.verify(token("good")), "homeserver_unreachable", 502, "M_UNKNOWN");
    await rejectsWith(verifier().verify(token("crash")), "homeserver_unreachable", 502, "M_UNKNOWN");
  });

  it("refuses a malformed token with 400", async () => {
    for (const bad of [{}, { access_token: "", matrix_server_name: SERVER }, { access_token: "good", matrix_server_name: "a/b" }, token("good", { expires_in: -1 })]) {
      await rejectsWith(verifier().verify(bad as OpenIdToken), "bad_json", 400, "M_BAD_JSON");
    }
    assert.equal(hs.calls, 0);
  });

  it("keeps no token in its errors", async () => {
    await assert.rejects(verifier().verify(token("unknown-secret-value")), (e: Error) => !JSON.stringify([e.message, e.stack]).includes("unknown-secret-value"));
  });
});
