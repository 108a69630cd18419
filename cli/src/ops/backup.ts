// `schulhof backup` and `schulhof restore`: a consistent, encrypted, deduplicated backup of everything a school would
// miss, with restic (Debian's package). The databases are dumped first (pg_dump, one consistent snapshot per database;
// SQLite with its online backup API), then restic stores the data folder with the dumps in one snapshot: the
// configuration, secrets.json, Synapse's signing key and local media, the mail bridge's files. The mail queues and the
// appservices' intake and outbox live in the appservices' database and come with its dump. See docs/install.md.
import { randomBytes } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseDocument } from "yaml";
import { REPO_ROOT, synapsePython, type SchoolFile } from "@schulhof/homeserver-config";
import { atData, loadOpsSchool, opsError, type OpsSchool } from "./config.ts";
import { adminSql, databaseState, ensureDatabase, ensureRole, ident, targetOfUrl, type DbTarget } from "./pgadmin.ts";
import { must, pgTool, run } from "./run.ts";

/** The folder in the data folder where the dumps are written before restic reads them (removed afterwards). */
export const DUMPS_DIR = "backup-dumps";
/** What the last backup did, for `schulhof status` (not itself backed up). */
export const LAST_BACKUP_FILE = "backup-last.json";
const MANIFEST = "manifest.json";

export interface BackupManifest {
  format: 1;
  made_at: string;
  school_id: string;
  server_name: string;
  /** The Schulhof commit that made the backup (an upgrade's way back names it). */
  schulhof_commit: string | null;
  synapse: { kind: "postgres"; file: string } | { kind: "sqlite"; file: string };
  appservices: { kind: "postgres"; file: string } | { kind: "pglite" };
}

export interface BackupOptions {
  /** Overrides `backup.repository` of school.yaml. */
  repository?: string;
  /** Overrides `backup.password_file`. */
  passwordFile?: string;
  /** Skips `restic forget --prune` (the upgrade's safety backup keeps everything). */
  noForget?: boolean;
  /** Extra restic tags (`upgrade`). */
  tags?: string[];
  log?: (line: string) => void;
}

export interface BackupResult {
  snapshotId: string;
  seconds: number;
  dumpSeconds: number;
  /** Bytes restic added to the repository (after deduplication, before compression). */
  dataAdded: number;
  filesNew: number;
  filesChanged: number;
  repository: string;
}

/** restic's environment for a school: repository, password file and the variables of `backup.env_file`. */
export function resticEnv(ops: OpsSchool, opts: { repository?: string; passwordFile?: string }): { env: NodeJS.ProcessEnv; repository: string; passwordFile: string } {
  const repoSetting = opts.repository ?? ops.backup.repository;
  if (repoSetting === undefined)
    throw opsError(
      "SCHULHOF_BACKUP_REPOSITORY",
      `${ops.file}: backup.repository fehlt: ein Ordner (z. B. /var/backups/schulhof) oder eine restic-Adresse (sftp:…, rest:…, s3:…), oder --repo angeben`,
      `${ops.file}: backup.repository is missing: a folder or a restic repository URL, or give --repo`,
    );
  const repository = /^[a-z0-9]+:/.test(repoSetting) ? repoSetting : resolve(atData(ops.dataDir, repoSetting));
  const passwordFile = resolve(opts.passwordFile ?? atData(ops.dataDir, ops.backup.password_file));
  const env: NodeJS.ProcessEnv = { ...process.env, RESTIC_REPOSITORY: repository, RESTIC_PASSWORD_FILE: passwordFile, RESTIC_PROGRESS_FPS: "0.2" };
  if (ops.backup.env_file !== undefined) Object.assign(env, readEnvFile(atData(ops.dataDir, ops.backup.env_file)));
  return { env, repository, passwordFile };
}

/** `KEY=value` lines (systemd's EnvironmentFile format without quoting rules beyond surrounding quotes). */
export function readEnvFile(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = readFileSync(file, "utf8").split("\n");
  lines.forEach((line, i) => {
    const t = line.trim();
    if (t === "" || t.startsWith("#")) return;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(t);
    if (m === null) throw opsError("SCHULHOF_BACKUP_ENV", `${file}, Zeile ${i + 1}: erwartet NAME=Wert`, `${file}, line ${i + 1}: expected NAME=value`);
    out[m[1] ?? ""] = (m[2] ?? "").replace(/^"(.*)"$/, "$1").replace(/^'(.*)'$/, "$1");
  });
  return out;
}

