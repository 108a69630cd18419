// The supervisor of Synapse's processes, with real child processes (small Node programs standing in for Synapse).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { launch, stopChild, Supervisor, waitUntilReady, type Child, type ProcessEvent, type ProcessSpec } from "../src/processes.ts";

const dir = mkdtempSync(join(tmpdir(), "schulhof-processes-"));
after(() => rmSync(dir, { recursive: true, force: true }));

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
    const [pa, pb] = [await freePort(), await freePort()];
    const children: Child[] = [launch(server("sync1", pa)), launch(server("sync2", pb))];
    for (const c of children) await waitUntilReady(c, 10_000);
    const events: ProcessEvent[] = [];
    const sup = new Supervisor(children, { firstDelayMs: 300, onEvent: (e) => events.push(e) });
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
    const port = await freePort();
    const children = [launch(server("main", port))];
    await waitUntilReady(children[0] as Child, 10_000);
    const events: ProcessEvent[] = [];
    const sup = new Supervisor(children, { firstDelayMs: 10, onEvent: (e) => events.push(e) });
    sup.stop();
    await stopChild(children[0] as Child, 2000);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(events, []);
    await assert.rejects(fetch(`http://127.0.0.1:${port}/health`));
  });

  it("stops a restart that is waiting for its delay", async () => {
    const port = await freePort();
    const children = [launch(server("router", port))];
    await waitUntilReady(children[0] as Child, 10_000);
    const events: ProcessEvent[] = [];
    const sup = new Supervisor(children, { firstDelayMs: 300, onEvent: (e) => events.push(e) });
    children[0]?.process.kill("SIGKILL");
    await until("the crash seen", () => events.find((e) => e.kind === "exited"));
    sup.stop();
    await new Promise((r) => setTimeout(r, 600));
    assert.deepEqual(events.map((e) => e.kind), ["exited"]);
    await assert.rejects(fetch(`http://127.0.0.1:${port}/health`));
  });
});
