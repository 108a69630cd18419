// A private PostgreSQL cluster for one test run, in a temporary folder, on a free loopback port.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { freePort } from "./ports.ts";

export interface TestPostgres {
  url: string;
  port: number;
  /** Creates a fresh database and answers its URL. */
  createDatabase(name: string): Promise<string>;
  stop(): void;
  /**
   * Stops the cluster cleanly and keeps a copy of its data folder at `dest` (for `startPostgres({ dataFrom })`);
   * the cluster's own folder is removed as by `stop`. Only for a cluster this harness started.
   */
  saveTo?(dest: string): void;
}

/** Finds Debian's PostgreSQL binaries (newest version). */
export function postgresBinDir(): string {
  const base = "/usr/lib/postgresql";
  if (!existsSync(base)) throw new Error("PostgreSQL is not installed (Debian package postgresql); .ci/run installs it");
  const versions = readdirSync(base).sort((a, b) => Number(b) - Number(a));
  for (const v of versions) if (existsSync(join(base, v, "bin", "initdb"))) return join(base, v, "bin");
  throw new Error("no initdb under /usr/lib/postgresql");
}

/** Runs a command as the `postgres` user when we are root (initdb refuses root). */
function asPgUser(cmd: string, args: string[]): void {
  const root = process.getuid?.() === 0;
  const r = root ? spawnSync("runuser", ["-u", "postgres", "--", cmd, ...args], { encoding: "utf8" }) : spawnSync(cmd, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr || r.stdout}`);
}

/**
 * Starts a cluster with trust auth on 127.0.0.1. Use `SCHULHOF_TEST_PG_URL` to use an existing server instead.
 * `dataFrom` starts a copy of a data folder kept by `saveTo` instead of a new cluster (the benchmarks' saved schools).
 */
export async function startPostgres(opts: { dataFrom?: string } = {}): Promise<TestPostgres> {
  const existing = process.env.SCHULHOF_TEST_PG_URL;
  if (existing !== undefined && existing !== "" && opts.dataFrom === undefined) return remote(existing, () => undefined);
  const bin = postgresBinDir();
  const dir = mkdtempSync(join(tmpdir(), "schulhof-pg-"));
  const root = process.getuid?.() === 0;
  if (root) execFileSync("chown", ["postgres:postgres", dir]);
  const port = await freePort();
  if (opts.dataFrom === undefined) {
    asPgUser(join(bin, "initdb"), ["-D", join(dir, "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"]);
  } else {
    execFileSync("cp", ["-a", opts.dataFrom, join(dir, "data")]);
    if (root) execFileSync("chown", ["-R", "postgres:postgres", join(dir, "data")]);
  }
  asPgUser(join(bin, "pg_ctl"), [
    "-D", join(dir, "data"), "-l", join(dir, "log"), "-w", "-t", "60",
    "-o", `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=on`,
    "start",
  ]);
  const stop = (): void => {
    try {
      asPgUser(join(bin, "pg_ctl"), ["-D", join(dir, "data"), "-m", "immediate", "-w", "stop"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const saveTo = (dest: string): void => {
    asPgUser(join(bin, "pg_ctl"), ["-D", join(dir, "data"), "-m", "fast", "-w", "stop"]);
    rmSync(dest, { recursive: true, force: true });
    execFileSync("cp", ["-a", join(dir, "data"), dest]);
    rmSync(dir, { recursive: true, force: true });
  };
  return { ...remote(`postgres://postgres@127.0.0.1:${port}/postgres`, stop), saveTo };
}

function remote(url: string, stop: () => void): TestPostgres {
  const u = new URL(url);
  return {
    url,
    port: Number(u.port || 5432),
    async createDatabase(name: string): Promise<string> {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}"`);
        await c.query(`CREATE DATABASE "${name}" ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`);
      } finally {
        await c.end();
      }
      const d = new URL(url);
      d.pathname = `/${name}`;
      return d.toString();
    },
    stop,
  };
}

