// The morning benchmark's load: the 07:30 arrival curve, school-day rates as open-loop Poisson streams, and a phase's
// figures (requests/s, latencies, errors, CPU and peak memory of each process).
import { readFileSync, readdirSync } from "node:fs";
import type pg from "pg";
import type { Recorder, SimClient } from "./morning-client.ts";
import { latencies, type Latencies } from "./video-load.ts";
import { CpuMeter } from "./video-stack.ts";

/**
 * School-day rates, per person and hour of the school day (07:45–13:15), the 1× of the issue. A student writes about
 * a dozen messages a day in class and course chats (2/h), a teacher twice that (4/h: questions, reminders, answers),
 * and a student hands in about three homework pieces a day (0.5/h). 2× is a busy day; 10× is the lockdown, when
 * lessons, questions and all homework went through the platform.
 */
export const RATES = { studentMessagesPerHour: 2, teacherMessagesPerHour: 4, submissionsPerStudentHour: 0.5 };

/**
 * When each of `n` people logs in, in ms after 07:30: a triangular curve over the window, rising from nobody at
 * 07:30 to the peak at 07:35 (twice the mean rate) and falling to nobody at 07:40, as the stampede of a school day
 * that starts at 07:45 looks in the incident reports (buses arrive, the first lesson's material is opened).
 */
export function arrivalOffsets(n: number, windowMs: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const u = (i + 0.5) / n;
    out.push(u < 0.5 ? windowMs * Math.sqrt(u / 2) : windowMs * (1 - Math.sqrt((1 - u) / 2)));
  }
  return out;
}

/** Fisher–Yates with the given generator: who comes early is random, the curve is not. */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j] as T, a[i] as T];
  }
  return a;
}

