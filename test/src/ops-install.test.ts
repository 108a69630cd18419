// schulhof install (with --root: system files below a folder, nothing else on the machine changed) and the production
// files it writes: systemd units checked by systemd-analyze and run with their own command lines, the Caddyfile
// validated by Caddy and served by a real Caddy with its local CA on loopback, in front of the school it installed;
// with Synapse workers, Caddy routes each request where Schulhof's router would (routeOf).
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parse, stringify } from "yaml";
import { generateFromFile, REPO_ROOT } from "@schulhof/homeserver-config";
import { routeOf } from "../../homeserver-config/src/workers.ts";
import { loadOpsSchool } from "../../cli/src/ops/config.ts";
import { caddyfile } from "../../cli/src/ops/production.ts";
import { pgQuery } from "./harness/pg.ts";
import { freePort, freePortRange, waitForHttp } from "./harness/ports.ts";
import { startPostgres, type TestPostgres } from "./harness/postgres.ts";
import { eventually } from "./harness/users.ts";
import { stopProcess as stop } from "./harness/ops.ts";

const NODE = join(REPO_ROOT, "node_modules", ".bin", "node");
const CLI = join(REPO_ROOT, "cli", "src", "main.ts");

function schulhof(args: string[]): { status: number; stdout: string; stderr: string; seconds: number } {
  const t0 = performance.now();
  const r = spawnSync(NODE, [CLI, ...args], { encoding: "utf8", env: process.env });
  return { status: r.status ?? 1, stdout: r.stdout, stderr: r.stderr, seconds: (performance.now() - t0) / 1000 };
}

/** Every file below `dir`, relative, sorted. */
function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

/** ExecStart (or ExecStartPre) and Environment of a unit, as systemd would run it (no shell; our units quote nothing). */
function commandOf(unitText: string, key: "ExecStart" | "ExecStartPre" = "ExecStart"): { cmd: string; args: string[]; env: Record<string, string> } {
  const exec = new RegExp(`^${key}=(.*)$`, "m").exec(unitText)?.[1];
  if (exec === undefined) throw new Error(`no ${key}`);
  const env: Record<string, string> = {};
  for (const m of unitText.matchAll(/^Environment=([^=]+)=(.*)$/gm)) env[m[1] ?? ""] = m[2] ?? "";
  const [cmd, ...args] = exec.split(" ");
  return { cmd: cmd ?? "", args, env };
}

/** An HTTPS request to Caddy on 127.0.0.1:port for `host`, trusting only Caddy's local CA. */
function get(port: number, host: string, path: string, ca: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: "127.0.0.1", port, servername: host, path, ca, headers: { host: `${host}:${port}`, ...headers } }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

function startCaddy(dir: string, file: string): ChildProcess {
  mkdirSync(join(dir, "caddy-data"), { recursive: true });
  const log = openSync(join(dir, "caddy.log"), "a");
  return spawn("caddy", ["run", "--config", file, "--adapter", "caddyfile"], {
    stdio: ["ignore", log, log],
    env: { ...process.env, XDG_DATA_HOME: join(dir, "caddy-data"), XDG_CONFIG_HOME: join(dir, "caddy-config"), HOME: dir },
  });
}

