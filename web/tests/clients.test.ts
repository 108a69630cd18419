// The typed API clients sign in once per service, share the session, renew it before it expires and once on a 401.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { featureClients, RENEW_BEFORE_MS, type FeatureClients } from "../src/lib/api/clients.ts";

const API = "https://schule.example";
const VIDEO = "https://video.example";

/** A fake of every service: exchanges hand out t1, t2, …; other calls need a valid token. */
class FakeServers {
  readonly calls: { method: string; url: string; authorization: string | null; body: string }[] = [];
  readonly valid = new Set<string>();
  openIdTokens = 0;
  issued = 0;
  /** How long a new session lasts. */
  ttlMs = 3_600_000;
  /** The exchange's answer instead of a session. */
  refuse: Response | null = null;
  /** Refuse every session, even fresh ones. */
  rejectAll = false;

  clients(): FeatureClients {
    return featureClients({
      apiBaseUrl: `${API}/`,
      videoServiceUrl: VIDEO,
      getOpenIdToken: () => {
        this.openIdTokens++;
        return Promise.resolve({ access_token: `openid-${this.openIdTokens}`, matrix_server_name: "schule.example", token_type: "Bearer", expires_in: 3600 });
      },
      fetch: (input, init) => this.handle(input instanceof Request ? input : new Request(input, init)),
      acceptLanguage: () => "en",
    });
  }

  exchanges(): string[] {
    return this.calls.filter((c) => c.url.endsWith("/openid/exchange")).map((c) => c.url);
  }

  private async handle(request: Request): Promise<Response> {
    const body = await request.text();
    const authorization = request.headers.get("authorization");
    this.calls.push({ method: request.method, url: request.url, authorization, body });
    await new Promise((r) => setTimeout(r, 5));
    if (request.url.endsWith("/openid/exchange")) {
      if (this.refuse !== null) return this.refuse.clone();
      assert.match((JSON.parse(body) as { openid_token: { access_token: string } }).openid_token.access_token, /^openid-\d+$/);
      const token = `t${++this.issued}`;
      this.valid.add(token);
      return Response.json({ token, user_id: "@anna:schule.example", expires_at: Date.now() + this.ttlMs });
    }
    if (request.url === `${VIDEO}/get_token`) return Response.json({ url: "wss://lk.example", jwt: "jwt" });
    if (this.rejectAll || authorization === null || !this.valid.has(authorization.replace(/^Bearer /, ""))) {
      return Response.json({ errcode: "M_UNKNOWN_TOKEN", error: "Invalid session" }, { status: 401 });
    }
    if (request.url.endsWith("/mails")) return Response.json({ room_id: "!conv:schule.example", echo: JSON.parse(body) as unknown });
    return Response.json({ items: [], address: "anna@schule.example", ok: true, action: "end", affected: 0 });
  }
}

