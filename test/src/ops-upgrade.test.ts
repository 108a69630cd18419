// The upgrade from the previous release: a school provisioned by an earlier commit of main (checked out into a
// temporary git worktree; the repository has no release tags yet, see docs/install.md) is upgraded by this checkout's
// code with the steps `schulhof upgrade` runs (it needs systemd as PID 1, which this machine lacks): backup,
// regenerate, start (Synapse and the appservices migrate their databases at start), check. Then the school is used:
// everyone logs in with the password of their letter, the rooms and messages are there, the homework made before the
// upgrade is read through the homework API and a new assignment is handled.
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parse, stringify } from "yaml";
import { generateFromFile, REPO_ROOT, runSynapse, type RunningSynapse } from "@schulhof/homeserver-config";
import { apiSession } from "./harness/openid.ts";
import { pgQuery } from "./harness/pg.ts";
import { freePort, waitForHttp } from "./harness/ports.ts";
import { startPostgres, type TestPostgres } from "./harness/postgres.ts";
import { eventually } from "./harness/users.ts";
import { call, login, stopProcess } from "./harness/ops.ts";

/**
 * The previous release: the newest commit of main before the operations work of issue #16 (a4e3478 and after), so
 * the school is made by code that knew nothing of install, backup or upgrade. Another commit with
 * SCHULHOF_UPGRADE_FROM (a tag, once releases are tagged).
 */
const PREVIOUS = process.env.SCHULHOF_UPGRADE_FROM ?? "5af5a82";
const NODE = join(REPO_ROOT, "node_modules", ".bin", "node");
const CLI = join(REPO_ROOT, "cli", "src", "main.ts");
const HW = "de.schulhof.homework";
const ROSTER = `Rolle;Vorname;Nachname;Klasse;Kurse
Admin;Birgit;Schäfer;;
Lehrer;Jürgen;Müller;7a;Mathematik 7a
Schüler;Lena;Köhler;7a;Mathematik 7a
Schüler;Tim;Yilmaz;7a;Mathematik 7a
`;

interface Person { userId: string; localpart: string; password: string; token: string }

/**
 * The worktree's node_modules: the packages of this checkout (the lock file did not change since the previous
 * release; checked below), but the workspace packages (`@schulhof/*`) as relative links into the worktree, so the old
 * code imports old code. `.venv` (the pinned Synapse) and `.tools` (livekit-server) are linked as they are.
 */
function linkDependencies(wt: string): void {
  const main = join(REPO_ROOT, "node_modules");
  const mine = join(wt, "node_modules");
  mkdirSync(join(mine, "@schulhof"), { recursive: true });
  for (const entry of readdirSync(main)) {
    if (entry === "@schulhof") continue;
    symlinkSync(join(main, entry), join(mine, entry));
  }
  for (const pkg of readdirSync(join(main, "@schulhof"))) symlinkSync(readlinkSync(join(main, "@schulhof", pkg)), join(mine, "@schulhof", pkg));
  for (const nested of ["web/node_modules"]) if (existsSync(join(REPO_ROOT, nested))) symlinkSync(join(REPO_ROOT, nested), join(wt, nested));
  for (const dir of [".venv", ".tools"]) if (existsSync(join(REPO_ROOT, dir))) symlinkSync(join(REPO_ROOT, dir), join(wt, dir));
}

/** Spawns `node <script> <args>` with its output in a log file next to the school. */
function spawnLogged(work: string, name: string, args: string[], cwd: string): ChildProcess {
  const log = openSync(join(work, `${name}.log`), "a");
  return spawn(NODE, args, { cwd, stdio: ["ignore", log, log], env: { ...process.env, SCHULHOF_LOG_LEVEL: "warn" } });
}

/** A shallow clone lacks the previous release: then the test says so and is skipped. */
const previousThere = spawnSync("git", ["-C", REPO_ROOT, "cat-file", "-e", `${PREVIOUS}^{commit}`]).status === 0;

