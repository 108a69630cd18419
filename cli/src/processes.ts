// Child processes of `schulhof up` (LiveKit) and finding the tools that bootstrap installed.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, openSync } from "node:fs";
import { delimiter, join } from "node:path";
import { REPO_ROOT } from "@schulhof/homeserver-config";

/** A binary on PATH or in the project's `.tools/bin`, else null. */
export function findTool(name: string): string | null {
  const dirs = [...(process.env.PATH ?? "").split(delimiter), join(REPO_ROOT, ".tools", "bin")];
  for (const d of dirs) {
    const p = join(d, name);
    if (d !== "" && existsSync(p)) return p;
  }
  return null;
}

/** Starts livekit-server with a generated loopback-only config file; its output goes to `logFile`. */
export function startLivekit(logFile: string, configFile: string): ChildProcess | null {
  const bin = findTool("livekit-server");
  if (bin === null) return null;
  const out = openSync(logFile, "a");
  return spawn(bin, ["--config", configFile], { stdio: ["ignore", out, out] });
}
