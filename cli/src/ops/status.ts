// `schulhof status`: every process, the certificates' expiry, the queues (inbox, outbox, mail), the last backup and the
// disk space left. Exit code 1 when something needs attention (for a monitoring check).
import { existsSync, readFileSync, statfsSync } from "node:fs";
import { join } from "node:path";
import { connect } from "node:tls";
import { generateFromFile, webPublicUrl, type GeneratedSchool } from "@schulhof/homeserver-config";
import { LAST_BACKUP_FILE } from "./backup.ts";
import { loadOpsSchool } from "./config.ts";
import { videoOf } from "./install.ts";
import { systemdUnits } from "./production.ts";
import { pgTool, run } from "./run.ts";

export interface StatusLine {
  section: "Prozesse" | "Zertifikate" | "Warteschlangen" | "Backup" | "Speicherplatz";
  what: string;
  ok: boolean;
  detail: string;
}

export interface StatusOptions {
  /** Where Caddy answers HTTPS on this machine (443; tests use another port). */
  httpsPort?: number;
  /** Warn when the newest backup is older than this many hours. */
  backupMaxAgeHours?: number;
}

/** The certificate a TLS server on 127.0.0.1:port shows for `name`: days until it expires. */
function certificateOf(name: string, port: number): Promise<{ validTo: Date } | { error: string }> {
  return new Promise((resolve) => {
    const s = connect({ host: "127.0.0.1", port, servername: name, rejectUnauthorized: false, timeout: 5000 }, () => {
      const cert = s.getPeerCertificate();
      s.end();
      resolve(cert.valid_to === undefined ? { error: "kein Zertifikat" } : { validTo: new Date(cert.valid_to) });
    });
    s.on("error", (e) => resolve({ error: e.message }));
    s.on("timeout", () => {
      s.destroy();
      resolve({ error: "timeout" });
    });
  });
}

async function psqlCount(url: string, sql: string): Promise<number | string> {
  const r = await run(pgTool("psql"), ["-X", "-A", "-t", "-c", sql, url]).catch((e: unknown) => ({ code: 1, stdout: "", stderr: String(e) }));
  return r.code === 0 ? Number(r.stdout.trim()) : (r.stderr.trim().split("\n")[0] ?? "psql failed");
}

async function processes(gen: GeneratedSchool): Promise<StatusLine[]> {
  const out: StatusLine[] = [];
  const hs = gen.school.homeserver;
  const synapseUrl = `http://${hs.bind === "0.0.0.0" ? "127.0.0.1" : hs.bind}:${gen.workers === null ? hs.port : gen.workers.mainPort}`;
  const versions = await fetch(`${synapseUrl}/_matrix/client/versions`, { signal: AbortSignal.timeout(5000) }).then((r) => r.status, (e: unknown) => String((e as Error).cause ?? e));
  out.push({ section: "Prozesse", what: "Synapse", ok: versions === 200, detail: versions === 200 ? `antwortet (${synapseUrl})` : `antwortet nicht: ${versions}` });
  for (const w of gen.workers?.workers ?? []) {
    const h = await fetch(`http://127.0.0.1:${w.port}/health`, { signal: AbortSignal.timeout(5000) }).then((r) => r.status, () => 0);
    out.push({ section: "Prozesse", what: `Synapse-Worker ${w.name}`, ok: h === 200, detail: h === 200 ? "antwortet" : "antwortet nicht" });
  }
  for (const id of ["school", "homework", "calendar", "mail"] as const) {
    const a = gen.school.appservices[id];
    if (!a.enabled) continue;
    const health = await fetch(`http://${a.bind === "0.0.0.0" ? "127.0.0.1" : a.bind}:${a.port}/health`, { signal: AbortSignal.timeout(5000) })
      .then(async (r) => (r.ok ? ((await r.json()) as { status: string; pending?: number }) : null), () => null);
    out.push({ section: "Prozesse", what: `Appservice ${id}`, ok: health !== null, detail: health === null ? "antwortet nicht" : `${health.status}, ${health.pending ?? 0} Ereignisse im Eingang` });
  }
  return out;
}

async function systemdState(gen: GeneratedSchool, ops: ReturnType<typeof loadOpsSchool>): Promise<StatusLine[]> {
  if (!existsSync("/run/systemd/system")) return [{ section: "Prozesse", what: "systemd", ok: true, detail: "kein systemd als PID 1: Unit-Zustände nicht abgefragt" }];
  const units = systemdUnits(gen, ops, videoOf(ops))
    .map((f) => f.path.split("/").pop() ?? "")
    .filter((u) => u.endsWith(".service") && !u.includes("@") && u !== "schulhof-backup.service");
  for (const w of gen.workers?.workers ?? []) units.push(`schulhof-synapse-worker@${w.name}.service`);
  const out: StatusLine[] = [];
  for (const u of [...units, "caddy.service", "schulhof-backup.timer"]) {
    const r = await run("systemctl", ["is-active", u]);
    out.push({ section: "Prozesse", what: u, ok: r.stdout.trim() === "active", detail: r.stdout.trim() || r.stderr.trim() });
  }
  return out;
}

