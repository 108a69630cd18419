// The morning benchmark's school, made once and kept: a saved school is restored in seconds, so a phase can be run again in minutes.
import { createHash } from "node:crypto";
import { existsSync, globSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import pg from "pg";
import { REPO_ROOT } from "@schulhof/homeserver-config";
import { cpuSeconds } from "./proc.ts";
import { generateRoster } from "./school-generator.ts";
import { importRoster, scaledSchool, setUpMorningSchool, type MorningSchool } from "./morning-school.ts";
import { startBenchStack, type BenchStack } from "./stack.ts";

/** Where saved schools are kept (git-ignored). */
export const SNAPSHOT_DIR = join(REPO_ROOT, ".bench", "snapshots");

/** What a school is made from: a change to any of these makes a new snapshot. */
const SOURCES = ["appservices/*/src/**/*.ts", "homeserver-config/src/**/*.ts", "homeserver-config/python/*.py", "bench/src/morning-school.ts", "bench/src/school-generator.ts", "bench/src/stack.ts", "scripts/bootstrap.sh"];

/** A short hash of the sources that make the school, and of its size. */
export function snapshotKey(students: number): string {
  const h = createHash("sha256").update(`students=${students}\n`);
  const files = [...new Set(SOURCES.flatMap((p) => globSync(p, { cwd: REPO_ROOT })))].sort();
  for (const f of files) h.update(`${f}\0`).update(readFileSync(join(REPO_ROOT, f)));
  return h.digest("hex").slice(0, 12);
}

/** How the school of this run came about, for the benchmark's output. */
export interface SchoolOrigin {
  /** `made`: set up in this run (and saved); `restored`: from a snapshot an earlier run saved. */
  how: "made" | "restored";
  snapshot: string;
  /** With BENCH_REIMPORT=1: the same roster imported again into the restored school by this run's code, in seconds. */
  reimportSeconds: number | null;
  /** With BENCH_REIMPORT=1: how long Synapse then kept busy with the import's after-work (user directory, caches), in seconds. */
  settleSeconds: number | null;
}

/** Waits until `pid` uses less than a fifth of a core over 10 s (at most `maxMs`); answers the seconds waited. */
async function settled(pid: number | undefined, maxMs: number): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    const c0 = cpuSeconds(pid) ?? 0;
    await new Promise((r) => setTimeout(r, 10_000));
    const used = (cpuSeconds(pid) ?? 0) - c0;
    if (used < 2 || performance.now() - t0 > maxMs) return Math.round((performance.now() - t0) / 1000);
  }
}

type Workers = { sync: number; client: number; event_persisters: number };

/**
 * Answers the running stack with the benchmark school in it. The school is set up once per size and version of
 * the code that makes it (one Synapse process), saved under `.bench/snapshots/`, and every run (the first too)
 * measures a restored copy, so that a fresh and a restored run start alike: Synapse and the appservices just
 * started on a school that is at rest. `BENCH_SNAPSHOT=DIR` restores that snapshot whatever the code (to measure
 * new code on a school an older version made), and `BENCH_REIMPORT=1` then imports the same roster again first,
 * as a school does after an upgrade (the migration of its rooms).
 */
export async function morningStack(name: string, students: number, workers: Workers | undefined, say: (s: string) => void): Promise<{ stack: BenchStack; school: MorningSchool; origin: SchoolOrigin }> {
  const forced = process.env.BENCH_SNAPSHOT;
  const dir = forced !== undefined && forced !== "" ? forced : join(SNAPSHOT_DIR, `morning-${students}-${snapshotKey(students)}`);
  const meta = join(dir, "school.json");
  let how: SchoolOrigin["how"] = "restored";
  if (!existsSync(meta)) {
    if (forced !== undefined && forced !== "") throw new Error(`BENCH_SNAPSHOT: ${dir} holds no saved school (no school.json)`);
    how = "made";
    say(`no saved school for this code (${relative(REPO_ROOT, dir)}): setting it up, once …`);
    const setup = await startBenchStack(`${name}-setup`);
    const db = new pg.Client({ connectionString: setup.appsDbUrl, options: "-c search_path=homework" });
    try {
      await db.connect();
      const school = await setUpMorningSchool(setup, db, students, say);
      await db.end();
      // Synapse works on after the last answer (the user directory follows every join): a saved school is one at rest.
      say("waiting for Synapse to finish the set-up's after-work …");
      await settled(setup.synapse.process.pid, 1_800_000);
      say(`saving the school to ${relative(REPO_ROOT, dir)} …`);
      await setup.saveSnapshot(dir);
      // Written last: a snapshot without it is incomplete and made again.
      writeFileSync(meta, JSON.stringify({ ...school, submissions: [...school.submissions], lessons: [...school.lessons] }), { mode: 0o600 });
    } catch (e) {
      await db.end().catch(() => undefined);
      await setup.stop().catch(() => undefined);
      throw e;
    }
  }
  say(`restoring the school from ${relative(REPO_ROOT, dir)} …`);
  const saved = JSON.parse(readFileSync(meta, "utf8")) as Omit<MorningSchool, "submissions" | "lessons"> & { submissions: [string, MorningSchool["submissions"] extends Map<string, infer V> ? V : never][]; lessons: [string, string[]][] };
  const school: MorningSchool = { ...saved, submissions: new Map(saved.submissions), lessons: new Map(saved.lessons) };
  const stack = await startBenchStack(name, {}, { ...(workers === undefined ? {} : { workers }), from: dir });
  let reimportSeconds: number | null = null;
  let settleSeconds: number | null = null;
  if (process.env.BENCH_REIMPORT === "1") {
    say("importing the same roster again with this code (an upgraded school's next import) …");
    const t0 = performance.now();
    const report = await importRoster(stack, generateRoster(scaledSchool(students)).csv, say);
    reimportSeconds = Math.round((performance.now() - t0) / 100) / 10;
    const a = report.apply;
    say(`imported in ${reimportSeconds} s (joins ${a?.joins ?? 0}, removals ${a?.removals ?? 0}, power level updates ${a?.powerUpdates ?? 0}); waiting for Synapse to finish the import's after-work …`);
    settleSeconds = await settled(stack.synapse.process.pid, 900_000);
  }
  return { stack, school, origin: { how, snapshot: relative(REPO_ROOT, dir), reimportSeconds, settleSeconds } };
}