/** Proportional set size (shared pages split among their users, so PostgreSQL's shared buffers count once) of a tree, KiB. */
function treePssKiB(root: number): number {
  const children = new Map<number, number[]>();
  const rss = new Map<number, number>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const status = readFileSync(`/proc/${name}/status`, "utf8");
      const ppid = Number(/PPid:\s+(\d+)/.exec(status)?.[1] ?? 0);
      let kib = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
      try {
        kib = Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${name}/smaps_rollup`, "utf8"))?.[1] ?? kib);
      } catch {
        // No smaps_rollup (older kernel, or not ours): resident set size instead.
      }
      rss.set(Number(name), kib);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch {
      // The process ended while we looked.
    }
  }
  let kib = 0;
  const todo = [root];
  for (let p = todo.pop(); p !== undefined; p = todo.pop()) {
    kib += rss.get(p) ?? 0;
    todo.push(...(children.get(p) ?? []));
  }
  return kib;
}

/** CPU (percent of one core) and peak memory (MiB of PSS, summed over each process tree, sampled every 2 s) over one phase. */
export class ResourceWatch {
  private readonly meter: CpuMeter;
  private readonly pids: Record<string, number | undefined>;
  private readonly before: Record<string, number>;
  private readonly t0 = performance.now();
  private readonly peak: Record<string, number> = {};
  private readonly timer: NodeJS.Timeout;

  constructor(pids: Record<string, number | undefined>) {
    this.pids = pids;
    this.meter = new CpuMeter(pids);
    this.before = this.meter.sample();
    this.sampleRss();
    this.timer = setInterval(() => this.sampleRss(), 2000);
  }

  private sampleRss(): void {
    for (const [name, pid] of Object.entries(this.pids)) if (pid !== undefined) this.peak[name] = Math.max(this.peak[name] ?? 0, treePssKiB(pid));
    this.peak.bench = Math.max(this.peak.bench ?? 0, process.memoryUsage().rss / 1024);
  }

  /** Stops sampling; answers CPU % of one core per process (and `other`: the rest of the machine) and peak MiB. */
  finish(): { cpuPercent: Record<string, number>; peakRssMiB: Record<string, number> } {
    clearInterval(this.timer);
    this.sampleRss();
    const seconds = (performance.now() - this.t0) / 1000;
    const peakRssMiB = Object.fromEntries(Object.entries(this.peak).map(([k, v]) => [k, Math.round(v / 1024)]));
    return { cpuPercent: CpuMeter.percent(this.before, this.meter.sample(), seconds), peakRssMiB };
  }
}

/** One sent submission, to be looked up in the homework appservice's inbox afterwards. */
export interface SentSubmission {
  eventId: string;
  startedAt: number;
}

/** Next gap of a Poisson stream of `perSecond` events, in ms. */
function gapMs(perSecond: number, random: () => number): number {
  return (-Math.log(1 - random()) / perSecond) * 1000;
}

/**
 * Runs school-day traffic at `multiplier` × RATES for `seconds`: two open-loop Poisson streams (messages from a random
 * logged-in person, submissions from a random student with a submission room), each request sent when due whatever
 * the earlier ones are doing. Waits for the answers of all, then answers the sent submissions and the asked rates.
 */
export async function schoolDayLoad(
  clients: SimClient[],
  multiplier: number,
  seconds: number,
  random: () => number,
): Promise<{ submissions: SentSubmission[]; messagesPerSecond: number; submissionsPerSecond: number }> {
  const online = clients.filter((c) => c.token !== null);
  const students = online.filter((c) => c.person.role === "student");
  const submitters = students.filter((c) => c.submission !== undefined);
  const teachers = online.filter((c) => c.person.role === "teacher");
  const messagesPerSecond = ((students.length * RATES.studentMessagesPerHour + teachers.length * RATES.teacherMessagesPerHour) / 3600) * multiplier;
  const submissionsPerSecond = ((submitters.length * RATES.submissionsPerStudentHour) / 3600) * multiplier;
  const studentShare = (students.length * RATES.studentMessagesPerHour) / Math.max(1e-9, students.length * RATES.studentMessagesPerHour + teachers.length * RATES.teacherMessagesPerHour);
  const pick = <T>(list: T[]): T | undefined => list[Math.floor(random() * list.length)];
  const end = performance.now() + seconds * 1000;
  const inFlight: Promise<void>[] = [];
  const submissions: SentSubmission[] = [];
  const stream = async (perSecond: number, fire: () => Promise<void>): Promise<void> => {
    if (perSecond <= 0) return;
    let due = performance.now() + gapMs(perSecond, random);
    while (due < end) {
      await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
      inFlight.push(fire());
      due += gapMs(perSecond, random);
    }
  };
  await Promise.all([
    stream(messagesPerSecond, async () => {
      const sender = random() < studentShare ? pick(students) : pick(teachers);
      await sender?.sendMessage(random);
    }),
    stream(submissionsPerSecond, async () => {
      const sent = await pick(submitters)?.submit();
      if (sent !== null && sent !== undefined) submissions.push(sent);
    }),
  ]);
  // The phase lasts its time even when the last request of a slow stream was due earlier.
  await new Promise((r) => setTimeout(r, Math.max(0, end - performance.now())));
  await Promise.all(inFlight);
  return { submissions, messagesPerSecond, submissionsPerSecond };
}

/**
 * Times each submission until the homework appservice recorded it (its inbox's `handled_at`) and until its receipt
 * went out; waits up to `waitMs` for stragglers, which count as `not recorded` failures after that.
 */
export async function timeSubmissions(db: pg.Client, sent: SentSubmission[], rec: Recorder, waitMs: number): Promise<void> {
  if (sent.length === 0) return;
  const ids = sent.map((s) => s.eventId);
  const deadline = Date.now() + waitMs;
  type Row = { event_id: string; handled: string | null; receipt: string | null };
  let rows: Row[];
  for (;;) {
    rows = (
      await db.query<Row>(
        `SELECT i.event_id, extract(epoch FROM i.handled_at) * 1000 AS handled, extract(epoch FROM o.sent_at) * 1000 AS receipt
         FROM intake_inbox i LEFT JOIN intake_outbox o ON o.cause = i.event_id AND o.action -> 'content' ? 'de.schulhof.homework.receipt'
         WHERE i.event_id = ANY($1)`,
        [ids],
      )
    ).rows;
    if ((rows.length >= ids.length && rows.every((r) => r.handled !== null && r.receipt !== null)) || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  const byId = new Map(rows.map((r) => [r.event_id, r]));
  for (const s of sent) {
    const r = byId.get(s.eventId);
    if (r?.handled === null || r?.handled === undefined) rec.fail("submit", "not recorded");
    else rec.time("submit", Number(r.handled) - s.startedAt);
    if (r?.receipt !== null && r?.receipt !== undefined) rec.time("submit_receipt", Number(r.receipt) - s.startedAt);
  }
}

/** The figures of one phase. */
export interface PhaseFigures {
  phase: string;
  seconds: number;
  requests: number;
  requests_per_s: number;
  asked?: { messages_per_s: number; submissions_per_s: number };
  latency_ms: Record<string, Latencies & { n: number }>;
  errors: Record<string, number>;
  rate_limited_429: Record<string, number>;
  /** What woke the long-polls: answers with room events, with only device-list changes, or with nothing (timeout). */
  long_poll_answers: Record<string, number>;
  cpu_percent_of_one_core: Record<string, number>;
  peak_memory_mib: Record<string, number>;
}

/** Sums up a phase's recorder and resources. */
export function phaseFigures(phase: string, seconds: number, rec: Recorder, res: ReturnType<ResourceWatch["finish"]>): PhaseFigures {
  const latency_ms: PhaseFigures["latency_ms"] = {};
  for (const [op, ms] of rec.ms) latency_ms[op] = { n: ms.length, ...latencies(ms) };
  return {
    phase,
    seconds: Math.round(seconds),
    requests: rec.requests,
    requests_per_s: Math.round((rec.requests / seconds) * 10) / 10,
    latency_ms,
    errors: Object.fromEntries(rec.errors),
    rate_limited_429: Object.fromEntries(rec.rateLimited),
    long_poll_answers: Object.fromEntries(rec.wakes),
    cpu_percent_of_one_core: res.cpuPercent,
    peak_memory_mib: res.peakRssMiB,
  };
}
