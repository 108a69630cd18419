// The real stack a benchmark measures: a fresh PostgreSQL, Synapse on it, and the appservice host as its own process.
import { spawn, type ChildProcess } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { ensureSystemAdmin, generateSchool, REPO_ROOT, runSynapse, SchoolFileSchema, type GeneratedSchool, type RunningSynapse } from "@schulhof/homeserver-config";
import { freePort, freePortRange, startPostgres, waitForHttp, type TestPostgres } from "@schulhof/test";

export interface BenchStack {
  gen: GeneratedSchool;
  synapse: RunningSynapse;
  host: ChildProcess;
  pg: TestPostgres;
  adminToken: string;
  ports: { school: number; homework: number };
  appsDbUrl: string;
  stop(): Promise<void>;
  /**
   * Stops everything cleanly and keeps the school (PostgreSQL's data folder with Synapse's and the appservices'
   * databases, and the school's data folder: config, secrets, signing key, media) in `dir`, for `opts.from`.
   */
  saveSnapshot(dir: string): Promise<void>;
}

/** The parts of a saved school in its snapshot folder. */
const SNAPSHOT_PG = "postgres";
const SNAPSHOT_DATA = "school";

/** Starts everything on free loopback ports; `stop` removes it all again. */
export async function startBenchStack(
  name: string,
  overrides: Record<string, unknown> = {},
  opts: { synapseExtra?: Record<string, unknown>; workers?: { sync: number; client: number; event_persisters: number }; from?: string } = {},
): Promise<BenchStack> {
  const dataDir = mkdtempSync(join(tmpdir(), `schulhof-bench-${name}-`));
  // A saved school starts from copies of its databases and data folder, on new free ports (the config is generated again).
  if (opts.from !== undefined) cpSync(join(opts.from, SNAPSHOT_DATA), dataDir, { recursive: true });
  const pg = await startPostgres(opts.from === undefined ? {} : { dataFrom: join(opts.from, SNAPSHOT_PG) });
  const dbUrl = (db: string): string => Object.assign(new URL(pg.url), { pathname: `/${db}` }).toString();
  const synapseDb = new URL(opts.from === undefined ? await pg.createDatabase("synapse") : dbUrl("synapse"));
  const appsDbUrl = opts.from === undefined ? await pg.createDatabase("appservices") : dbUrl("appservices");
  const [hsPort, schoolPort, homeworkPort, calendarPort, mailPort] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  const school = SchoolFileSchema.parse({
    school: { id: "bench", name: "Benchmark-Gymnasium", state: "NW", mail_domain: "bench.schulhof.test" },
    homeserver: {
      server_name: "bench.schulhof.test",
      public_baseurl: `http://127.0.0.1:${hsPort}`,
      port: hsPort,
      database: { kind: "postgres", host: "127.0.0.1", port: Number(synapseDb.port), user: "postgres", database: "synapse" },
      ...(opts.workers === undefined
        ? {}
        : { workers: { ...opts.workers, base_port: await freePortRange(2 + opts.workers.sync + opts.workers.client + opts.workers.event_persisters), redis: { port: await freePort() } } }),
      ...overrides,
    },
    // Every port free, so a benchmark runs next to a demo school or a test run.
    appservices: { school: { port: schoolPort }, homework: { port: homeworkPort }, calendar: { port: calendarPort }, mail: { port: mailPort, enabled: false } },
    database: { kind: "postgres", url: appsDbUrl },
  });
  writeFileSync(join(dataDir, "school.yaml"), stringify(school));
  const gen = generateSchool(school, dataDir);
  if (opts.synapseExtra !== undefined) {
    // Settings only a benchmark wants (e.g. set-up speed limits), merged into the generated homeserver.yaml.
    const file = gen.synapse.homeserverYaml;
    writeFileSync(file, stringify({ ...(parse(readFileSync(file, "utf8")) as Record<string, unknown>), ...opts.synapseExtra }));
  }
  const synapse = await runSynapse(gen);
  const adminToken = await ensureSystemAdmin(gen, synapse.url);
  const host = spawn(join(REPO_ROOT, "node_modules", ".bin", "node"), [join(REPO_ROOT, "cli", "src", "main.ts"), "host", "--data", dataDir], {
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, SCHULHOF_LOG_LEVEL: "warn" },
  });
  await waitForHttp(`http://127.0.0.1:${schoolPort}/health`, 60_000, "school appservice");
  await waitForHttp(`http://127.0.0.1:${homeworkPort}/health`, 60_000, "homework appservice");
  return {
    gen,
    synapse,
    host,
    pg,
    adminToken,
    ports: { school: schoolPort, homework: homeworkPort },
    appsDbUrl,
    async stop() {
      host.kill("SIGTERM");
      await synapse.stop();
      pg.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
    async saveSnapshot(dir: string) {
      if (pg.saveTo === undefined) throw new Error("a snapshot needs the benchmark's own PostgreSQL (SCHULHOF_TEST_PG_URL is set)");
      // The host finishes the event in hand; what is still queued stays in its inbox and Synapse's, durable, for the next start.
      const exited = host.exitCode !== null ? Promise.resolve() : new Promise((r) => host.once("exit", r));
      host.kill("SIGTERM");
      await exited;
      await synapse.stop();
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      pg.saveTo(join(dir, SNAPSHOT_PG));
      cpSync(dataDir, join(dir, SNAPSHOT_DATA), { recursive: true });
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** One client-server API call as `token`, waiting out 429s (up to 30 times); throws on any other error answer. */
export async function matrixCall(hs: string, token: string, method: string, path: string, body?: unknown, raw?: Buffer): Promise<Record<string, unknown>> {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(`${hs}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": raw === undefined ? "application/json" : "application/octet-stream" },
      body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
    const json = (await res.json()) as Record<string, unknown>;
    if (res.status === 429 && attempt < 30) {
      await new Promise((r) => setTimeout(r, Number(json.retry_after_ms ?? 500)));
      continue;
    }
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  }
}

/** Percentile of sorted numbers (nearest rank). */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
}
