// Starts and kills the counter fixture appservice as a child process, and reads its log table.
import { spawn, type ChildProcess } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { testEnv } from "./env.ts";

const MAIN = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "counter-main.ts");

/** Starts the fixture and waits until it listens. */
export async function startCounter(): Promise<ChildProcess> {
  const child = spawn(process.execPath, [MAIN], { stdio: ["ignore", "pipe", "inherit"], env: process.env });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("counter appservice did not start in 30 s")), 30_000);
    child.stdout?.on("data", (d: Buffer) => {
      if (d.toString().includes("ready")) {
        clearTimeout(t);
        resolve();
      }
    });
    child.once("exit", (code) => reject(new Error(`counter appservice exited with ${code}`)));
  });
  return child;
}

/** SIGKILL: no shutdown, no flush; what was not durable is gone. */
export async function killCounter(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  child.kill("SIGKILL");
  await exited;
}

/** Runs `sql` on the fixture's database. */
export async function counterQuery<T>(sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: testEnv().counter.dbUrl });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows as T[];
  } finally {
    await c.end();
  }
}
