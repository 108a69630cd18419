// Runs a school's Synapse as child processes from the generated config, and waits until it answers: one process, or
// (with `homeserver.workers`) Redis, the main process, the workers and the router in front of them.
import { spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { connect } from "node:net";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { GeneratedSchool } from "./generate.ts";
import { launch, stopChild, Supervisor, waitUntilReady, type Child, type RestartPolicy } from "./processes.ts";
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
  /** The main process (the current one, after a restart). */
  readonly process: ChildProcess;
  /** Every process of this Synapse by name: `main`, and with workers also `redis`, the workers and `router` (the current ones). */
  readonly processes: { name: string; process: ChildProcess }[];
  /** Stops Synapse (SIGTERM, then SIGKILL after `graceMs`): the router and workers first, then main and Redis. */
  stop(graceMs?: number): Promise<void>;
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

/**
 * Starts Synapse for `gen`; its console output goes to `synapse/console.log` (workers: `synapse/workers/<name>.console.log`).
 * With `restart`, a process that exits unasked (a crash, the kernel's OOM killer) is started again (processes.ts: Supervisor).
 */
export async function runSynapse(gen: GeneratedSchool, opts: { timeoutMs?: number; restart?: RestartPolicy } = {}): Promise<RunningSynapse> {
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
      // Unset unless this school has a hosts file (never inherited from the caller's environment).
      SCHULHOF_SYNAPSE_HOSTS: existsSync(hostsFile) ? hostsFile : undefined,
    },
  });
  const hs = gen.school.homeserver;
  const url = `http://${hs.bind}:${hs.port}`;
  const layout = gen.workers;
  const children: Child[] = [];
  let supervisor: Supervisor | null = null;
  const stop = async (graceMs = 10_000): Promise<void> => {
    supervisor?.stop();
    // The router and the workers go first, so nothing reaches a main process that is stopping.
    for (const c of [...children].reverse()) await stopChild(c, graceMs);
  };
  try {
    if (layout !== null && layout.redis.run) children.push(await startRedis(layout, gen.synapse.dir, timeoutMs));
    const mainUrl = layout === null ? url : `http://127.0.0.1:${layout.mainPort}`;
    const main = launch({
      name: "main",
      what: "Synapse",
      cmd: py,
      logFile: join(gen.synapse.dir, "console.log"),
      ...synapseArgs("synapse.app.homeserver", [cfg]),
      ready: answers(`${mainUrl}/_matrix/client/versions`),
    });
    children.push(main);
    await waitUntilReady(main, timeoutMs);
    if (layout !== null) {
      const workers = layout.workers.map((w) =>
        launch({
          name: w.name,
          what: `Synapse worker ${w.name}`,
          cmd: py,
          logFile: join(layout.dir, `${w.name}.console.log`),
          ...synapseArgs("synapse.app.generic_worker", [cfg, w.configFile]),
          ready: answers(`http://127.0.0.1:${w.port}/health`),
        }),
      );
      children.push(...workers);
      await Promise.all(workers.map((c) => waitUntilReady(c, timeoutMs)));
      const router = launch({
        name: "router",
        what: "the Synapse router",
        cmd: process.execPath,
        args: [join(REPO_ROOT, "homeserver-config", "src", "router-main.ts"), join(layout.dir, "router.json")],
        logFile: join(layout.dir, "router.log"),
        ready: answers(`${url}/_matrix/client/versions`),
      });
      children.push(router);
      await waitUntilReady(router, timeoutMs);
    }
  } catch (e) {
    await stop(2_000);
    throw e;
  }
  if (opts.restart !== undefined) supervisor = new Supervisor(children, { readyTimeoutMs: timeoutMs, ...opts.restart });
  const current = (name: string): ChildProcess => {
    const c = children.find((x) => x.spec.name === name);
    if (c === undefined) throw new Error(`unreachable: no Synapse process ${name}`);
    return c.process;
  };
  return {
    url,
    get process() {
      return current("main");
    },
    get processes() {
      return children.map((c) => ({ name: c.spec.name, process: c.process }));
    },
    stop,
  };
}

async function startRedis(layout: WorkerLayout, synapseDir: string, timeoutMs: number): Promise<Child> {
  const dir = join(synapseDir, "redis");
  mkdirSync(dir, { recursive: true });
  const { host, port } = layout.redis;
  if (!host.startsWith("127.") && host !== "localhost") throw new Error(`homeserver.workers.redis.host: Schulhof starts Redis on loopback only (got ${host}); set run: false for another Redis`);
  const log = join(dir, "redis.log");
  // Replication only: nothing is kept on disk, nothing listens beyond loopback.
  const c = launch({
    name: "redis",
    what: "Redis",
    cmd: redisServerBinary(),
    args: ["--bind", host, "--port", String(port), "--save", "", "--appendonly", "no", "--dir", dir, "--protected-mode", "yes"],
    logFile: log,
    ready: () => redisPong(host, port),
  });
  await waitUntilReady(c, timeoutMs);
  return c;
}
