// How the web client syncs, in a real Chromium against the real Synapse: simplified sliding sync (MSC4186) with exactly
// the request of web/src/lib/matrix/sliding-lists.ts and never classic /sync or the encryption extensions; rooms,
// invites, direct chats and messages arrive live; a lost connection (also at start) shows and heals; a reload and a
// new start of the browser keep the session (no login, no new device); a soft logout's next login takes the same
// device; and a homeserver without sliding sync (played by route interception) gets classic /sync, same chat list.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser, BrowserContext, Page, Request } from "playwright-core";
import { REQUIRED_STATE, ROOM_LIST_KEY, SLIDING_SYNC_FEATURE, SLIDING_SYNC_PATH, slidingSyncBody, type SlidingSyncBody } from "../../web/src/lib/matrix/sliding-lists.ts";
import { assertAccessible, launchBrowser, loginThroughUi, newPersonPage, saveScreenshots, VIEWPORTS } from "./harness/browser.ts";
import { testEnv } from "./harness/env.ts";
import { eventually, newUser, type TestUser } from "./harness/users.ts";

const SLIDING_GLOB = `**${SLIDING_SYNC_PATH}*`;
const CLASSIC_SYNC = /\/_matrix\/client\/(?:v3|r0)\/sync(?:\?|$)/;
const LOGIN = /\/_matrix\/client\/(?:v3|r0)\/login(?:\?|$)/;

/** The requests of one browser context, as the homeserver would see them. */
class RequestLog {
  readonly entries: { url: string; method: string; body: string | null }[] = [];
  constructor(context: BrowserContext) {
    context.on("request", (request: Request) => this.entries.push({ url: request.url(), method: request.method(), body: request.postData() }));
  }
  sliding(): { url: string; body: SlidingSyncBody & { extensions: Record<string, unknown> } }[] {
    return this.entries.filter((e) => e.url.includes(SLIDING_SYNC_PATH)).map((e) => ({ url: e.url, body: JSON.parse(e.body ?? "{}") as SlidingSyncBody & { extensions: Record<string, unknown> } }));
  }
  classic(): number {
    return this.entries.filter((e) => CLASSIC_SYNC.test(e.url)).length;
  }
  logins(): { device_id?: string }[] {
    return this.entries.filter((e) => e.method === "POST" && LOGIN.test(e.url)).map((e) => JSON.parse(e.body ?? "{}") as { device_id?: string });
  }
}

/** The user's devices, from Synapse's admin API. */
async function deviceIds(user: TestUser): Promise<string[]> {
  const env = testEnv();
  const res = await fetch(`${env.synapseUrl}/_synapse/admin/v2/users/${encodeURIComponent(user.userId)}/devices`, { headers: { authorization: `Bearer ${env.adminToken}` } });
  assert.ok(res.ok, `devices of ${user.userId}: ${res.status}`);
  return ((await res.json()) as { devices: { device_id: string }[] }).devices.map((d) => d.device_id).sort();
}

/** The session the web client keeps in localStorage. */
async function storedSession(page: Page): Promise<{ userId: string; deviceId: string; accessToken: string }> {
  return JSON.parse((await page.evaluate("localStorage.getItem('schulhof.session')")) as string) as { userId: string; deviceId: string; accessToken: string };
}

