// Roster import against real Synapse and PostgreSQL: first day, rights, bot, next term's diff, bad rows, letters and reindex.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { MatrixError } from "matrix-js-sdk";
import { writeCredentialLetters } from "@schulhof/school";
import { testEnv } from "./harness/env.ts";
import { postRoster, schoolQuery } from "./harness/school.ts";
import { openid } from "./harness/video.ts";
import { clientFor, eventually, login, roomMessages, type TestUser } from "./harness/users.ts";

const TERM1 = `Rolle;ID;Vorname;Nachname;Klasse;Kurse
Admin;A1;Ingrid;Hoffmann;;
Lehrer;L1;Jürgen;Weiß;7a;Mathematik 7a|Mathematik 7b
Lehrer;L2;Özlem;Çelik;7b;Deutsch 7a|Deutsch 7b|Latein Q1
Schüler;S1;Lena;Köhler;7a;Mathematik 7a|Deutsch 7a
Schüler;S2;Jonas;Groß;7a;Mathematik 7a|Deutsch 7a
Schüler;S3;Mia;Böhm;7b;Mathematik 7b|Deutsch 7b
Schüler;S4;Sören;Brück;7b;Mathematik 7b|Deutsch 7b
Schüler;S5;Zoë;Lüders;Q1;Latein Q1
`;
// Next term: Jonas moves to 7b, Mia leaves, Emil is new.
const TERM2 = `Rolle;ID;Vorname;Nachname;Klasse;Kurse
Admin;A1;Ingrid;Hoffmann;;
Lehrer;L1;Jürgen;Weiß;7a;Mathematik 7a|Mathematik 7b
Lehrer;L2;Özlem;Çelik;7b;Deutsch 7a|Deutsch 7b|Latein Q1
Schüler;S1;Lena;Köhler;7a;Mathematik 7a|Deutsch 7a
Schüler;S2;Jonas;Groß;7b;Mathematik 7b|Deutsch 7b
Schüler;S4;Sören;Brück;7b;Mathematik 7b|Deutsch 7b
Schüler;S5;Zoë;Lüders;Q1;Latein Q1
Schüler;S6;Emil;Schäfer;7a;Mathematik 7a|Deutsch 7a
`;

const server = (): string => testEnv().serverName;
const uid = (localpart: string): string => `@${localpart}:${server()}`;

async function alias(user: TestUser, localpart: string): Promise<string> {
  return (await user.client.getRoomIdForAlias(`#${localpart}:${server()}`)).room_id;
}

const sessions = new Map<string, TestUser>();

/** Logs in once per person (the homeserver limits logins per account) and reuses the session. */
async function as(localpart: string, password: string): Promise<TestUser> {
  const known = sessions.get(localpart);
  if (known !== undefined) return known;
  const token = await login(localpart, password);
  const user = { userId: uid(localpart), localpart, password, accessToken: token, client: clientFor(uid(localpart), token) };
  sessions.set(localpart, user);
  return user;
}

async function forbidden(p: Promise<unknown>): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof MatrixError && e.errcode === "M_FORBIDDEN");
}

async function joinedNames(user: TestUser): Promise<Set<string>> {
  const { joined_rooms: rooms } = await user.client.getJoinedRooms();
  const names = await Promise.all(
    rooms.map(async (r) => ((await user.client.getStateEvent(r, "m.room.name" as never, "")) as { name: string }).name),
  );
  return new Set(names);
}

