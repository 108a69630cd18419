// Starts and kills the counter fixture appservice as a child process, and reads its log table.
import { spawn, type ChildProcess } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { pgQuery } from "./pg.ts";
import { testEnv } from "./env.ts";

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures");

/** Starts a fixture appservice process (`counter-main.ts` by default) and waits until it listens. */
export async function startCounter(main = "counter-main.ts"): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(FIXTURES, main)], { stdio: ["ignore", "pipe", "inherit"], env: process.env });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${main} did not start in 30 s`)), 30_000);
    child.stdout?.on("data", (d: Buffer) => {
      if (d.toString().includes("ready")) {
        clearTimeout(t);
        resolve();
      }
    });
    child.once("exit", (code) => reject(new Error(`${main} exited with ${code}`)));
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
export function counterQuery<T>(sql: string, params: unknown[] = []): Promise<T[]> {
  return pgQuery<T>(testEnv().counter.dbUrl, null, sql, params);
}
