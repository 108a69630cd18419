// The inbound queue over the `inbound` table (PGlite): store, take due messages, deliver, retry, fail.
import assert from "node:assert/strict";
import { after, beforeEach, describe, it } from "node:test";
import { markDelivered, markInboundFailed, markInboundRetry, nextInbound, storeInbound } from "../../src/inbound/queue.ts";
import type { InboundMessage } from "../../src/inbound/types.ts";
import { closeSharedDb, sharedDb } from "./helpers.ts";

after(closeSharedDb);

function message(n: number): InboundMessage {
  const raw = Buffer.concat([Buffer.from(`Subject: ${n}\r\n\r\n`), Buffer.from([0, 255, 13, 10, 0x80])]);
  return {
    mailFrom: n === 0 ? "" : `a${n}@outside.test`,
    rcptTo: ["lena.koehler@schule.test", "postmaster@schule.test"],
    remoteIp: "127.0.0.1",
    helo: "client.outside.test",
    auth: { spf: "pass", dkim: [{ domain: "outside.test", result: "pass", selector: "sel" }], dmarc: "pass", arc: "none", headers: "Authentication-Results: mx; none\r\n" },
    dmarc: "pass",
    raw,
    size: raw.length,
  };
}

describe("inbound queue", () => {
  beforeEach(async () => {
    const db = await sharedDb();
    await db.query("TRUNCATE inbound RESTART IDENTITY");
  });

  it("stores a message and hands it out unchanged (binary raw, JSON columns)", async () => {
    const db = await sharedDb();
    const msg = message(1);
    const id = await storeInbound(db, msg);
    assert.equal(typeof id, "number");
    const [row] = await nextInbound(db, 10);
    assert.ok(row);
    assert.equal(row.id, id);
    assert.ok(Buffer.isBuffer(row.raw));
    assert.ok(row.raw.equals(msg.raw));
    assert.deepEqual(
      { mailFrom: row.mailFrom, rcptTo: row.rcptTo, remoteIp: row.remoteIp, helo: row.helo, auth: row.auth, dmarc: row.dmarc, size: row.size, attempts: row.attempts, lastError: row.lastError },
      { mailFrom: msg.mailFrom, rcptTo: msg.rcptTo, remoteIp: msg.remoteIp, helo: msg.helo, auth: msg.auth, dmarc: "pass", size: msg.raw.length, attempts: 0, lastError: null },
    );
    assert.ok(row.receivedAt instanceof Date && !Number.isNaN(row.receivedAt.getTime()));
  });

  it("hands out due messages oldest first, up to the limit", async () => {
    const db = await sharedDb();
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await storeInbound(db, message(i)));
    assert.deepEqual((await nextInbound(db, 3)).map((r) => r.id), ids.slice(0, 3));
    assert.equal((await nextInbound(db, 3))[0]?.mailFrom, "", "the null sender is kept");
  });

  it("marks a message delivered inside a transaction, once", async () => {
    const db = await sharedDb();
    const a = await storeInbound(db, message(1));
    const b = await storeInbound(db, message(2));
    assert.equal(await db.transaction((tx) => markDelivered(tx, a)), true);
    assert.equal(await db.transaction((tx) => markDelivered(tx, a)), false);
    assert.deepEqual((await nextInbound(db, 10)).map((r) => r.id), [b]);
    const r = await db.query<{ state: string; delivered_at: Date | null; attempts: number }>("SELECT state, delivered_at, attempts FROM inbound WHERE id = $1", [a]);
    assert.equal(r.rows[0]?.state, "delivered");
    assert.ok(r.rows[0]?.delivered_at);
    assert.equal(r.rows[0]?.attempts, 1);
  });

  it("a rolled back delivery leaves the message queued", async () => {
    const db = await sharedDb();
    const a = await storeInbound(db, message(1));
    await assert.rejects(
      db.transaction(async (tx) => {
        await markDelivered(tx, a);
        throw new Error("matrix down");
      }),
    );
    assert.deepEqual((await nextInbound(db, 10)).map((r) => r.id), [a]);
  });

  it("schedules a retry with backoff and records the error", async () => {
    const db = await sharedDb();
    const a = await storeInbound(db, message(1));
    const b = await storeInbound(db, message(2));
    assert.equal(await markInboundRetry(db, a, "homeserver unreachable", 60_000), true);
    assert.deepEqual((await nextInbound(db, 10)).map((r) => r.id), [b], "not due yet");
    assert.equal(await markInboundRetry(db, b, "x".repeat(5000), 0), true);
    const [row] = await nextInbound(db, 10);
    assert.equal(row?.id, b, "due again at once with backoff 0");
    assert.equal(row?.attempts, 1);
    assert.equal(row?.lastError?.length, 2000);
    const r = await db.query<{ attempts: number; last_error: string; later: boolean }>(
      "SELECT attempts, last_error, next_attempt_at > now() + interval '50 seconds' AS later FROM inbound WHERE id = $1",
      [a],
    );
    assert.deepEqual(r.rows[0], { attempts: 1, last_error: "homeserver unreachable", later: true });
  });

  it("gives a message up for good", async () => {
    const db = await sharedDb();
    const a = await storeInbound(db, message(1));
    assert.equal(await markInboundFailed(db, a, "no such room"), true);
    assert.equal(await markInboundFailed(db, a, "again"), false);
    assert.equal(await markInboundRetry(db, a, "late", 0), false);
    assert.deepEqual(await nextInbound(db, 10), []);
    const r = await db.query<{ state: string; last_error: string }>("SELECT state, last_error FROM inbound WHERE id = $1", [a]);
    assert.deepEqual(r.rows[0], { state: "failed", last_error: "no such room" });
  });
});
