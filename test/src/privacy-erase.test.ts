// `schulhof person erase` (Löschung, DSGVO Art. 17) against a real Synapse on PostgreSQL and the school, homework,
// calendar and mail appservices: a student writes a unique sentence, uploads a unique file in a graded submission and
// exchanges a mail; after the erasure the dumps of Synapse's and the appservices' databases and every file of the
// school's data folder are searched for them. What is found must be exactly what docs/privacy.md says stays.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import nodemailer from "nodemailer";
import { REPO_ROOT } from "@schulhof/homeserver-config";
import { postgresBinDir } from "./harness/postgres.ts";
import { joinInvited, OUTSIDE_DOMAIN, sendEvent as send, startPrivacySchool, type PrivacySchool } from "./harness/privacy-school.ts";
import { eventually } from "./harness/users.ts";

const ROSTER = `Rolle;Vorname;Nachname;Klasse;Kurse
Lehrer;Jürgen;Müller;7a;Mathematik 7a
Schüler;Anna;Alpha;7a;Mathematik 7a
Schüler;Ben;Beta;7a;Mathematik 7a
`;
const HW = "de.schulhof.homework";
const enc = encodeURIComponent;


/** pg_dump's text of a database (data only), as PostgreSQL would hand it to a backup. */
function dump(url: string): string {
  const r = spawnSync(join(postgresBinDir(), "pg_dump"), ["--data-only", "--no-owner", url], { encoding: "utf8", maxBuffer: 512 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`pg_dump ${url}: ${r.stderr}`);
  return r.stdout;
}

/** Lines of `text` that hold `needle` as text or as the hex of its bytes (pg_dump writes bytea as hex). */
function hits(text: string, needle: string): string[] {
  const hex = Buffer.from(needle).toString("hex");
  return text.split("\n").filter((l) => l.includes(needle) || l.toLowerCase().includes(hex));
}

/** Every file under `dir` whose bytes contain `needle`. */
function filesWith(dir: string, needle: Buffer): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile() && readFileSync(p).includes(needle)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

describe("schulhof person erase", { concurrency: false }, () => {
  let s: PrivacySchool;
  let anna = "";
  let annaToken = "";
  let benToken = "";
  let teacherToken = "";
  let course = "";
  let submissionRoom = "";
  let conversation = "";
  const mark = `Anna-${randomBytes(6).toString("hex")}`;
  const benMark = `Ben-${randomBytes(6).toString("hex")}`;
  const fileBytes = Buffer.from(`Datei ${mark} ${randomBytes(24).toString("hex")}\n`);

  before(async () => {
    s = await startPrivacySchool(`erase${randomBytes(3).toString("hex")}`, ROSTER, { synapseOnPostgres: true });
    anna = await s.userOf("Anna");
    annaToken = await s.tokenFor(anna);
    benToken = await s.tokenFor(await s.userOf("Ben"));
    teacherToken = await s.tokenFor(await s.userOf("Jürgen"));
  });
  after(async () => {
    await s?.stop();
  });

  it("sets up a sentence, a file in a graded submission and a mail both ways for Anna, and a sentence of Ben", async () => {
    course = (await s.query<{ room_id: string }>("school", `SELECT room_id FROM rooms WHERE kind = 'course' AND name = 'Mathematik 7a'`))[0]?.room_id ?? "";
    assert.ok(course !== "");
    await eventually("homework bot in the course", async () => ((await s.query("homework", `SELECT 1 FROM course_rooms WHERE room_id = $1 AND is_course`, [course])).length > 0 ? true : undefined), 60_000);
    await s.call(teacherToken, "PUT", `/_matrix/client/v3/rooms/${enc(course)}/state/${HW}.assignment/a-erase`, { title: "Bruchrechnung", due: new Date(Date.now() + 3600_000).toISOString(), grading: "grade", description: { body: "Seite 42" } });
    await send(s, annaToken, course, "m.room.message", { msgtype: "m.text", body: `Satz ${mark} im Kurs` });
    await send(s, benToken, course, "m.room.message", { msgtype: "m.text", body: `Satz ${benMark} im Kurs` });
    submissionRoom = await joinInvited(s, annaToken, "Abgaben Mathematik 7a:");
    const up = await s.call<{ content_uri: string }>(annaToken, "POST", `/_matrix/media/v3/upload?filename=${enc(`loesung-${mark}.txt`)}`, fileBytes, "text/plain");
    await send(s, annaToken, submissionRoom, `${HW}.submission`, { assignment_id: "a-erase", text: `Abgabe ${mark}`, files: [{ url: up.content_uri, name: `loesung-${mark}.txt`, size: fileBytes.length, mimetype: "text/plain" }], body: "Abgabe" });
    await eventually("submission stored", async () => ((await s.query("homework", `SELECT 1 FROM submissions WHERE student = $1`, [anna])).length > 0 ? true : undefined), 30_000);
    await s.call(teacherToken, "POST", `/_matrix/client/v3/join/${enc(submissionRoom)}`, {});
    await send(s, teacherToken, submissionRoom, `${HW}.feedback`, { assignment_id: "a-erase", student: anna, grade: "2+", comment: `Kommentar ${mark}`, body: "2+" });
    await eventually("grade stored", async () => ((await s.query("homework", `SELECT 1 FROM feedback WHERE student = $1`, [anna])).length > 0 ? true : undefined), 30_000);
    await nodemailer.createTransport({ host: "127.0.0.1", port: s.smtpPort, secure: false, ignoreTLS: true }).sendMail({ from: `Erna Schmidt <erna@${OUTSIDE_DOMAIN}>`, to: `anna.alpha@${s.serverName}`, subject: `Post ${mark}`, text: `Mailtext ${mark}` });
    conversation = await joinInvited(s, annaToken, `Post ${mark}`);
    await send(s, annaToken, conversation, "m.room.message", { msgtype: "m.text", body: `Antwort ${mark}` });
    await eventually("reply relayed", async () => ((await s.query<{ state: string }>("mail", `SELECT state FROM outbound WHERE sender_user = $1`, [anna]))[0]?.state === "sent" ? true : undefined), 30_000);
    // Before: the mark is there, in both databases and in the media store.
    assert.ok(hits(dump(s.dbUrl), mark).length > 0, "mark in the appservices' dump before");
    assert.ok(hits(dump(s.synapseDbUrl ?? ""), mark).length > 0, "mark in Synapse's dump before");
    assert.ok(filesWith(s.dataDir, fileBytes).length > 0, "file in the media store before");
  });

  it("refuses without --yes and names an unknown person", () => {
    const cli = (args: string[]): { status: number | null; stderr: string } => spawnSync(process.execPath, [join(REPO_ROOT, "cli", "src", "main.ts"), "person", ...args, "--data", s.dataDir], { encoding: "utf8" });
    const noYes = cli(["erase", anna]);
    assert.equal(noYes.status, 1);
    assert.match(noYes.stderr, /Löschen ist endgültig: mit --yes bestätigen .* \/ erasure is final/);
    const unknown = cli(["erase", `@niemand:${s.serverName}`, "--yes"]);
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /Unbekannte Person .* \/ unknown user/);
  });

  it("erases Anna: nothing of her sentence, file, submission or mail in the dumps or the data folder, but the grade record apart", async () => {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [join(REPO_ROOT, "cli", "src", "main.ts"), "person", "erase", anna, "--yes", "--data", s.dataDir], { encoding: "utf8", timeout: 300_000 });
    assert.equal(r.status, 0, `erase failed: ${r.stdout} ${r.stderr}`);
    process.stderr.write(`erase of Anna: ${((performance.now() - t0) / 1000).toFixed(1)} s; ${r.stdout}`);
    assert.match(r.stdout, /gelöscht: .* 2 private Räume gelöscht/);

    // The appservices' databases: nothing.
    const apps = dump(s.dbUrl);
    assert.deepEqual(hits(apps, mark), [], "nothing of Anna's in the appservices' dump");
    assert.deepEqual(hits(apps, anna), [], "not even her id in the appservices' dump");
    // Synapse's database: the private rooms are gone; what is left is documented in docs/privacy.md.
    const syn = dump(s.synapseDbUrl ?? "");
    const left = hits(syn, mark);
    for (const what of [`Abgabe ${mark}`, `Kommentar ${mark}`, `Antwort ${mark}`, `Mailtext ${mark}`, `loesung-${mark}`]) assert.deepEqual(hits(syn, what), [], `${what} not in Synapse's dump`);
    process.stderr.write(`Synapse rows still holding the course sentence (redacted, kept until redaction_retention_period): ${left.length}\n${left.map((l) => l.slice(0, 160)).join("\n")}\n`);
    for (const l of left) assert.ok(l.includes(`Satz ${mark} im Kurs`), `only the redacted course sentence may remain, found: ${l.slice(0, 300)}`);
    // The data folder (media store, logs, relay outbox excepted below): the file's bytes are nowhere.
    const withFile = filesWith(s.dataDir, fileBytes);
    assert.deepEqual(withFile, [], "the file's bytes are nowhere in the school's data folder");
    // Synapse's own log keeps request lines until it is rotated (docs/privacy.md: server logs); nothing else may hold the mark.
    const synapseLog = join(s.dataDir, "synapse", "homeserver.log");
    const withMark = filesWith(s.dataDir, Buffer.from(mark)).filter((f) => !f.startsWith(s.relayDir) && f !== synapseLog);
    assert.deepEqual(withMark, [], "the mark is in no file of the data folder (the relay's outbox is the outside world)");
    const logLines = existsSync(synapseLog) ? readFileSync(synapseLog, "utf8").split("\n").filter((l) => l.includes(mark)) : [];
    process.stderr.write(`Synapse log lines with the mark: ${logLines.length}\n${logLines.map((l) => l.slice(0, 400)).join("\n")}\n`);
    for (const l of logLines) assert.match(l, /synapse\.access\.http|Processed request|"(GET|PUT|POST) /, `only request lines may remain in Synapse's log: ${l.slice(0, 300)}`);

    // Clients see the sentence redacted; Ben's stays.
    const msgs = await s.call<{ chunk: { sender: string; content: { body?: string } }[] }>(teacherToken, "GET", `/_matrix/client/v3/rooms/${enc(course)}/messages?dir=b&limit=100`);
    assert.ok(!msgs.chunk.some((m) => m.content.body?.includes(mark)));
    assert.ok(msgs.chunk.some((m) => m.content.body === `Satz ${benMark} im Kurs`), "Ben's sentence stays");
    // Private rooms purged, account deactivated and erased.
    for (const room of [submissionRoom, conversation]) {
      const res = await fetch(`${s.synapseUrl}/_synapse/admin/v1/rooms/${enc(room)}`, { headers: { authorization: `Bearer ${s.adminToken}` } });
      assert.equal(res.status, 404, `room ${room} purged`);
    }
    const account = await s.call<{ deactivated: boolean; erased: boolean }>(s.adminToken, "GET", `/_synapse/admin/v2/users/${enc(anna)}`);
    assert.equal(account.deactivated, true);
    assert.equal(account.erased, true);
    // The grade record, apart, with its date, and without the comment or the submission.
    const keptDir = join(s.dataDir, "privacy", "kept");
    assert.ok(existsSync(keptDir));
    const kept = readdirSync(keptDir).map((f) => JSON.parse(readFileSync(join(keptDir, f), "utf8")) as { user_id: string; keep_until: string; grades: { grade: string; assignment: string }[] });
    assert.equal(kept.length, 1);
    assert.equal(kept[0]?.user_id, anna);
    assert.match(kept[0]?.keep_until ?? "", /^\d{4}-07-31$/);
    assert.deepEqual(kept[0]?.grades.map((g) => [g.assignment, g.grade]), [["Bruchrechnung", "2+"]]);
    const log = readFileSync(join(s.dataDir, "privacy", "erase-log.jsonl"), "utf8");
    assert.ok(log.includes(anna) && !log.includes(mark), "the erasure is logged without content");
  });
});
