// Runs a school's Synapse as a child process from the generated config, and waits until it answers.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, openSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { GeneratedSchool } from "./generate.ts";

/** The repository root (where `.venv` lives). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The Python of the project's virtualenv, where `npm start`/`npm test` installed Synapse. */
export function synapsePython(): string {
  const py = process.env.SCHULHOF_SYNAPSE_PYTHON ?? join(REPO_ROOT, ".venv", "bin", "python");
  if (!existsSync(py)) throw new Error(`Synapse is not installed: ${py} is missing (run npm start or npm test, which install it)`);
  return py;
}

export interface RunningSynapse {
  url: string;
  process: ChildProcess;
  /** Stops Synapse (SIGTERM, then SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
}

/** Starts Synapse for `gen`; its console output goes to `synapse/console.log`. */
export async function runSynapse(gen: GeneratedSchool, opts: { timeoutMs?: number } = {}): Promise<RunningSynapse> {
  const py = synapsePython();
  const cfg = gen.synapse.homeserverYaml;
  const keys = spawnSync(py, ["-m", "synapse.app.homeserver", "-c", cfg, "--generate-keys"], { encoding: "utf8" });
  if (keys.status !== 0) throw new Error(`Synapse could not generate its keys:\n${keys.stderr}`);
  const out = openSync(join(gen.synapse.dir, "console.log"), "a");
  // A district without DNS names its servers' addresses in a hosts file; Synapse then runs through a launcher that uses it.
  const hostsFile = join(gen.synapse.dir, "hosts.json");
  const withHosts = existsSync(hostsFile);
  const args = withHosts ? [join(REPO_ROOT, "homeserver-config", "python", "synapse_with_hosts.py"), "-c", cfg] : ["-m", "synapse.app.homeserver", "-c", cfg];
  const child = spawn(py, args, {
    stdio: ["ignore", out, out],
    env: { ...process.env, SYNAPSE_ASYNC_IO_REACTOR: "0", ...(withHosts ? { SCHULHOF_SYNAPSE_HOSTS: hostsFile } : {}) },
  });
  const hs = gen.school.homeserver;
  const url = `http://${hs.bind}:${hs.port}`;
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  for (;;) {
    const early = await Promise.race([exited, new Promise<"wait">((r) => setTimeout(() => r("wait"), 250))]);
    if (early !== "wait") throw new Error(`Synapse exited with code ${early}; see ${join(gen.synapse.dir, "console.log")}`);
    try {
      const res = await fetch(`${url}/_matrix/client/versions`);
      if (res.ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`Synapse did not start within ${opts.timeoutMs ?? 120_000} ms; see ${gen.synapse.dir}`);
    }
  }
  const stop = async (graceMs = 10_000): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const t = setTimeout(() => child.kill("SIGKILL"), graceMs);
    await exited;
    clearTimeout(t);
  };
  return { url, process: child, stop };
}
