// A private copy of the built web client for a test's own web server.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WEB_DIST } from "@schulhof/web";

/**
 * A copy of the built client for a test's own web server: others rebuild web/dist while tests run, and a half-written
 * folder would be served. Waits until a build is complete (index.html and every asset it names). The caller removes it.
 */
export async function snapshotOfDist(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "schulhof-dist-"));
  for (let attempt = 0; attempt < 60; attempt++) {
    try {
      cpSync(WEB_DIST, dir, { recursive: true });
      const html = readFileSync(join(dir, "index.html"), "utf8");
      const assets = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+)"/g)].map((m) => m[1] ?? "");
      if (assets.length > 0 && assets.every((a) => existsSync(join(dir, a)))) return dir;
    } catch {
      // A build is running; try again.
    }
    rmSync(dir, { recursive: true, force: true });
    await new Promise((r) => setTimeout(r, 2000));
  }
  throw new Error(`no complete build in ${WEB_DIST}: run npm run build -w @schulhof/web`);
}