async function certificates(gen: GeneratedSchool, port: number): Promise<StatusLine[]> {
  const names = [...new Set([new URL(webPublicUrl(gen.school)).hostname, new URL(gen.school.homeserver.public_baseurl).hostname])];
  const out: StatusLine[] = [];
  for (const n of names) {
    const c = await certificateOf(n, port);
    if ("error" in c) {
      out.push({ section: "Zertifikate", what: n, ok: false, detail: `nicht erreichbar auf Port ${port}: ${c.error}` });
      continue;
    }
    const days = (c.validTo.getTime() - Date.now()) / 86400_000;
    // Caddy renews ACME certificates when a third of their life is left (about 30 days): less than 14 means renewal fails.
    out.push({ section: "Zertifikate", what: n, ok: days >= 14, detail: `gültig bis ${c.validTo.toISOString()} (noch ${days.toFixed(1)} Tage)` });
  }
  return out;
}

async function queues(gen: GeneratedSchool): Promise<StatusLine[]> {
  if (gen.school.database.kind !== "postgres") return [{ section: "Warteschlangen", what: "Appservice-Datenbank", ok: true, detail: "PGlite: Warteschlangen nur über /health" }];
  const url = gen.school.database.url;
  const out: StatusLine[] = [];
  for (const id of ["school", "homework", "calendar", "mail"] as const) {
    if (!gen.school.appservices[id].enabled) continue;
    const inbox = await psqlCount(url, `SELECT count(*) FROM ${id}.intake_inbox WHERE handled_at IS NULL`);
    const outbox = await psqlCount(url, `SELECT count(*) FROM ${id}.intake_outbox WHERE sent_at IS NULL AND NOT failed`);
    const ok = typeof inbox === "number" && typeof outbox === "number";
    out.push({ section: "Warteschlangen", what: id, ok, detail: ok ? `Eingang ${inbox}, Ausgang ${outbox}` : `nicht lesbar: ${String(typeof inbox === "string" ? inbox : outbox)}` });
  }
  if (gen.school.appservices.mail.enabled) {
    const inbound = await psqlCount(url, "SELECT count(*) FROM mail.inbound WHERE state = 'queued'");
    const outbound = await psqlCount(url, "SELECT count(*) FROM mail.outbound WHERE state = 'queued'");
    const oldest = await psqlCount(url, "SELECT coalesce(floor(extract(epoch FROM now() - min(created_at)) / 60), 0) FROM mail.outbound WHERE state = 'queued'");
    const ok = typeof inbound === "number" && typeof outbound === "number" && typeof oldest === "number" && oldest < 60;
    out.push({ section: "Warteschlangen", what: "Mail", ok, detail: `ankommend ${String(inbound)}, ausgehend ${String(outbound)}${typeof oldest === "number" && oldest > 0 ? ` (älteste seit ${oldest} min)` : ""}` });
  }
  return out;
}

function lastBackup(dataDir: string, maxAgeHours: number): StatusLine {
  const file = join(dataDir, LAST_BACKUP_FILE);
  if (!existsSync(file)) return { section: "Backup", what: "letztes Backup", ok: false, detail: "noch keins (schulhof backup)" };
  const last = JSON.parse(readFileSync(file, "utf8")) as { finished_at: string; snapshotId: string; seconds: number; repository: string };
  const hours = (Date.now() - new Date(last.finished_at).getTime()) / 3600_000;
  return { section: "Backup", what: "letztes Backup", ok: hours <= maxAgeHours, detail: `${last.finished_at} (vor ${hours.toFixed(1)} h), Snapshot ${last.snapshotId.slice(0, 8)} in ${last.repository}, ${last.seconds.toFixed(0)} s` };
}

function disk(dataDir: string): StatusLine {
  const s = statfsSync(dataDir);
  const free = s.bavail * s.bsize;
  const share = s.bavail / s.blocks;
  return { section: "Speicherplatz", what: dataDir, ok: share >= 0.1, detail: `${(free / 1e9).toFixed(1)} GB frei (${(share * 100).toFixed(0)} %)` };
}

export async function schoolStatus(dataDir: string, opts: StatusOptions = {}): Promise<StatusLine[]> {
  const ops = loadOpsSchool(dataDir);
  const gen = generateFromFile(dataDir);
  return [
    ...(await systemdState(gen, ops)),
    ...(await processes(gen)),
    ...(await certificates(gen, opts.httpsPort ?? 443)),
    ...(await queues(gen)),
    lastBackup(dataDir, opts.backupMaxAgeHours ?? 26),
    disk(dataDir),
  ];
}

export function statusText(lines: StatusLine[]): string {
  const out: string[] = [];
  let section = "";
  for (const l of lines) {
    if (l.section !== section) out.push(`${(section = l.section)}:`);
    out.push(`  ${l.ok ? "ok    " : "ACHTUNG"} ${l.what}: ${l.detail}`);
  }
  return out.join("\n") + "\n";
}
