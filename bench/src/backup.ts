// Benchmark: `schulhof backup` and `schulhof restore` of the school of 1,000 students (the morning benchmark's saved
// school): the first (full) backup, an incremental backup after one school day's changes, and the restore onto a fresh
// data folder and a fresh PostgreSQL cluster, after which a student logs in and reads the day's messages. Targets
// (issue #16): backup < 2 min, restore < 5 min, incremental < 20 s. See docs/install.md.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import pg from "pg";
import { parse, stringify } from "yaml";
import { generateFromFile, REPO_ROOT, runSynapse, type RunningSynapse } from "@schulhof/homeserver-config";
import { startPostgres, waitForHttp, type TestPostgres } from "@schulhof/test";
import { SNAPSHOT_DIR, morningStack, snapshotKey } from "./morning-snapshot.ts";
import type { LetterLogin } from "./morning-school.ts";
import { printTable } from "./proc.ts";
import { matrixCall, type BenchStack } from "./stack.ts";

const STUDENTS = 1000;
/** The saved school this benchmark was first measured on; used when the code's own key has none. */
const KNOWN_SNAPSHOT = join(SNAPSHOT_DIR, "morning-1000-e1e77f5d8cd8");
/** One school day: people who write, messages each, submissions, and files (200 KB) handed in. */
const DAY = { writers: Number(process.env.BENCH_DAY_WRITERS ?? 120), messagesEach: 4, submissions: 100, files: 20, fileBytes: 200 * 1024 };
const TARGETS = { backup_s: 120, restore_s: 300, incremental_s: 20 };
const NODE = join(REPO_ROOT, "node_modules", ".bin", "node");
const CLI = join(REPO_ROOT, "cli", "src", "main.ts");

const say = (s: string): void => void process.stderr.write(`bench: ${s}\n`);
const round = (n: number): number => Math.round(n * 10) / 10;
const mib = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;

/** Runs `schulhof …` as the units do; answers its wall time in seconds; throws with its output when it fails. */
function schulhof(args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(NODE, [CLI, ...args], { encoding: "utf8", env: process.env, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`schulhof ${args.join(" ")} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return (performance.now() - t0) / 1000;
}

interface LastBackup { snapshotId: string; seconds: number; dumpSeconds: number; dataAdded: number; filesNew: number; filesChanged: number }
const lastBackup = (dataDir: string): LastBackup => JSON.parse(readFileSync(join(dataDir, "backup-last.json"), "utf8")) as LastBackup;

function startHost(dataDir: string): ChildProcess {
  return spawn(NODE, [CLI, "host", "--data", dataDir], { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, SCHULHOF_LOG_LEVEL: "warn" } });
}

async function stopHost(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  child.kill("SIGTERM");
  await exited;
}

async function login(hs: string, person: LetterLogin): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(`${hs}/_matrix/client/v3/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ type: "m.login.password", identifier: { type: "m.id.user", user: person.localpart }, password: person.password }),
    });
    const body = (await res.json()) as { access_token?: string; retry_after_ms?: number };
    if (res.status === 429 && attempt < 30) {
      await new Promise((r) => setTimeout(r, body.retry_after_ms ?? 1000));
      continue;
    }
    if (body.access_token === undefined) throw new Error(`login ${person.localpart}: ${res.status} ${JSON.stringify(body)}`);
    return body.access_token;
  }
}

/** Runs `fn` over `items`, `n` at a time. */
async function pool<T>(items: readonly T[], n: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    for (let i = next++; i < items.length; i = next++) await fn(items[i] as T, i);
  }));
}

/**
 * One school day in the school, as the morning benchmark's clients write it: people log in with their letters'
 * passwords, write messages into their course and class rooms, students hand in homework (text, some with a 200 KB
 * file) in their submission rooms; the appservice host handles it all. Answers a message to look for after the restore.
 */