describe("web client: sync", { concurrency: false }, () => {
  let browser: Browser;
  let alice: TestUser;
  let bob: TestUser;
  let roomId: string;
  const contexts: BrowserContext[] = [];
  const roomName = "Sync-Raum 8b";

  const web = (): string => testEnv().webUrl;
  const chatsUrl = (id?: string): string => `${web()}/#/chats${id === undefined ? "" : `/${encodeURIComponent(id)}`}`;
  const roomLink = (page: Page, name: string | RegExp) => page.getByRole("link", { name }).and(page.locator("[data-chat-link]"));
  const message = (page: Page, text: string) => page.locator("li.message").filter({ hasText: text }).first();

  async function person(label: string): Promise<{ context: BrowserContext; page: Page; log: RequestLog }> {
    const { context, page } = await newPersonPage(browser, label, new URL(web()).origin);
    contexts.push(context);
    return { context, page, log: new RequestLog(context) };
  }

  before(async () => {
    [alice, bob] = await Promise.all([newUser("wsalice", { unthrottled: true }), newUser("wsbob", { unthrottled: true })]);
    roomId = (await bob.client.createRoom({ name: roomName, invite: [alice.userId] })).room_id;
    await alice.client.joinRoom(roomId);
    await bob.client.sendMessage(roomId, { msgtype: "m.text", body: "Guten Morgen, 8b!" } as never);
    browser = await launchBrowser();
  });

  after(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
  });

  describe("on a homeserver with simplified sliding sync", () => {
    let context: BrowserContext;
    let page: Page;
    let log: RequestLog;

    before(async () => {
      ({ context, page, log } = await person("alice"));
    });

    it("syncs with the sliding sync endpoint only, sending exactly the web client's lists and extensions", async () => {
      await loginThroughUi(page, web(), alice);
      await page.goto(chatsUrl());
      await roomLink(page, new RegExp(roomName)).waitFor({ timeout: 30_000 });
      const requests = log.sliding();
      assert.ok(requests.length > 0, "the client used simplified sliding sync");
      assert.equal(log.classic(), 0, "no classic /sync request");
      // The first request: a new connection (no pos), nothing open yet, no mail rooms.
      assert.doesNotMatch(requests[0]!.url, /[?&]pos=/);
      assert.deepEqual(requests[0]!.body, slidingSyncBody());
      for (const { body } of requests) {
        assert.equal("e2ee" in body.extensions, false, "no request asks for the e2ee extension");
        assert.equal("to_device" in body.extensions, false, "no request asks for to-device messages");
        assert.deepEqual(Object.keys(body.lists), [ROOM_LIST_KEY]);
        assert.deepEqual(body.lists[ROOM_LIST_KEY]!.required_state, REQUIRED_STATE.map(([t, k]) => [t, k]));
      }
      await assertAccessible(page, "the chat list (sliding sync)");
    });

    it("shows new messages, invites and direct chats live, and subscribes the open room", async () => {
      await roomLink(page, new RegExp(roomName)).click();
      await page.getByRole("heading", { name: roomName, level: 1 }).waitFor();
      await message(page, "Guten Morgen, 8b!").waitFor({ timeout: 20_000 });
      // The open room is subscribed, with receipts and typing for it alone.
      const open = await eventually("a request subscribing the open room", async () => log.sliding().find((r) => roomId in r.body.room_subscriptions));
      assert.deepEqual(open.body.extensions.typing, { enabled: true, lists: [], rooms: [roomId] });
      assert.deepEqual(open.body, slidingSyncBody({ openRooms: [roomId] }));

      await bob.client.sendMessage(roomId, { msgtype: "m.text", body: "Heute fällt die erste Stunde aus." } as never);
      await message(page, "Heute fällt die erste Stunde aus.").waitFor({ timeout: 20_000 });

      await bob.client.createRoom({ name: "Theater-AG", invite: [alice.userId] });
      await page.getByRole("heading", { name: "Einladungen" }).waitFor({ timeout: 20_000 });
      const agInvite = page.getByRole("group", { name: "Einladung in Theater-AG" });
      await agInvite.waitFor({ timeout: 20_000 });

      const dmId = (await bob.client.createRoom({ is_direct: true, invite: [alice.userId], preset: "trusted_private_chat" as never })).room_id;
      await bob.client.sendMessage(dmId, { msgtype: "m.text", body: "Hallo Alice, kurze Frage." } as never);
      const dmInvite = page.getByRole("group", { name: "Einladung in wsbob" });
      await dmInvite.waitFor({ timeout: 20_000 });
      await dmInvite.getByRole("button", { name: "Annehmen" }).click();
      await page.getByRole("heading", { name: "wsbob", level: 1 }).waitFor({ timeout: 20_000 });
      await message(page, "Hallo Alice, kurze Frage.").waitFor({ timeout: 20_000 });
      await page.getByRole("heading", { name: "Direktnachrichten" }).waitFor({ timeout: 20_000 });
      // A declined invite leaves the list.
      await agInvite.getByRole("button", { name: "Ablehnen" }).click();
      await agInvite.waitFor({ state: "detached", timeout: 20_000 });
      assert.equal(log.classic(), 0);
      await assertAccessible(page, "a direct chat (sliding sync)");
      await saveScreenshots(page, "sync-sliding-direct");
    });

    it("shows a lost connection and recovers from it", async () => {
      await page.goto(chatsUrl(roomId));
      await page.getByRole("heading", { name: roomName, level: 1 }).waitFor();
      await context.route(SLIDING_GLOB, (route) => route.abort("connectionrefused"));
      // A new event ends the open long-poll; the next request finds no server.
      await bob.client.sendMessage(roomId, { msgtype: "m.text", body: "Vor der Unterbrechung" } as never);
      const banner = page.getByRole("status").filter({ hasText: "Verbindung zum Server ist unterbrochen" });
      await banner.waitFor({ timeout: 30_000 });
      await context.unroute(SLIDING_GLOB);
      await bob.client.sendMessage(roomId, { msgtype: "m.text", body: "Nach der Unterbrechung" } as never);
      await message(page, "Nach der Unterbrechung").waitFor({ timeout: 30_000 });
      await banner.waitFor({ state: "detached", timeout: 30_000 });
    });

    it("says so when the homeserver cannot be reached at start, and starts once it answers", async () => {
      await context.route("**/_matrix/client/versions", (route) => route.abort("connectionrefused"));
      await page.reload();
      const banner = page.getByRole("status").filter({ hasText: "Verbindung zum Server ist unterbrochen" });
      await banner.waitFor({ timeout: 30_000 });
      const before = log.sliding().length;
      await context.unroute("**/_matrix/client/versions");
      await message(page, "Nach der Unterbrechung").waitFor({ timeout: 60_000 });
      await banner.waitFor({ state: "detached", timeout: 30_000 });
      assert.ok(log.sliding().length > before);
    });

    it("keeps the session over a reload and a new start of the browser: no login, no new device", async () => {
      const session = await storedSession(page);
      const devices = await deviceIds(alice);
      assert.ok(devices.includes(session.deviceId));
      const loginsBefore = log.logins().length;

      await page.reload();
      await roomLink(page, new RegExp(roomName)).waitFor({ timeout: 30_000 });
      await message(page, "Nach der Unterbrechung").waitFor({ timeout: 30_000 });
      assert.equal(log.logins().length, loginsBefore, "a reload sends no login");
      assert.deepEqual(await storedSession(page), session);

      // A new start of the browser: a new context with what the old one stored on disk.
      const restarted = await browser.newContext({ viewport: VIEWPORTS.desktop, locale: "de-DE", storageState: await context.storageState() });
      contexts.push(restarted);
      const againLog = new RequestLog(restarted);
      const again = await restarted.newPage();
      await again.goto(chatsUrl());
      await roomLink(again, new RegExp(roomName)).waitFor({ timeout: 30_000 });
      assert.equal(againLog.logins().length, 0, "the restarted browser sends no login");
      assert.ok(againLog.sliding().length > 0);
      assert.equal(againLog.classic(), 0);
      assert.deepEqual(await storedSession(again), session);
      assert.deepEqual(await deviceIds(alice), devices, "no new device");
      await restarted.close();
    });

    it("takes the same device again when the homeserver ends the session softly", async () => {
      const session = await storedSession(page);
      const devices = await deviceIds(alice);
      await context.route(SLIDING_GLOB, (route) => route.fulfill({ status: 401, json: { errcode: "M_UNKNOWN_TOKEN", error: "Token expired", soft_logout: true } }), { times: 1 });
      await bob.client.sendMessage(roomId, { msgtype: "m.text", body: "Noch jemand da?" } as never);
      await page.getByText("Deine Sitzung ist abgelaufen").waitFor({ timeout: 30_000 });
      assert.equal(await page.evaluate("localStorage.getItem('schulhof.session')"), null, "the token is forgotten");
      await page.getByLabel("Benutzername").fill(alice.localpart);
      await page.getByLabel("Passwort").fill(alice.password);
      await page.getByRole("button", { name: "Anmelden", exact: true }).click();
      await page.getByRole("navigation", { name: "Hauptnavigation" }).waitFor({ timeout: 30_000 });
      assert.equal(log.logins().at(-1)?.device_id, session.deviceId, "the login asks for the kept device");
      const renewed = await storedSession(page);
      assert.equal(renewed.deviceId, session.deviceId);
      assert.notEqual(renewed.accessToken, session.accessToken);
      assert.equal(await page.evaluate("localStorage.getItem('schulhof.device')"), null);
      assert.deepEqual(await deviceIds(alice), devices, "no new device");
      await page.goto(chatsUrl(roomId));
      await message(page, "Noch jemand da?").waitFor({ timeout: 30_000 });
    });
  });

  describe("on a homeserver without simplified sliding sync", () => {
    /** Plays a homeserver without it: `/versions` names it not (or as false), the endpoint is unknown. */
    async function withoutSlidingSync(context: BrowserContext, versionsSay: "nothing" | "false"): Promise<void> {
      await context.route("**/_matrix/client/versions", async (route) => {
        const response = await route.fetch();
        const json = (await response.json()) as { unstable_features?: Record<string, boolean> };
        const features = { ...json.unstable_features };
        delete features[SLIDING_SYNC_FEATURE];
        if (versionsSay === "false") features[SLIDING_SYNC_FEATURE] = false;
        await route.fulfill({ response, json: { ...json, unstable_features: features } });
      });
      await context.route(SLIDING_GLOB, (route) => route.fulfill({ status: 404, json: { errcode: "M_UNRECOGNIZED", error: "Unrecognized request" } }));
    }

    it("falls back to classic /sync after the endpoint answers 404 M_UNRECOGNIZED, with the same chat list, live", async () => {
      const { context, page, log } = await person("alice-classic");
      await withoutSlidingSync(context, "nothing");
      await loginThroughUi(page, web(), alice);
      await page.goto(chatsUrl());
      await roomLink(page, new RegExp(roomName)).waitFor({ timeout: 30_000 });
      await page.getByRole("heading", { name: "Direktnachrichten" }).waitFor();
      assert.equal(log.sliding().length, 1, "one sliding sync request, refused");
      assert.ok(log.classic() > 0, "classic /sync took over");
      assert.equal(await page.getByText("Verbindung zum Server ist unterbrochen").count(), 0, "the fallback is no outage");
      await roomLink(page, new RegExp(roomName)).click();
      await message(page, "Noch jemand da?").waitFor({ timeout: 20_000 });
      await bob.client.sendMessage(roomId, { msgtype: "m.text", body: "Auch ohne Sliding Sync" } as never);
      await message(page, "Auch ohne Sliding Sync").waitFor({ timeout: 20_000 });
      assert.equal(log.sliding().length, 1);
      await assertAccessible(page, "a room (classic /sync)");
      await saveScreenshots(page, "sync-classic-room");
    });

    it("uses classic /sync at once when /versions says the server lacks it", async () => {
      const { context, page, log } = await person("alice-versions");
      await withoutSlidingSync(context, "false");
      await loginThroughUi(page, web(), alice);
      await page.goto(chatsUrl());
      await roomLink(page, new RegExp(roomName)).waitFor({ timeout: 30_000 });
      assert.equal(log.sliding().length, 0, "no sliding sync request");
      assert.ok(log.classic() > 0);
      await assertAccessible(page, "the chat list (classic /sync)");
    });
  });
});
