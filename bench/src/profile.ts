// Samples a Synapse process with py-spy (from PyPI, into .venv on first use) during a benchmark phase and sums the stacks.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "@schulhof/homeserver-config";

const PY_SPY_VERSION = "0.4.3";
const PY_SPY = join(REPO_ROOT, ".venv", "bin", "py-spy");

/** Where the raw stacks of a profile are kept (git-ignored). */
export const PROFILE_DIR = join(REPO_ROOT, ".bench", "profiles");

/** Whether `BENCH_PROFILE` asks for profiles. */
export const profilingWanted = (): boolean => process.env.BENCH_PROFILE === "1";

/** One function's share of a profile: `self` is where the CPU was spent, `total` includes what it called. */
export interface ProfileLine {
  frame: string;
  selfPct: number;
  totalPct: number;
}

/** A running py-spy; `finish` stops it and answers the top of the profile. */
export interface RunningProfile {
  file: string;
  finish(top?: number): Promise<ProfileSummary>;
}

/** The top of a profile: `gilPct` is the share of the wall time in which some thread of Synapse held the GIL. */
export interface ProfileSummary {
  seconds: number;
  samples: number;
  gilPct: number;
  lines: ProfileLine[];
}

function ensurePySpy(): void {
  if (existsSync(PY_SPY)) return;
  const r = spawnSync(join(REPO_ROOT, ".venv", "bin", "pip"), ["install", "--quiet", "--disable-pip-version-check", `py-spy==${PY_SPY_VERSION}`], { stdio: "inherit" });
  if (r.status !== 0) throw new Error(`installing py-spy ${PY_SPY_VERSION} into .venv failed`);
}

/**
 * Starts sampling `pid` (a Python process) at `rate` per second without stopping it (`--nonblocking`). Only samples of
 * the thread that holds the GIL are kept (`--gil`): Python runs one thread at a time, so these are exactly the work that
 * competes for Synapse's one core, whichever thread (reactor or database pool) did it.
 */
export function startProfile(pid: number, name: string, rate = 50): RunningProfile {
  ensurePySpy();
  mkdirSync(PROFILE_DIR, { recursive: true });
  const file = join(PROFILE_DIR, `${name}-${new Date().toISOString().replace(/[:.]/g, "-")}.txt`);
  const t0 = performance.now();
  const child: ChildProcess = spawn(PY_SPY, ["record", "--pid", String(pid), "--rate", String(rate), "--nonblocking", "--gil", "--format", "raw", "--output", file], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let err = "";
  child.stderr?.on("data", (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
  return {
    file,
    async finish(top = 25) {
      const seconds = (performance.now() - t0) / 1000;
      const exited = new Promise<void>((r) => child.once("exit", () => r()));
      child.kill("SIGINT");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
      if (!existsSync(file)) throw new Error(`py-spy wrote no profile: ${err}`);
      return summarize(readFileSync(file, "utf8"), seconds * rate, seconds, top);
    },
  };
}

/** `Class.method (synapse/x.py:123)` → `Class.method (synapse/x.py)`: a function, whatever line it was on. */
const fn = (frame: string): string => frame.replace(/:\d+\)$/, ")");

/**
 * Sums py-spy's raw output (one `frame;frame;… count` line per distinct stack) into the functions with the largest
 * inclusive share of the GIL samples, and says how much of the wall time the GIL was held at all.
 */
export function summarize(raw: string, expectedSamples: number, seconds: number, top = 25): ProfileSummary {
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let samples = 0;
  for (const line of raw.split("\n")) {
    const m = /^(.*) (\d+)$/.exec(line);
    if (m === null) continue;
    const frames = (m[1] ?? "").split(";").map(fn);
    const n = Number(m[2]);
    samples += n;
    const leaf = frames.at(-1) ?? "";
    self.set(leaf, (self.get(leaf) ?? 0) + n);
    for (const f of new Set(frames)) total.set(f, (total.get(f) ?? 0) + n);
  }
  const pct = (v: number): number => (samples === 0 ? 0 : Math.round((1000 * v) / samples) / 10);
  const lines = [...total.entries()]
    .filter(([f]) => !SCAFFOLD.test(f))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([frame, n]) => ({ frame, selfPct: pct(self.get(frame) ?? 0), totalPct: pct(n) }));
  return { seconds: Math.round(seconds), samples, gilPct: expectedSamples <= 0 ? 0 : Math.min(100, Math.round((1000 * samples) / expectedSamples) / 10), lines };
}

/** Frames nearly every stack passes through (the reactor, Deferred and thread-pool plumbing): they say nothing. */
const SCAFFOLD = new RegExp(
  "^(?:[\\w.<>]+\\.)?(?:<module>|run|main|start|_bootstrap|_bootstrap_inner|work|doWork|_worker|runReactor|mainLoop|runUntilCurrent|" +
    "_runCallbacks|doIteration|doPoll|_doReadOrWrite|callWithLogger|callWithContext|callback|_startRunCallbacks|_inlineCallbacks|send|" +
    "_runWithCallbacks|inContext|<lambda>|wrapped|_gotResultInlineCallbacks|_cancellableInlineCallbacks|run_module|_run_module_code|_run_code|" +
    "start_reactor|run_in_background|make_deferred_yieldable|measured_func|_runWithConnection|inner_func|runWithConnection|runInteraction|" +
    "_runInteraction|new_transaction|callInThreadWithCallback|_coordinateThisTask|dataReceived|handle_request|_async_render|render|" +
    "_async_render_wrapper|_wrapped_async_request_handler|wrapped_async_request_handler|_render|rawDataReceived|requestReceived|process|" +
    "_process_request|allContentReceived|lineReceived|_bail_out|_maybe_run|__call__|f|_trace|wrapper|_wrapper|new_func|_deferred_wrapper) ",
);

/** The profile as rows for `printTable`. */
export function profileRows(p: ProfileSummary): [string, string][] {
  return [
    ["GIL held", `${p.gilPct} % of ${p.seconds} s (${p.samples} samples); shares below are of those samples, including what each function called`],
    ...p.lines.map((l): [string, string] => [`${l.totalPct.toFixed(1)} % (self ${l.selfPct.toFixed(1)} %)`, l.frame]),
  ];
}
