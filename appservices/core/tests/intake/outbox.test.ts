// The outbox sender: queued Matrix actions sent in order per room, with a stable txnId, retried or given up by error kind.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { MatrixError, Method } from "matrix-js-sdk";
import { enqueue, OutboxSender, outboxTxnId, type AppserviceMatrix, type Db, type OutboxAction } from "@schulhof/core";
import { freshDb, silentLog, waitFor } from "../support.ts";

const BOT = "@schule:schule.example.de";

/** One call the fake homeserver received. */
interface Call {
  user: string;
  kind: "message" | "state" | "join";
  roomId: string;
  eventType?: string;
  content?: Record<string, unknown>;
  txnId?: string | undefined;
  stateKey?: string;
  method?: string;
  path?: string;
}

let db: Db;
let calls: Call[] = [];
let stored: (Call & { eventId: string })[] = [];
/** Decides whether the fake homeserver fails a call: an error to throw, or undefined to answer. */
let failWith: (call: Call) => Error | undefined = () => undefined;
let sender: OutboxSender | null = null;

/** Only what the outbox uses of AppserviceMatrix: `bot`, `as(user)` and of a client `http.authedRequest` (send, state, join paths). */
function fakeClient(user: string): unknown {
  const answer = (call: Call): { event_id: string } => {
    calls.push(call);
    const e = failWith(call);
    // `stored`: the homeserver kept the event but the answer was lost (it went down in between).
    if (e === undefined || (e as { stored?: boolean }).stored === true) stored.push({ ...call, eventId: `$sent${calls.length}` });
    if (e !== undefined) throw e;
    return { event_id: `$sent${calls.length}` };
  };
  return {
    getUserId: () => user,
    http: {
      authedRequest: async (method: string, path: string, _query: unknown, body: Record<string, unknown>) => {
        const messages = /^\/rooms\/([^/]+)\/messages$/.exec(path);
        if (messages !== null) {
          const roomId = decodeURIComponent(messages[1] ?? "");
          return { chunk: stored.filter((c) => c.kind === "message" && c.roomId === roomId && c.user === user).map((c) => ({ event_id: c.eventId, content: c.content })).reverse() };
        }
        const send = /^\/rooms\/([^/]+)\/send\/([^/]+)\/([^/]+)$/.exec(path);
        if (send !== null) {
          const [, roomId = "", eventType = "", txnId = ""] = send.map(decodeURIComponent);
          return answer({ user, kind: "message", roomId, eventType, content: body, txnId });
        }
        const state = /^\/rooms\/([^/]+)\/state\/([^/]+)\/([^/]*)$/.exec(path);
        if (state !== null) {
          const [, roomId = "", eventType = "", stateKey = ""] = state.map(decodeURIComponent);
          return answer({ user, kind: "state", roomId, eventType, content: body, stateKey });
        }
        answer({ user, kind: "join", roomId: decodeURIComponent(path.slice("/join/".length)), method, path });
        return {};
      },
    },
  };
}
const matrix = { bot: fakeClient(BOT), as: (user: string) => fakeClient(user) } as unknown as AppserviceMatrix;

before(async () => {
  db = await freshDb();
});
after(() => db.close());
beforeEach(async () => {
  await db.query("DELETE FROM intake_outbox");
  calls = [];
  stored = [];
  failWith = () => undefined;
});

function start(): OutboxSender {
  sender = new OutboxSender(db, matrix, silentLog, 4);
  sender.start();
  return sender;
}
async function stop(): Promise<void> {
  await sender?.stop();
  sender = null;
}

const message = (roomId: string, body: string, asUser?: string): OutboxAction => ({
  kind: "message",
  roomId,
  eventType: "m.room.message",
  content: { msgtype: "m.notice", body },
  ...(asUser === undefined ? {} : { asUser }),
});
const bodiesIn = (roomId: string): string[] => calls.filter((c) => c.roomId === roomId).map((c) => String(c.content?.body));

interface Row {
  seq: number;
  cause: string;
  sent: boolean;
  failed: boolean;
  attempts: number;
  last_error: string | null;
  result: string | null;
}
async function rows(): Promise<Row[]> {
  const r = await db.query<Row & { seq: string | number }>(
    "SELECT seq, cause, sent_at IS NOT NULL AS sent, failed, attempts, last_error, result FROM intake_outbox ORDER BY seq",
  );
  return r.rows.map((x) => ({ ...x, seq: Number(x.seq) }));
}
async function rowFor(cause: string): Promise<Row> {
  const row = (await rows()).find((r) => r.cause === cause);
  assert.ok(row !== undefined, `no outbox row for ${cause}`);
  return row;
}
const allSent = async (): Promise<boolean> => (await rows()).every((r) => r.sent);

