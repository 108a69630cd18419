// schulhof backup / restore of a school on SQLite and PGlite (the demo's storage): SQLite copied with its online backup
// API, PGlite folders and local media kept, remote media, logs and the password left out; restore only into an empty folder.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { stringify } from "yaml";
import { generateFromFile, synapsePython } from "@schulhof/homeserver-config";
import { backupSchool, restoreSchool } from "../../src/ops/backup.ts";

const hasRestic = spawnSync("restic", ["version"]).status === 0;

describe("ops: backup and restore of a SQLite/PGlite school", { skip: hasRestic ? false : "restic is not installed (npm test installs it)" }, () => {
  const work = mkdtempSync(join(tmpdir(), "schulhof-cli-ops-sqlite-"));
  after(() => rmSync(work, { recursive: true, force: true }));
  const data = join(work, "demo");
  const repo = join(work, "repo");

  it("backs up and restores the database, local media, PGlite folders, secrets and config, and nothing else", async () => {
    mkdirSync(data, { recursive: true });
    writeFileSync(
      join(data, "school.yaml"),
      stringify({
        school: { id: "demo", name: "Demo-Schule", state: "NI", mail_domain: "demo.schule.test" },
        homeserver: { server_name: "demo.schule.test", public_baseurl: "http://127.0.0.1:8008" },
        database: { kind: "pglite", path: null },
        backup: { repository: repo },
      }),
    );
    generateFromFile(data);
    const db = join(data, "synapse", "homeserver.db");
    const py = spawnSync(synapsePython(), ["-c", "import sqlite3,sys\nc=sqlite3.connect(sys.argv[1]);c.execute('create table t(x text)');c.execute(\"insert into t values ('hallo')\");c.commit()", db], { encoding: "utf8" });
    assert.equal(py.status, 0, py.stderr);
    for (const [f, text] of [["synapse/media_store/local_content/ab/cd/efgh", "Arbeitsblatt"], ["synapse/media_store/remote_content/other.test/xy/z", "fremd"], ["synapse/homeserver.log", "log"], ["synapse/homeserver.log.1", "old log"], ["db/school/PG_VERSION", "17"]] as const) {
      mkdirSync(join(data, f, ".."), { recursive: true });
      writeFileSync(join(data, f), text);
    }
    const lines: string[] = [];
    const result = await backupSchool(data, { log: (l) => lines.push(l) });
    assert.match(result.snapshotId, /^[0-9a-f]{8}/);
    assert.ok(lines.some((l) => l.includes("eine Kopie außerhalb des Servers")), "the new password is announced");
    assert.ok(existsSync(join(data, "backup-password")));

    const restored = join(work, "restored");
    // A repository may hold several schools: another school's id finds no snapshot.
    await assert.rejects(restoreSchool(join(work, "other"), { repository: repo, passwordFile: join(data, "backup-password"), schoolId: "andere", log: () => undefined }), /restic restore ist fehlgeschlagen/);
    rmSync(join(work, "other"), { recursive: true, force: true });
    await restoreSchool(restored, { repository: repo, passwordFile: join(data, "backup-password"), schoolId: "demo", log: () => undefined });
    const rows = spawnSync(synapsePython(), ["-c", "import sqlite3,sys\nprint(sqlite3.connect(sys.argv[1]).execute('select x from t').fetchone()[0])", join(restored, "synapse", "homeserver.db")], { encoding: "utf8" });
    assert.equal(rows.stdout.trim(), "hallo");
    assert.equal(readFileSync(join(restored, "synapse/media_store/local_content/ab/cd/efgh"), "utf8"), "Arbeitsblatt");
    assert.equal(readFileSync(join(restored, "db/school/PG_VERSION"), "utf8"), "17");
    assert.ok(existsSync(join(restored, "secrets.json")) && existsSync(join(restored, "school.yaml")) && existsSync(join(restored, "synapse", "homeserver.yaml")));
    for (const gone of ["synapse/media_store/remote_content", "synapse/homeserver.log", "synapse/homeserver.log.1", "backup-password", "backup-last.json", "backup-dumps"]) assert.ok(!existsSync(join(restored, gone)), `${gone} is not restored`);
    assert.ok(existsSync(join(restored, "synapse", "log.config")), "log configs are kept");

    await assert.rejects(restoreSchool(restored, { repository: repo, passwordFile: join(data, "backup-password"), log: () => undefined }), /ist nicht leer: ein Backup wird nur in einen leeren Ordner zurückgespielt/);
  });
});
