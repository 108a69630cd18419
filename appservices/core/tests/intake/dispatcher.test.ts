// The dispatcher: inbox events handled in storage order per room, rooms independent, each exactly once, effects atomic.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import {
  Dispatcher,
  enqueue,
  PermanentError,
  RetryableError,
  storeTransaction,
  countPending,
  type Db,
  type EventHandler,
  type MatrixEvent,
} from "@schulhof/core";
import { event, freshDb, silentLog, waitFor } from "../support.ts";

let db: Db;
let dispatcher: Dispatcher | null = null;

before(async () => {
  db = await freshDb();
  await db.query("CREATE TABLE handled (n SERIAL PRIMARY KEY, room_id TEXT NOT NULL, event_id TEXT NOT NULL)");
});
after(() => db.close());
beforeEach(async () => {
  for (const table of ["intake_inbox", "intake_transactions", "intake_outbox", "handled"]) await db.query(`DELETE FROM ${table}`);
});

/** Starts a dispatcher over the shared database; stopped after the test. */
function run(handle: EventHandler, extra: { maxAttempts?: number; onQueued?: () => void } = {}): Dispatcher {
  dispatcher = new Dispatcher({ db, handle, log: silentLog, enqueue, concurrency: 4, ...extra });
  dispatcher.start();
  return dispatcher;
}
async function stop(): Promise<void> {
  await dispatcher?.stop();
  dispatcher = null;
}

/** Records the event in `handled`, through the handler's transaction. */
const record: EventHandler = async (ev, ctx) => {
  await ctx.tx.query("INSERT INTO handled (room_id, event_id) VALUES ($1, $2)", [ev.room_id, ev.event_id]);
};

async function handledIn(room: string): Promise<string[]> {
  return (await db.query<{ event_id: string }>("SELECT event_id FROM handled WHERE room_id = $1 ORDER BY n", [room])).rows.map((r) => r.event_id);
}
async function inboxRow(eventId: string): Promise<{ handled: boolean; failed: boolean; attempts: number; last_error: string | null }> {
  const r = await db.query<{ handled: boolean; failed: boolean; attempts: number; last_error: string | null }>(
    "SELECT handled_at IS NOT NULL AS handled, failed, attempts, last_error FROM intake_inbox WHERE event_id = $1",
    [eventId],
  );
  const row = r.rows[0];
  assert.ok(row !== undefined, `no inbox row for ${eventId}`);
  return row;
}
const noneLeft = async (): Promise<boolean> => (await countPending(db)) === 0;

/** Stores a1..aN in !a and b1..bN in !b, interleaved, in two transactions. */
async function storeTwoRooms(n: number): Promise<void> {
  const events: MatrixEvent[] = [];
  for (let i = 1; i <= n; i++) events.push(event(`$a${i}`, "!a:x"), event(`$b${i}`, "!b:x"));
  await storeTransaction(db, "t1", events.slice(0, n));
  await storeTransaction(db, "t2", events.slice(n));
}
const ids = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `$${prefix}${i + 1}`);