async function schoolDay(stack: BenchStack, people: LetterLogin[], submissions: Map<string, { roomId: string; assignmentId: string }>): Promise<{ messages: number; submissions: number; files: number; probe: { person: LetterLogin; roomId: string; body: string } }> {
  const hs = stack.synapse.url;
  const students = people.filter((p) => p.role === "student" && submissions.has(p.userId));
  const teachers = people.filter((p) => p.role === "teacher");
  const writers = [...teachers.slice(0, Math.round(DAY.writers / 8)), ...students.slice(0, DAY.writers - Math.round(DAY.writers / 8))];
  let messages = 0;
  let handedIn = 0;
  let files = 0;
  let probe: { person: LetterLogin; roomId: string; body: string } | null = null;
  await pool(writers, 6, async (person, i) => {
    const token = await login(hs, person);
    const joined = (await matrixCall(hs, token, "GET", "/_matrix/client/v3/joined_rooms")).joined_rooms as string[];
    const submission = submissions.get(person.userId);
    // Chat rooms: joined rooms that are neither spaces nor the person's submission room.
    const chats: string[] = [];
    for (const roomId of joined) {
      if (roomId === submission?.roomId || chats.length >= 2) continue;
      const state = (await matrixCall(hs, token, "GET", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state`)) as unknown as { type: string; content: Record<string, unknown> }[];
      if (state.some((e) => (e.type === "m.room.create" && e.content.type === "m.space") || e.type === "de.schulhof.homework.submission_room")) continue;
      // Only rooms the person may write in (announcement rooms are read-only for students).
      const levels = (state.find((e) => e.type === "m.room.power_levels")?.content ?? {}) as { users?: Record<string, number>; users_default?: number; events?: Record<string, number>; events_default?: number };
      const mine = levels.users?.[person.userId] ?? levels.users_default ?? 0;
      if (mine < (levels.events?.["m.room.message"] ?? levels.events_default ?? 0)) continue;
      chats.push(roomId);
    }
    for (let m = 0; m < DAY.messagesEach && chats.length > 0; m++) {
      const roomId = chats[m % chats.length] as string;
      const body = `Tag ${i}.${m}: Hat jemand die Seitenzahl für Mathe? (${person.localpart})`;
      await matrixCall(hs, token, "PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/day-${i}-${m}`, { msgtype: "m.text", body });
      messages++;
      probe ??= { person, roomId, body };
    }
    if (submission !== undefined && handedIn < DAY.submissions) {
      handedIn++;
      const fileList: { url: string; name: string; mimetype: string; size: number }[] = [];
      if (files < DAY.files) {
        files++;
        const upload = await matrixCall(hs, token, "POST", "/_matrix/media/v3/upload?filename=loesung.pdf", undefined, randomBytes(DAY.fileBytes));
        fileList.push({ url: String(upload.content_uri), name: "loesung.pdf", mimetype: "application/pdf", size: DAY.fileBytes });
        await matrixCall(hs, token, "PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(submission.roomId)}/send/m.room.message/day-file-${i}`, { msgtype: "m.file", body: "loesung.pdf", url: upload.content_uri, info: { size: DAY.fileBytes, mimetype: "application/pdf" } });
      }
      await matrixCall(hs, token, "PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(submission.roomId)}/send/de.schulhof.homework.submission/day-sub-${i}`, { assignment_id: submission.assignmentId, text: "Meine Lösung: siehe oben, Aufgabe 1 a) bis c).", files: fileList, body: "Abgabe" });
    }
  });
  if (probe === null) throw new Error("no message written during the day");
  return { messages, submissions: handedIn, files, probe };
}

let exit = 0;
const work = mkdtempSync(join(tmpdir(), "schulhof-bench-backup-"));
const repo = join(work, "restic-repo");
const passwordFile = join(work, "keep-elsewhere", "backup-password");
const restoredDir = join(work, "restored-school");
let stack: BenchStack | null = null;
let host: ChildProcess | null = null;
let pgB: TestPostgres | null = null;
let synapseB: RunningSynapse | null = null;
let db: pg.Client | null = null;
try {
  // The saved school: this code's own, or BENCH_SNAPSHOT, or the one the benchmark was first measured on.
  let snapshotNote = "the code's own snapshot";
  if (process.env.BENCH_SNAPSHOT === undefined || process.env.BENCH_SNAPSHOT === "") {
    const own = join(SNAPSHOT_DIR, `morning-${STUDENTS}-${snapshotKey(STUDENTS)}`);
    if (!existsSync(join(own, "school.json")) && existsSync(join(KNOWN_SNAPSHOT, "school.json"))) {
      process.env.BENCH_SNAPSHOT = KNOWN_SNAPSHOT;
      snapshotNote = `no snapshot for this code (${relative(REPO_ROOT, own)}): using ${relative(REPO_ROOT, KNOWN_SNAPSHOT)}, made by an earlier version`;
    }
  } else {
    snapshotNote = "BENCH_SNAPSHOT";
  }
  say(snapshotNote);
  const t0 = performance.now();
  const made = await morningStack("backup", STUDENTS, undefined, say);
  stack = made.stack;
  const { school, origin } = made;
  const setupSeconds = (performance.now() - t0) / 1000;
  const dataDir = stack.gen.dataDir;
  say(`school of ${school.size.students} students, ${school.size.teachers} teachers, ${school.rooms} rooms restored from ${origin.snapshot} in ${round(setupSeconds)} s`);

  // The school's backup settings, as an IT person writes them into school.yaml.
  const yamlFile = join(dataDir, "school.yaml");
  const schoolYaml = parse(readFileSync(yamlFile, "utf8")) as Record<string, unknown>;
  mkdirSync(join(work, "keep-elsewhere"), { recursive: true });
  writeFileSync(yamlFile, stringify({ ...schoolYaml, backup: { repository: repo, password_file: passwordFile, keep: { daily: 7, weekly: 4, monthly: 12 } } }));

  const sizes = { synapseDb: 0, appsDb: 0 };
  db = new pg.Client({ connectionString: stack.appsDbUrl });
  await db.connect();
  const dbSize = async (name: string): Promise<number> => Number(((await db?.query<{ n: string }>("SELECT pg_database_size($1) AS n", [name]))?.rows[0]?.n) ?? 0);
  sizes.synapseDb = await dbSize("synapse");
  sizes.appsDb = await dbSize("appservices");
  const countSubmissions = async (): Promise<number> => Number((await db?.query<{ n: string }>("SELECT count(*) AS n FROM homework.submissions"))?.rows[0]?.n ?? 0);

  // 1. The first backup, full, as the timer's unit runs it: the appservices stopped, Synapse running.
  await stopHost(stack.host);
  say(`first backup (Synapse's database ${mib(sizes.synapseDb)} MiB, the appservices' ${mib(sizes.appsDb)} MiB) …`);
  const fullSeconds = schulhof(["backup", "--data", dataDir]);
  const full = lastBackup(dataDir);
  say(`first backup: ${round(fullSeconds)} s (dumps ${round(full.dumpSeconds)} s), ${mib(full.dataAdded)} MiB added`);

  // 2. One school day, then the incremental backup.
  host = startHost(dataDir);
  await waitForHttp(`http://127.0.0.1:${stack.ports.homework}/health`, 120_000, "homework appservice");
  const before = await countSubmissions();
  say(`one school day: ${DAY.writers} people write ${DAY.messagesEach} messages each, ${DAY.submissions} submissions (${DAY.files} with a 200 KB file) …`);
  const d0 = performance.now();
  const day = await schoolDay(stack, school.people, school.submissions);
  // The homework appservice has stored the day's submissions before its unit stops for the backup.
  for (let waited = 0; (await countSubmissions()) < before + day.submissions && waited < 300; waited++) await new Promise((r) => setTimeout(r, 1000));
  const stored = (await countSubmissions()) - before;
  const daySeconds = (performance.now() - d0) / 1000;
  say(`the day: ${day.messages} messages, ${day.submissions} submissions (${stored} stored by the homework appservice), ${day.files} files in ${round(daySeconds)} s`);
  await stopHost(host);
  host = null;
  const incrementalSeconds = schulhof(["backup", "--data", dataDir]);
  const incremental = lastBackup(dataDir);
  say(`incremental backup: ${round(incrementalSeconds)} s (dumps ${round(incremental.dumpSeconds)} s), ${mib(incremental.dataAdded)} MiB added`);
  const repoBytes = Number(spawnSync("du", ["-sb", repo], { encoding: "utf8" }).stdout.split("\t")[0] ?? 0);

  // 3. The old server is gone; restore onto a fresh data folder and a fresh PostgreSQL cluster.
  await db.end();
  db = null;
  await stack.stop();
  stack = null;
  pgB = await startPostgres();
  say("restore onto a fresh data folder and a fresh PostgreSQL cluster …");
  const restoreSeconds = schulhof(["restore", "--data", restoredDir, "--repo", repo, "--password-file", passwordFile, "--db-host", "127.0.0.1", "--db-port", String(pgB.port), "--pg-admin", pgB.url]);
  say(`restore: ${round(restoreSeconds)} s; starting the restored Synapse …`);
  const s0 = performance.now();
  synapseB = await runSynapse(generateFromFile(restoredDir));
  const startSeconds = (performance.now() - s0) / 1000;
  // A person logs in with the password of the letter and reads the day's message.
  const token = await login(synapseB.url, day.probe.person);
  const msgs = (await matrixCall(synapseB.url, token, "GET", `/_matrix/client/v3/rooms/${encodeURIComponent(day.probe.roomId)}/messages?dir=b&limit=100`)).chunk as { content: { body?: string } }[];
  const found = msgs.some((m) => m.content.body === day.probe.body);
  if (!found) throw new Error(`after the restore, ${day.probe.person.localpart} does not see the day's message in ${day.probe.roomId}`);
  say(`${day.probe.person.localpart} logged in to the restored school and reads the day's message`);

  const met = { backup: fullSeconds < TARGETS.backup_s, restore: restoreSeconds < TARGETS.restore_s, incremental: incrementalSeconds < TARGETS.incremental_s };
  printTable(`schulhof backup / restore, a school of ${school.size.students} students (2 cores, restic ${spawnSync("restic", ["version"], { encoding: "utf8" }).stdout.split(" ")[1] ?? "?"})`, [
    ["school", `${origin.snapshot} (${snapshotNote})`],
    ["Synapse's database / the appservices'", `${mib(sizes.synapseDb)} MiB / ${mib(sizes.appsDb)} MiB`],
    ["first backup (full)", `${round(fullSeconds)} s (dumps ${round(full.dumpSeconds)} s), ${mib(full.dataAdded)} MiB added, target < ${TARGETS.backup_s} s: ${met.backup ? "met" : "missed"}`],
    ["one school day", `${day.messages} messages, ${day.submissions} submissions (${stored} stored), ${day.files} files of 200 KB, in ${round(daySeconds)} s`],
    ["incremental backup", `${round(incrementalSeconds)} s (dumps ${round(incremental.dumpSeconds)} s), ${mib(incremental.dataAdded)} MiB added, target < ${TARGETS.incremental_s} s: ${met.incremental ? "met" : "missed"}`],
    ["repository after both", `${mib(repoBytes)} MiB`],
    ["restore (fresh folder + cluster)", `${round(restoreSeconds)} s, target < ${TARGETS.restore_s} s: ${met.restore ? "met" : "missed"}`],
    ["restored Synapse up", `${round(startSeconds)} s; ${day.probe.person.localpart} logs in and reads the day's message`],
  ]);
  process.stdout.write(
    JSON.stringify({
      students: school.size.students,
      snapshot: origin.snapshot,
      snapshot_note: snapshotNote,
      synapse_db_mib: mib(sizes.synapseDb),
      appservices_db_mib: mib(sizes.appsDb),
      backup_s: round(fullSeconds),
      backup_dump_s: round(full.dumpSeconds),
      backup_added_mib: mib(full.dataAdded),
      day: { messages: day.messages, submissions: day.submissions, submissions_stored: stored, files: day.files, seconds: round(daySeconds) },
      incremental_s: round(incrementalSeconds),
      incremental_dump_s: round(incremental.dumpSeconds),
      incremental_added_mib: mib(incremental.dataAdded),
      repository_mib: mib(repoBytes),
      restore_s: round(restoreSeconds),
      restored_synapse_start_s: round(startSeconds),
      login_after_restore: found,
      targets: TARGETS,
      targets_met: met,
    }) + "\n",
  );
} catch (e) {
  say((e as Error).stack ?? String(e));
  exit = 1;
} finally {
  await db?.end().catch(() => undefined);
  if (host !== null) await stopHost(host).catch(() => undefined);
  await synapseB?.stop().catch(() => undefined);
  pgB?.stop();
  await stack?.stop().catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
}
process.exit(exit);
