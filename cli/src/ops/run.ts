// Running the tools the operations commands drive (restic, pg_dump, pg_restore, psql, systemctl): no shell, every
// failure names the command and the end of its error output.
import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { opsError } from "./config.ts";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Called with each line of standard output (restic --json progress). */
  onLine?: (line: string) => void;
}

/** Runs `cmd args` and answers its exit code and output (never throws for a non-zero exit). */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let partial = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
      if (opts.onLine === undefined) return;
      partial += d;
      const lines = partial.split("\n");
      partial = lines.pop() ?? "";
      for (const l of lines) opts.onLine(l);
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", (e: NodeJS.ErrnoException) =>
      reject(
        e.code === "ENOENT"
          ? opsError("SCHULHOF_OPS_TOOL", `${cmd} fehlt: bitte das Debian-Paket installieren (schulhof install tut es)`, `${cmd} is missing: install its Debian package (schulhof install does)`)
          : e,
      ),
    );
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** Runs `cmd args` and throws, naming what was being done, when it fails. */
export async function must(what: { de: string; en: string }, cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) {
    const tail = (r.stderr.trim() || r.stdout.trim()).split("\n").slice(-5).join("\n    ");
    throw opsError("SCHULHOF_OPS_COMMAND", `${what.de} ist fehlgeschlagen (${cmd}, Code ${r.code}):\n    ${tail}`, `${what.en} failed (${cmd}, exit ${r.code})`);
  }
  return r;
}

/** A PostgreSQL client tool (pg_dump, pg_restore, psql) of the newest installed version, for dumps any server version reads. */
export function pgTool(name: "pg_dump" | "pg_restore" | "psql"): string {
  const base = "/usr/lib/postgresql";
  if (existsSync(base)) {
    const versions = readdirSync(base).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    for (const v of versions) if (existsSync(join(base, v, "bin", name))) return join(base, v, "bin", name);
  }
  return name;
}