describe("schulhof install and the production files", { concurrency: false }, () => {
  const work = mkdtempSync(join(tmpdir(), "schulhof-ops-install-"));
  const data = join(work, "var", "lib", "schulhof", "ops");
  const root = join(work, "root");
  let pg: TestPostgres | null = null;
  const children: ChildProcess[] = [];
  const servers: Server[] = [];
  const ports = { hs: 0, school: 0, hw: 0, cal: 0, mail: 0, smtp: 0 };

  before(async () => {
    for (const k of Object.keys(ports) as (keyof typeof ports)[]) ports[k] = await freePort();
    pg = await startPostgres();
    mkdirSync(data, { recursive: true });
    writeFileSync(
      join(data, "school.yaml"),
      stringify({
        school: { id: "ops", name: "Oberschule Betrieb", state: "NI", mail_domain: "schule-ops.test" },
        homeserver: {
          server_name: "schule-ops.test",
          public_baseurl: "https://matrix.schule-ops.test",
          port: ports.hs,
          database: { kind: "postgres", host: "127.0.0.1", port: pg.port, user: "synapse", password: "synapse-pw", database: "synapse" },
        },
        appservices: { school: { port: ports.school }, homework: { port: ports.hw }, calendar: { port: ports.cal }, mail: { port: ports.mail } },
        mail: { smtp_port: ports.smtp },
        database: { kind: "postgres", url: `postgres://schulhof:schulhof-pw@127.0.0.1:${pg.port}/schulhof` },
        web: { public_url: "https://schule-ops.test" },
        backup: { repository: join(work, "backups") },
        server: { ipv4: "192.0.2.10", ipv6: "2001:db8::10", install_dir: REPO_ROOT, acme_email: "it@schule-ops.test" },
      }),
    );
  });

  after(async () => {
    for (const c of children.reverse()) await stop(c);
    for (const s of servers) s.close();
    pg?.stop();
    if (process.env.SCHULHOF_KEEP_TEST_DATA === undefined) rmSync(work, { recursive: true, force: true });
  });

  it("--dry-run prints every step and changes nothing", async () => {
    const before = listFiles(data);
    const r = schulhof(["install", "--data", data, "--root", root, "--pg-admin", pg?.url ?? "", "--dry-run"]);
    assert.equal(r.status, 0, r.stderr);
    const steps = [...r.stdout.matchAll(/^\[(\d+)\/(\d+)\] (.*)$/gm)];
    assert.equal(steps.length, Number(steps[0]?.[2]), "every step is printed");
    for (const want of ["Debian-Pakete", "Systembenutzer", "PostgreSQL", "Konfiguration erzeugen", "systemd-Units, Caddyfile", "Dienste einschalten"]) assert.ok(r.stdout.includes(want), `step ${want}:\n${r.stdout}`);
    assert.match(r.stdout, /apt-get install -y --no-install-recommends .*caddy.*restic/);
    assert.match(r.stdout, /LC_COLLATE C/);
    assert.match(r.stdout, /systemctl enable --now schulhof\.target schulhof-backup\.timer/);
    assert.match(r.stdout, /nichts geändert/);
    assert.deepEqual(listFiles(data), before, "the data folder is untouched");
    assert.equal(existsSync(root), false, "no system file written");
    assert.equal((await pgQuery(pg?.url ?? "", null, "SELECT 1 FROM pg_database WHERE datname IN ('synapse', 'schulhof')")).length, 0, "no database made");
  });

  it("installs below --root: databases (Synapse's with C collation), configuration, units, Caddyfile, DNS and firewall files; a second run changes nothing", async () => {
    const r = schulhof(["install", "--data", data, "--root", root, "--pg-admin", pg?.url ?? ""]);
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    process.stderr.write(`ops-install: install --root took ${r.seconds.toFixed(1)} s\n`);
    const dbs = await pgQuery<{ datname: string; datcollate: string; owner: string }>(pg?.url ?? "", null, "SELECT datname, datcollate, pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname IN ('synapse', 'schulhof') ORDER BY datname");
    assert.deepEqual(dbs, [{ datname: "schulhof", datcollate: "C", owner: "schulhof" }, { datname: "synapse", datcollate: "C", owner: "synapse" }]);
    const units = listFiles(join(root, "etc", "systemd", "system"));
    assert.deepEqual(units, ["schulhof-appservices.service", "schulhof-backup.service", "schulhof-backup.timer", "schulhof-synapse.service", "schulhof.target"]);
    assert.ok(existsSync(join(root, "etc", "caddy", "Caddyfile")));
    assert.ok(existsSync(join(data, "synapse", "signing.key")), "Synapse's signing key");
    const dns = readFileSync(join(data, "dns-records.txt"), "utf8");
    for (const want of [/^schule-ops\.test\. 3600 IN A 192\.0\.2\.10$/m, /^matrix\.schule-ops\.test\. 3600 IN AAAA 2001:db8::10$/m, /^schule-ops\.test\. 3600 IN MX 10 mx\.schule-ops\.test\.$/m, /v=spf1 mx -all/, /^schulhof\._domainkey\.schule-ops\.test\. 3600 IN TXT "v=DKIM1; k=rsa; p=/m, /^_dmarc\.schule-ops\.test\./m, /"m\.server":"matrix\.schule-ops\.test:443"/])
      assert.match(dns, want);
    assert.match(r.stdout, /DNS-Einträge/);
    assert.match(readFileSync(join(data, "firewall.txt"), "utf8"), /^443\/tcp/m);
    assert.match(readFileSync(join(data, "firewall.txt"), "utf8"), /^25\/tcp/m);
    const again = schulhof(["install", "--data", data, "--root", root, "--pg-admin", pg?.url ?? ""]);
    assert.equal(again.status, 0, again.stderr);
    assert.doesNotMatch(again.stdout, /^ {6}(neu|geändert): /m, `second run rewrote files:\n${again.stdout}`);
    assert.match(again.stdout, /PostgreSQL: Rollen und Datenbanken anlegen, die fehlen.*\n(?: {6}→.*\n)* {6}unverändert/);
  });

  it("upgrade --dry-run prints the steps and its way back and changes nothing; a real upgrade needs systemd as PID 1", () => {
    const head = spawnSync("git", ["-C", REPO_ROOT, "rev-parse", "HEAD"], { encoding: "utf8" }).stdout;
    const dry = schulhof(["upgrade", "--data", data, "--to", "HEAD", "--dry-run"]);
    assert.equal(dry.status, 0, dry.stderr);
    for (const want of [/systemctl stop schulhof\.target/, /Backup vor dem Upgrade/, /checkout --detach HEAD/, /bootstrap\.sh/, /migrieren ihre Datenbanken/, /Bei einem Fehler zurück: git checkout [0-9a-f]{12}/]) assert.match(dry.stdout, want);
    assert.equal(spawnSync("git", ["-C", REPO_ROOT, "rev-parse", "HEAD"], { encoding: "utf8" }).stdout, head);
    assert.equal(existsSync(join(work, "backups")), false, "no backup made");
    if (!existsSync("/run/systemd/system") && process.getuid?.() === 0) {
      const real = schulhof(["upgrade", "--data", data, "--to", "HEAD"]);
      assert.equal(real.status, 1);
      assert.match(real.stderr, /braucht systemd als PID 1/);
      assert.equal(existsSync(join(work, "backups")), false, "refused before the backup");
    }
  });

  it("the units pass systemd-analyze verify and its offline security review", () => {
    const dir = join(root, "etc", "systemd", "system");
    const files = readdirSync(dir).map((f) => join(dir, f));
    const v = spawnSync("systemd-analyze", ["verify", ...files], { encoding: "utf8" });
    assert.equal(v.status, 0, v.stderr);
    // Unknown keys and sections are only warnings for systemd: none may be there.
    assert.doesNotMatch(v.stderr, /Unknown|ignoring|not executable|Failed/, v.stderr);
    for (const u of ["schulhof-synapse.service", "schulhof-appservices.service", "schulhof-backup.service"]) {
      const text = readFileSync(join(dir, u), "utf8");
      for (const want of ["User=schulhof", "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes", `ReadWritePaths=${data}`, "StandardOutput=journal"]) assert.ok(text.includes(want), `${u}: ${want}`);
      const s = spawnSync("systemd-analyze", ["security", "--offline=true", join(dir, u)], { encoding: "utf8" });
      const score = Number(/Overall exposure level for .*: ([0-9.]+)/.exec(s.stdout + s.stderr)?.[1]);
      assert.ok(score <= 2.0, `${u}: exposure ${score}`);
    }
    assert.match(readFileSync(join(dir, "schulhof-synapse.service"), "utf8"), /^Restart=on-failure$/m);
    const backup = readFileSync(join(dir, "schulhof-backup.service"), "utf8");
    assert.match(backup, /^ExecStartPre=\+\/bin\/systemctl stop schulhof-appservices\.service$/m);
    assert.match(backup, /^ExecStopPost=\+\/bin\/systemctl start schulhof-appservices\.service$/m);
    assert.match(readFileSync(join(dir, "schulhof-backup.timer"), "utf8"), /^OnCalendar=\*-\*-\* 02:30:00$/m);
    const cal = spawnSync("systemd-analyze", ["calendar", "*-*-* 02:30:00"], { encoding: "utf8" });
    assert.equal(cal.status, 0);
  });

  it("caddy validates the generated Caddyfile", () => {
    const v = spawnSync("caddy", ["validate", "--config", join(root, "etc", "caddy", "Caddyfile"), "--adapter", "caddyfile"], { encoding: "utf8", env: { ...process.env, XDG_DATA_HOME: join(work, "xdg"), XDG_CONFIG_HOME: join(work, "xdg") } });
    assert.equal(v.status, 0, v.stderr);
    assert.match(v.stdout + v.stderr, /Valid configuration/);
  });

  it("the processes run with the units' command lines, and Caddy serves web client, .well-known, client API and feature APIs over TLS", async () => {
    const dir = join(root, "etc", "systemd", "system");
    for (const u of ["schulhof-synapse.service", "schulhof-appservices.service"]) {
      const unitText = readFileSync(join(dir, u), "utf8");
      if (unitText.includes("ExecStartPre=")) {
        const pre = commandOf(unitText, "ExecStartPre");
        const r = spawnSync(pre.cmd, pre.args, { encoding: "utf8", env: { ...process.env, ...pre.env } });
        assert.equal(r.status, 0, `${u} ExecStartPre: ${r.stderr}`);
      }
      const { cmd, args, env } = commandOf(unitText);
      const log = join(work, `${u}.log`);
      const child = spawn(cmd, args, { cwd: /^WorkingDirectory=(.*)$/m.exec(readFileSync(join(dir, u), "utf8"))?.[1], env: { ...process.env, ...env, SCHULHOF_LOG_LEVEL: "warn" }, stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
      child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
      child.on("exit", () => writeFileSync(log, out));
      children.push(child);
      if (u === "schulhof-synapse.service") await waitForHttp(`http://127.0.0.1:${ports.hs}/_matrix/client/versions`, 120_000, "Synapse from its unit");
    }
    for (const p of [ports.school, ports.hw, ports.cal, ports.mail]) await waitForHttp(`http://127.0.0.1:${p}/health`, 60_000, "appservice from its unit");

    const [httpPort, httpsPort] = [await freePort(), await freePort()];
    const gen = generateFromFile(data);
    const test = caddyfile(gen, loadOpsSchool(data), { localCerts: true, httpPort, httpsPort, bind: "127.0.0.1", admin: "off" });
    const file = join(work, "Caddyfile.test");
    writeFileSync(file, test.content);
    children.push(startCaddy(work, file));
    const ca = join(work, "caddy-data", "caddy", "pki", "authorities", "local", "root.crt");
    await eventually("Caddy's local CA", async () => (existsSync(ca) ? true : undefined), 30_000, 200);
    const caPem = readFileSync(ca, "utf8");
    const index = await eventually("web client over TLS", async () => {
      const r = await get(httpsPort, "schule-ops.test", "/", caPem);
      return r.status === 200 ? r : undefined;
    }, 30_000, 300);
    assert.match(index.body, /<!doctype html>/i);
    // A client-side route falls back to the client.
    assert.equal((await get(httpsPort, "schule-ops.test", "/hausaufgaben", caPem)).status, 200);
    const wk = await get(httpsPort, "schule-ops.test", "/.well-known/matrix/client", caPem);
    assert.equal(wk.status, 200);
    assert.equal(wk.headers["access-control-allow-origin"], "*");
    assert.equal((JSON.parse(wk.body) as { "m.homeserver": { base_url: string } })["m.homeserver"].base_url, "https://matrix.schule-ops.test");
    const server = await get(httpsPort, "schule-ops.test", "/.well-known/matrix/server", caPem);
    assert.deepEqual(JSON.parse(server.body), { "m.server": "matrix.schule-ops.test:443" });
    const versions = await get(httpsPort, "matrix.schule-ops.test", "/_matrix/client/versions", caPem);
    assert.equal(versions.status, 200);
    assert.ok(Array.isArray((JSON.parse(versions.body) as { versions: unknown }).versions));
    // Federation's key endpoint on the same name (delegation), Synapse's admin API not at all.
    assert.equal((await get(httpsPort, "matrix.schule-ops.test", "/_matrix/key/v2/server", caPem)).status, 200);
    assert.notEqual((await get(httpsPort, "matrix.schule-ops.test", "/_synapse/admin/v1/server_version", caPem)).status, 200);
    // The feature APIs under the web address reach their appservice (which wants a session).
    const todo = await get(httpsPort, "schule-ops.test", "/_schulhof/homework/v1/todo", caPem);
    assert.equal(todo.status, 401);
    assert.match(todo.body, /M_MISSING_TOKEN|M_UNKNOWN_TOKEN|token/i);

    // schulhof status: processes, the certificate Caddy shows, queues, no backup yet, disk space.
    type Line = { section: string; what: string; ok: boolean; detail: string };
    const status = (): { code: number; lines: Line[] } => {
      const r = schulhof(["status", "--data", data, "--https-port", String(httpsPort), "--json"]);
      return { code: r.status, lines: JSON.parse(r.stdout) as Line[] };
    };
    const s1 = status();
    const line = (lines: Line[], what: string): Line => {
      const l = lines.find((x) => x.what === what);
      assert.ok(l !== undefined, `status line ${what}: ${JSON.stringify(lines)}`);
      return l;
    };
    assert.ok(line(s1.lines, "Synapse").ok);
    for (const id of ["school", "homework", "calendar", "mail"]) {
      assert.ok(line(s1.lines, `Appservice ${id}`).ok, id);
      assert.match(line(s1.lines, id).detail, /^Eingang \d+, Ausgang \d+$/);
    }
    assert.match(line(s1.lines, "Mail").detail, /^ankommend 0, ausgehend 0/);
    // Caddy's local CA gives certificates for a few hours: shown, and flagged (less than 14 days).
    assert.match(line(s1.lines, "schule-ops.test").detail, /gültig bis .* \(noch 0\.\d Tage\)/);
    assert.equal(line(s1.lines, "letztes Backup").ok, false);
    assert.match(line(s1.lines, data).detail, /GB frei/);
    assert.equal(s1.code, 1, "something needs attention");
    // A backup with the installed configuration; then status shows it.
    const b = schulhof(["backup", "--data", data]);
    assert.equal(b.status, 0, b.stderr);
    const s2 = status();
    assert.ok(line(s2.lines, "letztes Backup").ok, line(s2.lines, "letztes Backup").detail);
    assert.match(line(s2.lines, "letztes Backup").detail, /Snapshot [0-9a-f]{8}/);
  });

  it("with Synapse workers, Caddy sends every request where Schulhof's router would", async () => {
    const wdata = join(work, "workers-school");
    mkdirSync(wdata, { recursive: true });
    cpSync(join(data, "school.yaml"), join(wdata, "school.yaml"));
    // Main's two listeners and five workers on consecutive ports.
    const base = await freePortRange(7);
    const internalPort = await freePort();
    const y = parse(readFileSync(join(wdata, "school.yaml"), "utf8")) as { homeserver: Record<string, unknown> };
    y.homeserver.port = internalPort;
    y.homeserver.workers = { sync: 2, client: 2, event_persisters: 1, base_port: base, redis: { port: await freePort() } };
    writeFileSync(join(wdata, "school.yaml"), stringify(y));
    const gen = generateFromFile(wdata);
    const layout = gen.workers;
    assert.ok(layout !== null);
    // A stub for every process: it answers its own name.
    const procs = [{ name: "main", port: layout.mainPort }, ...layout.workers];
    for (const p of procs) {
      const s = createServer((_req, res) => res.end(p.name));
      await new Promise<void>((r) => s.listen(p.port, "127.0.0.1", () => r()));
      servers.push(s);
    }
    const [httpPort, httpsPort] = [await freePort(), await freePort()];
    const file = join(work, "Caddyfile.workers");
    writeFileSync(file, caddyfile(gen, loadOpsSchool(wdata), { localCerts: true, httpPort, httpsPort, bind: "127.0.0.1", admin: "off" }).content);
    const cdir = join(work, "caddy-workers");
    mkdirSync(cdir, { recursive: true });
    children.push(startCaddy(cdir, file));
    const ca = join(cdir, "caddy-data", "caddy", "pki", "authorities", "local", "root.crt");
    await eventually("Caddy's local CA", async () => (existsSync(ca) ? true : undefined), 30_000, 200);
    const caPem = readFileSync(ca, "utf8");
    const role = (name: string): string => (name === "main" ? "main" : (layout.workers.find((w) => w.name === name)?.role ?? "?"));
    const room = "!abc:schule-ops.test";
    const paths = [
      "/_matrix/client/v3/sync?since=s1",
      "/_matrix/client/r0/sync",
      "/_matrix/client/v3/login",
      `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/messages?dir=b`,
      `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/send/m.room.message/t1`,
      `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/send/m.room.message/t2?org.matrix.msc4140.delay=5000`,
      `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/receipt/m.read/%24e`,
      "/_matrix/client/v3/keys/upload",
      "/_matrix/client/v3/keys/query",
      "/_matrix/client/v3/user_directory/search",
      "/_matrix/media/v3/upload",
      "/_matrix/federation/v1/version",
      "/_matrix/client/versions",
    ];
    await eventually("Caddy up", async () => ((await get(httpsPort, "matrix.schule-ops.test", "/_matrix/client/versions", caPem)).status === 200 ? true : undefined), 30_000, 300);
    for (const path of paths) {
      const q = path.indexOf("?");
      const want = routeOf(q < 0 ? path : path.slice(0, q), q < 0 ? "" : path.slice(q + 1), layout);
      const got = await get(httpsPort, "matrix.schule-ops.test", path, caPem, { authorization: "Bearer abc" });
      assert.equal(got.status, 200, path);
      const gotRole = role(got.body);
      assert.equal(gotRole === "main" ? "main" : gotRole, want, `${path}: Caddy sent it to ${got.body}, the router to ${want}`);
    }
    // The appservices' way in: the school's homeserver port on loopback, plain HTTP, the same routing, the admin API too.
    const internal = async (path: string): Promise<string> => (await fetch(`http://127.0.0.1:${internalPort}${path}`, { headers: { authorization: "Bearer abc" } })).text();
    assert.equal(role(await internal("/_matrix/client/v3/sync")), "sync");
    assert.equal(role(await internal("/_matrix/client/v3/login")), "client");
    assert.equal(await internal("/_synapse/admin/v1/server_version"), "main");
    assert.notEqual((await get(httpsPort, "matrix.schule-ops.test", "/_synapse/admin/v1/server_version", caPem)).body, "main", "not from outside");
    // One person's syncs stay on one sync worker; another token may land elsewhere, but always the same.
    const first = (await get(httpsPort, "matrix.schule-ops.test", "/_matrix/client/v3/sync", caPem, { authorization: "Bearer person-1" })).body;
    for (let i = 0; i < 5; i++) assert.equal((await get(httpsPort, "matrix.schule-ops.test", "/_matrix/client/v3/sync", caPem, { authorization: "Bearer person-1" })).body, first);
  });
});
