// Load for the token service: an open-loop generator (requests leave at a fixed rate whatever the answers do) and a
// closed-loop one (a fixed number of callers, each waiting for its answer), with latencies and errors by status.
import type { Agent } from "node:http";
import { httpCall } from "./video-people.ts";
import { percentile } from "./stack.ts";

/** Latency figures in milliseconds. */
export interface Latencies {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** What one load step saw. */
export interface LoadResult {
  /** Requests per second asked for (0 for closed loop). */
  rate: number;
  sent: number;
  ok: number;
  /** Failures by HTTP status, `timeout`, `network` or `not sent` (too many in flight). */
  errors: Record<string, number>;
  /** Successful answers per second of wall time (first send to last answer). */
  achieved: number;
  /** From the moment a request was due (open loop) or sent (closed loop) to its answer; successful ones only. */
  latency: Latencies;
  seconds: number;
}

/** A small seeded generator (mulberry32), so every run picks the same people. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** p50/p95/p99/max of unsorted milliseconds, rounded to 0.1 ms. */
export function latencies(ms: number[]): Latencies {
  const s = [...ms].sort((a, b) => a - b);
  const r = (v: number): number => Math.round(v * 10) / 10;
  return { p50: r(percentile(s, 50)), p95: r(percentile(s, 95)), p99: r(percentile(s, 99)), max: r(s.at(-1) ?? 0) };
}

const MAX_IN_FLIGHT = 10_000;

/** Collects answers; `done` resolves when every request sent so far has its answer. */
class Tally {
  ok = 0;
  sent = 0;
  readonly errors: Record<string, number> = {};
  readonly ms: number[] = [];
  inFlight = 0;
  lastAnswer = 0;
  private idle: (() => void) | null = null;

  fail(kind: string): void {
    this.errors[kind] = (this.errors[kind] ?? 0) + 1;
  }

  async send(url: URL, body: string, agent: Agent, from: number): Promise<void> {
    this.sent++;
    this.inFlight++;
    try {
      const res = await httpCall(url, "POST", body, agent);
      if (res.status === 200) {
        this.ok++;
        this.ms.push(performance.now() - from);
      } else this.fail(String(res.status));
    } catch (e) {
      this.fail((e as Error).message === "timeout" ? "timeout" : "network");
    } finally {
      this.inFlight--;
      this.lastAnswer = performance.now();
      if (this.inFlight === 0) this.idle?.();
    }
  }

  done(): Promise<void> {
    return this.inFlight === 0 ? Promise.resolve() : new Promise((r) => (this.idle = r));
  }

  result(rate: number, start: number): LoadResult {
    const seconds = (this.lastAnswer - start) / 1000;
    return { rate, sent: this.sent, ok: this.ok, errors: this.errors, achieved: Math.round(this.ok / seconds), latency: latencies(this.ms), seconds: Math.round(seconds * 10) / 10 };
  }
}

/**
 * Sends `rate` requests per second for `seconds` to `url`, each the body of a random person (`bodies[pick()]`), and
 * waits for all answers. Latency counts from when a request was due, so a generator that falls behind shows as latency.
 */
export async function openLoop(url: URL, bodies: string[], rate: number, seconds: number, agent: Agent, random: () => number): Promise<LoadResult> {
  const tally = new Tally();
  const total = Math.round(rate * seconds);
  const start = performance.now();
  let next = 0;
  while (next < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
    for (; next < due; next++) {
      const at = start + (next * 1000) / rate;
      if (tally.inFlight >= MAX_IN_FLIGHT) {
        tally.fail("not sent");
        continue;
      }
      void tally.send(url, bodies[Math.floor(random() * bodies.length)] as string, agent, at);
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  await tally.done();
  return tally.result(rate, start);
}

/** Sends each body once, `concurrency` at a time, and waits for all answers. */
export async function closedLoop(url: URL, bodies: string[], concurrency: number, agent: Agent): Promise<LoadResult> {
  const tally = new Tally();
  const start = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < bodies.length; i = next++) await tally.send(url, bodies[i] as string, agent, performance.now());
    }),
  );
  return tally.result(0, start);
}

/** Runs `fn` `n` times one after the other and answers the latencies (the cost of one hop without queueing). */
export async function serialProbe(n: number, fn: (i: number) => Promise<void>): Promise<Latencies> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    ms.push(performance.now() - t);
  }
  return latencies(ms);
}
