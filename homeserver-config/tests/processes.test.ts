// The supervisor of Synapse's processes, with real child processes (small Node programs standing in for Synapse).
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { join } from "node:path";
import { describe, it } from "node:test";
import { launch, stopChild, Supervisor, waitUntilReady, type Child, type ProcessEvent, type ProcessSpec } from "../src/processes.ts";
import { tempDir } from "./support.ts";

const dir = tempDir();

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => resolve(typeof a === "object" && a !== null ? a.port : 0));
    });
  });
}

/** A process that answers HTTP on `port` once started, like a Synapse worker's /health. */
function server(name: string, port: number): ProcessSpec {
  return {
    name,
    what: `stand-in ${name}`,
    cmd: process.execPath,
    args: ["-e", `require("node:http").createServer((q, r) => r.end("ok")).listen(${port}, "127.0.0.1")`],
    logFile: join(dir, `${name}.log`),
    ready: async () => (await fetch(`http://127.0.0.1:${port}/health`)).ok,
  };
}

/** Stand-in servers, started and ready, under a supervisor that restarts after `firstDelayMs` and records what it does. */
async function supervised(names: string[], firstDelayMs: number): Promise<{ ports: number[]; children: Child[]; events: ProcessEvent[]; sup: Supervisor }> {
  const ports: number[] = [];
  for (const _ of names) ports.push(await freePort());
  const children = names.map((name, i) => launch(server(name, ports[i] ?? 0)));
  for (const c of children) await waitUntilReady(c, 10_000);
  const events: ProcessEvent[] = [];
  return { ports, children, events, sup: new Supervisor(children, { firstDelayMs, onEvent: (e) => events.push(e) }) };
}

function until<T>(what: string, fn: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      const v = fn();
      if (v !== undefined) resolve(v);
      else if (Date.now() > deadline) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(tick, 25);
    };
    tick();
  });
}

describe("Supervisor: Synapse processes that exit unasked", () => {
  it("starts a crashed process again after the delay, once it is ready reports it, and keeps the others", async () => {
    const { ports, children, events, sup } = await supervised(["sync1", "sync2"], 300);
    const pb = ports[1];
    try {
      const [first, other] = [children[1], children[0]];
      assert.ok(first !== undefined && other !== undefined);
      const killedAt = Date.now();
      first.process.kill("SIGKILL");
      await first.exited;
      await assert.rejects(fetch(`http://127.0.0.1:${pb}/health`), "down until the restart");
      const restarted = await until("the restart", () => events.find((e) => e.kind === "restarted"));
      assert.ok(Date.now() - killedAt >= 300, "not before the delay");
      assert.deepEqual(events[0], { kind: "exited", name: "sync2", what: "stand-in sync2", code: null, signal: "SIGKILL", restartInMs: 300 });
      assert.equal(restarted.kind === "restarted" && restarted.name, "sync2");
      assert.equal((await fetch(`http://127.0.0.1:${pb}/health`)).status, 200);
      assert.notEqual(children[1], first, "the list holds the new process");
      assert.equal(restarted.kind === "restarted" && restarted.pid, children[1]?.process.pid);
      assert.equal(children[0], other, "the other process was left alone");
      assert.equal(other.process.exitCode, null);
    } finally {
      sup.stop();
      for (const c of children) await stopChild(c, 2000);
    }
  });

  it("waits longer after each crash, and gives up after too many crashes within the window", async () => {
    const crashing: ProcessSpec = { name: "client1", what: "stand-in client1", cmd: process.execPath, args: ["-e", "process.exit(3)"], logFile: join(dir, "client1.log"), ready: async () => false };
    const children = [launch(crashing)];
    const events: ProcessEvent[] = [];
    const sup = new Supervisor(children, { firstDelayMs: 50, maxExits: 3, onEvent: (e) => events.push(e) });
    try {
      await until("giving up", () => events.find((e) => e.kind === "gave-up"));
      assert.deepEqual(
        events.map((e) => (e.kind === "exited" ? `exited ${e.code} ${e.restartInMs}` : e.kind)),
        ["exited 3 50", "exited 3 100", "exited 3 200", "gave-up"],
      );
      const gaveUp = events[3];
      assert.ok(gaveUp?.kind === "gave-up");
      assert.equal(gaveUp.exits, 4);
      assert.equal(gaveUp.logFile, join(dir, "client1.log"));
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(events.length, 4, "no restart after giving up");
    } finally {
      sup.stop();
    }
  });

  it("starts nothing again once stopped: a stop is not a crash", async () => {
    const { ports: [port], children, events, sup } = await supervised(["main"], 10);
    sup.stop();
    await stopChild(children[0] as Child, 2000);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(events, []);
    await assert.rejects(fetch(`http://127.0.0.1:${port}/health`));
  });

  it("stops a restart that is waiting for its delay", async () => {
    const { ports: [port], children, events, sup } = await supervised(["router"], 300);
    children[0]?.process.kill("SIGKILL");
    await until("the crash seen", () => events.find((e) => e.kind === "exited"));
    sup.stop();
    await new Promise((r) => setTimeout(r, 600));
    assert.deepEqual(events.map((e) => e.kind), ["exited"]);
    await assert.rejects(fetch(`http://127.0.0.1:${port}/health`));
  });
});
