// Child processes of a running Synapse (Redis, main, workers, router): start, wait until ready, stop, and start again after a crash.
import { spawn, type ChildProcess } from "node:child_process";
import { openSync } from "node:fs";

/** How to start one process and how to tell that it is ready. */
export interface ProcessSpec {
  name: string;
  /** For messages: "Synapse worker sync1". */
  what: string;
  cmd: string;
  args: string[];
  logFile: string;
  env?: NodeJS.ProcessEnv;
  ready: () => Promise<boolean>;
}

export interface Child {
  spec: ProcessSpec;
  process: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `spec`'s process; its output is appended to its log file. */
export function launch(spec: ProcessSpec): Child {
  const out = openSync(spec.logFile, "a");
  const child = spawn(spec.cmd, spec.args, { stdio: ["ignore", out, out], env: spec.env ?? process.env });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once("exit", (code, signal) => r({ code, signal })));
  return { spec, process: child, exited };
}

/** Stops a child process: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopProcess(child: ChildProcess | null, graceMs = 5000): Promise<void> {
  if (child === null || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  child.kill("SIGTERM");
  const t = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(t);
}

/** Stops a launched child (see stopProcess). */
export function stopChild(c: Child, graceMs: number): Promise<void> {
  return stopProcess(c.process, graceMs);
}

/** Waits until the process is ready; fails early when it exits, and after `timeoutMs` (then it is killed). */
export async function waitUntilReady(c: Child, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const early = await Promise.race([c.exited, new Promise<"wait">((r) => setTimeout(() => r("wait"), 250))]);
    if (early !== "wait") throw new Error(`${c.spec.what} exited with ${early.signal ?? `code ${early.code}`}; see ${c.spec.logFile}`);
    if (await c.spec.ready().catch(() => false)) return;
    if (Date.now() > deadline) {
      c.process.kill("SIGKILL");
      throw new Error(`${c.spec.what} did not start within ${timeoutMs} ms; see ${c.spec.logFile}`);
    }
  }
}

/** What the supervisor did, for the operator's log. */
export type ProcessEvent =
  | { kind: "exited"; name: string; what: string; code: number | null; signal: string | null; restartInMs: number }
  | { kind: "restarted"; name: string; what: string; pid: number }
  | { kind: "gave-up"; name: string; what: string; exits: number; windowMs: number; logFile: string };

export interface RestartPolicy {
  /** Delay before the first restart; doubled for each further crash within the window. Default 1 s. */
  firstDelayMs?: number;
  /** Longest delay. Default 30 s. */
  maxDelayMs?: number;
  /** More crashes than this within `windowMs` and the process stays down. Default 5 in 10 minutes. */
  maxExits?: number;
  windowMs?: number;
  /** Time a restarted process has to become ready. Default 120 s. */
  readyTimeoutMs?: number;
  onEvent?: (e: ProcessEvent) => void;
}

/**
 * Starts a process again when it exits without being asked to: after a delay that grows while it keeps crashing, and not at
 * all after too many crashes in a row (a broken config would otherwise restart forever). `children` is updated in place, so
 * whoever stops them later stops the current processes.
 */
export class Supervisor {
  private stopping = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly exits = new Map<string, number[]>();
  private readonly children: Child[];
  private readonly policy: Required<Omit<RestartPolicy, "onEvent">> & Pick<RestartPolicy, "onEvent">;

  constructor(children: Child[], policy: RestartPolicy = {}) {
    this.children = children;
    this.policy = {
      firstDelayMs: policy.firstDelayMs ?? 1000,
      maxDelayMs: policy.maxDelayMs ?? 30_000,
      maxExits: policy.maxExits ?? 5,
      windowMs: policy.windowMs ?? 10 * 60_000,
      readyTimeoutMs: policy.readyTimeoutMs ?? 120_000,
      onEvent: policy.onEvent,
    };
    for (const c of children) this.watch(c);
  }

  /** No more restarts (call before stopping the children). */
  stop(): void {
    this.stopping = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private watch(c: Child): void {
    void c.exited.then(({ code, signal }) => {
      if (!this.stopping && this.children.includes(c)) this.exitedUnasked(c, code, signal);
    });
  }

  private exitedUnasked(c: Child, code: number | null, signal: string | null): void {
    const { name, what, logFile } = c.spec;
    const now = Date.now();
    const recent = (this.exits.get(name) ?? []).filter((t) => now - t < this.policy.windowMs);
    recent.push(now);
    this.exits.set(name, recent);
    if (recent.length > this.policy.maxExits) {
      this.policy.onEvent?.({ kind: "gave-up", name, what, exits: recent.length, windowMs: this.policy.windowMs, logFile });
      return;
    }
    const delay = Math.min(this.policy.firstDelayMs * 2 ** (recent.length - 1), this.policy.maxDelayMs);
    this.policy.onEvent?.({ kind: "exited", name, what, code, signal, restartInMs: delay });
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.stopping) return;
      const next = launch(c.spec);
      const i = this.children.indexOf(c);
      if (i >= 0) this.children[i] = next;
      this.watch(next);
      waitUntilReady(next, this.policy.readyTimeoutMs).then(
        () => {
          if (!this.stopping && next.process.pid !== undefined) this.policy.onEvent?.({ kind: "restarted", name, what, pid: next.process.pid });
        },
        // It exited (or was killed for not getting ready): its exit is handled like any other.
        () => undefined,
      );
    }, delay);
    this.timers.add(timer);
  }
}
