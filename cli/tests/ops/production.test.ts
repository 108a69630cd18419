// The ops commands' pure parts: the ops sections of school.yaml (errors naming file and key), the production files
// (units, Caddyfile, DNS, firewall) for the usual school shapes, the backup's excludes, the restored school file's
// new database address, and the backup env file.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { parse, stringify } from "yaml";
import { isSchulhofError } from "@schulhof/core";
import { generateFromFile } from "@schulhof/homeserver-config";
import { backupExcludes, moveDatabases, readEnvFile, resticEnv } from "../../src/ops/backup.ts";
import { loadOpsSchool } from "../../src/ops/config.ts";
import { packagesFor, productionFiles, videoOf } from "../../src/ops/install.ts";
import { caddyfile, dnsRecords, firewallPorts, systemdUnits } from "../../src/ops/production.ts";

function schoolDir(patch: (s: Record<string, Record<string, unknown>>) => void = () => undefined): string {
  const dir = mkdtempSync(join(tmpdir(), "schulhof-cli-ops-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const school: Record<string, Record<string, unknown>> = {
    school: { id: "gym", name: "Gymnasium Musterstadt", state: "NI", mail_domain: "gymnasium-musterstadt.de" },
    homeserver: { server_name: "gymnasium-musterstadt.de", public_baseurl: "https://matrix.gymnasium-musterstadt.de", database: { kind: "postgres", user: "synapse", password: "pw", database: "synapse" } },
    database: { kind: "postgres", url: "postgres://schulhof:pw@127.0.0.1:5432/schulhof" },
    web: { public_url: "https://gymnasium-musterstadt.de" },
    backup: { repository: "/var/backups/schulhof" },
    server: { ipv4: "203.0.113.10", install_dir: "/opt/schulhof" },
  };
  patch(school);
  writeFileSync(join(dir, "school.yaml"), stringify(school));
  return dir;
}

const messageOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    assert.ok(isSchulhofError(e), String(e));
    return e.message;
  }
  throw new Error("no error");
};

describe("ops: the school file's ops sections", () => {
  it("names the file and the key of a bad value", () => {
    const dir = schoolDir((s) => (s.backup = { repository: "/b", keep: { daily: 0 } }));
    assert.match(messageOf(() => loadOpsSchool(dir)), new RegExp(`${join(dir, "school.yaml")}: backup\\.keep\\.daily: `));
    const dir2 = schoolDir((s) => (s.server = { ipv4: "300.1.2.3" }));
    assert.match(messageOf(() => loadOpsSchool(dir2)), /school\.yaml: server\.ipv4: /);
  });

  it("asks for backup.repository in German, then English, naming the file", () => {
    const dir = schoolDir((s) => delete s.backup);
    const msg = messageOf(() => resticEnv(loadOpsSchool(dir), {}));
    assert.match(msg, /school\.yaml: backup\.repository fehlt/);
    assert.match(msg, /\(.*backup\.repository is missing/);
    assert.equal(resticEnv(loadOpsSchool(dir), { repository: "sftp:backup@host:/srv/restic" }).repository, "sftp:backup@host:/srv/restic");
    assert.equal(resticEnv(loadOpsSchool(dir), { repository: "../backups" }).repository, join(dir, "..", "backups"));
  });

  it("reads the backup env file and names the line of a bad one", () => {
    const dir = mkdtempSync(join(tmpdir(), "schulhof-cli-ops-env-"));
    after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, "ok.env"), "# S3\nAWS_ACCESS_KEY_ID=abc\nAWS_SECRET_ACCESS_KEY=\"x y\"\n");
    assert.deepEqual(readEnvFile(join(dir, "ok.env")), { AWS_ACCESS_KEY_ID: "abc", AWS_SECRET_ACCESS_KEY: "x y" });
    writeFileSync(join(dir, "bad.env"), "A=1\nexport B=2\n");
    assert.match(messageOf(() => readEnvFile(join(dir, "bad.env"))), /bad\.env, Zeile 2: erwartet NAME=Wert/);
  });
});