/** The restic arguments that leave out what a school would not miss or what is stored as a dump instead. */
export function backupExcludes(dataDir: string, passwordFile: string): string[] {
  const d = resolve(dataDir);
  const ex = [
    // Other servers' media: fetched again on demand (Synapse's backup guide).
    `${d}/synapse/media_store/remote_content`,
    `${d}/synapse/media_store/remote_thumbnail`,
    `${d}/synapse/media_store/url_cache`,
    `${d}/synapse/media_store/url_cache_thumbnails`,
    // SQLite's live files: the dump holds a consistent copy.
    `${d}/synapse/homeserver.db`,
    `${d}/synapse/homeserver.db-wal`,
    `${d}/synapse/homeserver.db-shm`,
    `${d}/synapse/homeserver.db-journal`,
    `${d}/${LAST_BACKUP_FILE}`,
    passwordFile,
    "*.pid",
    "*.log",
    "*.log.[0-9]*",
  ];
  return ex.flatMap((e) => ["--exclude", e]);
}

async function ensureRepository(env: NodeJS.ProcessEnv, repository: string, passwordFile: string, log: (l: string) => void): Promise<void> {
  if (!existsSync(passwordFile)) {
    writeFileSync(passwordFile, randomBytes(32).toString("base64url") + "\n", { mode: 0o600 });
    log(`Neues Backup-Passwort in ${passwordFile}: eine Kopie außerhalb des Servers aufbewahren, ohne sie ist das Backup nicht lesbar.`);
    log(`  (New backup password in ${passwordFile}: keep a copy away from the server; without it the backup cannot be read.)`);
  }
  chmodSync(passwordFile, 0o600);
  if ((await run("restic", ["cat", "config"], { env })).code === 0) return;
  await must({ de: `Anlegen des Backup-Repositorys ${repository}`, en: `Creating the backup repository ${repository}` }, "restic", ["init", "--repository-version", "2"], { env });
  log(`Backup-Repository angelegt: ${repository}`);
}

/** libpq's environment for one database of the school file. */
function pgEnvOf(db: Extract<SchoolFile["homeserver"]["database"], { kind: "postgres" }>): NodeJS.ProcessEnv {
  return { ...process.env, PGHOST: db.host, PGPORT: String(db.port), PGUSER: db.user, PGDATABASE: db.database, ...(db.password === undefined ? {} : { PGPASSWORD: db.password }) };
}

/**
 * Waits (up to 30 s) until Synapse has handed every stored event to its appservice scheduler, so that an event the
 * stopped appservices have not received is in the dump as a pending transaction. Synapse looks at its appservice
 * stream only when a new event arrives: an event it had not looked at yet would reach the appservices of a restored
 * school only with the next event. Skipped when Synapse is not running (nothing moves then).
 */
async function waitForAppserviceStream(ops: OpsSchool, env: NodeJS.ProcessEnv, log: (l: string) => void): Promise<void> {
  const hs = ops.school.homeserver;
  const url = `http://${hs.bind === "0.0.0.0" ? "127.0.0.1" : hs.bind}:${hs.workers === undefined ? hs.port : hs.workers.base_port}/_matrix/client/versions`;
  if (!(await fetch(url, { signal: AbortSignal.timeout(3000) }).then((r) => r.ok, () => false))) return;
  const sql = "SELECT (SELECT stream_ordering FROM appservice_stream_position) >= (SELECT coalesce(max(stream_ordering), 0) FROM events)";
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = await run(pgTool("psql"), ["-X", "-A", "-t", "-c", sql], { env });
    if (r.code !== 0 || r.stdout.trim() === "t") break;
    if (Date.now() > deadline) {
      log("  Synapse hat noch nicht alle Ereignisse an die Appservices übergeben; sie folgen nach einer Wiederherstellung mit dem nächsten Ereignis.");
      log("  (Synapse has not handed every event to the appservices yet; after a restore they follow with the next event.)");
      return;
    }
    await new Promise((res) => setTimeout(res, 500));
  }
  // The scheduler writes the transaction right after it moves the position.
  await new Promise((res) => setTimeout(res, 1000));
}

