// The web client's licence notices: a real build (Vite with the project's config) into a temporary folder lists the
// bundled third-party packages with their licences and texts, ships the AGPL text and the commit's source archive, and
// puts the commit and the source address into the client's code.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve, sep } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { build } from "vite";
import { buildCommit, packageDirOf } from "../scripts/about.ts";

const webDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const version = (name: string): string => (JSON.parse(readFileSync(join(webDir, "..", "node_modules", name, "package.json"), "utf8")) as { version: string }).version;

describe("web client licence notices", () => {
  const out = mkdtempSync(join(tmpdir(), "schulhof-web-about-"));
  before(async () => {
    await build({ root: webDir, configFile: join(webDir, "vite.config.ts"), logLevel: "error", build: { outDir: out, emptyOutDir: true, sourcemap: false } });
  });
  after(() => rmSync(out, { recursive: true, force: true }));

  it("knows the package of a module id, scoped names included", () => {
    assert.equal(packageDirOf(`/x/node_modules/svelte/src/internal/client/index.js`), `/x/node_modules/svelte`.split("/").join(sep));
    assert.equal(packageDirOf(`/x/node_modules/a/node_modules/@livekit/protocol/dist/index.mjs?v=1`), `/x/node_modules/a/node_modules/@livekit/protocol`.split("/").join(sep));
    assert.equal(packageDirOf(`/x/web/src/App.svelte`), null);
  });

  it("lists svelte, matrix-js-sdk and livekit-client's pre-bundled dependencies with their licences and licence texts", () => {
    const notices = readFileSync(join(out, "third-party-licenses.txt"), "utf8");
    assert.match(notices, new RegExp(`^- svelte ${version("svelte").replaceAll(".", "\\.")}: MIT$`, "m"));
    assert.match(notices, new RegExp(`^- matrix-js-sdk ${version("matrix-js-sdk").replaceAll(".", "\\.")}: Apache-2\\.0$`, "m"));
    assert.match(notices, /^- dompurify [\d.]+: \(MPL-2\.0 OR Apache-2\.0\)$/m);
    assert.match(notices, /^- @livekit\/protocol [\d.]+: Apache-2\.0$/m, "livekit-client's bundled dependency");
    assert.match(notices, /^- webrtc-adapter [\d.]+: BSD-3-Clause$/m);
    // The licence texts themselves, not only the names.
    assert.match(notices, /={78}\nsvelte [\d.]+ \(MIT\)\n={78}\nCopyright \(c\) 2016-\d+ \[Svelte Contributors\]/);
    assert.match(notices, /Apache License\s+Version 2\.0, January 2004/);
    // Build tools and server-side packages are not in the client.
    for (const absent of ["vite", "express", "acorn", "typescript"]) assert.doesNotMatch(notices, new RegExp(`^- ${absent} `, "m"));
  });

  it("ships the AGPL text, the source of the commit, and the commit and source address in the code", () => {
    const license = readFileSync(join(out, "LICENSE.txt"), "utf8");
    assert.match(license, /^\s+GNU AFFERO GENERAL PUBLIC LICENSE\n\s+Version 3, 19 November 2007/);
    assert.equal(license, readFileSync(join(webDir, "..", "LICENSE"), "utf8"));
    const commit = buildCommit();
    assert.match(commit, /^[0-9a-f]{40}$/);
    const archive = join(out, "source", `schulhof-${commit.slice(0, 12)}.tar.gz`);
    assert.ok(existsSync(archive), "source archive of the commit");
    assert.ok(readFileSync(archive).length > 100_000);
    const code = readdirSync(join(out, "assets"))
      .filter((f) => f.endsWith(".js"))
      .map((f) => readFileSync(join(out, "assets", f), "utf8"))
      .join("\n");
    assert.ok(code.includes(commit), "the commit is in the built code");
    assert.ok(code.includes(`/source/schulhof-${commit.slice(0, 12)}.tar.gz`), "the source address is in the built code");
  });
});
