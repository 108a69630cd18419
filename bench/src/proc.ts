// Reading a process's memory and CPU from /proc, for benchmark reports.
import { readFileSync } from "node:fs";

/** Peak resident memory (VmHWM) of a process in MiB, or null when it cannot be read. */
export function peakRssMiB(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m === null ? null : Math.round(Number(m[1]) / 1024);
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) a process used so far. */
export function cpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    const ticks = Number(fields[11]) + Number(fields[12]);
    return ticks / 100;
  } catch {
    return null;
  }
}

/** Prints a table: a header row and rows, columns padded. */
export function printTable(title: string, rows: [string, string][]): void {
  const w = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(`\n${title}\n${"-".repeat(title.length)}\n`);
  for (const [k, v] of rows) process.stdout.write(`${k.padEnd(w)}  ${v}\n`);
}