/** Dumps every database of the school into `<dataDir>/backup-dumps/` and writes the manifest. */
async function dumpDatabases(ops: OpsSchool, log: (l: string) => void): Promise<BackupManifest> {
  const dir = join(ops.dataDir, DUMPS_DIR);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const hs = ops.school.homeserver.database;
  let synapse: BackupManifest["synapse"];
  if (hs.kind === "postgres") {
    await waitForAppserviceStream(ops, pgEnvOf(hs), log);
    // Uncompressed custom format: restic's chunking then finds what did not change since yesterday (incremental), and
    // restic compresses. The one-time keys may be left out (Synapse's backup guide).
    await must({ de: "Sichern der Synapse-Datenbank", en: "Dumping Synapse's database" }, pgTool("pg_dump"), ["-Fc", "-Z0", "--exclude-table-data=e2e_one_time_keys_json", "-f", join(dir, "synapse.pgdump")], {
      env: pgEnvOf(hs),
    });
    synapse = { kind: "postgres", file: "synapse.pgdump" };
  } else {
    const db = join(ops.dataDir, "synapse", "homeserver.db");
    const script = "import sqlite3,sys\nsrc=sqlite3.connect(sys.argv[1]);dst=sqlite3.connect(sys.argv[2])\nwith dst: src.backup(dst)\ndst.close();src.close()";
    await must({ de: "Sichern der Synapse-Datenbank (SQLite)", en: "Copying Synapse's SQLite database" }, synapsePython(), ["-c", script, db, join(dir, "homeserver.db")]);
    synapse = { kind: "sqlite", file: "homeserver.db" };
  }
  log(`  Synapse-Datenbank gesichert (${synapse.file})`);
  let appservices: BackupManifest["appservices"];
  if (ops.school.database.kind === "postgres") {
    await must({ de: "Sichern der Appservice-Datenbank", en: "Dumping the appservices' database" }, pgTool("pg_dump"), ["-Fc", "-Z0", "-f", join(dir, "appservices.pgdump"), "--dbname", ops.school.database.url]);
    appservices = { kind: "postgres", file: "appservices.pgdump" };
    log("  Appservice-Datenbank gesichert (appservices.pgdump: Schule, Hausaufgaben, Kalender, Mail-Warteschlangen)");
  } else {
    // PGlite: one folder per appservice in the data folder, stored as files (consistent while the appservices are stopped).
    appservices = { kind: "pglite" };
  }
  const commit = await run("git", ["-C", REPO_ROOT, "rev-parse", "HEAD"]).catch(() => null);
  const manifest: BackupManifest = {
    format: 1,
    made_at: new Date().toISOString(),
    school_id: ops.school.school.id,
    server_name: ops.school.homeserver.server_name,
    schulhof_commit: commit !== null && commit.code === 0 ? commit.stdout.trim() : null,
    synapse,
    appservices,
  };
  writeFileSync(join(dir, MANIFEST), JSON.stringify(manifest, null, 2) + "\n");
  return manifest;
}

interface ResticSummary {
  message_type: "summary";
  snapshot_id: string;
  files_new: number;
  files_changed: number;
  data_added: number;
}

/**
 * Backs up the school in `dataDir`: dumps, one restic snapshot of the data folder (tags `schulhof`, the school's id),
 * then the retention of `backup.keep`. Run it while the appservices are stopped (the backup timer's unit does that) so
 * that what Synapse has delivered to them and what they stored are from the same moment.
 */
