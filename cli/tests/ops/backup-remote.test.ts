// schulhof backup to a remote restic repository (restic's REST protocol, served on loopback by Debian's rclone) with its
// credentials from backup.env_file; restore from it; wrong credentials are refused with the step named.
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { stringify } from "yaml";
import { generateFromFile } from "@schulhof/homeserver-config";
import { backupSchool, restoreSchool } from "../../src/ops/backup.ts";

const ready = spawnSync("restic", ["version"]).status === 0 && spawnSync("rclone", ["version"]).status === 0;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe("ops: backup to a remote restic repository", { skip: ready ? false : "restic or rclone is not installed (npm test installs them)" }, () => {
  const work = mkdtempSync(join(tmpdir(), "schulhof-cli-ops-remote-"));
  let server: ChildProcess | null = null;
  after(() => {
    server?.kill("SIGTERM");
    rmSync(work, { recursive: true, force: true });
  });

  it("backs up over HTTP with the env file's credentials, restores from there, and names the step when they are wrong", async () => {
    const port = await freePort();
    const store = join(work, "remote-store");
    mkdirSync(store, { recursive: true });
    server = spawn("rclone", ["serve", "restic", "--addr", `127.0.0.1:${port}`, "--user", "schule", "--pass", "geheim", store], { stdio: "ignore" });
    for (let i = 0; i < 100; i++) {
      if ((await fetch(`http://127.0.0.1:${port}/`).then((r) => r.status, () => 0)) !== 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const data = join(work, "school");
    mkdirSync(data, { recursive: true });
    // restic 0.14 reads a REST server's account only from the URL: the full URL goes into the env file, school.yaml names
    // the repository without it (what logs and status show).
    writeFileSync(join(data, "backup.env"), `# the remote repository's account\nRESTIC_REPOSITORY=rest:http://schule:geheim@127.0.0.1:${port}/\n`);
    writeFileSync(
      join(data, "school.yaml"),
      stringify({
        school: { id: "remote", name: "Schule mit Fernsicherung", state: "NI", mail_domain: "remote.schule.test" },
        homeserver: { server_name: "remote.schule.test", public_baseurl: "http://127.0.0.1:8008" },
        database: { kind: "pglite", path: null },
        backup: { repository: `rest:http://127.0.0.1:${port}/`, env_file: "backup.env" },
      }),
    );
    generateFromFile(data);
    spawnSync(join(import.meta.dirname, "..", "..", "..", ".venv", "bin", "python"), ["-c", "import sqlite3,sys\nsqlite3.connect(sys.argv[1]).execute('create table t(x)')", join(data, "synapse", "homeserver.db")]);
    writeFileSync(join(data, "synapse", "signing.key"), "ed25519 a_test key\n");
    const result = await backupSchool(data, { log: () => undefined });
    assert.equal(result.repository, `rest:http://127.0.0.1:${port}/`, "the account is not shown");
    assert.doesNotMatch(readFileSync(join(data, "backup-last.json"), "utf8"), /geheim/);
    assert.ok(existsSync(join(store, "config")) && readdirSync(join(store, "snapshots")).length === 1, "the snapshot is on the remote side");

    const restored = join(work, "restored");
    await restoreSchool(restored, { repository: `rest:http://127.0.0.1:${port}/`, passwordFile: join(data, "backup-password"), envFile: join(data, "backup.env"), log: () => undefined });
    assert.equal(readFileSync(join(restored, "synapse", "signing.key"), "utf8"), "ed25519 a_test key\n");
    assert.ok(existsSync(join(restored, "backup.env")), "the env file is part of the configuration");

    writeFileSync(join(data, "backup.env"), `RESTIC_REPOSITORY=rest:http://schule:falsch@127.0.0.1:${port}/\n`);
    await assert.rejects(backupSchool(data, { log: () => undefined }), /Anlegen des Backup-Repositorys rest:http:\/\/127\.0\.0\.1:\d+\/ ist fehlgeschlagen/);
  });
});
