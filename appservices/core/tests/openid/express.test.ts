// The Express glue end to end: exchanging an OpenID token for a session against a fake homeserver, and guarding routes.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import express from "express";
import { issueSession, OpenIdVerifier, openIdRoutes, requireUser, sendError, userOf } from "../../src/openid/index.ts";
import { serve } from "../support.ts";
import { startFakeHomeserver, type FakeHomeserver } from "./fake-homeserver.ts";

const SECRET = "session-secret-0123456789abcdef0123456789";
const PREFIX = "/_schulhof/test/v1";
let hs: FakeHomeserver;
let stopServer: () => Promise<void>;
let base: string;

before(async () => {
  hs = await startFakeHomeserver({ good: "@anna:schule-a.test" });
  const app = express();
  const verifier = new OpenIdVerifier({ homeservers: { "schule-a.test": hs.url } });
  openIdRoutes(app.router, { verifier, secret: SECRET, prefix: `${PREFIX}/` });
  app.get(`${PREFIX}/whoami`, requireUser(SECRET), (_req, res) => void res.json({ user_id: userOf(res) }));
  app.get(`${PREFIX}/unguarded`, (_req, res) => {
    try {
      userOf(res);
    } catch (e) {
      sendError(res, e, "de");
    }
  });
  app.get(`${PREFIX}/crash`, (_req, res) => sendError(res, new Error("db password is hunter2"), "en"));
  ({ base, close: stopServer } = await serve(app));
});
after(async () => {
  await stopServer();
  await hs.close();
});

async function call(path: string, init: { body?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const method = init.body === undefined ? "GET" : "POST";
  const res = await fetch(`${base}${PREFIX}${path}`, { method, body: init.body, headers: { "content-type": "application/json", ...init.headers } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function exchange(openidToken: unknown, headers: Record<string, string> = {}): ReturnType<typeof call> {
  return call("/openid/exchange", { body: JSON.stringify({ openid_token: openidToken }), headers });
}

describe("POST {prefix}/openid/exchange", () => {
  it("exchanges a valid OpenID token for a session that requireUser accepts", async () => {
    const before = Date.now();
    const res = await exchange({ access_token: "good", matrix_server_name: "schule-a.test", token_type: "Bearer", expires_in: 3600 });
    assert.equal(res.status, 200);
    assert.equal(res.body.user_id, "@anna:schule-a.test");
    assert.ok(typeof res.body.expires_at === "number" && res.body.expires_at >= before + 12 * 3600_000);
    const who = await call("/whoami", { headers: { authorization: `Bearer ${String(res.body.token)}` } });
    assert.deepEqual(who, { status: 200, body: { user_id: "@anna:schule-a.test" } });
  });

  it("answers an unknown token with 401 in German, or English on request", async () => {
    const de = await exchange({ access_token: "nope", matrix_server_name: "schule-a.test" });
    assert.equal(de.status, 401);
    assert.equal(de.body.errcode, "M_UNKNOWN_TOKEN");
    assert.match(String(de.body.error), /Anmeldung/);
    const en = await exchange({ access_token: "nope", matrix_server_name: "schule-a.test" }, { "accept-language": "en-GB,de;q=0.5" });
    assert.equal(en.body.error, "The sign-in could not be confirmed. Please sign in again.");
    assert.equal(en.body.schulhof_code, "SCHULHOF_OPENID_INVALID_TOKEN");
  });

  it("answers an untrusted server with 403", async () => {
    const res = await exchange({ access_token: "good", matrix_server_name: "evil.test" }, { "accept-language": "en" });
    assert.deepEqual(res, { status: 403, body: { errcode: "M_FORBIDDEN", error: "This server is not trusted.", schulhof_code: "SCHULHOF_OPENID_UNTRUSTED_SERVER" } });
  });

  it("answers a malformed body with 400", async () => {
    assert.equal((await exchange(undefined)).body.errcode, "M_BAD_JSON");
    assert.equal((await call("/openid/exchange", { body: JSON.stringify({ openid_token: "good" }) })).status, 400);
    const notJson = await call("/openid/exchange", { body: "{not json" });
    assert.deepEqual([notJson.status, notJson.body.errcode], [400, "M_NOT_JSON"]);
  });
});

describe("requireUser", () => {
  it("answers 401 M_MISSING_TOKEN without a token", async () => {
    const res = await call("/whoami");
    assert.deepEqual([res.status, res.body.errcode, res.body.error], [401, "M_MISSING_TOKEN", "Anmeldung erforderlich."]);
    assert.equal((await call("/whoami", { headers: { authorization: "Basic YTpi", "accept-language": "en" } })).body.error, "Sign-in required.");
  });

  it("answers 401 M_UNKNOWN_TOKEN for a bad token", async () => {
    const res = await call("/whoami", { headers: { authorization: "Bearer v1.e30.bad" } });
    assert.deepEqual([res.status, res.body.errcode], [401, "M_UNKNOWN_TOKEN"]);
  });

  it("answers an expired session with soft_logout", async () => {
    const { token } = issueSession("@anna:schule-a.test", SECRET, -1);
    const res = await call("/whoami", { headers: { authorization: `Bearer ${token}`, "accept-language": "en" } });
    assert.deepEqual(res.body, { errcode: "M_UNKNOWN_TOKEN", error: "Session expired. Please sign in again.", schulhof_code: "SCHULHOF_SESSION_EXPIRED", soft_logout: true });
  });

  it("sets res.locals.userId for a good token", async () => {
    const { token } = issueSession("@ben:schule-a.test", SECRET);
    assert.deepEqual(await call("/whoami", { headers: { authorization: `bearer ${token}` } }), { status: 200, body: { user_id: "@ben:schule-a.test" } });
  });
});

describe("sendError", () => {
  it("answers other errors as 500 M_UNKNOWN without details", async () => {
    const res = await call("/crash");
    assert.deepEqual(res, { status: 500, body: { errcode: "M_UNKNOWN", error: "Internal error.", schulhof_code: "SCHULHOF_INTERNAL" } });
  });

  it("answers userOf on an unguarded route as 500", async () => {
    assert.deepEqual(await call("/unguarded"), { status: 500, body: { errcode: "M_UNKNOWN", error: "Interner Fehler.", schulhof_code: "SCHULHOF_OPENID_NO_USER" } });
  });
});