export async function backupSchool(dataDirIn: string, opts: BackupOptions = {}): Promise<BackupResult> {
  const t0 = performance.now();
  const log = opts.log ?? ((l: string) => process.stdout.write(l + "\n"));
  const dataDir = resolve(dataDirIn);
  const ops = loadOpsSchool(dataDir);
  const { env, repository, passwordFile } = resticEnv(ops, opts);
  if (!/^[a-z0-9]+:/.test(repository) && resolve(repository).startsWith(dataDir + "/"))
    throw opsError("SCHULHOF_BACKUP_REPOSITORY", `${ops.file}: backup.repository liegt im Datenordner; bitte einen Ordner außerhalb wählen`, `${ops.file}: backup.repository is inside the data folder; choose one outside it`);
  await ensureRepository(env, repository, passwordFile, log);
  log(`Sichere ${ops.school.school.name} (${dataDir}) nach ${repository}`);
  await dumpDatabases(ops, log);
  const dumpSeconds = (performance.now() - t0) / 1000;
  const host = ops.school.homeserver.server_name.replace(/:.*/, "");
  const tags = ["schulhof", `school-${ops.school.school.id}`, ...(opts.tags ?? [])];
  let summary: ResticSummary | null = null;
  try {
    await must(
      { de: "restic backup", en: "restic backup" },
      "restic",
      ["backup", "--json", "--host", host, ...tags.flatMap((t) => ["--tag", t]), ...backupExcludes(dataDir, passwordFile), "."],
      {
        env,
        cwd: dataDir,
        onLine: (l) => {
          if (l.includes('"summary"')) summary = JSON.parse(l) as ResticSummary;
        },
      },
    );
  } finally {
    rmSync(join(dataDir, DUMPS_DIR), { recursive: true, force: true });
  }
  const done = summary as ResticSummary | null;
  if (done === null) throw opsError("SCHULHOF_BACKUP_SUMMARY", "restic backup hat keine Zusammenfassung geschrieben", "restic backup wrote no summary");
  if (opts.noForget !== true) {
    const k = ops.backup.keep;
    await must({ de: "Aufräumen alter Backups (restic forget --prune)", en: "Removing old backups (restic forget --prune)" }, "restic", [
      "forget", "--host", host, "--tag", `school-${ops.school.school.id}`, "--group-by", "host,tags",
      "--keep-daily", String(k.daily), "--keep-weekly", String(k.weekly), "--keep-monthly", String(k.monthly), "--prune",
    ], { env });
  }
  const seconds = (performance.now() - t0) / 1000;
  const result: BackupResult = { snapshotId: done.snapshot_id, seconds, dumpSeconds, dataAdded: done.data_added, filesNew: done.files_new, filesChanged: done.files_changed, repository };
  writeFileSync(join(dataDir, LAST_BACKUP_FILE), JSON.stringify({ finished_at: new Date().toISOString(), ...result }, null, 2) + "\n");
  log(`Backup ${done.snapshot_id.slice(0, 8)} fertig in ${seconds.toFixed(1)} s (Datenbanken ${dumpSeconds.toFixed(1)} s; neu im Repository: ${(done.data_added / 1e6).toFixed(1)} MB)`);
  return result;
}

export interface RestoreOptions {
  repository: string;
  passwordFile: string;
  /** A snapshot id; default the newest of the repository (of the school `schoolId` when given). */
  snapshot?: string;
  /** The school's id (school.yaml: school.id), for a repository that holds several schools' backups. */
  schoolId?: string;
  /** The PostgreSQL server of the new machine, when it differs from the one in the backup's school.yaml. */
  dbHost?: string;
  dbPort?: number;
  /** A superuser connection for creating roles and databases; default `runuser -u postgres psql` (root) or PG* variables. */
  pgAdminUrl?: string;
  /** An env file with the remote repository's credentials. */
  envFile?: string;
  log?: (line: string) => void;
}

/** Rewrites the database addresses of a restored school.yaml for the new server (keeps comments and order). */
export function moveDatabases(text: string, host: string | undefined, port: number | undefined): string {
  const doc = parseDocument(text);
  if (doc.getIn(["homeserver", "database", "kind"]) === "postgres") {
    if (host !== undefined) doc.setIn(["homeserver", "database", "host"], host);
    if (port !== undefined) doc.setIn(["homeserver", "database", "port"], port);
  }
  const url = doc.getIn(["database", "url"]);
  if (doc.getIn(["database", "kind"]) === "postgres" && typeof url === "string") {
    const u = new URL(url);
    if (host !== undefined) u.hostname = host;
    if (port !== undefined) u.port = String(port);
    doc.setIn(["database", "url"], u.toString());
  }
  return doc.toString();
}