describe("Dispatcher", () => {
  it("handles every event exactly once, in storage order within each room", async (t) => {
    t.after(stop);
    await storeTwoRooms(5);
    const d = run(record);
    await d.whenIdle();
    assert.deepEqual(await handledIn("!a:x"), ids("a", 5));
    assert.deepEqual(await handledIn("!b:x"), ids("b", 5));
    assert.equal(await countPending(db), 0);
    assert.deepEqual(await inboxRow("$a3"), { handled: true, failed: false, attempts: 1, last_error: null });

    await storeTransaction(db, "t3", [event("$a6", "!a:x")]);
    d.kick();
    await d.whenIdle();
    assert.deepEqual(await handledIn("!a:x"), ids("a", 6));
    assert.equal((await db.query<{ n: number }>("SELECT count(*)::int AS n FROM handled")).rows[0]?.n, 11);
  });

  it("retries a RetryableError; the room's later events wait, the other room goes on", async (t) => {
    t.after(stop);
    await storeTwoRooms(3);
    let firstTry = true;
    const d = run(async (ev, ctx) => {
      if (ev.event_id === "$a2" && firstTry) {
        firstTry = false;
        throw new RetryableError("homeserver down");
      }
      await record(ev, ctx);
    });
    await d.whenIdle();
    assert.deepEqual(await handledIn("!a:x"), ["$a1"], "a3 waits for a2");
    assert.deepEqual(await handledIn("!b:x"), ids("b", 3));
    assert.deepEqual(await inboxRow("$a2"), { handled: false, failed: false, attempts: 1, last_error: "homeserver down" });
    assert.equal((await inboxRow("$a3")).attempts, 0);

    await waitFor(noneLeft, 5000, "the retry");
    assert.deepEqual(await handledIn("!a:x"), ids("a", 3));
    assert.deepEqual(await inboxRow("$a2"), { handled: true, failed: false, attempts: 2, last_error: null });
  });

  it("marks a PermanentError failed and handles the next event", async (t) => {
    t.after(stop);
    await storeTwoRooms(3);
    const calls: string[] = [];
    const d = run(async (ev, ctx) => {
      calls.push(ev.event_id);
      if (ev.event_id === "$a2") throw new PermanentError("not allowed here");
      await record(ev, ctx);
    });
    await d.whenIdle();
    assert.deepEqual(await handledIn("!a:x"), ["$a1", "$a3"]);
    assert.deepEqual(await inboxRow("$a2"), { handled: true, failed: true, attempts: 1, last_error: "not allowed here" });
    assert.equal(calls.filter((c) => c === "$a2").length, 1, "never retried");
    assert.equal(await countPending(db), 0);
  });

  it("gives up on other errors after maxAttempts", async (t) => {
    t.after(stop);
    await storeTransaction(db, "t1", [event("$a1", "!a:x"), event("$a2", "!a:x")]);
    let tries = 0;
    run(
      async (ev, ctx) => {
        if (ev.event_id === "$a1") {
          tries++;
          throw new TypeError("bug in handler");
        }
        await record(ev, ctx);
      },
      { maxAttempts: 2 },
    );
    await waitFor(noneLeft, 5000, "the second attempt");
    assert.equal(tries, 2);
    assert.deepEqual(await inboxRow("$a1"), { handled: true, failed: true, attempts: 2, last_error: "bug in handler" });
    assert.deepEqual(await handledIn("!a:x"), ["$a2"]);
  });

  it("rolls back the handler's writes when it throws after them, and commits them once on retry", async (t) => {
    t.after(stop);
    await storeTransaction(db, "t1", [event("$a1", "!a:x")]);
    let tries = 0;
    const d = run(async (ev, ctx) => {
      tries++;
      await record(ev, ctx);
      if (tries === 1) throw new Error("crash after the write");
    });
    await d.whenIdle();
    assert.equal(tries, 1);
    assert.deepEqual(await handledIn("!a:x"), [], "the write of the failed attempt is rolled back");
    assert.deepEqual(await inboxRow("$a1"), { handled: false, failed: false, attempts: 1, last_error: "crash after the write" });

    await waitFor(noneLeft, 5000, "the retry");
    assert.equal(tries, 2);
    assert.deepEqual(await handledIn("!a:x"), ["$a1"], "exactly one row");
  });

  it("queues outbox actions in the handler's transaction, rolled back together on error", async (t) => {
    t.after(stop);
    await storeTransaction(db, "t1", [event("$a1", "!a:x")]);
    let tries = 0;
    let queuedCalls = 0;
    const d = run(
      async (ev, ctx) => {
        tries++;
        await ctx.enqueue({ kind: "message", roomId: ev.room_id, eventType: "m.room.message", content: { body: `re ${ev.event_id}` } });
        await record(ev, ctx);
        if (tries === 1) throw new RetryableError("later");
      },
      { onQueued: () => queuedCalls++ },
    );
    await d.whenIdle();
    assert.equal((await db.query("SELECT seq FROM intake_outbox")).rows.length, 0, "nothing queued by the failed attempt");
    assert.equal(queuedCalls, 0);

    await waitFor(noneLeft, 5000, "the retry");
    const outbox = await db.query<{ cause: string; room_id: string; action: unknown; sent_at: unknown }>(
      "SELECT cause, room_id, action, sent_at FROM intake_outbox",
    );
    assert.deepEqual(outbox.rows, [
      {
        cause: "$a1",
        room_id: "!a:x",
        action: { kind: "message", roomId: "!a:x", eventType: "m.room.message", content: { body: "re $a1" } },
        sent_at: null,
      },
    ]);
    assert.equal(queuedCalls, 1);
    assert.deepEqual(await handledIn("!a:x"), ["$a1"]);
  });

  it(
    "does not let a room that waits for a retry with a long backlog hold up other rooms",
    async (t) => {
    t.after(stop);
    // Room !a has more pending events than one fetch returns (1000), and its first event keeps failing.
    const backlog = Array.from({ length: 1000 }, (_, i) => event(`$a${i + 1}`, "!a:x"));
    await storeTransaction(db, "t1", backlog);
    await storeTransaction(db, "t2", [event("$b1", "!b:x")]);
    run(async (ev, ctx) => {
      if (ev.room_id === "!a:x") throw new RetryableError("room !a cannot be handled yet");
      await record(ev, ctx);
    });
    await waitFor(async () => (await handledIn("!b:x")).length === 1, 1000, "$b1 to be handled");
    assert.deepEqual(await handledIn("!b:x"), ["$b1"]);
  },
  );

  it("stops after the event in hand and leaves the rest for the next start", async (t) => {
    t.after(stop);
    await storeTransaction(db, "t1", [event("$a1", "!a:x"), event("$a2", "!a:x"), event("$a3", "!a:x")]);
    const gate = Promise.withResolvers<void>();
    const entered = Promise.withResolvers<void>();
    const d = run(async (ev, ctx) => {
      await record(ev, ctx);
      if (ev.event_id === "$a1") {
        entered.resolve();
        await gate.promise;
      }
    });
    await entered.promise;
    const stopped = d.stop();
    gate.resolve();
    await stopped;
    assert.deepEqual(await handledIn("!a:x"), ["$a1"]);
    assert.equal(await countPending(db), 2);

    const again = run(record);
    await again.whenIdle();
    assert.deepEqual(await handledIn("!a:x"), ids("a", 3));
  });
});
