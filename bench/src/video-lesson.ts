// A simulated lesson for the video benchmark: a teacher and 29 students click "join" one after the other, publish,
// and watch each other's cameras. The participants (rtc-node, video-participants.ts) run in child processes, spread
// over several so that no single event loop limits what is measured; this file only keeps the time.
import { fork, type ChildProcess } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "@schulhof/homeserver-config";
import type { ParticipantsCommand, ParticipantsReply, ParticipantsSnapshot } from "./video-participants.ts";
import type { Person } from "./video-people.ts";
import { treeCpuSeconds } from "./video-stack.ts";

/** What the participants' processes need to know: the people, where to click, what to send and watch. */
export interface ParticipantsPlan {
  hs: string;
  serverName: string;
  tokenServiceUrl: string;
  /** The teacher first, then the students. */
  people: Person[];
  /** How many of `people`, from the teacher on, publish a microphone and how many a camera. */
  microphones: number;
  cameras: number;
  video: { width: number; height: number; fps: number; maxBitrate: number };
  /** What students subscribe to: the teacher's tracks, those and every microphone, or every track. The teacher takes everything. */
  studentsSee: "teacher" | "teacher+microphones" | "everyone";
}

/** The lesson: the plan, its timing and how many processes carry the participants. */
export interface LessonPlan extends ParticipantsPlan {
  /** Between two students' clicks (the teacher clicks first, two seconds ahead). */
  joinIntervalMs: number;
  /** How long the lesson runs after the last click; frames are counted over its last ten seconds. */
  runSeconds: number;
  processes: number;
}

/** One person's way into the lesson, in milliseconds after their click. */
export interface JoinTiming {
  userId: string;
  teacher: boolean;
  /** A fresh OpenID token from Synapse. */
  openId: number;
  /** The LiveKit token from the token service. */
  token: number;
  connected: number;
  published: number;
  /** First decoded frame of a remote camera (students: the teacher's), or null if none came. */
  firstFrame: number | null;
  error?: string;
}

/** What the lesson saw. */
export interface LessonResult {
  joins: JoinTiming[];
  /** Per participant (teacher first): frames their camera produced in the last ten seconds (0 without a camera). */
  framesSent: number[];
  /** Per student: frames of the teacher's camera received in the last ten seconds. */
  teacherFramesAtStudents: number[];
  /** Per student with a camera: frames of that camera the teacher received in the last ten seconds. */
  studentFramesAtTeacher: number[];
  /** Participants still connected at the end. */
  connectedAtEnd: number;
  /** The busiest participants' process: share of the last ten seconds its event loop was busy (near 1: they measure themselves). */
  eventLoopBusy: number;
  /** CPU of all participants' processes, percent of one core over the lesson. */
  cpuPercent: number;
}

/** How long a click may take to a connected participant with its tracks published. */
const JOIN_TIMEOUT_MS = 60_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One participants' process and its pending commands. */
class ParticipantsProcess {
  readonly child: ChildProcess;
  private next = 0;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(logFile: string) {
    const log = openSync(logFile, "a");
    this.child = fork(join(REPO_ROOT, "bench", "src", "video-participants.ts"), [], {
      execPath: join(REPO_ROOT, "node_modules", ".bin", "node"),
      // BENCH_VIDEO_PROFILE=<dir>: a V8 CPU profile of the participants, written there at the end.
      execArgv: process.env.BENCH_VIDEO_PROFILE === undefined ? [] : ["--cpu-prof", "--cpu-prof-dir", process.env.BENCH_VIDEO_PROFILE],
      stdio: ["ignore", log, log, "ipc"],
      // rtc-node logs at debug level unless in production.
      env: { ...process.env, NODE_ENV: "production" },
    });
    closeSync(log);
    this.child.on("message", (m: ParticipantsReply) => {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if ("error" in m) p?.reject(new Error(m.error));
      else p?.resolve(m.value);
    });
    this.child.once("exit", (code, signal) => {
      for (const p of this.pending.values()) p.reject(new Error(`participants' process ended with ${signal ?? code} (log ${logFile})`));
      this.pending.clear();
    });
  }