/** Creates the role (if missing) and the empty database; refuses a database that has tables (never restore over one). */
async function freshDatabase(opts: RestoreOptions, t: DbTarget, file: string, key: string): Promise<void> {
  await ensureRole(opts, t);
  const state = await databaseState(opts, t);
  if (state.exists && state.tables > 0)
    throw opsError(
      "SCHULHOF_RESTORE_DB_EXISTS",
      `${file}: ${key}: die Datenbank ${t.database} auf ${t.host}:${t.port} enthält schon Tabellen; ein Backup wird nie über eine bestehende Datenbank gespielt`,
      `${file}: ${key}: database ${t.database} on ${t.host}:${t.port} already has tables; a backup is never restored over an existing database`,
    );
  await ensureDatabase(opts, t, file, key);
}

export interface RestoreResult {
  manifest: BackupManifest;
  snapshot: string;
  seconds: number;
}

/** Brings a school back from its backup into the empty (or missing) folder `dataDir` and fresh databases. */
export async function restoreSchool(dataDirIn: string, opts: RestoreOptions): Promise<RestoreResult> {
  const t0 = performance.now();
  const log = opts.log ?? ((l: string) => process.stdout.write(l + "\n"));
  const dataDir = resolve(dataDirIn);
  if (existsSync(dataDir) && readdirSync(dataDir).length > 0)
    throw opsError("SCHULHOF_RESTORE_NOT_EMPTY", `${dataDir} ist nicht leer: ein Backup wird nur in einen leeren Ordner zurückgespielt`, `${dataDir} is not empty: a backup is restored into an empty folder only`);
  if (!existsSync(opts.passwordFile))
    throw opsError("SCHULHOF_RESTORE_PASSWORD", `${opts.passwordFile}: die Passwortdatei des Backups fehlt (--password-file)`, `${opts.passwordFile}: the backup's password file is missing (--password-file)`);
  const env: NodeJS.ProcessEnv = { ...process.env, RESTIC_REPOSITORY: opts.repository, RESTIC_PASSWORD_FILE: resolve(opts.passwordFile), ...(opts.envFile === undefined ? {} : readEnvFile(opts.envFile)) };
  const snapshot = opts.snapshot ?? "latest";
  mkdirSync(dataDir, { recursive: true, mode: 0o750 });
  log(`Hole Backup ${snapshot} aus ${opts.repository} nach ${dataDir}`);
  const tag = opts.schoolId === undefined ? "schulhof" : `schulhof,school-${opts.schoolId}`;
  await must({ de: "restic restore", en: "restic restore" }, "restic", ["restore", snapshot, "--tag", tag, "--target", dataDir], { env });
  const dumps = join(dataDir, DUMPS_DIR);
  const manifestFile = join(dumps, MANIFEST);
  if (!existsSync(manifestFile)) throw opsError("SCHULHOF_RESTORE_MANIFEST", `${manifestFile} fehlt: das ist kein Backup von schulhof backup`, `${manifestFile} is missing: not a backup made by schulhof backup`);
  const manifest = JSON.parse(readFileSync(manifestFile, "utf8")) as BackupManifest;
  const schoolFile = join(dataDir, "school.yaml");
  if (opts.dbHost !== undefined || opts.dbPort !== undefined) writeFileSync(schoolFile, moveDatabases(readFileSync(schoolFile, "utf8"), opts.dbHost, opts.dbPort));
  const ops = loadOpsSchool(dataDir);

  const hs = ops.school.homeserver.database;
  if (manifest.synapse.kind === "postgres") {
    if (hs.kind !== "postgres") throw opsError("SCHULHOF_RESTORE_KIND", `${schoolFile}: homeserver.database: das Backup ist von PostgreSQL`, `${schoolFile}: homeserver.database: the backup is of PostgreSQL`);
    await freshDatabase(opts, hs, schoolFile, "homeserver.database");
    await must({ de: "Zurückspielen der Synapse-Datenbank", en: "Restoring Synapse's database" }, pgTool("pg_restore"), ["--no-owner", "--no-privileges", "--exit-on-error", "-d", hs.database, join(dumps, manifest.synapse.file)], {
      env: { ...process.env, PGHOST: hs.host, PGPORT: String(hs.port), PGUSER: hs.user, ...(hs.password === undefined ? {} : { PGPASSWORD: hs.password }) },
    });
    log("  Synapse-Datenbank zurückgespielt");
  } else {
    renameSync(join(dumps, manifest.synapse.file), join(dataDir, "synapse", "homeserver.db"));
    log("  Synapse-Datenbank (SQLite) zurückgelegt");
  }
  if (manifest.appservices.kind === "postgres") {
    if (ops.school.database.kind !== "postgres") throw opsError("SCHULHOF_RESTORE_KIND", `${schoolFile}: database: das Backup ist von PostgreSQL`, `${schoolFile}: database: the backup is of PostgreSQL`);
    await freshDatabase(opts, targetOfUrl(ops.school.database.url), schoolFile, "database.url");
    await must({ de: "Zurückspielen der Appservice-Datenbank", en: "Restoring the appservices' database" }, pgTool("pg_restore"), ["--no-owner", "--no-privileges", "--exit-on-error", "-d", ops.school.database.url, join(dumps, manifest.appservices.file)]);
    log("  Appservice-Datenbank zurückgespielt");
  }
  rmSync(dumps, { recursive: true, force: true });
  if (process.getuid?.() === 0 && (await run("id", ["-u", ops.server.user])).code === 0) await must({ de: "Besitzer setzen", en: "Setting the owner" }, "chown", ["-R", `${ops.server.user}:${ops.server.user}`, dataDir]);
  const seconds = (performance.now() - t0) / 1000;
  log(`Schule ${manifest.school_id} (${manifest.server_name}, Backup vom ${manifest.made_at}) zurückgespielt in ${seconds.toFixed(1)} s.`);
  log("Jetzt die Dienste starten (systemctl start schulhof.target, oder schulhof up --no-demo).");
  return { manifest, snapshot, seconds };
}

