// Benchmark: the morning rush. A school's people log in with their letters' passwords and sync between 07:30 and
// 07:40 (the worst case: everyone for the first time), keep long-polling, and then chat and hand in homework at
// school-day rates, doubled, and ten times (lockdown). Then the realistic morning: everyone closed the web client the
// evening before and comes back between 07:30 and 07:40 with the session the browser kept; a few log in for the first time.
import { mkdtempSync } from "node:fs";
import { Agent } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { startLivekit, type RunningLivekit } from "@schulhof/test/livekit";
import { Recorder, SimClient, type RecorderSlot, type SyncMode } from "./morning-client.ts";
import { arrivalOffsets, phaseFigures, RATES, ResourceWatch, schoolDayLoad, shuffled, timeSubmissions, type PhaseFigures } from "./morning-load.ts";
import { morningStack } from "./morning-snapshot.ts";
import { printTable } from "./proc.ts";
import { profileRows, profilingWanted, startProfile, type ProfileSummary } from "./profile.ts";
import { seededRandom } from "./video-load.ts";
import { postmasterPid, startTokenServiceProcess, type TokenServiceProcess } from "./video-stack.ts";

const STUDENTS = Number(process.env.BENCH_STUDENTS ?? 1000);
const MORNING_MINUTES = Number(process.env.BENCH_MORNING_MINUTES ?? 10);
const PHASE_SECONDS = Number(process.env.BENCH_PHASE_SECONDS ?? 180);
const LOADS = (process.env.BENCH_MORNING_LOADS ?? "1,2,10").split(",").map(Number);
/** Share of the morning's courses (one per person) that start a video lesson between 07:35 and 07:40. */
const VIDEO_SHARE = Number(process.env.BENCH_VIDEO_SHARE ?? 0.5);
/** Synapse with workers (bench:morning-workers): "sync,client,event persisters", e.g. "2,1,1"; unset: one process. */
const WORKERS = parseWorkers(process.env.BENCH_SYNAPSE_WORKERS);
/** How the clients sync: `sliding` (simplified sliding sync, as the web client does) or `classic` (/sync, its fallback). */
const SYNC: SyncMode = parseSync(process.env.BENCH_SYNC);
/** The realistic morning after the school day (BENCH_REALISTIC=0 leaves it out), and the share that logs in for the first time. */
const REALISTIC = process.env.BENCH_REALISTIC !== "0";
const FIRST_LOGIN_SHARE = Number(process.env.BENCH_FIRST_LOGIN_SHARE ?? 0.05);
/** The issue's target at the last (tenfold) load. */
const TARGET_SEND_P95_MS = 1000;
/** The issue's targets for the (worst-case) morning. */
const TARGET_LOGIN_P95_MS = 5000;
const TARGET_ROOM_LIST_P95_MS = 10_000;
/** The realistic morning's night: long enough for every open long-poll (≤ 30 s) to end. */
const LONG_POLL_WAIT_S = 40;
const say = (s: string): void => void process.stderr.write(`bench: ${s}\n`);