describe("ops: backup and restore helpers", () => {
  it("leaves out remote media, SQLite's live files, logs, pid files and the password; keeps *.log.config", () => {
    const ex = backupExcludes("/srv/s", "/root/pw");
    const patterns = ex.filter((_, i) => i % 2 === 1);
    for (const want of ["/srv/s/synapse/media_store/remote_content", "/srv/s/synapse/media_store/remote_thumbnail", "/srv/s/synapse/homeserver.db", "/root/pw", "*.log", "*.log.[0-9]*", "*.pid"]) assert.ok(patterns.includes(want), want);
    assert.ok(!patterns.some((p) => p.includes("local_content")), "local media are kept");
    assert.ok(!patterns.includes("*.log.*"), "the workers' *.log.config files are kept");
  });

  it("moves the restored school's databases to the new server, keeping comments", () => {
    const text = "# Schule\nhomeserver:\n  database: { kind: postgres, host: old, port: 5432, user: synapse, database: synapse } # Synapse\ndatabase:\n  kind: postgres\n  url: postgres://schulhof:p%40ss@old:5432/schulhof\n";
    const moved = moveDatabases(text, "127.0.0.1", 6543);
    assert.match(moved, /^# Schule/);
    assert.match(moved, /# Synapse/);
    const y = parse(moved) as { homeserver: { database: { host: string; port: number } }; database: { url: string } };
    assert.equal(y.homeserver.database.host, "127.0.0.1");
    assert.equal(y.homeserver.database.port, 6543);
    assert.equal(y.database.url, "postgres://schulhof:p%40ss@127.0.0.1:6543/schulhof");
  });
});

describe("ops: production files", () => {
  it("one Synapse process: units for Synapse, the appservices, the backup and its timer, and the target", () => {
    const dir = schoolDir();
    const units = systemdUnits(generateFromFile(dir), loadOpsSchool(dir));
    assert.deepEqual(units.map((u) => u.path.split("/").pop()), ["schulhof-synapse.service", "schulhof-appservices.service", "schulhof-backup.service", "schulhof-backup.timer", "schulhof.target"]);
    const target = units.find((u) => u.path.endsWith("schulhof.target"))?.content ?? "";
    assert.match(target, /^Wants=schulhof-synapse\.service schulhof-appservices\.service$/m);
    assert.match(target, /^WantedBy=multi-user\.target$/m);
    const synapse = units[0]?.content ?? "";
    assert.match(synapse, /^ExecStart=\/opt\/schulhof\/\.venv\/bin\/python \/opt\/schulhof\/homeserver-config\/python\/schulhof_synapse\.py -c .*\/synapse\/homeserver\.yaml$/m);
    assert.doesNotMatch(units[1]?.content ?? "", /CAP_NET_BIND_SERVICE/);
    assert.match(units.find((u) => u.path.endsWith("backup.service"))?.content ?? "", /^ReadWritePaths=\S+ \/var\/backups\/schulhof$/m);
  });

  it("workers: Redis, a worker template and one instance per worker in the target; Caddy routes sync by token", () => {
    const dir = schoolDir((s) => (s.homeserver = { ...s.homeserver, workers: { sync: 2, client: 1, event_persisters: 1 } }));
    const gen = generateFromFile(dir);
    const ops = loadOpsSchool(dir);
    const units = systemdUnits(gen, ops);
    const names = units.map((u) => u.path.split("/").pop());
    assert.ok(names.includes("schulhof-redis.service") && names.includes("schulhof-synapse-worker@.service"));
    assert.match(units.find((u) => u.path.endsWith("schulhof.target"))?.content ?? "", /schulhof-synapse-worker@persister1\.service schulhof-synapse-worker@sync1\.service schulhof-synapse-worker@sync2\.service schulhof-synapse-worker@client1\.service/);
    const caddy = caddyfile(gen, ops).content;
    assert.match(caddy, /handle @sync \{\n\t\treverse_proxy 127\.0\.0\.1:18103 127\.0\.0\.1:18104 \{\n\t\t\tlb_policy header Authorization/);
    assert.ok(caddy.indexOf("handle @sync") < caddy.indexOf("handle @delayed") && caddy.indexOf("handle @delayed") < caddy.indexOf("handle @client") && caddy.indexOf("handle @client") < caddy.indexOf("handle @synapse"), "routeOf's order");
    assert.ok(packagesFor(ops).includes("redis-server"));
    // The school's homeserver port on loopback is Caddy's too (the appservices' way in, admin API included).
    assert.match(caddy, /\nhttp:\/\/127\.0\.0\.1:8008 \{\n\tbind 127\.0\.0\.1\n/);
    assert.match(caddy, /\thandle \{\n\t\treverse_proxy 127\.0\.0\.1:18100\n\t\}\n\}\n$/);
  });

  it("the mail bridge on port 25 gets exactly the capability to bind it", () => {
    const dir = schoolDir((s) => (s.mail = { smtp_bind: "0.0.0.0", smtp_port: 25 }));
    const app = systemdUnits(generateFromFile(dir), loadOpsSchool(dir)).find((u) => u.path.endsWith("appservices.service"))?.content ?? "";
    assert.match(app, /^AmbientCapabilities=CAP_NET_BIND_SERVICE$/m);
    assert.match(app, /^CapabilityBoundingSet=CAP_NET_BIND_SERVICE$/m);
  });

  it("video on this server: LiveKit and the token service units, and their firewall ports", () => {
    const dir = schoolDir((s) => (s.server = { ...s.server, video: { livekit_config: "video/livekit.yaml", token_service_config: "video/video-service.yaml" } }));
    const ops = loadOpsSchool(dir);
    const gen = generateFromFile(dir);
    const names = systemdUnits(gen, ops, videoOf(ops)).map((u) => u.path.split("/").pop());
    assert.ok(names.includes("schulhof-livekit.service") && names.includes("schulhof-video.service"));
    assert.ok(firewallPorts(gen, videoOf(ops)).some((p) => p.port === "50000-60000" && p.proto === "udp"));
  });

  it("the Caddyfile: three names when the server name is a third; http:// and a missing web address are refused naming the key", () => {
    const dir = schoolDir((s) => (s.web = { public_url: "https://schulhof.gymnasium-musterstadt.de" }));
    const caddy = caddyfile(generateFromFile(dir), loadOpsSchool(dir)).content;
    for (const site of ["gymnasium-musterstadt.de {", "schulhof.gymnasium-musterstadt.de {", "matrix.gymnasium-musterstadt.de {"]) assert.ok(caddy.includes(`\n${site}`), site);
    assert.match(caddy, /redir https:\/\/schulhof\.gymnasium-musterstadt\.de\{uri\}/);
    assert.doesNotMatch(caddy, /_synapse\/admin/);
    const noWeb = schoolDir((s) => delete s.web);
    assert.match(messageOf(() => caddyfile(generateFromFile(noWeb), loadOpsSchool(noWeb))), /school\.yaml: web\.public_url fehlt/);
    const http = schoolDir((s) => (s.homeserver = { ...s.homeserver, public_baseurl: "http://matrix.gymnasium-musterstadt.de" }));
    assert.match(messageOf(() => caddyfile(generateFromFile(http), loadOpsSchool(http))), /homeserver\.public_baseurl: muss mit https:\/\/ beginnen/);
  });

  it("DNS: a placeholder without the server's address, SPF names an outside relay, DKIM split into 255-character strings", () => {
    const dir = schoolDir((s) => {
      s.server = { install_dir: "/opt/schulhof" };
      s.mail = { relay: { host: "smtp.provider.example", port: 587 } };
    });
    const gen = generateFromFile(dir);
    const dns = dnsRecords(gen, loadOpsSchool(dir));
    assert.match(dns, /^matrix\.gymnasium-musterstadt\.de\. 3600 IN A <IPv4-Adresse des Servers/m);
    assert.match(dns, /"v=spf1 mx a:smtp\.provider\.example -all"/);
    const dkim = /_domainkey\.[^\n]* TXT (.*)$/m.exec(dns)?.[1] ?? "";
    for (const part of dkim.match(/"[^"]*"/g) ?? []) assert.ok(part.length - 2 <= 255);
    assert.ok(productionFiles(gen, loadOpsSchool(dir)).some((f) => f.path.endsWith("firewall.txt")));
  });
});
