// schulhof backup / schulhof restore against real components: a school on PostgreSQL (Synapse and the appservices) with
// people, rooms, a message, a file, homework with a submission and a grade, a calendar event and a feed, mail in and a
// queued mail out, backed up twice with restic (incremental, retention), then restored onto a fresh data folder and a
// fresh PostgreSQL cluster.
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createPublicKey, generateKeyPairSync, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import nodemailer from "nodemailer";
import { stringify } from "yaml";
import { startDemoOutbox } from "@schulhof/cli";
import { ensureSystemAdmin, generateFromFile, generateSchool, REPO_ROOT, runSynapse, SchoolFileSchema, type RunningSynapse } from "@schulhof/homeserver-config";
import { apiSession } from "./harness/openid.ts";
import { pgQuery } from "./harness/pg.ts";
import { freePort, waitForHttp } from "./harness/ports.ts";
import { startPostgres, type TestPostgres } from "./harness/postgres.ts";
import { eventually } from "./harness/users.ts";
import { call, login, stopProcess } from "./harness/ops.ts";

const ROSTER = `Rolle;Vorname;Nachname;Klasse;Kurse
Admin;Birgit;Schäfer;;
Lehrer;Jürgen;Müller;7a;Mathematik 7a
Schüler;Lena;Köhler;7a;Mathematik 7a
`;
const HW = "de.schulhof.homework";
const OUTSIDE = "outside.test";
const NODE = join(REPO_ROOT, "node_modules", ".bin", "node");
const CLI = join(REPO_ROOT, "cli", "src", "main.ts");

interface Person { userId: string; localpart: string; password: string; token: string }

/** Runs the real command line (`schulhof …`) and answers its output; fails the test with its output when it fails. */
function schulhof(args: string[]): { stdout: string; seconds: number } {
  const t0 = performance.now();
  const r = spawnSync(NODE, [CLI, ...args], { encoding: "utf8", env: process.env });
  const seconds = (performance.now() - t0) / 1000;
  assert.equal(r.status, 0, `schulhof ${args.join(" ")} failed:\n${r.stdout}\n${r.stderr}`);
  return { stdout: r.stdout, seconds };
}

function startHostProcess(dataDir: string): ChildProcess {
  const log = openSync(join(dataDir, "..", `host-${Date.now()}.log`), "a");
  return spawn(NODE, [CLI, "host", "--data", dataDir], {
    stdio: ["ignore", log, log],
    env: { ...process.env, SCHULHOF_LOG_LEVEL: "warn", SCHULHOF_MAIL_TUNING: JSON.stringify({ tickMs: 200, backoffBaseMs: 200, directoryRefreshMs: 1000 }) },
  });
}

interface Msg { event_id: string; sender: string; type: string; content: Record<string, unknown> }
async function messages(base: string, token: string, room: string): Promise<Msg[]> {
  const r = await call<{ chunk: Msg[] }>(base, token, "GET", `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/messages?dir=b&limit=200`);
  if (r.status !== 200) throw new Error(`messages: ${r.status}`);
  return r.body.chunk;
}