  /** Sends a command and resolves with its answer; rejects after `timeoutMs`. */
  call<T>(command: Omit<ParticipantsCommand, "id">, timeoutMs = 30_000): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`no answer to ${Object.keys(command).join()} within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.child.send({ ...command, id } as ParticipantsCommand);
    });
  }

  /** Asks the participants to leave, then makes sure the process is gone. */
  async end(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.child.once("exit", () => r()));
    await this.call({ leave: true }, 30_000).catch(() => this.child.kill("SIGKILL"));
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

/**
 * Runs the lesson: the teacher clicks, two seconds later the students one by one (the teacher in the first process,
 * the students spread over the others); after
 * `runSeconds` everyone leaves. A join that fails or takes longer than a minute counts as failed, the others go on.
 * rtc-node's logs go to `<logDir>/participants-<n>.log`.
 */
export async function runLesson(plan: LessonPlan, logDir: string, progress: (line: string) => void): Promise<LessonResult> {
  const [teacher, ...students] = plan.people;
  if (teacher === undefined) throw new Error("a lesson needs a teacher");
  const processes = Array.from({ length: Math.max(1, plan.processes) }, (_, n) => new ParticipantsProcess(join(logDir, `participants-${n}.log`)));
  // The teacher, who watches every camera, gets a process of its own when there are several.
  const processOf = (i: number): ParticipantsProcess =>
    (processes.length === 1 ? processes[0] : i === 0 ? processes[0] : processes[1 + ((i - 1) % (processes.length - 1))]) as ParticipantsProcess;
  const cpu = (): number => processes.reduce((sum, p) => sum + treeCpuSeconds(p.child.pid), 0);
  const failed: JoinTiming[] = [];
  try {
    const { hs, serverName, tokenServiceUrl, people, microphones, cameras, video, studentsSee } = plan;
    const participantsPlan: ParticipantsPlan = { hs, serverName, tokenServiceUrl, people, microphones, cameras, video, studentsSee };
    await Promise.all(processes.map((p) => p.call({ init: participantsPlan })));
    const cpu0 = cpu();
    const t0 = performance.now();
    const click = async (i: number): Promise<void> => {
      const person = plan.people[i] as Person;
      try {
        const timing = await processOf(i).call<JoinTiming>({ join: i }, JOIN_TIMEOUT_MS);
        progress(`${person.userId} joined: token ${timing.token} ms, connected ${timing.connected} ms, published ${timing.published} ms after the click`);
      } catch (e) {
        const error = String((e as Error).message ?? e);
        progress(`${person.userId} failed to join: ${error}`);
        failed.push({ userId: person.userId, teacher: i === 0, openId: 0, token: 0, connected: 0, published: 0, firstFrame: null, error });
      }
    };
    await click(0);
    await sleep(2000);
    const clicks: Promise<void>[] = [];
    for (let i = 1; i < plan.people.length; i++) {
      clicks.push(click(i));
      await sleep(plan.joinIntervalMs);
    }
    await Promise.all(clicks);
    progress(`all clicked; the lesson runs ${plan.runSeconds} s`);
    await sleep(Math.max(0, plan.runSeconds - 10) * 1000);
    const snapshot = async (): Promise<ParticipantsSnapshot> => {
      const parts = await Promise.all(processes.map((p) => p.call<ParticipantsSnapshot>({ snapshot: true })));
      return { participants: Object.assign({}, ...parts.map((s) => s.participants)) as ParticipantsSnapshot["participants"], eventLoopBusy: Math.max(...parts.map((s) => s.eventLoopBusy)) };
    };
    const before = await snapshot();
    await sleep(10_000);
    const after = await snapshot();
    const cpuPercent = Math.round(((cpu() - cpu0) / ((performance.now() - t0) / 1000)) * 100);
    const received = (i: number, from: string): number => (after.participants[i]?.received[from] ?? 0) - (before.participants[i]?.received[from] ?? 0);
    const withCamera = students.slice(0, Math.max(0, plan.cameras - 1));
    const late = new Set(failed.map((f) => f.userId));
    return {
      joins: [...Object.values(after.participants).flatMap((p) => (late.has(p.timing.userId) ? [] : [p.timing])), ...failed],
      framesSent: plan.people.map((_, i) => (after.participants[i]?.sent ?? 0) - (before.participants[i]?.sent ?? 0)),
      teacherFramesAtStudents: plan.cameras > 0 ? students.map((_, k) => received(k + 1, teacher.userId)) : [],
      studentFramesAtTeacher: withCamera.map((s) => received(0, s.userId)),
      connectedAtEnd: Object.values(after.participants).filter((p) => p.connected).length,
      eventLoopBusy: Math.round(after.eventLoopBusy * 100) / 100,
      cpuPercent,
    };
  } finally {
    await Promise.all(processes.map((p) => p.end()));
  }
}