say(`starting PostgreSQL, Synapse (production rate limits${WORKERS === undefined ? "" : `; workers: ${describeWorkers(WORKERS)}`}) and the appservice host …`);
const tSetup = performance.now();
const { stack, school, origin } = await morningStack("morning", STUDENTS, WORKERS, say);
const setupSeconds = (performance.now() - tSetup) / 1000;
// The district's video: one LiveKit node and the token service (production settings), as for every school.
let livekit: RunningLivekit | null = null;
let tokenService: TokenServiceProcess | null = null;
let stopping: Promise<void> | null = null;
const stopAll = (): Promise<void> =>
  (stopping ??= (async () => {
    await tokenService?.stop();
    await livekit?.stop();
    await stack.stop();
  })());
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.once(sig, () => {
    say(`${sig}: stopping Synapse, PostgreSQL and the appservice host …`);
    void stopAll().finally(() => process.exit(130));
  });
}
const db = new pg.Client({ connectionString: stack.appsDbUrl, options: "-c search_path=homework" });
const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
const clients: SimClient[] = [];
let exit = 0;
try {
  await db.connect();
  livekit = await startLivekit({ logLevel: "warn" });
  const server = stack.gen.school.homeserver.server_name;
  tokenService = await startTokenServiceProcess(
    {
      port: 0,
      livekit: { url: livekit.url, apiUrl: livekit.httpUrl, apiKey: livekit.apiKey, apiSecret: livekit.apiSecret },
      schools: { [server]: { homeserverUrl: stack.synapse.url, schoolApiUrl: `http://127.0.0.1:${stack.ports.school}`, secret: stack.gen.secrets.video_secret } },
      sessionSecret: stack.gen.secrets.session_secret,
    },
    join(mkdtempSync(join(tmpdir(), "schulhof-bench-morning-")), "token-service.log"),
  );
  const slot: RecorderSlot = { current: new Recorder() };
  const random = seededRandom(730);
  for (const p of shuffled(school.people, random)) clients.push(new SimClient(p, school.submissions.get(p.userId), stack.synapse.url, agent, slot, SYNC));
  // With workers each Synapse process (and Redis, the router) is its own row.
  const synapsePids = WORKERS === undefined ? { synapse: stack.synapse.process.pid } : Object.fromEntries(stack.synapse.processes.map((p) => [p.name === "main" ? "synapse main" : p.name, p.process.pid]));
  const pids = { ...synapsePids, appservices: stack.host.pid, postgres: postmasterPid(stack.pg.port), "token service": tokenService.process.pid, livekit: livekit.process.pid };
  const phases: PhaseFigures[] = [];
  // BENCH_PROFILE=1: py-spy on Synapse's (main) process during each phase.
  const profiles: { phase: string; profile: ProfileSummary }[] = [];
  const synapseMainPid = WORKERS === undefined ? stack.synapse.process.pid : stack.synapse.processes.find((p) => p.name === "main")?.process.pid;
  const profileFrom = (phase: string): (() => Promise<void>) => {
    if (!profilingWanted() || synapseMainPid === undefined) return async () => undefined;
    const running = startProfile(synapseMainPid, `morning-${phase.replace(/\W+/g, "-")}`);
    return async () => void profiles.push({ phase, profile: await running.finish() });
  };

  // (a) 07:30–07:40: everyone logs in and syncs on the curve, then stays long-polling.
  const windowMs = MORNING_MINUTES * 60_000;
  const offsets = arrivalOffsets(clients.length, windowMs);
  say(`morning: ${clients.length} people log in over ${MORNING_MINUTES} min (peak ${((2 * clients.length) / (windowMs / 1000)).toFixed(1)} logins/s at the middle) …`);
  let started = 0;
  let online = 0;
  const progress = setInterval(() => {
    const r = slot.current;
    say(`  ${started} started, ${online} synced and long-polling, ${r.requests} requests, ${r.errorCount()} errors, ${[...r.rateLimited.values()].reduce((a, b) => a + b, 0)} × 429`);
  }, 10_000);
  // Video lessons start across the school while it logs in: every n-th course of the morning, each at a time between
  // 07:35 and 07:40; its people ask for their token within a minute of the start, or as soon as they are in.
  const lessonRooms = [...school.lessons.keys()];
  const every = VIDEO_SHARE > 0 ? Math.max(1, Math.round(1 / VIDEO_SHARE)) : Infinity;
  const videoAt = new Map<string, { roomId: string; atMs: number }>();
  lessonRooms.forEach((roomId, i) => {
    if (i % every !== 0) return;
    const start = windowMs * (0.5 + 0.5 * random());
    for (const u of school.lessons.get(roomId) ?? []) videoAt.set(u, { roomId, atMs: start + 60_000 * random() });
  });
  const videoLessonsCount = lessonRooms.filter((_, i) => i % every === 0).length;
  const videoPeopleCount = videoAt.size;
  say(`${videoLessonsCount} video lessons with ${videoPeopleCount} people start between minute ${MORNING_MINUTES / 2} and ${MORNING_MINUTES} …`);
  let watch = new ResourceWatch(pids);
  let profiled = profileFrom("morning");
  let t0 = performance.now();
  const tokenUrl = tokenService.url;
  // Each person's morning: in (`arrive`), then the video lesson when it starts.
  const morningOf = async (c: SimClient, arrive: () => Promise<boolean>, startedAt: number): Promise<boolean> => {
    if (!(await arrive())) return false;
    const video = videoAt.get(c.person.userId);
    if (video === undefined) return true;
    const wait = video.atMs - (performance.now() - startedAt);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    await c.videoJoin(tokenUrl, video.roomId);
    return true;
  };
  await Promise.all(
    clients.map(async (c, i) => {
      await new Promise((r) => setTimeout(r, offsets[i] ?? 0));
      started++;
      if (await morningOf(c, () => c.morning(), t0)) online++;
    }),
  );
  phases.push(phaseFigures("morning, worst case: everyone logs in for the first time", (performance.now() - t0) / 1000, slot.current, watch.finish()));
  await profiled();
  say(`morning done: ${online}/${clients.length} online`);

  // (b) school-day traffic, then 2×, then 10×, with everyone still long-polling.
  for (const m of LOADS) {
    slot.current = new Recorder();
    say(`school day ×${m}: ${PHASE_SECONDS} s …`);
    watch = new ResourceWatch(pids);
    profiled = profileFrom(`x${m}`);
    t0 = performance.now();
    const load = await schoolDayLoad(clients, m, PHASE_SECONDS, random);
    const seconds = (performance.now() - t0) / 1000;
    const resources = watch.finish();
    await profiled();
    const rec = slot.current;
    // Between phases the long-polls count elsewhere; the submissions' recording time is read from the homework
    // appservice's inbox afterwards (up to 2 min for stragglers).
    slot.current = new Recorder();
    await timeSubmissions(db, load.submissions, rec, 120_000);
    phases.push({ ...phaseFigures(`school day ×${m}`, seconds, rec, resources), asked: { messages_per_s: round(load.messagesPerSecond), submissions_per_s: round(load.submissionsPerSecond) } });
  }

  // (c) The realistic morning: in the evening everyone closes the client (the long-polls end, the sessions stay);
  // between 07:30 and 07:40 they come back on the same curve, most with their stored session, some for the first time.
  let firstLogins = 0;
  if (REALISTIC) {
    slot.current = new Recorder();
    for (const c of clients) c.close();
    say(`evening: everyone closes the client; waiting ${LONG_POLL_WAIT_S} s for the open long-polls to end …`);
    await new Promise((r) => setTimeout(r, LONG_POLL_WAIT_S * 1000));
    slot.current = new Recorder();
    const order = shuffled(clients, random);
    const firstTime = new Set(order.filter((c, i) => c.token === null || i < Math.round(FIRST_LOGIN_SHARE * order.length)));
    firstLogins = firstTime.size;
    say(`realistic morning: ${order.length - firstLogins} resume their session, ${firstLogins} log in for the first time, over ${MORNING_MINUTES} min …`);
    started = 0;
    online = 0;
    watch = new ResourceWatch(pids);
    profiled = profileFrom("realistic morning");
    t0 = performance.now();
    const offsets2 = arrivalOffsets(order.length, windowMs);
    await Promise.all(
      order.map(async (c, i) => {
        await new Promise((r) => setTimeout(r, offsets2[i] ?? 0));
        started++;
        if (await morningOf(c, () => (firstTime.has(c) ? c.morning() : c.resume()), t0)) online++;
      }),
    );
    phases.push(phaseFigures(`realistic morning: ${order.length - firstLogins} resume, ${firstLogins} first logins`, (performance.now() - t0) / 1000, slot.current, watch.finish()));
    await profiled();
    say(`realistic morning done: ${online}/${clients.length} online`);
  }
  clearInterval(progress);

  const last = phases.filter((p) => p.phase.startsWith("school day")).at(-1);
  const worst = phases[0];
  const worstLoginP95 = worst?.latency_ms.login?.p95 ?? Infinity;
  const worstListP95 = worst?.latency_ms[SYNC === "classic" ? "initial_sync" : "room_list"]?.p95 ?? Infinity;
  const morningTargetMet = worstLoginP95 < TARGET_LOGIN_P95_MS && worstListP95 < TARGET_ROOM_LIST_P95_MS;
  const lastErrors = Object.values(last?.errors ?? {}).reduce((a, b) => a + b, 0);
  const last429 = Object.values(last?.rate_limited_429 ?? {}).reduce((a, b) => a + b, 0);
  const lastSendP95 = last?.latency_ms.send?.p95 ?? Infinity;
  const targetMet = LOADS.at(-1) === 10 && lastErrors === 0 && last429 === 0 && lastSendP95 < TARGET_SEND_P95_MS;

  const ms = (p: PhaseFigures, op: string): string => {
    const l = p.latency_ms[op];
    return l === undefined ? "–" : `${l.n} × p50 ${Math.round(l.p50)} / p95 ${Math.round(l.p95)} / p99 ${Math.round(l.p99)} / max ${Math.round(l.max)} ms`;
  };
  const kv = (o: Record<string, number>, none = "none"): string => (Object.keys(o).length === 0 ? none : Object.entries(o).map(([k, v]) => `${k} ${v}`).join(", "));
  printTable("Morning rush: set-up (school appservice roster import into Synapse on PostgreSQL)", [
    ["Synapse", WORKERS === undefined ? "one process" : `workers behind the router: ${describeWorkers(WORKERS)}, Redis`],
    ["school data", `${origin.how === "made" ? "made fresh by this run and saved" : "restored"} (${origin.snapshot}); every run measures a restored copy${origin.reimportSeconds === null ? "" : `; roster imported again by this code in ${origin.reimportSeconds} s, Synapse busy ${origin.settleSeconds} s more`}`],
    ["school", `${school.size.students} students, ${school.size.teachers} teachers, ${school.size.classes} classes, ${school.size.courses} courses`],
    ["roster import", `${round(school.importSeconds)} s: ${school.people.length} accounts (bcrypt 12), ${school.rooms} rooms and spaces, ${school.memberships} memberships`],
    ["submission rooms by the homework bot", `${school.submissions.size} in ${round(school.submissionRoomsSeconds)} s`],
    ["video lessons in the morning", `${videoLessonsCount} lessons, ${videoPeopleCount} people (one LiveKit node, the district's token service)`],
    ["clients sync with", SYNC === "sliding" ? "simplified sliding sync (MSC4186), the web client's lists, no e2ee extension" : "classic /sync with the web client's filter"],
    ["realistic morning", REALISTIC ? `${Math.round(FIRST_LOGIN_SHARE * 100)} % log in for the first time, the others resume their session` : "left out (BENCH_REALISTIC=0)"],
    ["rates at ×1 (per person and hour)", `student ${RATES.studentMessagesPerHour} messages, teacher ${RATES.teacherMessagesPerHour} messages, student ${RATES.submissionsPerStudentHour} submissions`],
  ]);
  for (const p of phases) {
    printTable(`${p.phase} (${p.seconds} s)`, [
      ["requests", `${p.requests} (${p.requests_per_s}/s)${p.asked === undefined ? "" : `; asked: ${p.asked.messages_per_s} messages/s, ${p.asked.submissions_per_s} submissions/s`}`],
      ["login (password, bcrypt 12)", ms(p, "login")],
      ["filter upload", ms(p, "filter")],
      ["initial sync (lazy members, 20 events)", ms(p, "initial_sync")],
      ["first room list (sliding sync)", ms(p, "room_list")],
      ["resumed session: room list (sliding sync)", ms(p, "resume_room_list")],
      ["resumed session: initial sync (classic)", ms(p, "resume_initial_sync")],
      ["video: OpenID token (homeserver)", ms(p, "video_openid")],
      ["video: LiveKit token (token service)", ms(p, "video_token")],
      ["video: lesson start (both)", ms(p, "video_start")],
      ["incremental sync (long-poll, ≤ 30 s)", ms(p, "incremental_sync")],
      ["message delivery (send → others' sync)", ms(p, "delivery")],
      ["send (m.room.message)", ms(p, "send")],
      ["submit: send of the event", ms(p, "submit_send")],
      ["submit: until homework recorded it", ms(p, "submit")],
      ["submit: until the bot's receipt", ms(p, "submit_receipt")],
      ["errors", kv(p.errors)],
      ["429 waited out and retried", kv(p.rate_limited_429)],
      ["long-poll answers carrying", kv(p.long_poll_answers, "–")],
      ["CPU, % of one core", kv(p.cpu_percent_of_one_core)],
      ["peak memory, MiB (PSS of process trees)", kv(p.peak_memory_mib)],
    ]);
  }
  for (const p of profiles) printTable(`Synapse profile, ${p.phase} (py-spy, main process, GIL samples)`, profileRows(p.profile));
  printTable(`Targets (2 cores${WORKERS === undefined ? "" : ", with workers"})`, [
    ["×10: no failed request, send p95 < 1 s", targetMet ? "met" : `missed (errors ${lastErrors}, 429s ${last429}, send p95 ${Math.round(lastSendP95)} ms)`],
    ["morning, everyone fresh: login p95 < 5 s, first room list p95 < 10 s", `${morningTargetMet ? "met" : "missed"} (login p95 ${Math.round(worstLoginP95)} ms, first room list p95 ${Math.round(worstListP95)} ms)`],
  ]);
  process.stdout.write(
    JSON.stringify({
      synapse_workers: WORKERS ?? null,
      students: school.size.students,
      teachers: school.size.teachers,
      classes: school.size.classes,
      courses: school.size.courses,
      morning_minutes: MORNING_MINUTES,
      phase_seconds: PHASE_SECONDS,
      sync: SYNC,
      realistic_morning: REALISTIC,
      first_logins: firstLogins,
      setup_s: round(setupSeconds),
      school_origin: origin.how,
      snapshot: origin.snapshot,
      reimport_s: origin.reimportSeconds,
      reimport_settle_s: origin.settleSeconds,
      import_s: round(school.importSeconds),
      submission_rooms: school.submissions.size,
      video_lessons: videoLessonsCount,
      video_people: videoPeopleCount,
      rates_per_hour: RATES,
      phases,
      target_met: targetMet,
      morning_target_met: morningTargetMet,
      ...(profiles.length === 0 ? {} : { synapse_profiles: profiles.map((p) => ({ phase: p.phase, seconds: p.profile.seconds, gil_pct: p.profile.gilPct, top: p.profile.lines.slice(0, 12) })) }),
    }) + "\n",
  );
} catch (e) {
  say((e as Error).stack ?? String(e));
  exit = 1;
} finally {
  for (const c of clients) c.stop();
  agent.destroy();
  await db.end().catch(() => undefined);
  await stopAll();
}
process.exit(exit);

function round(n: number): number {
  return Number.isFinite(n) ? Math.round(n * 10) / 10 : 0;
}

function parseSync(v: string | undefined): SyncMode {
  if (v === undefined || v === "" || v === "sliding") return "sliding";
  if (v === "classic") return "classic";
  throw new Error(`BENCH_SYNC: sliding or classic (got ${v})`);
}

function parseWorkers(v: string | undefined): { sync: number; client: number; event_persisters: number } | undefined {
  if (v === undefined || v === "") return undefined;
  const [sync, client, persisters] = v.split(",").map(Number);
  if (![sync, client, persisters].every((n) => Number.isInteger(n) && (n ?? -1) >= 0)) throw new Error(`BENCH_SYNAPSE_WORKERS: "sync,client,event persisters" such as 2,1,1 (got ${v})`);
  return { sync: sync ?? 0, client: client ?? 0, event_persisters: persisters ?? 0 };
}

function describeWorkers(w: { sync: number; client: number; event_persisters: number }): string {
  return `${w.sync} sync, ${w.client} client, ${w.event_persisters} event persister${w.event_persisters === 1 ? "" : "s"}`;
}
