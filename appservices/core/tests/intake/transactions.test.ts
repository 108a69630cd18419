// The Application Service transaction API: events are stored durably and exactly once before the homeserver gets 200.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import express from "express";
import { transactionRouter, type Db, type MatrixEvent } from "@schulhof/core";
import { event, freshDb, serve, silentLog } from "../support.ts";

const HS_TOKEN = "hs-token-0123456789abcdef0123456789abcdef";
let db: Db;
let stopServer: () => Promise<void>;
let base: string;
let stored: number[] = [];
let ephemeral: unknown[][] = [];
let seen: { events: number; fresh: number }[] = [];

before(async () => {
  db = await freshDb();
  const app = express();
  app.use(
    transactionRouter({
      db,
      hsToken: HS_TOKEN,
      log: silentLog,
      // Like an appservice that ignores typing notifications in the timeline and its own bot's events.
      accepts: (ev: MatrixEvent) => ev.sender !== "@schule:schule.example.de",
      onStored: (fresh) => stored.push(fresh),
      onEphemeral: (events) => ephemeral.push(events),
      onTransaction: (events, fresh) => seen.push({ events, fresh }),
      userExists: (id) => Promise.resolve(id === "@schule:schule.example.de"),
    }),
  );
  ({ base, close: stopServer } = await serve(app));
});
after(async () => {
  await stopServer();
  await db.close().catch(() => undefined);
});
beforeEach(async () => {
  await db.query("DELETE FROM intake_inbox");
  await db.query("DELETE FROM intake_transactions");
  stored = [];
  ephemeral = [];
  seen = [];
});

