// `npm run build -w @schulhof/web`: builds the client into a fresh folder and swaps it in at the end, so a web server
// serving web/dist (a running demo, the test stack) never sees a half-written build.
import { existsSync, renameSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "vite";

const webDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(webDir, "dist");
const fresh = join(webDir, `.dist-${process.pid}`);
const old = join(webDir, `.dist-old-${process.pid}`);
try {
  await build({ root: webDir, configFile: join(webDir, "vite.config.ts"), logLevel: "warn", build: { outDir: fresh, emptyOutDir: true } });
  if (existsSync(dist)) renameSync(dist, old);
  renameSync(fresh, dist);
} finally {
  rmSync(fresh, { recursive: true, force: true });
  rmSync(old, { recursive: true, force: true });
}