describe("schulhof upgrade from the previous release", { concurrency: false, skip: previousThere ? false : `commit ${PREVIOUS} is not in this clone (shallow?)` }, () => {
  const work = previousThere ? mkdtempSync(join(tmpdir(), "schulhof-ops-upgrade-")) : "";
  const wt = join(work, "previous-release");
  const data = join(work, "school");
  const repo = join(work, "restic-repo");
  const passwordFile = join(work, "keep-elsewhere", "backup-password");
  const serverName = "upgrade.schule.test";
  let pgc: TestPostgres | null = null;
  let oldSynapse: ChildProcess | null = null;
  let oldHost: ChildProcess | null = null;
  let synapse: RunningSynapse | null = null;
  let host: ChildProcess | null = null;
  const ports = { hs: 0, school: 0, hw: 0, cal: 0, mail: 0, smtp: 0 };
  const people = new Map<string, Person>();
  let course = "";
  let subRoom = "";
  let base = "";
  let adminApiToken = "";
  let made = false;
  const timings: Record<string, number> = {};
  const person = (lp: string): Person => {
    const p = people.get(lp);
    if (p === undefined) throw new Error(`no person ${lp}`);
    return p;
  };
  const appsUrl = (): string => Object.assign(new URL((pgc as TestPostgres).url), { pathname: "/schulhof" }).toString();

  before(async () => {
    const t0 = performance.now();
    // The previous release's code, with this checkout's packages (the lock file is the same).
    // Same third-party packages at the same versions (a workspace may have declared one more it already had).
    const installed = (ref: string): string[] => {
      const lock = JSON.parse(execFileSync("git", ["-C", REPO_ROOT, "show", `${ref}:package-lock.json`], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 })) as { packages: Record<string, { version?: string }> };
      return Object.entries(lock.packages)
        .filter(([path]) => path.startsWith("node_modules/") && !path.startsWith("node_modules/@schulhof/"))
        .map(([path, p]) => `${path}@${p.version ?? ""}`)
        .sort();
    };
    assert.deepEqual(installed(PREVIOUS), installed("HEAD"), `the packages changed since ${PREVIOUS}: the worktree needs its own npm ci`);
    execFileSync("git", ["-C", REPO_ROOT, "worktree", "add", "--detach", wt, PREVIOUS], { stdio: "ignore" });
    linkDependencies(wt);
    for (const k of Object.keys(ports) as (keyof typeof ports)[]) ports[k] = await freePort();
    pgc = await startPostgres();
    const synapseDb = new URL(await pgc.createDatabase("synapse"));
    await pgc.createDatabase("schulhof");
    // school.yaml as the previous release reads it (no ops sections: they came with the upgrade).
    mkdirSync(data, { recursive: true });
    writeFileSync(
      join(data, "school.yaml"),
      stringify({
        school: { id: "upgrade", name: "Gesamtschule Aufwertung", state: "NI", mail_domain: serverName },
        homeserver: {
          server_name: serverName,
          public_baseurl: `http://127.0.0.1:${ports.hs}`,
          port: ports.hs,
          database: { kind: "postgres", host: "127.0.0.1", port: Number(synapseDb.port), user: "postgres", database: "synapse" },
        },
        appservices: { school: { port: ports.school }, homework: { port: ports.hw }, calendar: { port: ports.cal }, mail: { port: ports.mail } },
        database: { kind: "postgres", url: appsUrl() },
        mail: { smtp_port: ports.smtp },
      }),
    );
    // Synapse as the previous release generates and starts it, then its appservice host.
    const driver = join(wt, "old-synapse.mjs");
    writeFileSync(
      driver,
      `import { ensureSystemAdmin, generateFromFile, runSynapse } from "@schulhof/homeserver-config";
const gen = generateFromFile(process.argv[2]);
const synapse = await runSynapse(gen);
await ensureSystemAdmin(gen, synapse.url);
process.stdout.write("CODE " + import.meta.resolve("@schulhof/homeserver-config") + "\\n");
process.stdout.write("READY " + synapse.url + "\\n");
process.on("SIGTERM", () => void synapse.stop().then(() => process.exit(0)));
`,
    );
    oldSynapse = spawn(NODE, [driver, data], { cwd: wt, stdio: ["ignore", "pipe", openSync(join(work, "old-synapse.log"), "a")] });
    base = await new Promise<string>((resolve, reject) => {
      let out = "";
      oldSynapse?.stdout?.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        const m = /READY (\S+)/.exec(out);
        if (m === null) return;
        // The previous release's code, not this checkout's, generated and started Synapse.
        const code = /CODE (\S+)/.exec(out)?.[1] ?? "";
        if (!code.startsWith(`file://${wt}/homeserver-config/`)) reject(new Error(`the old Synapse ran ${code}, not the worktree's code`));
        resolve(m[1] ?? "");
      });
      oldSynapse?.once("exit", (code) => reject(new Error(`the previous release's Synapse exited (${code}); see ${work}/old-synapse.log`)));
    });
    oldHost = spawnLogged(work, "old-host", [join(wt, "cli", "src", "main.ts"), "host", "--data", data], wt);
    for (const p of [ports.school, ports.hw, ports.cal, ports.mail]) await waitForHttp(`http://127.0.0.1:${p}/health`, 120_000, "the previous release's appservice");
    adminApiToken = (JSON.parse(readFileSync(join(data, "secrets.json"), "utf8")) as { admin_api_token: string }).admin_api_token;
    timings.previousStart = (performance.now() - t0) / 1000;
  });

  after(async () => {
    await stopProcess(host, 30_000);
    await synapse?.stop();
    await stopProcess(oldHost, 30_000);
    await stopProcess(oldSynapse, 30_000);
    pgc?.stop();
    spawnSync("git", ["-C", REPO_ROOT, "worktree", "remove", "--force", wt]);
    if (process.env.SCHULHOF_KEEP_TEST_DATA === undefined) rmSync(work, { recursive: true, force: true });
  });

  it(`the previous release (${PREVIOUS}) provisions a school with people, a course, a message and homework`, async () => {
    const res = await fetch(`http://127.0.0.1:${ports.school}/_schulhof/school/v1/admin/roster/import`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminApiToken}`, "content-type": "text/csv" },
      body: ROSTER,
    });
    assert.equal(res.status, 200);
    const last = (await res.text()).trim().split("\n").at(-1) ?? "";
    const letters = (JSON.parse(last) as { report: { letters: { localpart: string; userId: string; password: string }[] } }).report.letters;
    assert.equal(letters.length, 4);
    for (const l of letters) people.set(l.localpart, { ...l, token: await login(base, l.localpart, l.password) });
    const teacher = person("juergen.mueller");
    const student = person("lena.koehler");
    const joined = (await call<{ joined_rooms: string[] }>(base, teacher.token, "GET", "/_matrix/client/v3/joined_rooms")).body.joined_rooms;
    for (const r of joined) if ((await call(base, teacher.token, "GET", `/_matrix/client/v3/rooms/${encodeURIComponent(r)}/state/de.schulhof.course/`)).status === 200) course = r;
    assert.notEqual(course, "", "the course room exists");
    await eventually("homework bot in the course", async () => {
      const m = await call<{ joined: Record<string, unknown> }>(base, teacher.token, "GET", `/_matrix/client/v3/rooms/${encodeURIComponent(course)}/joined_members`);
      return `@hausaufgaben:${serverName}` in m.body.joined ? true : undefined;
    }, 60_000, 300);
    await call(base, student.token, "PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(course)}/send/m.room.message/u1`, { msgtype: "m.text", body: "Hallo vor dem Upgrade" });
    const due = new Date(Date.now() + 7 * 86400_000).toISOString();
    await call(base, teacher.token, "PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(course)}/state/${HW}.assignment/a-upgrade-1`, { title: "Bruchrechnung", due, grading: "grade", description: { body: "Seite 42" } });
    subRoom = await eventually("submission room", async () => (await pgQuery<{ room_id: string }>(appsUrl(), "homework", "SELECT room_id FROM submission_rooms WHERE students ? $1", [student.userId]))[0]?.room_id, 60_000, 300);
    assert.equal((await call(base, student.token, "POST", `/_matrix/client/v3/join/${encodeURIComponent(subRoom)}`, {})).status, 200);
    await call(base, student.token, "PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(subRoom)}/send/${HW}.submission/s1`, { assignment_id: "a-upgrade-1", text: "3/4 + 1/4 = 1", body: "Abgabe" });
    await eventually("submission stored", async () => ((await pgQuery(appsUrl(), "homework", "SELECT 1 FROM submissions")).length > 0 ? true : undefined), 60_000, 300);
    made = true;
  });

  it("this checkout upgrades it as schulhof upgrade does (stop, backup, regenerate, start with migrations, check) and the school works", async () => {
    assert.ok(made, "the previous release's school was not made");
    // 1. Stop (schulhof.target).
    await stopProcess(oldHost, 30_000);
    oldHost = null;
    await stopProcess(oldSynapse, 30_000);
    oldSynapse = null;
    // 2. Backup with this code (the IT person adds the backup section the new release documents).
    const yamlFile = join(data, "school.yaml");
    mkdirSync(join(work, "keep-elsewhere"), { recursive: true });
    writeFileSync(yamlFile, stringify({ ...(parse(readFileSync(yamlFile, "utf8")) as Record<string, unknown>), backup: { repository: repo, password_file: passwordFile } }));
    let t0 = performance.now();
    const backup = spawnSync(NODE, [CLI, "backup", "--data", data], { encoding: "utf8" });
    assert.equal(backup.status, 0, `backup failed:\n${backup.stdout}\n${backup.stderr}`);
    timings.backup = (performance.now() - t0) / 1000;
    // 3.–5. Regenerate with this code, start Synapse (its schema migrations run at start) and the appservices (theirs).
    t0 = performance.now();
    const gen = generateFromFile(data);
    synapse = await runSynapse(gen);
    base = synapse.url;
    const ensure = spawnSync(NODE, [CLI, "ensure-admin", "--data", data], { encoding: "utf8" });
    assert.equal(ensure.status, 0, `ensure-admin failed:\n${ensure.stdout}\n${ensure.stderr}`);
    host = spawnLogged(work, "host", [CLI, "host", "--data", data], REPO_ROOT);
    // 6. Check, as the upgrade does: Synapse and every appservice answer.
    for (const p of [ports.school, ports.hw, ports.cal, ports.mail]) await waitForHttp(`http://127.0.0.1:${p}/health`, 120_000, "appservice after the upgrade");
    timings.start = (performance.now() - t0) / 1000;

    // The school is used: everybody logs in with their letter's password.
    for (const p of people.values()) people.set(p.localpart, { ...p, token: await login(base, p.localpart, p.password) });
    const teacher = person("juergen.mueller");
    const student = person("lena.koehler");
    const joined = (await call<{ joined_rooms: string[] }>(base, student.token, "GET", "/_matrix/client/v3/joined_rooms")).body.joined_rooms;
    assert.ok(joined.includes(course) && joined.includes(subRoom), "the course and the submission room are there");
    const msgs = await call<{ chunk: { content: { body?: string } }[] }>(base, student.token, "GET", `/_matrix/client/v3/rooms/${encodeURIComponent(course)}/messages?dir=b&limit=100`);
    assert.ok(msgs.body.chunk.some((m) => m.content.body === "Hallo vor dem Upgrade"), "the message from before the upgrade");
    // The homework from before the upgrade, read as the web client reads it.
    const hw = await apiSession({ userId: student.userId, accessToken: student.token }, `http://127.0.0.1:${ports.hw}/_schulhof/homework/v1`, base);
    const todo = (await (await hw("/todo")).json()) as { items: { assignment_id: string; status: string }[] };
    const item = todo.items.find((i) => i.assignment_id === "a-upgrade-1");
    assert.equal(item?.status, "submitted", `the assignment and its submission from before the upgrade: ${JSON.stringify(todo)}`);
    // New work is handled by the upgraded appservices: a new assignment, a bot command, a chat message.
    await call(base, teacher.token, "PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(course)}/state/${HW}.assignment/a-upgrade-2`, { title: "Dezimalzahlen", due: new Date(Date.now() + 86400_000).toISOString(), grading: "none", description: { body: "Seite 50" } });
    await eventually("new assignment stored", async () => ((await pgQuery(appsUrl(), "homework", "SELECT 1 FROM assignments WHERE id = 'a-upgrade-2'")).length > 0 ? true : undefined), 60_000, 300);
    await call(base, student.token, "PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(course)}/send/m.room.message/u2`, { msgtype: "m.text", body: "!ich" });
    await eventually("the school bot answers", async () => {
      const r = await call<{ chunk: { sender: string }[] }>(base, student.token, "GET", `/_matrix/client/v3/rooms/${encodeURIComponent(course)}/messages?dir=b&limit=20`);
      return r.body.chunk.some((m) => m.sender === `@schule:${serverName}`) ? true : undefined;
    }, 60_000, 300);
    // The way back exists: the upgrade's backup is in the repository.
    const snaps = spawnSync("restic", ["snapshots", "--json"], { encoding: "utf8", env: { ...process.env, RESTIC_REPOSITORY: repo, RESTIC_PASSWORD_FILE: passwordFile } });
    assert.equal((JSON.parse(snaps.stdout) as unknown[]).length, 1);
    process.stderr.write(`ops-upgrade: previous release up ${timings.previousStart?.toFixed(1)} s, backup ${timings.backup?.toFixed(1)} s, upgraded start and check ${timings.start?.toFixed(1)} s\n`);
  });
});