/**
 * Brings the school in `dataDir` back to a snapshot on the same server (an upgrade's way back): its databases are
 * renamed aside (`<name>_old_<time>`), its data folder moved aside (`<folder>.old-<time>`), then the snapshot is
 * restored as by `restoreSchool`. Nothing is deleted. The services must be stopped (a renamed database has no
 * connections).
 */
export async function restoreInPlace(dataDirIn: string, opts: { snapshot: string; pgAdminUrl?: string; log?: (line: string) => void }): Promise<RestoreResult & { asideDir: string; asideDatabases: string[] }> {
  const dataDir = resolve(dataDirIn);
  const ops = loadOpsSchool(dataDir);
  const { repository, passwordFile } = resticEnv(ops, {});
  const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
  const admin = opts.pgAdminUrl === undefined ? {} : { pgAdminUrl: opts.pgAdminUrl };
  const aside: string[] = [];
  const targets: DbTarget[] = [];
  const hs = ops.school.homeserver.database;
  if (hs.kind === "postgres") targets.push(hs);
  if (ops.school.database.kind === "postgres") targets.push(targetOfUrl(ops.school.database.url));
  for (const t of targets) {
    if (!(await databaseState(admin, t)).exists) continue;
    const to = `${t.database.slice(0, 40)}_old_${stamp}`;
    await adminSql(admin, t.host, t.port, `ALTER DATABASE ${ident(t.database)} RENAME TO ${ident(to)}`);
    aside.push(to);
  }
  const asideDir = `${dataDir}.old-${stamp}`;
  renameSync(dataDir, asideDir);
  // The password file often lives in the data folder: read it from where it went.
  const movedPassword = passwordFile.startsWith(dataDir + "/") ? join(asideDir, passwordFile.slice(dataDir.length + 1)) : passwordFile;
  const result = await restoreSchool(dataDir, {
    repository,
    passwordFile: movedPassword,
    snapshot: opts.snapshot,
    schoolId: ops.school.school.id,
    ...admin,
    ...(ops.backup.env_file === undefined ? {} : { envFile: atData(asideDir, ops.backup.env_file) }),
    ...(opts.log === undefined ? {} : { log: opts.log }),
  });
  if (movedPassword !== passwordFile) copyFileSync(movedPassword, passwordFile);
  return { ...result, asideDir, asideDatabases: aside };
}
