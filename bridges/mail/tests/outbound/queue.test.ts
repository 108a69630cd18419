// enqueueOutbound: one row per cause (a replayed Matrix event enqueues nothing), VERP sender from the new id, raw kept byte for byte.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import type { Db } from "@schulhof/core";
import { bounceAddress, enqueueOutbound, getOutbound, parseBounceAddress, type OutboundInput } from "../../src/outbound/index.ts";
import { DOMAIN, freshDb, SECRET, testMail } from "./support.ts";

let db: Db;
before(async () => {
  db = await freshDb();
});
after(async () => {
  await db.close();
});
beforeEach(async () => {
  await db.query("TRUNCATE outbound RESTART IDENTITY");
});

async function input(cause: string, extra: Partial<OutboundInput> = {}): Promise<OutboundInput> {
  return {
    cause,
    roomId: "!raum:schulhof.example",
    senderUser: "@frau.mueller:schulhof.example",
    messageId: "<q-1@schulhof.example>",
    mailFrom: (id) => bounceAddress(id, DOMAIN, SECRET),
    rcptTo: ["eltern@familie.example"],
    raw: await testMail("<q-1@schulhof.example>"),
    ...extra,
  };
}

describe("enqueueOutbound", () => {
  it("stores the row with the VERP envelope sender of its own id and the raw bytes unchanged", async () => {
    const row = await input("$ev1");
    const r = await db.transaction((tx) => enqueueOutbound(tx, row));
    assert.deepEqual(r, { id: 1, created: true });
    const stored = await getOutbound(db, r.id);
    assert.ok(stored);
    assert.equal(stored.state, "queued");
    assert.equal(stored.attempts, 0);
    assert.equal(stored.cause, "$ev1");
    assert.equal(stored.roomId, "!raum:schulhof.example");
    assert.equal(stored.senderUser, "@frau.mueller:schulhof.example");
    assert.equal(stored.messageId, "<q-1@schulhof.example>");
    assert.deepEqual(stored.rcptTo, ["eltern@familie.example"]);
    assert.equal(parseBounceAddress(stored.mailFrom, DOMAIN, SECRET), 1);
    assert.ok(stored.createdAt instanceof Date);
    assert.equal(stored.sentAt, null);
    const raw = await db.query<{ raw: Uint8Array }>("SELECT raw FROM outbound WHERE id = 1");
    assert.ok(Buffer.from(raw.rows[0]?.raw ?? []).equals(row.raw));
  });

  it("a replayed cause enqueues nothing and answers the existing id", async () => {
    const first = await db.transaction(async (tx) => enqueueOutbound(tx, await input("$ev1")));
    const other = await db.transaction(async (tx) => enqueueOutbound(tx, await input("$ev2")));
    const replay = await db.transaction(async (tx) => enqueueOutbound(tx, await input("$ev1", { rcptTo: ["jemand@anders.example"] })));
    assert.deepEqual(first, { id: 1, created: true });
    assert.deepEqual(other, { id: 2, created: true });
    assert.deepEqual(replay, { id: 1, created: false });
    const rows = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM outbound");
    assert.equal(rows.rows[0]?.n, 2);
    assert.deepEqual((await getOutbound(db, 1))?.rcptTo, ["eltern@familie.example"], "the replay changed nothing");
  });

  it("accepts a fixed envelope sender", async () => {
    const r = await db.transaction(async (tx) => enqueueOutbound(tx, await input("$ev1", { mailFrom: `bounce@${DOMAIN}` })));
    assert.equal((await getOutbound(db, r.id))?.mailFrom, `bounce@${DOMAIN}`);
  });

  it("rolls back with the caller's transaction", async () => {
    await assert.rejects(
      db.transaction(async (tx) => {
        await enqueueOutbound(tx, await input("$ev1"));
        throw new Error("handler failed");
      }),
    );
    assert.equal(await getOutbound(db, 1), null);
  });

  it("rejects rows that cannot be sent", async () => {
    await assert.rejects(db.transaction(async (tx) => enqueueOutbound(tx, await input("$a", { rcptTo: [] }))), TypeError);
    await assert.rejects(db.transaction(async (tx) => enqueueOutbound(tx, await input("$b", { mailFrom: "" }))), TypeError);
    await assert.rejects(db.transaction(async (tx) => enqueueOutbound(tx, await input("$c", { raw: "text" as unknown as Buffer }))), TypeError);
    await assert.rejects(db.transaction(async (tx) => enqueueOutbound(tx, await input("$d", { mailFrom: () => "" }))), TypeError);
    const rows = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM outbound");
    assert.equal(rows.rows[0]?.n, 0);
  });
});
