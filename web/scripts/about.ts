// Build-time parts of the AGPL's "source for network users": the notices of the third-party code the built client
// ships (from the bundle's own modules, so only what is really in web/dist is listed), the licence text, an archive of
// the commit's source, and the facts the About footer shows (commit, source address), for Vite's `define`.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { Plugin } from "vite";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** One third-party package in the bundle. */
export interface BundledPackage {
  name: string;
  version: string;
  license: string;
  /** The package's licence file, or null when it ships none. */
  licenseText: string | null;
}

/** The package folder of a module id below node_modules (scoped names kept), or null for the client's own code. */
export function packageDirOf(moduleId: string): string | null {
  const id = moduleId.replace(/^\0/, "").split("?")[0] ?? "";
  const marker = `${sep}node_modules${sep}`;
  const at = id.lastIndexOf(marker);
  if (at < 0) return null;
  const rest = id.slice(at + marker.length).split(sep);
  const parts = rest[0]?.startsWith("@") === true ? rest.slice(0, 2) : rest.slice(0, 1);
  return id.slice(0, at + marker.length) + parts.join(sep);
}

function licenseOf(pkg: Record<string, unknown>): string {
  const license = pkg.license;
  if (typeof license === "string") return license;
  if (typeof license === "object" && license !== null && typeof (license as { type?: unknown }).type === "string") return (license as { type: string }).type;
  if (Array.isArray(pkg.licenses)) return pkg.licenses.map((l: { type?: string }) => l.type ?? "?").join(" OR ");
  return "UNKNOWN";
}

/** Where Node would find package `name` from folder `from`, or null. */
function resolvePackageDir(name: string, from: string): string | null {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return candidate;
    if (dirname(dir) === dir) return null;
  }
}

/**
 * The bundle's package folders and the production dependencies (transitively) of those that came as one pre-bundled
 * module: livekit-client's single file carries @livekit/protocol, webrtc-adapter, … inside, so they are in the client
 * without a module of their own. Packages of many modules (svelte, matrix-js-sdk) brought their used dependencies as
 * modules and are not expanded. A notice too many is harmless; one missing is not.
 */
export function withDependencies(modulesPerDir: ReadonlyMap<string, number>): Set<string> {
  const seen = new Set<string>(modulesPerDir.keys());
  const todo = [...modulesPerDir].filter(([, n]) => n === 1).map(([dir]) => dir);
  for (const dir of todo) seen.delete(dir);
  for (let dir = todo.pop(); dir !== undefined; dir = todo.pop()) {
    if (seen.has(dir)) continue;
    seen.add(dir);
    const manifest = join(dir, "package.json");
    if (!existsSync(manifest)) continue;
    const pkg = JSON.parse(readFileSync(manifest, "utf8")) as { dependencies?: Record<string, string> };
    for (const name of Object.keys(pkg.dependencies ?? {})) {
      const found = resolvePackageDir(name, dir);
      if (found !== null && !seen.has(found)) todo.push(found);
    }
  }
  return seen;
}

/** Reads name, version, licence and licence file of the packages whose folders are given; sorted by name. */
export function readPackages(dirs: Iterable<string>): BundledPackage[] {
  const byName = new Map<string, BundledPackage>();
  for (const dir of dirs) {
    const manifest = join(dir, "package.json");
    if (!existsSync(manifest)) continue;
    const pkg = JSON.parse(readFileSync(manifest, "utf8")) as Record<string, unknown>;
    const name = String(pkg.name ?? dir);
    const version = String(pkg.version ?? "");
    const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|-|$)/i.test(f));
    const key = `${name}@${version}`;
    if (!byName.has(key)) byName.set(key, { name, version, license: licenseOf(pkg), licenseText: file === undefined ? null : readFileSync(join(dir, file), "utf8").trim() });
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version));
}

/** The text of `third-party-licenses.txt`. */
export function noticesText(packages: readonly BundledPackage[]): string {
  const head = [
    "Schulhof – Web-Client: Lizenzen des mitgelieferten Codes Dritter / web client: licences of the bundled third-party code",
    "",
    "Schulhof selbst steht unter der GNU Affero General Public License 3.0 oder später (LICENSE.txt).",
    "Schulhof itself is licensed under the GNU Affero General Public License 3.0 or later (LICENSE.txt).",
    "",
    ...packages.map((p) => `- ${p.name} ${p.version}: ${p.license}`),
    "",
  ];
  const bodies = packages.map((p) => [`${"=".repeat(78)}`, `${p.name} ${p.version} (${p.license})`, `${"=".repeat(78)}`, p.licenseText ?? `(Das Paket liefert keine Lizenzdatei mit. / The package ships no licence file; licence: ${p.license})`, ""].join("\n"));
  return [...head, ...bodies].join("\n");
}

/** The commit the build is made from (`SCHULHOF_COMMIT` when building outside a git checkout), "unbekannt" without. */
export function buildCommit(): string {
  if (process.env.SCHULHOF_COMMIT) return process.env.SCHULHOF_COMMIT;
  try {
    return execFileSync("git", ["rev-parse", "HEAD"], { cwd: REPO_ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "unknown";
  }
}

/**
 * Where people get the source: `SCHULHOF_SOURCE_URL` at build time, else the root package.json's `repository`,
 * else null (the footer then links the archive of the commit built into the client, `/source/schulhof-<commit>.tar.gz`).
 */
export function sourceUrl(): string | null {
  if (process.env.SCHULHOF_SOURCE_URL) return process.env.SCHULHOF_SOURCE_URL;
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { repository?: string | { url?: string } };
  const repo = typeof pkg.repository === "string" ? pkg.repository : pkg.repository?.url;
  return repo ? repo.replace(/^git\+/, "").replace(/\.git$/, "") : null;
}

/** The archive of the commit's tracked files (`git archive`), or null outside a git checkout. */
function sourceArchive(commit: string): Buffer | null {
  try {
    return execFileSync("git", ["archive", "--format=tar.gz", `--prefix=schulhof-${commit.slice(0, 12)}/`, commit], { cwd: REPO_ROOT, maxBuffer: 256 * 1024 * 1024, stdio: ["ignore", "pipe", "ignore"] });
  } catch {
    return null;
  }
}

/** Vite plugin: writes third-party-licenses.txt, LICENSE.txt and (without a source address) the source archive into the build. */
export function aboutFiles(commit: string, withArchive: boolean): Plugin {
  return {
    name: "schulhof-about-files",
    apply: "build",
    generateBundle(_options, bundle) {
      const dirs = new Map<string, number>();
      for (const output of Object.values(bundle)) {
        if (output.type !== "chunk") continue;
        for (const id of output.moduleIds ?? Object.keys(output.modules)) {
          const dir = packageDirOf(id);
          if (dir !== null) dirs.set(dir, (dirs.get(dir) ?? 0) + 1);
        }
      }
      this.emitFile({ type: "asset", fileName: "third-party-licenses.txt", source: noticesText(readPackages(withDependencies(dirs))) });
      this.emitFile({ type: "asset", fileName: "LICENSE.txt", source: readFileSync(join(REPO_ROOT, "LICENSE"), "utf8") });
      if (withArchive) {
        const archive = sourceArchive(commit);
        if (archive !== null) this.emitFile({ type: "asset", fileName: `source/schulhof-${commit.slice(0, 12)}.tar.gz`, source: archive });
      }
    },
  };
}
