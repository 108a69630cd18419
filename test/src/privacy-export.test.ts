// `schulhof person export` (Auskunft, DSGVO Art. 15) against a real Synapse, PostgreSQL and the school, homework,
// calendar and mail appservices: two students each write a sentence, upload a file, hand in a graded submission and
// get a mail; student A's archive holds all of A's and nothing of B's.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { unzipSync, strFromU8 } from "fflate";
import nodemailer from "nodemailer";
import { REPO_ROOT } from "@schulhof/homeserver-config";
import { joinInvited, OUTSIDE_DOMAIN, sendEvent as send, startPrivacySchool, type PrivacySchool } from "./harness/privacy-school.ts";
import { eventually } from "./harness/users.ts";

const ROSTER = `Rolle;Vorname;Nachname;Klasse;Kurse
Admin;Birgit;Schäfer;;
Lehrer;Jürgen;Müller;7a;Mathematik 7a
Schüler;Anna;Alpha;7a;Mathematik 7a
Schüler;Ben;Beta;7a;Mathematik 7a
`;
const HW = "de.schulhof.homework";
const ASSIGNMENT = "a-privacy-1";
const enc = encodeURIComponent;

interface Person { userId: string; token: string; mark: string; address: string }


function runCli(s: PrivacySchool, args: string[]): { status: number | null; stdout: string; stderr: string; seconds: number } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [join(REPO_ROOT, "cli", "src", "main.ts"), "person", ...args, "--data", s.dataDir], { encoding: "utf8", timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, seconds: (performance.now() - t0) / 1000 };
}

