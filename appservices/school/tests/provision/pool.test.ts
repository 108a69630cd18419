// Tests for runPool (bounded concurrency, errors by index) and interleaveByRoom (alternating rooms).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { interleaveByRoom, runPool } from "../../src/provision/pool.ts";

describe("runPool", () => {
  it("never has more than `limit` in flight, and uses the limit", async () => {
    const items = Array.from({ length: 25 }, (_, i) => i);
    let inFlight = 0;
    let most = 0;
    const errors = await runPool(items, 4, async (_item, i) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await sleep((i * 7) % 5);
      inFlight--;
    });
    assert.equal(errors.size, 0);
    assert.equal(most, 4);
    assert.equal(inFlight, 0);
  });

  it("runs every item once with its own index", async () => {
    const items = ["a", "b", "c", "d", "e", "f", "g"];
    const seen: [string, number][] = [];
    await runPool(items, 3, async (item, i) => {
      await sleep(i % 2);
      seen.push([item, i]);
    });
    assert.deepEqual(seen.sort(([, a], [, b]) => a - b), items.map((x, i) => [x, i]));
  });

  it("collects errors by index and keeps going", async () => {
    const items = [10, 11, 12, 13, 14, 15];
    const ran: number[] = [];
    const errors = await runPool(items, 2, async (item, i) => {
      ran.push(item);
      await sleep(0);
      if (i % 2 === 1) throw new Error(`boom ${item}`);
    });
    assert.deepEqual(ran.sort((a, b) => a - b), items);
    assert.deepEqual([...errors.keys()].sort((a, b) => a - b), [1, 3, 5]);
    assert.equal((errors.get(3) as Error).message, "boom 13");
    assert.equal((errors.get(5) as Error).message, "boom 15");
  });

  it("also catches functions that throw synchronously or reject with a non-Error", async () => {
    const errors = await runPool([0, 1], 1, (i) => {
      if (i === 0) throw new Error("sync");
      return Promise.reject("plain string");
    });
    assert.equal((errors.get(0) as Error).message, "sync");
    assert.equal(errors.get(1), "plain string");
  });

  it("runs one at a time with limit 1 or less, in order", async () => {
    for (const limit of [1, 0, -3]) {
      const order: number[] = [];
      let inFlight = 0;
      let most = 0;
      await runPool([0, 1, 2, 3], limit, async (i) => {
        inFlight++;
        most = Math.max(most, inFlight);
        await sleep(3 - i);
        order.push(i);
        inFlight--;
      });
      assert.deepEqual(order, [0, 1, 2, 3], `limit ${limit}`);
      assert.equal(most, 1, `limit ${limit}`);
    }
  });

  it("starts no more workers than items and handles no items", async () => {
    let calls = 0;
    assert.equal((await runPool([], 8, async () => void calls++)).size, 0);
    assert.equal(calls, 0);
    const done: number[] = [];
    await runPool([1, 2], 100, async (x) => void done.push(x));
    assert.deepEqual(done.sort(), [1, 2]);
  });
});

describe("interleaveByRoom", () => {
  const item = (roomKey: string, n: number): { roomKey: string; n: number } => ({ roomKey, n });
  const key = (x: { roomKey: string; n: number }): string => `${x.roomKey}${x.n}`;

  it("takes the room with the most items left next, never the same room twice in a row when another is left", () => {
    const items = [item("a", 1), item("a", 2), item("a", 3), item("b", 1), item("b", 2), item("c", 1), item("b", 3), item("c", 2)];
    const out = interleaveByRoom(items);
    assert.deepEqual(out.map(key), ["a1", "b1", "a2", "b2", "c1", "a3", "b3", "c2"]);
    for (let i = 1; i < out.length; i++) assert.notEqual(out[i]?.roomKey, out[i - 1]?.roomKey, `positions ${i - 1} and ${i}`);
  });

  it("keeps the order within each room and the same items", () => {
    const items = [item("x", 1), item("y", 1), item("x", 2), item("z", 1), item("x", 3), item("y", 2), item("x", 4)];
    const out = interleaveByRoom(items);
    assert.equal(out.length, items.length);
    assert.deepEqual(new Set(out), new Set(items), "the very same objects");
    for (const r of ["x", "y", "z"]) {
      assert.deepEqual(out.filter((i) => i.roomKey === r).map((i) => i.n), items.filter((i) => i.roomKey === r).map((i) => i.n), r);
    }
  });

  it("leaves empty and single-room lists alone", () => {
    assert.deepEqual(interleaveByRoom([]), []);
    const one = [item("a", 1), item("a", 2), item("a", 3)];
    assert.deepEqual(interleaveByRoom(one), one);
  });

  it("avoids same-room neighbours whenever the other rooms have enough items to separate them", () => {
    const out = interleaveByRoom([item("a", 1), item("a", 2), item("a", 3), item("b", 1), item("c", 1)]);
    for (let i = 1; i < out.length; i++) assert.notEqual(out[i]?.roomKey, out[i - 1]?.roomKey, `positions ${i - 1} and ${i}`);
  });
});
