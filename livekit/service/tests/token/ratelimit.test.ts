// The token-bucket rate limiter: bursts up to capacity, refusal with a retry time, refill over time, bounded memory.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RateLimiter } from "../../src/token/index.ts";

/** A limiter on a clock the test moves. */
function limiter(capacity: number, refillPerSecond: number, maxKeys?: number): { rl: RateLimiter; advance: (ms: number) => void } {
  let now = 1_000_000;
  const rl = new RateLimiter({ capacity, refillPerSecond, now: () => now, ...(maxKeys === undefined ? {} : { maxKeys }) });
  return { rl, advance: (ms) => (now += ms) };
}

describe("RateLimiter", () => {
  it("allows exactly capacity at once, refuses one more with the time until the next token", () => {
    const { rl } = limiter(5, 0.5);
    for (let i = 0; i < 5; i++) assert.deepEqual(rl.take("@anna:schule-a.test"), { ok: true, retryAfterMs: 0 });
    assert.deepEqual(rl.take("@anna:schule-a.test"), { ok: false, retryAfterMs: 2000 });
  });

  it("keeps keys apart", () => {
    const { rl } = limiter(1, 1);
    assert.equal(rl.take("a").ok, true);
    assert.equal(rl.take("a").ok, false);
    assert.equal(rl.take("b").ok, true);
  });

  it("refills over time, never beyond capacity", () => {
    const { rl, advance } = limiter(2, 1);
    rl.take("k");
    rl.take("k");
    assert.equal(rl.take("k").ok, false);
    advance(999);
    const early = rl.take("k");
    assert.equal(early.ok, false);
    assert.equal(early.retryAfterMs, 1);
    advance(1);
    assert.equal(rl.take("k").ok, true);
    assert.equal(rl.take("k").ok, false);
    advance(60_000);
    assert.equal(rl.take("k").ok, true);
    assert.equal(rl.take("k").ok, true);
    assert.equal(rl.take("k").ok, false, "an hour idle still holds only capacity");
  });

  it("refusals do not consume: a waiting client gets in once the retry time has passed", () => {
    const { rl, advance } = limiter(1, 2);
    rl.take("k");
    for (let i = 0; i < 10; i++) assert.equal(rl.take("k").ok, false);
    const { retryAfterMs } = rl.take("k");
    assert.equal(retryAfterMs, 500);
    advance(retryAfterMs);
    assert.equal(rl.take("k").ok, true);
  });

  it("a clock going backwards refills nothing and breaks nothing", () => {
    const { rl, advance } = limiter(1, 1);
    rl.take("k");
    advance(-10_000);
    assert.equal(rl.take("k").ok, false);
    advance(11_000);
    assert.equal(rl.take("k").ok, true);
  });

  it("forgets idle keys once their bucket is full again", () => {
    const { rl, advance } = limiter(3, 1);
    for (let i = 0; i < 100; i++) rl.take(`user${i}`);
    assert.equal(rl.size, 100);
    advance(3_000);
    rl.take("fresh");
    assert.equal(rl.size, 1, "idle keys were swept on the next take");
  });

  it("keeps keys that are still in debt", () => {
    const { rl, advance } = limiter(3, 1);
    for (let i = 0; i < 3; i++) rl.take("busy");
    rl.take("light");
    advance(3_000);
    rl.take("busy");
    assert.equal(rl.size, 1);
    assert.equal(rl.take("busy").ok, true);
  });

  it("never holds more than maxKeys, dropping the least recently used", () => {
    const { rl } = limiter(1, 0.001, 3);
    for (const k of ["a", "b", "c"]) rl.take(k);
    rl.take("a");
    rl.take("d");
    assert.equal(rl.size, 3);
    assert.equal(rl.take("a").ok, false, "a was used recently and kept");
    assert.equal(rl.take("b").ok, true, "b was dropped and starts full again");
  });

  it("refuses nonsense options", () => {
    assert.throws(() => new RateLimiter({ capacity: 0, refillPerSecond: 1 }), RangeError);
    assert.throws(() => new RateLimiter({ capacity: 1, refillPerSecond: 0 }), RangeError);
    assert.throws(() => new RateLimiter({ capacity: 1, refillPerSecond: 1, maxKeys: 0 }), RangeError);
    assert.throws(() => new RateLimiter({ capacity: Number.NaN, refillPerSecond: 1 }), RangeError);
  });
});
