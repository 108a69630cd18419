// Durable intake against real Synapse and PostgreSQL: replayed transactions change nothing; SIGKILL loses nothing and doubles nothing.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { counterQuery, killCounter, startCounter } from "./harness/counter.ts";
import { testEnv } from "./harness/env.ts";
import { eventually, newUser, roomMessages, type TestUser } from "./harness/users.ts";
import type { ChildProcess } from "node:child_process";

describe("durable intake (counter fixture appservice)", { concurrency: false }, () => {
  let counter: ChildProcess;
  let sender: TestUser;
  let roomId: string;

  before(async () => {
    counter = await startCounter();
    sender = await newUser("sender", { unthrottled: true });
    roomId = (await sender.client.createRoom({ name: "Durability" })).room_id;
    await sender.client.invite(roomId, testEnv().counter.botUserId);
    await eventually("bot joins", async () => {
      const members = await sender.client.getJoinedRoomMembers(roomId);
      return testEnv().counter.botUserId in members.joined ? true : undefined;
    });
  });
  after(async () => {
    await killCounter(counter);
  });

  const repliesTo = async (): Promise<Map<string, number>> => {
    const msgs = await roomMessages(sender, roomId);
    const m = new Map<string, number>();
    for (const e of msgs) {
      const to = e.content["de.schulhof.test.reply_to"];
      if (typeof to === "string") m.set(to, (m.get(to) ?? 0) + 1);
    }
    return m;
  };

  it("handles a replayed transaction once", async () => {
    const { event_id: eventId } = await sender.client.sendTextMessage(roomId, "replay-me");
    await eventually("reply", async () => ((await repliesTo()).get(eventId) === 1 ? true : undefined));
    const env = testEnv();
    const event = await sender.client.fetchRoomEvent(roomId, eventId);
    const put = (txn: string, events: unknown[]): Promise<Response> =>
      fetch(`http://127.0.0.1:${env.counter.port}/_matrix/app/v1/transactions/${txn}`, {
        method: "PUT",
        headers: { authorization: `Bearer ${env.counter.hsToken}`, "content-type": "application/json" },
        body: JSON.stringify({ events }),
      });
    // The same transaction again (Synapse retrying), and the same event in a new transaction (Synapse resending it).
    for (const txn of ["replay-a", "replay-a", "replay-b"]) assert.equal((await put(txn, [event])).status, 200);
    await new Promise((r) => setTimeout(r, 1500));
    const rows = await counterQuery<{ n: string }>("SELECT count(*) AS n FROM counter_log WHERE event_id = $1", [eventId]);
    assert.equal(Number(rows[0]?.n), 1);
    assert.equal((await repliesTo()).get(eventId), 1);
  });

  it("loses nothing and handles nothing twice when killed with SIGKILL while Synapse keeps sending", async () => {
    const total = 150;
    const sent: string[] = [];
    let i = 0;
    const sendAll = (async () => {
      while (i < total) {
        const n = i++;
        sent.push((await sender.client.sendTextMessage(roomId, `m${n}`)).event_id);
        await new Promise((r) => setTimeout(r, 15));
      }
    })();
    // Kill three times at different points of the stream, restart after a pause each time.
    for (const at of [25, 70, 115]) {
      await eventually(`message ${at} sent`, async () => (i >= at ? true : undefined), 60_000, 5);
      await killCounter(counter);
      await new Promise((r) => setTimeout(r, 700));
      counter = await startCounter();
    }
    await sendAll;
    assert.equal(sent.length, total);
    const handled = async (): Promise<Set<string>> =>
      new Set((await counterQuery<{ event_id: string }>("SELECT DISTINCT event_id FROM counter_log WHERE body LIKE 'm%'")).map((r) => r.event_id));
    try {
      await eventually(
        "every message handled",
        async () => ((await handled()).size >= total ? true : undefined),
        // Generous: the suite runs other stacks (the mail tests' own Synapses) beside it on 2 cores.
        300_000,
        500,
      );
    } catch (e) {
      const seen = await handled();
      const missing = sent.map((id, n) => ({ id, n })).filter(({ id }) => !seen.has(id));
      assert.fail(`${String(e)}: ${missing.length} of ${total} never reached the appservice: ${missing.map(({ id, n }) => `m${n} (${id})`).join(", ")}`);
    }
    const perEvent = await counterQuery<{ event_id: string; n: string }>("SELECT event_id, count(*) AS n FROM counter_log GROUP BY event_id");
    const counts = new Map(perEvent.map((r) => [r.event_id, Number(r.n)]));
    for (const id of sent) assert.equal(counts.get(id), 1, `event ${id} handled ${counts.get(id) ?? 0} times`);
    const replies = await eventually(
      "every reply sent",
      async () => {
        const r = await repliesTo();
        return sent.every((id) => r.has(id)) ? r : undefined;
      },
      120_000,
      500,
    );
    for (const id of sent) assert.equal(replies.get(id), 1, `reply to ${id} sent ${replies.get(id) ?? 0} times`);
  });
});
