// The router as its own process: `node router-main.ts <synapse/workers/router.json>` (started by runSynapse).
import { readFileSync } from "node:fs";
import { startRouter } from "./router.ts";
import type { WorkerSpec } from "./workers.ts";

const file = process.argv[2];
if (file === undefined) {
  process.stderr.write("usage: router-main.ts <router.json>\n");
  process.exit(2);
}
const cfg = JSON.parse(readFileSync(file, "utf8")) as { bind: string; port: number; mainPort: number; workers: WorkerSpec[] };
const router = await startRouter(cfg.bind, cfg.port, cfg);
process.stdout.write(`router listening on ${cfg.bind}:${router.port}\n`);
for (const sig of ["SIGTERM", "SIGINT"] as const) process.once(sig, () => void router.close().finally(() => process.exit(0)));
