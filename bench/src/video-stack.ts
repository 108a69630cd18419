// The video benchmark's processes: token services as child processes, and CPU meters over whole process trees.
import { fork, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "@schulhof/homeserver-config";

/** A token service running in its own process. */
export interface TokenServiceProcess {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Forks `video-service-runner.ts` with Node 24, sends it `config` (a VideoServiceConfig as JSON) and resolves once it
 * listens. Its log (pino, level warn) goes to `logFile`.
 */
export async function startTokenServiceProcess(config: Record<string, unknown>, logFile: string): Promise<TokenServiceProcess> {
  const log = openSync(logFile, "a");
  const child = fork(join(REPO_ROOT, "bench", "src", "video-service-runner.ts"), [], {
    execPath: join(REPO_ROOT, "node_modules", ".bin", "node"),
    // BENCH_VIDEO_PROFILE=<dir>: a V8 CPU profile of each token service, written there when it stops.
    execArgv: process.env.BENCH_VIDEO_PROFILE === undefined ? [] : ["--cpu-prof", "--cpu-prof-dir", process.env.BENCH_VIDEO_PROFILE],
    stdio: ["ignore", log, log, "ipc"],
    env: { ...process.env, SCHULHOF_LOG_LEVEL: "warn" },
  });
  closeSync(log);
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`token service did not start within 30 s (log ${logFile})`)), 30_000);
    child.once("message", (m: unknown) => {
      clearTimeout(timer);
      resolve((m as { port: number }).port);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`token service exited with ${code} (log ${logFile})`));
    });
    child.send(config);
  });
  return {
    url: `http://127.0.0.1:${port}`,
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once("exit", () => r()));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime, in clock ticks. */
  own: number;
  /** cutime + cstime: children that ended and were waited for. */
  reaped: number;
}

function readStat(pid: number): ProcStat | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return { pid, ppid: Number(fields[1]), own: Number(fields[11]) + Number(fields[12]), reaped: Number(fields[13]) + Number(fields[14]) };
  } catch {
    return null;
  }
}

function allStats(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (s !== null) out.push(s);
  }
  return out;
}

/** CPU seconds of a process, its living descendants and the children it reaped (PostgreSQL's backends, for instance). */
export function treeCpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  const stats = allStats();
  const children = new Map<number, ProcStat[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  const root = stats.find((s) => s.pid === pid);
  if (root === undefined) return 0;
  let ticks = root.reaped;
  const todo = [root];
  for (let s = todo.pop(); s !== undefined; s = todo.pop()) {
    ticks += s.own;
    todo.push(...(children.get(s.pid) ?? []));
  }
  return ticks / 100;
}

/** CPU seconds the whole machine was busy since boot (all cores, from /proc/stat). */
function machineCpuSeconds(): number {
  const [, user, nice, system, , , irq, softirq, steal] = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "").split(/\s+/).map(Number);
  return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / 100;
}

/** The postmaster listening on `port` (started by the test harness with `-p <port>`), or undefined. */
export function postmasterPid(port: number): number | undefined {
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0");
      if ((argv[0] ?? "").endsWith("/postgres") && argv.join(" ").includes(`-p ${port}`)) return Number(name);
    } catch {
      // The process ended while we looked.
    }
  }
  return undefined;
}

/** Named processes whose CPU is compared between two moments. */
export class CpuMeter {
  private readonly pids: Map<string, number | undefined>;

  constructor(pids: Record<string, number | undefined>) {
    this.pids = new Map(Object.entries(pids));
  }

  /** CPU seconds of every process tree now, the load generator (this process) as `bench`, the whole machine as `machine`. */
  sample(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, pid] of this.pids) out[name] = treeCpuSeconds(pid);
    const own = process.cpuUsage();
    out.bench = (own.user + own.system) / 1e6;
    out.machine = machineCpuSeconds();
    return out;
  }

  /**
   * Per process: percent of one core used between `before` and `after`, over `seconds` of wall time; instead of
   * `machine`, `other`: what the rest of the machine used meanwhile (other people's work disturbs the figures).
   */
  static percent(before: Record<string, number>, after: Record<string, number>, seconds: number): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, v] of Object.entries(after)) out[name] = Math.round(((v - (before[name] ?? 0)) / seconds) * 100);
    const machine = out.machine ?? 0;
    delete out.machine;
    out.other = Math.max(0, machine - Object.values(out).reduce((a, b) => a + b, 0));
    return out;
  }
}