describe("schulhof person export", { concurrency: false }, () => {
  let s: PrivacySchool;
  let a: Person;
  let b: Person;
  let teacherToken = "";
  const fileBytes = new Map<string, Buffer>();

  before(async () => {
    s = await startPrivacySchool(`privacy${randomBytes(3).toString("hex")}`, ROSTER);
    const mk = async (first: string, last: string): Promise<Person> => {
      const userId = await s.userOf(first);
      return { userId, token: await s.tokenFor(userId), mark: `${first}-${randomBytes(6).toString("hex")}`, address: `${first.toLowerCase()}.${last.toLowerCase()}@${s.serverName}` };
    };
    a = await mk("Anna", "Alpha");
    b = await mk("Ben", "Beta");
    teacherToken = await s.tokenFor(await s.userOf("Jürgen"));
  });
  after(async () => {
    await s?.stop();
  });

  it("sets up both students: a sentence in the course, a file in a graded submission, a mail each, and A's reply", async () => {
    const course = (await s.query<{ room_id: string }>("school", `SELECT room_id FROM rooms WHERE kind = 'course' AND name = 'Mathematik 7a'`))[0]?.room_id;
    assert.ok(course, "course room provisioned");
    await eventually("homework bot in the course", async () => ((await s.query("homework", `SELECT 1 FROM course_rooms WHERE room_id = $1 AND is_course`, [course])).length > 0 ? true : undefined), 60_000);
    const due = new Date(Date.now() + 3600_000).toISOString();
    await s.call(teacherToken, "PUT", `/_matrix/client/v3/rooms/${enc(course)}/state/${HW}.assignment/${ASSIGNMENT}`, { title: "Bruchrechnung", due, cutoff: new Date(Date.now() + 7200_000).toISOString(), grading: "grade", description: { body: "Seite 42" } });
    const outside = nodemailer.createTransport({ host: "127.0.0.1", port: s.smtpPort, secure: false, ignoreTLS: true });
    for (const [p, grade] of [[a, "2+"], [b, "5"]] as const) {
      await send(s, p.token, course, "m.room.message", { msgtype: "m.text", body: `Satz ${p.mark} im Kurs` });
      const room = await joinInvited(s, p.token, "Abgaben Mathematik 7a:");
      const bytes = Buffer.from(`Datei ${p.mark} ${randomBytes(16).toString("hex")}\n`);
      fileBytes.set(p.userId, bytes);
      const up = await s.call<{ content_uri: string }>(p.token, "POST", `/_matrix/media/v3/upload?filename=${enc(`loesung-${p.mark}.txt`)}`, bytes, "text/plain");
      await send(s, p.token, room, `${HW}.submission`, { assignment_id: ASSIGNMENT, text: `Abgabe ${p.mark}`, files: [{ url: up.content_uri, name: `loesung-${p.mark}.txt`, size: bytes.length, mimetype: "text/plain" }], body: "Abgabe" });
      await eventually(`submission of ${p.userId}`, async () => ((await s.query("homework", `SELECT 1 FROM submissions WHERE student = $1`, [p.userId])).length > 0 ? true : undefined), 30_000).catch(async (e: unknown) => {
        const msgs = await s.call<{ chunk: { sender: string; type: string; content: unknown }[] }>(p.token, "GET", `/_matrix/client/v3/rooms/${enc(room)}/messages?dir=b&limit=20`);
        throw new Error(`${String(e)}; the room says: ${JSON.stringify(msgs.chunk.map((m) => [m.sender, m.type, m.content]))}`);
      });
      await s.call(teacherToken, "POST", `/_matrix/client/v3/join/${enc(room)}`, {});
      await send(s, teacherToken, room, `${HW}.feedback`, { assignment_id: ASSIGNMENT, student: p.userId, grade, comment: `Kommentar ${p.mark}`, body: grade });
      await eventually(`feedback for ${p.userId}`, async () => ((await s.query("homework", `SELECT 1 FROM feedback WHERE student = $1`, [p.userId])).length > 0 ? true : undefined), 30_000);
      await outside.sendMail({ from: `Erna Schmidt <erna@${OUTSIDE_DOMAIN}>`, to: p.address, subject: `Post ${p.mark}`, text: `Mailtext ${p.mark}` });
      await eventually(`mail delivered to ${p.userId}`, async () => ((await s.query("mail", `SELECT 1 FROM deliveries WHERE local_user = $1`, [p.userId])).length > 0 ? true : undefined), 30_000);
    }
    const conv = await joinInvited(s, a.token, `Post ${a.mark}`);
    await send(s, a.token, conv, "m.room.message", { msgtype: "m.text", body: `Antwort ${a.mark}` });
    await eventually("A's reply queued as mail", async () => ((await s.query("mail", `SELECT 1 FROM outbound WHERE sender_user = $1`, [a.userId])).length > 0 ? true : undefined), 30_000);
  });

  it("exports A's sentence, file, submission, grade and mail both ways, and nothing of B's", async () => {
    const file = join(s.dataDir, "auskunft-a.zip");
    const r = runCli(s, ["export", a.userId, file]);
    assert.equal(r.status, 0, `export failed: ${r.stderr}`);
    assert.match(r.stdout, /Auskunft für .* 1 \+ 1 E-Mails/);
    process.stderr.write(`export of A: ${r.seconds.toFixed(1)} s (CLI process, including Node start); ${r.stdout}`);
    assert.ok(r.seconds < 30, `export took ${r.seconds} s`);
    const zip = unzipSync(new Uint8Array((await import("node:fs")).readFileSync(file)));
    const names = Object.keys(zip);
    assert.ok(names.includes("index.html") && names.includes("data.json"), `entries: ${names.join(", ")}`);
    const all = names.map((n) => Buffer.from(zip[n] ?? new Uint8Array()).toString("latin1")).join("\n");
    const data = JSON.parse(strFromU8(zip["data.json"] ?? new Uint8Array())) as {
      user_id: string;
      messages: { room_name: string; content: { body?: string } }[];
      media: { file: string | null }[];
      homework: { submissions: { content: { text: string } }[]; feedback_received: { grade: string; comment: string; student?: string }[] };
      mail: { received: { file: string }[]; sent: { file: string }[] };
      school_roster: { roster: { first_name: string; class_name: string } };
    };
    const html = strFromU8(zip["index.html"] ?? new Uint8Array());
    assert.equal(data.user_id, a.userId);
    // A's own sentence, with the room's name, in the JSON and in the page.
    const sentence = data.messages.find((m) => m.content.body === `Satz ${a.mark} im Kurs`);
    assert.equal(sentence?.room_name, "Mathematik 7a");
    assert.ok(html.includes(`Satz ${a.mark} im Kurs`));
    // A's file, byte for byte.
    const aBytes = fileBytes.get(a.userId) ?? Buffer.alloc(0);
    const mediaFile = data.media.map((m) => m.file).find((f) => f !== null && Buffer.from(zip[f] ?? new Uint8Array()).equals(aBytes));
    assert.ok(mediaFile, `A's file in the archive (media: ${JSON.stringify(data.media)})`);
    // A's submission and A's grade only.
    assert.deepEqual(data.homework.submissions.map((x) => x.content.text), [`Abgabe ${a.mark}`]);
    assert.deepEqual(data.homework.feedback_received.map((f) => [f.grade, f.comment]), [["2+", `Kommentar ${a.mark}`]]);
    assert.ok(html.includes(`Kommentar ${a.mark}`) && html.includes("2+"));
    // A's mail both ways, as raw messages.
    assert.equal(data.mail.received.length, 1);
    assert.match(Buffer.from(zip[data.mail.received[0]?.file ?? ""] ?? new Uint8Array()).toString("utf8"), new RegExp(`Post ${a.mark}`));
    assert.equal(data.mail.sent.length, 1);
    assert.match(Buffer.from(zip[data.mail.sent[0]?.file ?? ""] ?? new Uint8Array()).toString("utf8"), new RegExp(`Antwort ${a.mark}`));
    assert.equal(data.school_roster.roster.first_name, "Anna");
    // Nothing of B: not the sentence, the submission, the file, the grade's comment, the mail.
    assert.ok(!all.includes(b.mark), "B's mark appears nowhere in A's archive");
    assert.ok(!all.includes((fileBytes.get(b.userId) ?? Buffer.alloc(1)).toString("latin1")), "B's file is not in A's archive");
    assert.ok(!all.includes(b.userId), "B's id is not in A's archive");
  });

  it("names an unknown person, a foreign server and a malformed id, in German and English", () => {
    const file = join(s.dataDir, "x.zip");
    const unknown = runCli(s, ["export", `@niemand:${s.serverName}`, file]);
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, new RegExp(`Unbekannte Person @niemand:${s.serverName}.* / unknown user @niemand:${s.serverName}`));
    const foreign = runCli(s, ["export", "@anna.alpha:andere.schule.test", file]);
    assert.equal(foreign.status, 1);
    assert.match(foreign.stderr, /gehört nicht zu dieser Schule .* \/ .* is not of this school/);
    const bad = runCli(s, ["export", "anna", file]);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /Ungültige Matrix-ID „anna“ .* \/ invalid Matrix user id "anna"/);
  });
});