describe("schulhof backup and restore", { concurrency: false }, () => {
  const work = mkdtempSync(join(tmpdir(), "schulhof-ops-backup-"));
  const dataA = join(work, "school-a");
  const dataB = join(work, "school-b");
  const repo = join(work, "restic-repo");
  const passwordFile = join(work, "keep-elsewhere", "backup-password");
  let pgA: TestPostgres | null = null;
  let pgB: TestPostgres | null = null;
  let synapse: RunningSynapse | null = null;
  let host: ChildProcess | null = null;
  let relay: { close(): Promise<void> } | null = null;
  const ports = { hs: 0, school: 0, hw: 0, cal: 0, mail: 0, smtp: 0, relay: 0 };
  const people = new Map<string, Person>();
  let base = "";
  let course = "";
  let mailRoom = "";
  let mxc = "";
  let commandEvent = "";
  // A 4 MB file: the second backup must not store it again (restic's chunks of a database dump are about 1 MB, so a
  // small school's dumps change as a whole; the unchanged media show that the backup is incremental).
  const fileBytes = randomBytes(4 * 1024 * 1024);
  const serverName = "backup.schule.test";
  const timings: Record<string, number> = {};
  let outsideKey = "";
  let backedUp = false;
  let restored_ = false;
  let feedPath = "";

  const person = (lp: string): Person => {
    const p = people.get(lp);
    if (p === undefined) throw new Error(`no person ${lp}`);
    return p;
  };
  const appsUrl = (pg: TestPostgres): string => {
    const u = new URL(pg.url);
    u.pathname = "/schulhof";
    return u.toString();
  };

  before(async () => {
    for (const k of Object.keys(ports) as (keyof typeof ports)[]) ports[k] = await freePort();
    pgA = await startPostgres();
    const synapseDb = new URL(await pgA.createDatabase("synapse"));
    await pgA.createDatabase("schulhof");
    outsideKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const spki = createPublicKey(outsideKey).export({ type: "spki", format: "der" }).toString("base64");
    const school = SchoolFileSchema.parse({
      school: { id: "backup", name: "Gesamtschule Sicherung", state: "NI", mail_domain: serverName },
      homeserver: {
        server_name: serverName,
        public_baseurl: `http://127.0.0.1:${ports.hs}`,
        port: ports.hs,
        database: { kind: "postgres", host: "127.0.0.1", port: Number(synapseDb.port), user: "postgres", database: "synapse" },
      },
      appservices: { school: { port: ports.school }, homework: { port: ports.hw }, calendar: { port: ports.cal }, mail: { port: ports.mail } },
      database: { kind: "postgres", url: appsUrl(pgA) },
      mail: {
        smtp_port: ports.smtp,
        // Nothing listens here until after the restore: the teacher's reply waits in the outbound queue.
        relay: { host: "127.0.0.1", port: ports.relay },
        dns: {
          [OUTSIDE]: { TXT: [["v=spf1 ip4:127.0.0.0/8 -all"]] },
          [`s1._domainkey.${OUTSIDE}`]: { TXT: [[`v=DKIM1; k=rsa; p=${spki}`]] },
          [`_dmarc.${OUTSIDE}`]: { TXT: [["v=DMARC1; p=reject"]] },
        },
      },
    });
    // The ops section (not part of homeserver-config's schema) goes next to the school's own keys.
    mkdirSync(dataA, { recursive: true });
    mkdirSync(join(work, "keep-elsewhere"), { recursive: true });
    writeFileSync(join(dataA, "school.yaml"), stringify({ ...school, backup: { repository: repo, password_file: passwordFile, keep: { daily: 7, weekly: 4, monthly: 12 } } }));
    const gen = generateSchool(school, dataA);
    synapse = await runSynapse(gen);
    base = synapse.url;
    await ensureSystemAdmin(gen, base);
    host = startHostProcess(dataA);
    for (const p of [ports.school, ports.hw, ports.cal, ports.mail]) await waitForHttp(`http://127.0.0.1:${p}/health`, 60_000, "appservice");
    const res = await fetch(`http://127.0.0.1:${ports.school}/_schulhof/school/v1/admin/roster/import`, {
      method: "POST",
      headers: { authorization: `Bearer ${gen.secrets.admin_api_token}`, "content-type": "text/csv" },
      body: ROSTER,
    });
    const last = (await res.text()).trim().split("\n").at(-1) ?? "";
    const letters = (JSON.parse(last) as { report: { letters: { localpart: string; userId: string; password: string }[] } }).report.letters;
    for (const l of letters) people.set(l.localpart, { ...l, token: await login(base, l.localpart, l.password) });

    // The school: the course room (made by the import), the homework bot in it.
    const teacher = person("juergen.mueller");
    const joined = (await call<{ joined_rooms: string[] }>(base, teacher.token, "GET", "/_matrix/client/v3/joined_rooms")).body.joined_rooms;
    for (const r of joined) if ((await call(base, teacher.token, "GET", `/_matrix/client/v3/rooms/${encodeURIComponent(r)}/state/de.schulhof.course/`)).status === 200) course = r;
    assert.notEqual(course, "", "the course room exists");
    await eventually("homework bot in the course", async () => {
      const m = await call<{ joined: Record<string, unknown> }>(base, teacher.token, "GET", `/_matrix/client/v3/rooms/${encodeURIComponent(course)}/joined_members`);
      return `@hausaufgaben:${serverName}` in m.body.joined ? true : undefined;
    }, 60_000, 300);
  });

  after(async () => {
    await stopProcess(host);
    await relay?.close();
    await synapse?.stop();
    pgA?.stop();
    pgB?.stop();
    if (process.env.SCHULHOF_KEEP_TEST_DATA === undefined) rmSync(work, { recursive: true, force: true });
  });

  it("a school with a message, a file, homework with a grade and mail both ways is backed up twice: incremental, with retention", async () => {
    const teacher = person("juergen.mueller");
    const student = person("lena.koehler");
    const apps = appsUrl(pgA as TestPostgres);
    await call(base, student.token, "PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(course)}/send/m.room.message/b1`, { msgtype: "m.text", body: "Hallo vor dem Backup" });
    const up = await fetch(`${base}/_matrix/media/v3/upload?filename=arbeitsblatt.bin`, { method: "POST", headers: { authorization: `Bearer ${student.token}`, "content-type": "application/octet-stream" }, body: fileBytes });
    mxc = ((await up.json()) as { content_uri: string }).content_uri;
    assert.match(mxc, /^mxc:\/\//);

    // Homework: an assignment, the student's submission, the teacher's grade.
    const due = new Date(Date.now() + 86400_000).toISOString();
    await call(base, teacher.token, "PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(course)}/state/${HW}.assignment/a-backup-1`, { title: "Bruchrechnung", due, grading: "grade", description: { body: "Seite 42" } });
    const subRoom = await eventually("submission room", async () => (await pgQuery<{ room_id: string }>(apps, "homework", "SELECT room_id FROM submission_rooms WHERE students ? $1", [student.userId]))[0]?.room_id, 60_000, 300);
    assert.equal((await call(base, student.token, "POST", `/_matrix/client/v3/join/${encodeURIComponent(subRoom)}`, {})).status, 200);
    await call(base, student.token, "PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(subRoom)}/send/${HW}.submission/s1`, { assignment_id: "a-backup-1", text: "3/4 + 1/4 = 1", body: "Abgabe" });
    await eventually("submission stored", async () => ((await pgQuery(apps, "homework", "SELECT 1 FROM submissions")).length > 0 ? true : undefined), 60_000, 300);
    assert.equal((await call(base, teacher.token, "POST", `/_matrix/client/v3/join/${encodeURIComponent(subRoom)}`, {})).status, 200);
    await call(base, teacher.token, "PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(subRoom)}/send/${HW}.feedback/f1`, { assignment_id: "a-backup-1", student: student.userId, grade: "2", comment: "Gut gemacht", body: "2" });
    await eventually("grade stored", async () => ((await pgQuery(apps, "homework", "SELECT 1 FROM feedback")).length > 0 ? true : undefined), 60_000, 300);

    // The calendar: a teacher's event in the course calendar, and the student's personal feed (a secret URL).
    const tomorrow = new Date(Date.now() + 86400_000).toLocaleDateString("de-DE", { timeZone: "Europe/Berlin", day: "2-digit", month: "2-digit", year: "numeric" });
    await call(base, teacher.token, "PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(course)}/send/m.room.message/t1`, { msgtype: "m.text", body: `!termin ${tomorrow} 10:00-11:00 Wandertag` });
    await eventually("calendar announcement", async () => ((await messages(base, student.token, course)).some((m) => m.sender === `@kalender:${serverName}` && /Wandertag/.test(String(m.content.body))) ? true : undefined), 60_000, 300);
    const cal = await apiSession({ userId: student.userId, accessToken: student.token }, `http://127.0.0.1:${ports.cal}/_schulhof/calendar/v1`, base);
    const feed = (await (await cal("/feeds", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ label: "Handy" }) })).json()) as { url: string };
    feedPath = new URL(feed.url).pathname;
    assert.match(await eventually("event in the feed", async () => {
      const t = await (await fetch(`http://127.0.0.1:${ports.cal}${feedPath}`)).text();
      return t.includes("Wandertag") ? t : undefined;
    }, 30_000, 300), /BEGIN:VCALENDAR/);

    // Mail in (DKIM-signed from outside) and the teacher's reply out, which waits in the queue (the relay is down).
    const transport = nodemailer.createTransport({ host: "127.0.0.1", port: ports.smtp, secure: false, ignoreTLS: true, dkim: { domainName: OUTSIDE, keySelector: "s1", privateKey: outsideKey } });
    await transport.sendMail({ from: "Erna Schmidt <erna@outside.test>", to: `juergen.mueller@${serverName}`, subject: "Elternsprechtag", text: "Guten Tag, wann ist der Elternsprechtag?" });
    mailRoom = await eventually("conversation room", async () => (await pgQuery<{ room_id: string }>(apps, "mail", "SELECT room_id FROM conversations"))[0]?.room_id, 60_000, 300);
    assert.equal((await call(base, teacher.token, "POST", `/_matrix/client/v3/join/${encodeURIComponent(mailRoom)}`, {})).status, 200);
    await eventually("mail in the room", async () => ((await messages(base, teacher.token, mailRoom)).some((m) => String(m.content.body).includes("Elternsprechtag")) ? true : undefined), 60_000, 300);
    await call(base, teacher.token, "PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(mailRoom)}/send/m.room.message/r1`, { msgtype: "m.text", body: "Am Donnerstag ab 16 Uhr." });
    await eventually("reply queued", async () => ((await pgQuery(apps, "mail", "SELECT 1 FROM outbound WHERE state = 'queued'")).length > 0 ? true : undefined), 60_000, 300);

    // As the backup timer's unit does: the appservices stop, the backup runs, they start again.
    await stopProcess(host);
    host = null;
    const first = schulhof(["backup", "--data", dataA]);
    timings.firstBackup = first.seconds;
    const firstResult = JSON.parse(readFileSync(join(dataA, "backup-last.json"), "utf8")) as { snapshotId: string; dataAdded: number };
    assert.ok(existsSync(passwordFile), "the password file was made");
    assert.ok(!existsSync(join(dataA, "backup-dumps")), "the dumps are removed after the backup");

    // While the appservices are stopped a student asks the school bot: Synapse keeps the event for them.
    const cmd = await call<{ event_id: string }>(base, student.token, "PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(course)}/send/m.room.message/b2`, { msgtype: "m.text", body: "!ich" });
    commandEvent = cmd.body.event_id;
    await call(base, student.token, "PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(course)}/send/m.room.message/b3`, { msgtype: "m.text", body: "Nach dem ersten Backup" });
    const second = schulhof(["backup", "--data", dataA]);
    timings.secondBackup = second.seconds;
    const secondResult = JSON.parse(readFileSync(join(dataA, "backup-last.json"), "utf8")) as { snapshotId: string; dataAdded: number };
    assert.notEqual(secondResult.snapshotId, firstResult.snapshotId);
    assert.ok(secondResult.dataAdded < firstResult.dataAdded / 2, `incremental: second backup added ${secondResult.dataAdded} bytes, first ${firstResult.dataAdded}`);
    // Retention: --keep-daily keeps the last snapshot of the day.
    const snaps = spawnSync("restic", ["snapshots", "--json"], { encoding: "utf8", env: { ...process.env, RESTIC_REPOSITORY: repo, RESTIC_PASSWORD_FILE: passwordFile } });
    const list = JSON.parse(snaps.stdout) as { id: string; tags: string[] }[];
    assert.deepEqual(list.map((s) => s.id.slice(0, 8)), [secondResult.snapshotId.slice(0, 8)], "retention keeps one snapshot per day");
    assert.ok(list[0]?.tags.includes("schulhof"));
    // The repository is encrypted: the message and the file's text are not in it as plain text.
    const grep = spawnSync("grep", ["-r", "-l", "Nach dem ersten Backup", repo], { encoding: "utf8" });
    assert.equal(grep.stdout, "", "no plain text in the repository");
    backedUp = true;
  });

  it("restores the school onto a fresh data folder and a fresh PostgreSQL cluster, and the school works and carries on", async () => {
    assert.ok(backedUp, "the backup before this test failed");
    // The old server is gone: Synapse, its cluster and its data folder.
    await synapse?.stop();
    synapse = null;
    pgA?.stop();
    pgA = null;
    rmSync(dataA, { recursive: true, force: true });

    pgB = await startPostgres();
    const restored = schulhof(["restore", "--data", dataB, "--repo", repo, "--password-file", passwordFile, "--db-host", "127.0.0.1", "--db-port", String(pgB.port), "--pg-admin", pgB.url]);
    timings.restore = restored.seconds;
    assert.match(restored.stdout, /zurückgespielt/);
    // Never over an existing school.
    const again = spawnSync(NODE, [CLI, "restore", "--data", dataB, "--repo", repo, "--password-file", passwordFile], { encoding: "utf8" });
    assert.notEqual(again.status, 0);
    assert.match(again.stderr, /nicht leer/);

    const gen = generateFromFile(dataB);
    assert.equal(gen.school.homeserver.database.kind === "postgres" ? gen.school.homeserver.database.port : 0, pgB.port);
    synapse = await runSynapse(gen);
    base = synapse.url;
    relay = await startDemoOutbox("127.0.0.1", ports.relay, join(work, "relay"));
    // As the appservices' unit does: ensure-admin first (it also wakes Synapse's appservice scheduler), then the host.
    schulhof(["ensure-admin", "--data", dataB]);
    host = startHostProcess(dataB);
    for (const p of [ports.school, ports.hw, ports.cal, ports.mail]) await waitForHttp(`http://127.0.0.1:${p}/health`, 60_000, "appservice");

    // Everybody logs in with the password of their letter.
    for (const p of people.values()) people.set(p.localpart, { ...p, token: await login(base, p.localpart, p.password) });
    const teacher = person("juergen.mueller");
    const student = person("lena.koehler");
    const joined = (await call<{ joined_rooms: string[] }>(base, student.token, "GET", "/_matrix/client/v3/joined_rooms")).body.joined_rooms;
    assert.ok(joined.includes(course), "the course room is there");
    const bodies = (await messages(base, student.token, course)).map((m) => String(m.content.body));
    assert.ok(bodies.includes("Hallo vor dem Backup") && bodies.includes("Nach dem ersten Backup"), "the messages are there");
    // The file.
    const [serverPart, mediaId] = mxc.slice("mxc://".length).split("/");
    const dl = await fetch(`${base}/_matrix/client/v1/media/download/${serverPart}/${mediaId}`, { headers: { authorization: `Bearer ${student.token}` } });
    assert.equal(dl.status, 200);
    assert.deepEqual(Buffer.from(await dl.arrayBuffer()), fileBytes);
    // Homework and grade, through the homework API as the web client reads it.
    const hw = await apiSession({ userId: student.userId, accessToken: student.token }, `http://127.0.0.1:${ports.hw}/_schulhof/homework/v1`, base);
    const todo = (await (await hw("/todo")).json()) as { items: { assignment_id: string; status: string; feedback: { grade: string } | null }[] };
    const item = todo.items.find((i) => i.assignment_id === "a-backup-1");
    assert.equal(item?.status, "submitted");
    assert.equal(item?.feedback?.grade, "2");
    // The calendar event in the student's feed, at the same secret address.
    const ics = await fetch(`http://127.0.0.1:${ports.cal}${feedPath}`);
    assert.equal(ics.status, 200);
    assert.match(await ics.text(), /^SUMMARY:\[Mathematik 7a\] Wandertag\r$/m);
    // The mail conversation.
    assert.ok((await messages(base, teacher.token, mailRoom)).some((m) => String(m.content.body).includes("Elternsprechtag")), "the mail is in its room");

    // The appservices carry on where they stopped: the bot answers the command sent while they were down, once.
    const answers = await eventually("the school bot's answer to !ich", async () => {
      const a = (await messages(base, student.token, course)).filter((m) => m.sender === `@schule:${serverName}` && JSON.stringify(m.content).includes(commandEvent));
      return a.length > 0 ? a : undefined;
    }, 90_000, 500);
    // The queued reply reaches the relay once.
    const relayed = await eventually("queued mail at the relay", async () => {
      const dir = join(work, "relay");
      const files = existsSync(dir) ? readdirSync(dir) : [];
      return files.length > 0 ? files : undefined;
    }, 90_000, 500);
    assert.match(readFileSync(join(work, "relay", relayed[0] ?? ""), "utf8"), /Am Donnerstag ab 16 Uhr/);
    // New work is handled: a second assignment opens the student's submission room.
    await call(base, teacher.token, "PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(course)}/state/${HW}.assignment/a-backup-2`, { title: "Dezimalzahlen", due: new Date(Date.now() + 86400_000).toISOString(), grading: "none", description: { body: "Seite 50" } });
    await eventually("second assignment stored", async () => ((await pgQuery(appsUrl(pgB as TestPostgres), "homework", "SELECT 1 FROM assignments WHERE id = 'a-backup-2'")).length > 0 ? true : undefined), 60_000, 300);
    await new Promise((r) => setTimeout(r, 2000));
    const finalAnswers = (await messages(base, student.token, course)).filter((m) => m.sender === `@schule:${serverName}` && JSON.stringify(m.content).includes(commandEvent));
    assert.equal(finalAnswers.length, answers.length, "answered once");
    assert.equal(readdirSync(join(work, "relay")).length, 1, "the queued mail was sent once");
    assert.equal((await pgQuery(appsUrl(pgB as TestPostgres), "homework", "SELECT 1 FROM submissions")).length, 1, "one submission, not two");
    process.stderr.write(`ops-backup: first backup ${timings.firstBackup?.toFixed(1)} s, second ${timings.secondBackup?.toFixed(1)} s, restore ${timings.restore?.toFixed(1)} s\n`);
    restored_ = true;
  });

  it("restore --in-place (an upgrade's way back) returns the school to a snapshot and keeps the state it replaced", async () => {
    assert.ok(restored_, "the restore before this test failed");
    const student = person("lena.koehler");
    await stopProcess(host);
    host = null;
    schulhof(["backup", "--data", dataB]);
    const snap = (JSON.parse(readFileSync(join(dataB, "backup-last.json"), "utf8")) as { snapshotId: string }).snapshotId;
    await call(base, student.token, "PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(course)}/send/m.room.message/b4`, { msgtype: "m.text", body: "Nach dem Rücksetzpunkt" });
    await synapse?.stop();
    synapse = null;
    const back = schulhof(["restore", "--in-place", "--snapshot", snap, "--data", dataB, "--pg-admin", pgB?.url ?? ""]);
    timings.inPlace = back.seconds;
    const aside = readdirSync(work).filter((f) => f.startsWith("school-b.old-"));
    assert.equal(aside.length, 1, "the replaced data folder is kept");
    const dbs = (await pgQuery<{ datname: string }>(pgB?.url ?? "", null, "SELECT datname FROM pg_database WHERE datname LIKE '%\\_old\\_%' ORDER BY datname")).map((r) => r.datname);
    assert.equal(dbs.length, 2, `the replaced databases are kept: ${dbs.join(", ")}`);
    assert.ok(existsSync(passwordFile));
    synapse = await runSynapse(generateFromFile(dataB));
    base = synapse.url;
    const token = await login(base, student.localpart, student.password);
    const bodies = (await messages(base, token, course)).map((m) => String(m.content.body));
    assert.ok(bodies.includes("Nach dem ersten Backup"));
    assert.ok(!bodies.includes("Nach dem Rücksetzpunkt"), "the school is at the snapshot");
    process.stderr.write(`ops-backup: restore --in-place ${timings.inPlace?.toFixed(1)} s\n`);
  });
});