async function put(txnId: string, body: unknown, token: string | null = HS_TOKEN, path = "/_matrix/app/v1/transactions/"): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${base}${path}${encodeURIComponent(txnId)}`, { method: "PUT", headers, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

async function inbox(): Promise<{ event_id: string; room_id: string; txn_id: string }[]> {
  return (await db.query<{ event_id: string; room_id: string; txn_id: string }>("SELECT event_id, room_id, txn_id FROM intake_inbox ORDER BY seq")).rows;
}

describe("PUT /transactions/:txnId", () => {
  it("stores every event of a transaction, then answers 200 {}", async () => {
    const r = await put("t1", { events: [event("$1", "!a:x"), event("$2", "!b:x"), event("$3", "!a:x")] });
    assert.deepEqual(r, { status: 200, body: {} });
    assert.deepEqual(await inbox(), [
      { event_id: "$1", room_id: "!a:x", txn_id: "t1" },
      { event_id: "$2", room_id: "!b:x", txn_id: "t1" },
      { event_id: "$3", room_id: "!a:x", txn_id: "t1" },
    ]);
    const row = (await db.query<{ event: MatrixEvent }>("SELECT event FROM intake_inbox WHERE event_id = '$2'")).rows[0];
    assert.deepEqual(row?.event, event("$2", "!b:x"));
    assert.deepEqual(stored, [3]);
    assert.deepEqual(seen, [{ events: 3, fresh: 3 }]);
  });

  it("acknowledges a replayed transaction without storing anything twice", async () => {
    const body = { events: [event("$1", "!a:x"), event("$2", "!a:x"), event("$3", "!a:x")] };
    assert.equal((await put("t1", body)).status, 200);
    assert.deepEqual(await put("t1", body), { status: 200, body: {} });
    assert.equal((await inbox()).length, 3);
    assert.deepEqual(stored, [3], "no wake-up for a replay");
    assert.deepEqual(seen, [{ events: 3, fresh: 3 }, { events: 3, fresh: 0 }]);
  });

  it("stores only the new event of a transaction that repeats an old one", async () => {
    await put("t1", { events: [event("$1", "!a:x"), event("$2", "!a:x"), event("$3", "!a:x")] });
    assert.equal((await put("t2", { events: [event("$2", "!a:x"), event("$4", "!a:x")] })).status, 200);
    const rows = await inbox();
    assert.deepEqual(rows.map((r) => r.event_id), ["$1", "$2", "$3", "$4"]);
    assert.equal(rows[1]?.txn_id, "t1", "the old event keeps its first transaction");
    assert.equal(rows[3]?.txn_id, "t2");
    assert.deepEqual(stored, [3, 1]);
    const txns = await db.query<{ txn_id: string; events: number }>("SELECT txn_id, events FROM intake_transactions ORDER BY txn_id");
    assert.deepEqual(txns.rows, [
      { txn_id: "t1", events: 3 },
      { txn_id: "t2", events: 2 },
    ]);
  });

  it("accepts the legacy unprefixed path and a token in the query", async () => {
    const res = await fetch(`${base}/transactions/legacy?access_token=${HS_TOKEN}`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ events: [event("$l", "!a:x")] }),
    });
    assert.equal(res.status, 200);
    assert.deepEqual((await inbox()).map((r) => r.event_id), ["$l"]);
  });

  it("refuses a wrong hs_token with 403 M_FORBIDDEN and stores nothing", async () => {
    const wrongSameLength = HS_TOKEN.slice(0, -1) + "X";
    for (const token of [wrongSameLength, "short"]) {
      const r = await put("t1", { events: [event("$1", "!a:x")] }, token);
      assert.equal(r.status, 403);
      assert.equal((r.body as { errcode: string }).errcode, "M_FORBIDDEN");
    }
    assert.deepEqual(await inbox(), []);
  });

  it("refuses a request without token with 401 M_UNAUTHORIZED", async () => {
    const r = await put("t1", { events: [event("$1", "!a:x")] }, null);
    assert.equal(r.status, 401);
    assert.equal((r.body as { errcode: string }).errcode, "M_UNAUTHORIZED");
    assert.deepEqual(await inbox(), []);
  });

  it("skips malformed events and stores the valid ones", async () => {
    const noContent: Record<string, unknown> = { ...event("$bad1", "!a:x") };
    delete noContent.content;
    const r = await put("t1", {
      events: [event("$1", "!a:x"), noContent, { ...event("$bad2", "!a:x"), origin_server_ts: "yesterday" }, "not an event", null, event("$2", "!a:x")],
    });
    assert.equal(r.status, 200);
    assert.deepEqual((await inbox()).map((r) => r.event_id), ["$1", "$2"]);
  });

  it("answers 400 M_BAD_JSON when events is not a list", async () => {
    const r = await put("t1", { events: "nope" });
    assert.equal(r.status, 400);
    assert.equal((r.body as { errcode: string }).errcode, "M_BAD_JSON");
  });

  it("acknowledges events that `accepts` refuses without storing them", async () => {
    const fromBot = { ...event("$bot", "!a:x"), sender: "@schule:schule.example.de" };
    const r = await put("t1", { events: [fromBot, event("$1", "!a:x")] });
    assert.equal(r.status, 200);
    assert.deepEqual((await inbox()).map((r) => r.event_id), ["$1"]);
    assert.deepEqual(seen, [{ events: 1, fresh: 1 }]);
  });

  it("hands ephemeral events (MSC2409) on without storing them", async () => {
    const typing = { type: "m.typing", room_id: "!a:x", content: { user_ids: ["@alice:x"] } };
    const r = await put("t1", { events: [], "de.sorunome.msc2409.ephemeral": [typing] });
    assert.equal(r.status, 200);
    assert.deepEqual(ephemeral, [[typing]]);
    assert.deepEqual(await inbox(), []);
    assert.deepEqual(stored, []);
  });
});

describe("the other Application Service routes", () => {
  it("answers user queries through userExists", async () => {
    const auth = { authorization: `Bearer ${HS_TOKEN}` };
    assert.equal((await fetch(`${base}/_matrix/app/v1/users/${encodeURIComponent("@schule:schule.example.de")}`, { headers: auth })).status, 200);
    const missing = await fetch(`${base}/_matrix/app/v1/users/${encodeURIComponent("@nobody:schule.example.de")}`, { headers: auth });
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { errcode: string }).errcode, "M_NOT_FOUND");
    assert.equal((await fetch(`${base}/_matrix/app/v1/users/x`)).status, 401);
  });

  it("answers the homeserver's ping", async () => {
    const r = await fetch(`${base}/_matrix/app/v1/ping`, {
      method: "POST",
      headers: { authorization: `Bearer ${HS_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ transaction_id: "p1" }),
    });
    assert.equal(r.status, 200);
  });
});

// Last: closes the shared database.
describe("when the database fails", () => {
  it("answers not 2xx, so the homeserver retries the transaction", async () => {
    await db.close();
    const r = await put("t-fail", { events: [event("$1", "!a:x")] });
    assert.equal(r.status, 503);
    assert.equal((r.body as { errcode: string }).errcode, "M_UNKNOWN");
    assert.deepEqual(stored, []);
  });
});
