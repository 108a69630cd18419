// Runs a school's Synapse as child processes from the generated config, and waits until it answers: one process, or
// (with `homeserver.workers`) Redis, the main process, the workers and the router in front of them.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, openSync } from "node:fs";
import { connect } from "node:net";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { GeneratedSchool } from "./generate.ts";
import type { WorkerLayout } from "./workers.ts";

/** The repository root (where `.venv` lives). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** Every Synapse process starts through this launcher (homeserver-config/python/schulhof_synapse.py). */
export const SYNAPSE_LAUNCHER = join(REPO_ROOT, "homeserver-config", "python", "schulhof_synapse.py");

/** The Python of the project's virtualenv, where `npm start`/`npm test` installed Synapse. */
export function synapsePython(): string {
  const py = process.env.SCHULHOF_SYNAPSE_PYTHON ?? join(REPO_ROOT, ".venv", "bin", "python");
  if (!existsSync(py)) throw new Error(`Synapse is not installed: ${py} is missing (run npm start or npm test, which install it)`);
  return py;
}

export interface RunningSynapse {
  url: string;
  /** The main process. */
  process: ChildProcess;
  /** Every process of this Synapse by name: `main`, and with workers also `redis`, the workers and `router`. */
  processes: { name: string; process: ChildProcess }[];
  /** Stops Synapse (SIGTERM, then SIGKILL after `graceMs`): the router and workers first, then main and Redis. */
  stop(graceMs?: number): Promise<void>;
}

interface Child {
  name: string;
  process: ChildProcess;
  exited: Promise<number | null>;
}

function launch(name: string, cmd: string, args: string[], logFile: string, env: NodeJS.ProcessEnv = process.env): Child {
  const out = openSync(logFile, "a");
  const child = spawn(cmd, args, { stdio: ["ignore", out, out], env });
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return { name, process: child, exited };
}

async function stopChild(c: Child, graceMs: number): Promise<void> {
  if (c.process.exitCode !== null || c.process.signalCode !== null) return;
  c.process.kill("SIGTERM");
  const t = setTimeout(() => c.process.kill("SIGKILL"), graceMs);
  await c.exited;
  clearTimeout(t);
}

/** Waits until `ready()` holds; fails early when the process exits, and after `timeoutMs`. */
async function waitUntil(c: Child, what: string, logFile: string, timeoutMs: number, ready: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const early = await Promise.race([c.exited, new Promise<"wait">((r) => setTimeout(() => r("wait"), 250))]);
    if (early !== "wait") throw new Error(`${what} exited with code ${early}; see ${logFile}`);
    if (await ready().catch(() => false)) return;
    if (Date.now() > deadline) {
      c.process.kill("SIGKILL");
      throw new Error(`${what} did not start within ${timeoutMs} ms; see ${logFile}`);
    }
  }
}

const answers = (url: string) => async (): Promise<boolean> => (await fetch(url)).ok;

/** Redis answers PING. */
function redisPong(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port }, () => s.write("PING\r\n"));
    s.setTimeout(1000, () => s.destroy());
    s.once("data", (d) => {
      resolve(d.toString().startsWith("+PONG"));
      s.destroy();
    });
    s.once("error", () => resolve(false));
    s.once("close", () => resolve(false));
  });
}

/** Debian's redis-server (`apt-get install redis-server`; npm test and bench:morning install it), or one on PATH. */
export function redisServerBinary(): string {
  for (const p of [...(process.env.PATH ?? "").split(delimiter), "/usr/bin", "/usr/sbin"]) {
    if (p !== "" && existsSync(join(p, "redis-server"))) return join(p, "redis-server");
  }
  throw new Error("homeserver.workers needs Redis: redis-server is not installed (Debian: apt-get install redis-server; scripts/bootstrap.sh --with-redis installs it)");
}