describe("featureClients", () => {
  it("signs in once for concurrent calls and reuses the session", async () => {
    const fake = new FakeServers();
    const { homework } = fake.clients();
    const answers = await Promise.all([homework.GET("/todo"), homework.GET("/todo")]);
    const again = await homework.GET("/todo");
    for (const a of [...answers, again]) assert.deepEqual(a.data?.items, []);
    assert.deepEqual(fake.exchanges(), [`${API}/_schulhof/homework/v1/openid/exchange`]);
    assert.equal(fake.openIdTokens, 1);
    const todo = fake.calls.filter((c) => c.url === `${API}/_schulhof/homework/v1/todo`);
    assert.deepEqual(todo.map((c) => c.authorization), ["Bearer t1", "Bearer t1", "Bearer t1"]);
  });

  it("keeps one session per service", async () => {
    const fake = new FakeServers();
    const clients = fake.clients();
    assert.equal((await clients.mail.GET("/address")).data?.address, "anna@schule.example");
    assert.ok((await clients.school.GET("/me")).response.ok);
    assert.ok((await clients.mail.GET("/address")).response.ok);
    assert.deepEqual(fake.exchanges(), [`${API}/_schulhof/mail/v1/openid/exchange`, `${API}/_schulhof/school/v1/openid/exchange`]);
  });

  it("signs in again once on a 401 and repeats the call with its body", async () => {
    const fake = new FakeServers();
    const { mail } = fake.clients();
    await mail.GET("/address");
    fake.valid.clear();
    const sent = await mail.POST("/mails", { body: { to: "eltern@example.org", subject: "Elternabend", text: "Hallo" } });
    assert.equal(sent.data?.room_id, "!conv:schule.example");
    const posts = fake.calls.filter((c) => c.url.endsWith("/mails"));
    assert.deepEqual(posts.map((c) => c.authorization), ["Bearer t1", "Bearer t2"]);
    assert.deepEqual(posts.map((c) => JSON.parse(c.body) as unknown), [0, 1].map(() => ({ to: "eltern@example.org", subject: "Elternabend", text: "Hallo" })));
    assert.equal(fake.exchanges().length, 2);
  });

  it("passes a second 401 on instead of signing in again and again", async () => {
    const fake = new FakeServers();
    const { calendar } = fake.clients();
    fake.rejectAll = true;
    const answer = await calendar.GET("/calendars");
    assert.equal(answer.response.status, 401);
    assert.equal((answer.error as { errcode?: string } | undefined)?.errcode, "M_UNKNOWN_TOKEN");
    assert.equal(fake.exchanges().length, 2);
    assert.equal(fake.calls.filter((c) => c.url.endsWith("/calendars")).length, 2);
  });

  it("renews a session that is about to expire before using it", async () => {
    const fake = new FakeServers();
    fake.ttlMs = RENEW_BEFORE_MS / 2;
    const { school } = fake.clients();
    await school.GET("/me");
    await school.GET("/me");
    const me = fake.calls.filter((c) => c.url.endsWith("/me"));
    assert.deepEqual(me.map((c) => c.authorization), ["Bearer t1", "Bearer t2"]);
    assert.equal(fake.exchanges().length, 2);
  });

  it("answers a refused sign-in as the call's error, without sending the call", async () => {
    const fake = new FakeServers();
    fake.refuse = Response.json({ errcode: "M_FORBIDDEN", error: "This server is not trusted." }, { status: 403 });
    const { homework } = fake.clients();
    const answer = await homework.GET("/todo");
    assert.equal(answer.response.status, 403);
    assert.equal((answer.error as { errcode?: string } | undefined)?.errcode, "M_FORBIDDEN");
    assert.equal(fake.calls.filter((c) => c.url.endsWith("/todo")).length, 0);
  });

  it("signs only the video service's moderation API, not its token endpoint", async () => {
    const fake = new FakeServers();
    const { video } = fake.clients();
    const token = await video.POST("/get_token", {
      body: {
        room_id: "!room:schule.example",
        slot_id: "m.call#ROOM",
        openid_token: { access_token: "a", matrix_server_name: "schule.example" },
        member: { id: "m", claimed_user_id: "@anna:schule.example", claimed_device_id: "D" },
      },
    });
    assert.equal(token.data?.jwt, "jwt");
    assert.deepEqual(fake.exchanges(), []);
    assert.equal(fake.calls[0]?.authorization, null);
    const moderated = await video.POST("/_schulhof/video/v1/moderate", { body: { room_id: "!room:schule.example", action: "end" } });
    assert.equal(moderated.data?.affected, 0);
    assert.deepEqual(fake.exchanges(), [`${VIDEO}/_schulhof/video/v1/openid/exchange`]);
    assert.ok(fake.calls.every((c) => c.url.endsWith("/openid/exchange") || c.url.endsWith("/get_token") || c.authorization === "Bearer t1"));
    assert.equal(fake.calls.length, 3);
  });

  it("sends the caller's language", async () => {
    const seen: (string | null)[] = [];
    const clients = featureClients({
      apiBaseUrl: API,
      videoServiceUrl: VIDEO,
      getOpenIdToken: () => Promise.resolve({}),
      acceptLanguage: () => "en",
      fetch: (input) => {
        seen.push((input as Request).headers.get("accept-language"));
        return Promise.resolve(Response.json({ token: "t", user_id: "@a:x", expires_at: Date.now() + 3_600_000 }));
      },
    });
    await clients.school.GET("/me");
    assert.deepEqual(seen, ["en", "en"]);
  });
});