describe("roster import and provisioning", { concurrency: false }, () => {
  const passwords = new Map<string, string>();

  it("refuses a roster with a bad row, naming line and column, and imports nothing", async () => {
    const bad = TERM1.replace("Schüler;S3;Mia;Böhm;7b;", "Schüler;S3;Mia;Böhm;4b;");
    const r = await postRoster(bad);
    assert.ok(r.error !== undefined, "an error is reported");
    assert.deepEqual(r.error.rows?.map((x) => [x.line, x.column]), [[7, "Klasse"]]);
    assert.match(r.error.error, /Zeile 7, Spalte "Klasse"/);
    assert.equal((await schoolQuery("SELECT key FROM people")).length, 0);
  });

  it("shows the first import as a dry run without changing anything", async () => {
    const r = await postRoster(TERM1, { dry_run: "1" });
    assert.equal(r.report?.dryRun, true);
    assert.equal(r.report?.diff.added.length, 8);
    assert.match(r.report?.diffText ?? "", /8 neu/);
    assert.equal((await schoolQuery("SELECT key FROM people")).length, 0);
  });

  it("creates accounts, spaces, rooms and memberships on the first import, with progress", async () => {
    const r = await postRoster(TERM1);
    const report = r.report;
    assert.ok(report !== undefined, JSON.stringify(r.error));
    assert.deepEqual(report.failures, []);
    assert.equal(report.letters.length, 8);
    assert.ok(r.progress > 10, "progress lines were streamed");
    for (const l of report.letters) passwords.set(l.localpart, l.password);
    assert.ok(passwords.has("juergen.weiss") && passwords.has("oezlem.celik") && passwords.has("zoe.lueders"));
    const people = await schoolQuery<{ user_id: string; role: string }>("SELECT user_id, role FROM people WHERE active");
    assert.equal(people.length, 8);
  });

  it("lets the teacher log in and see the school space with class and course rooms", async () => {
    const teacher = await as("juergen.weiss", passwords.get("juergen.weiss") ?? "");
    const names = await joinedNames(teacher);
    for (const n of [testEnv().schoolName, "Klasse 7a", "7a Klassenchat", "Mathematik 7a", "Mathematik 7b", "Lehrerzimmer", "Klausurplan 7a", "Klausurplan 7b"]) {
      assert.ok(names.has(n), `teacher is in ${n} (has ${[...names].join(", ")})`);
    }
    assert.ok(!names.has("Latein Q1"), "not in a course he does not teach");
    const schoolSpace = await alias(teacher, "schule-space");
    const res = await fetch(`${testEnv().synapseUrl}/_matrix/client/v1/rooms/${encodeURIComponent(schoolSpace)}/hierarchy?max_depth=5`, {
      headers: { authorization: `Bearer ${teacher.accessToken}` },
    });
    const tree = (await res.json()) as { rooms: { name?: string; room_type?: string }[] };
    const treeNames = tree.rooms.map((r) => r.name);
    for (const n of ["Jahrgang 7", "Klasse 7a", "Mathematik 7a", "7a Klassenchat"]) assert.ok(treeNames.includes(n), `hierarchy has ${n}`);
    assert.equal(tree.rooms.find((r) => r.name === "Klasse 7a")?.room_type, "m.space");
    const info = (await teacher.client.getStateEvent(schoolSpace, "de.schulhof.school" as never, "")) as Record<string, unknown>;
    assert.deepEqual(info, { name: testEnv().schoolName, state: "NI", timezone: "Europe/Berlin", mail_domain: "schule-a.test" });
  });

  it("gives admins 100, teachers 50 and students 0, and the homeserver enforces it", async () => {
    const lena = await as("lena.koehler", passwords.get("lena.koehler") ?? "");
    const course = await alias(lena, "schule-kurs-mathematik-7a");
    const pl = (await lena.client.getStateEvent(course, "m.room.power_levels" as never, "")) as { users: Record<string, number> };
    assert.equal(pl.users[uid("ingrid.hoffmann")], 100);
    assert.equal(pl.users[uid("juergen.weiss")], 50);
    assert.equal(pl.users[uid("lena.koehler")], undefined);
    assert.equal(pl.users[uid("hausaufgaben")], 50, "the homework bot acts in course rooms");
    await eventually("homework bot joins the course", async () => (uid("hausaufgaben") in (await lena.client.getJoinedRoomMembers(course)).joined ? true : undefined));
    // Students cannot rename a course, post in the exam plan, or write feature state.
    await forbidden(lena.client.setRoomName(course, "Hacked"));
    await forbidden(lena.client.sendTextMessage(await alias(lena, "schule-klausuren-7a"), "no"));
    await forbidden(lena.client.sendStateEvent(course, "de.schulhof.course" as never, { name: "x" } as never, ""));
    // …nor get into rooms of another class or course.
    await forbidden(lena.client.joinRoom(await alias(lena, "schule-chat-7b")));
    await forbidden(lena.client.joinRoom(await alias(lena, "schule-kurs-latein-q1")));
    await forbidden(lena.client.joinRoom(await alias(lena, "schule-kurs-mathematik-7b")));
    await forbidden(lena.client.joinRoom(await alias(lena, "schule-lehrerzimmer")));
    // Sek II: the year group is the cohort.
    const zoe = await as("zoe.lueders", passwords.get("zoe.lueders") ?? "");
    const zoeRooms = await joinedNames(zoe);
    for (const n of ["Q1", "Q1 Stufenchat", "Klausurplan Q1", "Latein Q1"]) assert.ok(zoeRooms.has(n), `Zoë is in ${n}`);
  });

  it("answers !hilfe in German and !help in English", async () => {
    const lena = await as("lena.koehler", passwords.get("lena.koehler") ?? "");
    const chat = await alias(lena, "schule-chat-7a");
    const de = await lena.client.sendTextMessage(chat, "!hilfe");
    const en = await lena.client.sendTextMessage(chat, "!help");
    const reply = async (to: string): Promise<string | undefined> => {
      const msgs = await roomMessages(lena, chat);
      const r = msgs.find((m) => (m.content["m.relates_to"] as { "m.in_reply_to"?: { event_id?: string } } | undefined)?.["m.in_reply_to"]?.event_id === to);
      return r?.sender === uid("schule") ? (r.content.body as string) : undefined;
    };
    assert.match(await eventually("German reply", () => reply(de.event_id)), /Befehle des Schulhof-Bots/);
    assert.match(await eventually("English reply", () => reply(en.event_id)), /Commands of the Schulhof bot/);
    const me = await lena.client.sendTextMessage(chat, "!ich");
    assert.match(await eventually("!ich reply", () => reply(me.event_id)), /Du bist Schüler\/in in Klasse 7a\. Kurse: Mathematik 7a, Deutsch 7a\./);
    const mine = await lena.client.sendTextMessage(chat, "!rooms");
    const rooms = await eventually("!rooms reply", () => reply(mine.event_id));
    assert.match(rooms, /^Your rooms:/);
    assert.ok(rooms.includes("• Mathematik 7a") && rooms.includes("• 7a Klassenchat"), rooms);
    assert.ok(!rooms.includes("7b"), "only her own rooms");
  });

  it("signs people in for the web client: role, the letter's password still to change, and the admin area for admins only", async () => {
    const api = `${new URL(testEnv().schoolApiUrl).origin}/_schulhof/school/v1`;
    const sessionOf = async (u: TestUser): Promise<string> => {
      const res = await fetch(`${api}/openid/exchange`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ openid_token: await openid(u) }) });
      assert.equal(res.status, 200);
      return ((await res.json()) as { token: string }).token;
    };
    const me = async (token: string): Promise<Record<string, unknown>> => (await (await fetch(`${api}/me`, { headers: { authorization: `Bearer ${token}` } })).json()) as Record<string, unknown>;
    const lena = await as("lena.koehler", passwords.get("lena.koehler") ?? "");
    const lenaSession = await sessionOf(lena);
    const before = await me(lenaSession);
    assert.deepEqual([before.role, before.class_name, before.admin, before.must_change_password], ["student", "7a", false, true]);
    // Lena changes her password at the homeserver (which checks the old one), then clears the reminder.
    const changed = `${passwords.get("lena.koehler") ?? ""}-neu`;
    const pw = await fetch(`${testEnv().synapseUrl}/_matrix/client/v3/account/password`, {
      method: "POST",
      headers: { authorization: `Bearer ${lena.accessToken}`, "content-type": "application/json" },
      body: JSON.stringify({ new_password: changed, logout_devices: false, auth: { type: "m.login.password", identifier: { type: "m.id.user", user: lena.userId }, password: passwords.get("lena.koehler") } }),
    });
    assert.equal(pw.status, 200, await pw.text());
    passwords.set("lena.koehler", changed);
    assert.equal((await fetch(`${api}/me/password-changed`, { method: "POST", headers: { authorization: `Bearer ${lenaSession}` } })).status, 200);
    assert.equal((await me(lenaSession)).must_change_password, false);
    // The admin area: a student's session is refused, the school admin's works (a dry run changes nothing).
    const dry = (token: string): Promise<Response> =>
      fetch(`${api}/admin/roster/import?dry_run=1`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "text/csv" }, body: TERM1 });
    assert.equal((await dry(lenaSession)).status, 403);
    assert.equal((await dry("kein-token")).status, 401);
    const ingrid = await as("ingrid.hoffmann", passwords.get("ingrid.hoffmann") ?? "");
    const ingridSession = await sessionOf(ingrid);
    assert.equal((await me(ingridSession)).admin, true);
    const r = await dry(ingridSession);
    assert.equal(r.status, 200);
    assert.match(await r.text(), /"report"/);
    // Letters of someone else's import are not there for anybody else.
    assert.equal((await fetch(`${api}/admin/letters/unbekannt`, { headers: { authorization: `Bearer ${ingridSession}` } })).status, 404);
  });

  it("writes one credential letter page per person", async () => {
    const dir = mkdtempSync(join(tmpdir(), "letters-"));
    const { createWriteStream } = await import("node:fs");
    const file = join(dir, "letters.pdf");
    const letters = [...passwords.entries()].map(([localpart, password]) => ({
      displayName: localpart,
      role: "student" as const,
      className: "7a",
      userId: uid(localpart),
      localpart,
      password,
    }));
    await writeCredentialLetters(letters, { name: testEnv().schoolName, loginUrl: testEnv().synapseUrl, homeserver: server() }, createWriteStream(file));
    const pdf = readFileSync(file, "latin1");
    assert.ok(pdf.startsWith("%PDF"));
    assert.equal((pdf.match(/\/Type \/Page\b/g) ?? []).length, letters.length);
  });

  it("shows next term's roster as a diff in a dry run and changes nothing", async () => {
    const r = await postRoster(TERM2, { dry_run: "1" });
    const d = r.report?.diff;
    assert.deepEqual(d?.added.map((p) => p.firstName), ["Emil"]);
    assert.deepEqual(d?.removed.map((p) => p.userId), [uid("mia.boehm")]);
    assert.deepEqual(d?.changed.map((c) => [c.person.firstName, c.classChanged]), [["Jonas", true]]);
    const jonas = await as("jonas.gross", passwords.get("jonas.gross") ?? "");
    assert.ok((await joinedNames(jonas)).has("7a Klassenchat"));
  });

  it("applies next term: moves a class change, deactivates who left, adds who is new", async () => {
    const r = await postRoster(TERM2);
    assert.deepEqual(r.report?.failures, []);
    assert.deepEqual(r.report?.deactivated, [uid("mia.boehm")]);
    const emil = r.report?.letters.find((l) => l.localpart === "emil.schaefer");
    assert.ok(emil !== undefined);
    const jonas = await as("jonas.gross", passwords.get("jonas.gross") ?? "");
    const names = await joinedNames(jonas);
    assert.ok(names.has("7b Klassenchat") && names.has("Mathematik 7b"), "in the new class and its courses");
    assert.ok(!names.has("7a Klassenchat") && !names.has("Mathematik 7a"), "out of the old ones");
    await assert.rejects(login("mia.boehm", passwords.get("mia.boehm") ?? ""), /403|M_USER_DEACTIVATED|M_FORBIDDEN/);
    const emilUser = await as("emil.schaefer", emil.password);
    assert.ok((await joinedNames(emilUser)).has("7a Klassenchat"));
  });

  it("rebuilds the same tables from the rooms with reindex", async () => {
    const snapshot = async (): Promise<string> => {
      const people = await schoolQuery("SELECT key, user_id, role, first_name, last_name, class_name, courses, email, active FROM people ORDER BY key");
      const rooms = await schoolQuery("SELECT key, room_id, kind, name, parent_key, power_users, join_rule FROM rooms ORDER BY key");
      const members = await schoolQuery("SELECT room_key, user_id FROM memberships ORDER BY room_key, user_id");
      return JSON.stringify({ people, rooms, members });
    };
    const before = await snapshot();
    await schoolQuery("DELETE FROM memberships");
    await schoolQuery("DELETE FROM rooms");
    await schoolQuery("DELETE FROM people");
    const res = await fetch(`${testEnv().schoolApiUrl}/reindex`, { method: "POST", headers: { authorization: `Bearer ${testEnv().adminApiToken}` } });
    assert.equal(res.status, 200);
    assert.equal(await snapshot(), before);
  });

  it("refuses the admin API without the admin token", async () => {
    const res = await fetch(`${testEnv().schoolApiUrl}/reindex`, { method: "POST", headers: { authorization: "Bearer wrong" } });
    assert.equal(res.status, 401);
  });
});