/** Starts Synapse for `gen`; its console output goes to `synapse/console.log` (workers: `synapse/workers/<name>.console.log`). */
export async function runSynapse(gen: GeneratedSchool, opts: { timeoutMs?: number } = {}): Promise<RunningSynapse> {
  const py = synapsePython();
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const cfg = gen.synapse.homeserverYaml;
  const keys = spawnSync(py, ["-m", "synapse.app.homeserver", "-c", cfg, "--generate-keys"], { encoding: "utf8" });
  if (keys.status !== 0) throw new Error(`Synapse could not generate its keys:\n${keys.stderr}`);
  // Every Synapse process runs through Schulhof's launcher: it closes a gap in Synapse's appservice catch-up, and a district
  // without DNS names its servers' addresses in a hosts file that the launcher resolves instead.
  const hostsFile = join(gen.synapse.dir, "hosts.json");
  const synapseArgs = (app: string, configs: string[]): { args: string[]; env: NodeJS.ProcessEnv } => ({
    args: [SYNAPSE_LAUNCHER, ...configs.flatMap((f) => ["-c", f])],
    env: {
      ...process.env,
      SYNAPSE_ASYNC_IO_REACTOR: "0",
      SCHULHOF_SYNAPSE_APP: app,
      ...(existsSync(hostsFile) ? { SCHULHOF_SYNAPSE_HOSTS: hostsFile } : {}),
    },
  });
  const hs = gen.school.homeserver;
  const url = `http://${hs.bind}:${hs.port}`;
  const layout = gen.workers;
  const children: Child[] = [];
  const stop = async (graceMs = 10_000): Promise<void> => {
    // The router and the workers go first, so nothing reaches a main process that is stopping.
    for (const c of [...children].reverse()) await stopChild(c, graceMs);
  };
  try {
    if (layout !== null && layout.redis.run) children.push(await startRedis(layout, gen.synapse.dir, timeoutMs));
    const mainLog = join(gen.synapse.dir, "console.log");
    const { args, env } = synapseArgs("synapse.app.homeserver", [cfg]);
    const main = launch("main", py, args, mainLog, env);
    children.push(main);
    const mainUrl = layout === null ? url : `http://127.0.0.1:${layout.mainPort}`;
    await waitUntil(main, "Synapse", mainLog, timeoutMs, answers(`${mainUrl}/_matrix/client/versions`));
    if (layout !== null) {
      const started = layout.workers.map((w) => {
        const log = join(layout.dir, `${w.name}.console.log`);
        const a = synapseArgs("synapse.app.generic_worker", [cfg, w.configFile]);
        const c = launch(w.name, py, a.args, log, a.env);
        children.push(c);
        return { c, w, log };
      });
      await Promise.all(started.map(({ c, w, log }) => waitUntil(c, `Synapse worker ${w.name}`, log, timeoutMs, answers(`http://127.0.0.1:${w.port}/health`))));
      const routerLog = join(layout.dir, "router.log");
      const router = launch("router", process.execPath, [join(REPO_ROOT, "homeserver-config", "src", "router-main.ts"), join(layout.dir, "router.json")], routerLog);
      children.push(router);
      await waitUntil(router, "the Synapse router", routerLog, timeoutMs, answers(`${url}/_matrix/client/versions`));
    }
  } catch (e) {
    await stop(2_000);
    throw e;
  }
  const main = children.find((c) => c.name === "main");
  if (main === undefined) throw new Error("unreachable: the main process was started above");
  return { url, process: main.process, processes: children.map((c) => ({ name: c.name, process: c.process })), stop };
}

async function startRedis(layout: WorkerLayout, synapseDir: string, timeoutMs: number): Promise<Child> {
  const dir = join(synapseDir, "redis");
  mkdirSync(dir, { recursive: true });
  const { host, port } = layout.redis;
  if (!host.startsWith("127.") && host !== "localhost") throw new Error(`homeserver.workers.redis.host: Schulhof starts Redis on loopback only (got ${host}); set run: false for another Redis`);
  const log = join(dir, "redis.log");
  // Replication only: nothing is kept on disk, nothing listens beyond loopback.
  const c = launch("redis", redisServerBinary(), ["--bind", host, "--port", String(port), "--save", "", "--appendonly", "no", "--dir", dir, "--protected-mode", "yes"], log);
  await waitUntil(c, "Redis", log, timeoutMs, () => redisPong(host, port));
  return c;
}