/** Queues a1..a3 in !a and b1..b2 in !b, interleaved; the cause of each is `$<body>`. */
async function queueTwoRooms(): Promise<void> {
  for (const [room, body] of [["!a:x", "a1"], ["!b:x", "b1"], ["!a:x", "a2"], ["!b:x", "b2"], ["!a:x", "a3"]] as const) {
    await enqueue(db, `$${body}`, message(room, body));
  }
}

describe("OutboxSender", () => {
  it("sends the actions of each room in order, as the bot, with the row's txnId", async (t) => {
    t.after(stop);
    await queueTwoRooms();
    await start().whenIdle();
    assert.deepEqual(bodiesIn("!a:x"), ["a1", "a2", "a3"]);
    assert.deepEqual(bodiesIn("!b:x"), ["b1", "b2"]);
    assert.ok(calls.every((c) => c.user === BOT && c.kind === "message" && c.eventType === "m.room.message"));
    for (const row of await rows()) {
      const call = calls.find((c) => c.content?.body === row.cause.slice(1));
      assert.equal(call?.txnId, outboxTxnId(row.seq, row.cause));
      assert.equal(row.sent, true);
      assert.equal(row.failed, false);
      assert.equal(row.attempts, 1);
      assert.match(row.result ?? "", /^\$sent\d$/);
    }
  });

  it("retries a 502 with the same txnId, keeps the room's order and does not hold up other rooms", async (t) => {
    t.after(stop);
    await queueTwoRooms();
    let failed = false;
    failWith = (call) => {
      if (call.content?.body !== "a2" || failed) return undefined;
      failed = true;
      return new MatrixError({ errcode: "M_UNKNOWN", error: "Bad gateway" }, 502);
    };
    const s = start();
    await s.whenIdle();
    assert.deepEqual(bodiesIn("!a:x"), ["a1", "a2"], "a3 waits for a2");
    assert.deepEqual(bodiesIn("!b:x"), ["b1", "b2"]);
    const waiting = await rowFor("$a2");
    assert.equal(waiting.sent, false);
    assert.equal(waiting.attempts, 1);
    assert.match(waiting.last_error ?? "", /502/);

    await waitFor(allSent, 5000, "the retry");
    assert.deepEqual(bodiesIn("!a:x"), ["a1", "a2", "a2", "a3"]);
    const a2Calls = calls.filter((c) => c.content?.body === "a2");
    const row = await rowFor("$a2");
    assert.equal(a2Calls[0]?.txnId, outboxTxnId(row.seq, "$a2"));
    assert.equal(a2Calls[1]?.txnId, a2Calls[0]?.txnId, "the homeserver can de-duplicate the retry");
    assert.equal(row.attempts, 2);
    assert.equal(row.failed, false);
    assert.equal(row.last_error, null);
  });

  it("marks a 403 failed and sends the room's next action", async (t) => {
    t.after(stop);
    await queueTwoRooms();
    failWith = (call) =>
      call.content?.body === "a2" ? new MatrixError({ errcode: "M_FORBIDDEN", error: "not in room" }, 403) : undefined;
    await start().whenIdle();
    assert.deepEqual(bodiesIn("!a:x"), ["a1", "a2", "a3"], "a2 tried once, then a3");
    const row = await rowFor("$a2");
    assert.equal(row.sent, true);
    assert.equal(row.failed, true);
    assert.equal(row.attempts, 1);
    assert.match(row.last_error ?? "", /403 M_FORBIDDEN/);
    assert.equal((await rowFor("$a3")).failed, false);
  });

  it("never drops an action while the homeserver is down, however often it failed", async (t) => {
    t.after(stop);
    await enqueue(db, "$a1", message("!a:x", "a1"));
    await enqueue(db, "$a2", message("!a:x", "a2"));
    await db.query("UPDATE intake_outbox SET attempts = 10 WHERE cause = '$a1'");
    let failures = 0;
    failWith = (call) => (call.content?.body === "a1" && failures++ === 0 ? new MatrixError({ errcode: "M_UNKNOWN" }, 500) : undefined);
    start();
    await waitFor(() => bodiesIn("!a:x").includes("a2"), 5000, "a2 to be sent");
    const row = await rowFor("$a1");
    assert.equal(row.failed, false);
    assert.equal(row.attempts, 12);
    // The failed attempt, its retry, then the next action in the room.
    assert.deepEqual(bodiesIn("!a:x"), ["a1", "a1", "a2"]);
  });

  it(
    "does not let a room that waits for a retry with a long backlog hold up other rooms",
    async (t) => {
      t.after(stop);
      // Room !a has more queued actions than one fetch returns (1000), and the homeserver keeps answering 502 for it.
      await db.query(
        `INSERT INTO intake_outbox (cause, room_id, action)
         SELECT '$a' || i, '!a:x', json_build_object('kind', 'message', 'roomId', '!a:x', 'eventType', 'm.room.message', 'content', json_build_object('body', 'a' || i))
         FROM generate_series(1, 1000) AS i`,
      );
      await enqueue(db, "$b1", message("!b:x", "b1"));
      failWith = (call) => (call.roomId === "!a:x" ? new MatrixError({ errcode: "M_UNKNOWN" }, 502) : undefined);
      start();
      await waitFor(() => bodiesIn("!b:x").length === 1, 1000, "b1 to be sent");
      assert.deepEqual(bodiesIn("!b:x"), ["b1"]);
    },
  );

  it("does not send a message twice when the homeserver stored it but went down before answering (its txn ids are gone after a restart)", async (t) => {
    t.after(stop);
    let first = true;
    failWith = (call) => {
      if (call.kind === "message" && first) {
        first = false;
        return Object.assign(new MatrixError({ errcode: "M_UNKNOWN", error: "Bad gateway" }, 502), { stored: true });
      }
      return undefined;
    };
    await enqueue(db, "$lost", message("!r:x", "nur einmal"));
    start();
    await waitFor(allSent, 5000, "the retry");
    assert.equal(stored.filter((c) => c.kind === "message" && c.content?.body === "nur einmal").length, 1, "stored once");
    assert.equal(calls.filter((c) => c.kind === "message").length, 1, "not sent again: found by its transaction id");
  });

  it("sends state events and joins, as the user the action names", async (t) => {
    t.after(stop);
    const teacher = "@lehrer:schule.example.de";
    await enqueue(db, "$s", { kind: "state", roomId: "!a:x", eventType: "m.room.topic", stateKey: "", content: { topic: "Mathe" }, asUser: teacher });
    await enqueue(db, "$j", { kind: "join", roomId: "!a:x", asUser: teacher });
    await enqueue(db, "$m", message("!a:x", "hallo", teacher));
    await enqueue(db, "$bj", { kind: "join", roomId: "!a:x" });
    await start().whenIdle();
    assert.deepEqual(calls, [
      { user: teacher, kind: "state", roomId: "!a:x", eventType: "m.room.topic", content: { topic: "Mathe" }, stateKey: "" },
      { user: teacher, kind: "join", roomId: "!a:x", method: Method.Post, path: "/join/!a%3Ax" },
      { user: teacher, kind: "message", roomId: "!a:x", eventType: "m.room.message", content: { msgtype: "m.notice", body: "hallo", "de.schulhof.txn": calls[2]?.txnId }, txnId: calls[2]?.txnId },
      { user: BOT, kind: "join", roomId: "!a:x", method: Method.Post, path: "/join/!a%3Ax" },
    ]);
    assert.equal((await rowFor("$s")).result, "$sent1");
    assert.equal((await rowFor("$j")).result, "");
    assert.ok((await rows()).every((r) => r.sent && !r.failed));
  });
});

describe("outboxTxnId", () => {
  it("is deterministic and differs per row and cause", () => {
    const id = outboxTxnId(7, "$event:x");
    assert.equal(outboxTxnId(7, "$event:x"), id);
    assert.match(id, /^ob[0-9a-f]{32}$/);
    assert.notEqual(outboxTxnId(8, "$event:x"), id);
    assert.notEqual(outboxTxnId(7, "$other:x"), id);
    assert.notEqual(outboxTxnId(17, ":x"), outboxTxnId(1, "7:x"), "seq and cause are separated");
  });
});
