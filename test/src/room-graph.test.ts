// The lean room graph against real Synapse: students outside the school space still read it, and an old-style school converges on import.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { apiSession } from "./harness/openid.ts";
import { startOwnSchool, type OwnSchool } from "./harness/own-school.ts";
import { pgQuery } from "./harness/pg.ts";
import { eventually } from "./harness/users.ts";

const TERM = `Rolle;ID;Vorname;Nachname;Klasse;Kurse
Admin;A1;Ingrid;Hoffmann;;
Lehrer;L1;Jürgen;Weiß;7a;Mathematik 7a|Religion 7
Lehrer;L2;Özlem;Çelik;7b;Mathematik 7b
Schüler;S1;Lena;Köhler;7a;Mathematik 7a|Religion 7
Schüler;S2;Jonas;Groß;7a;Mathematik 7a
Schüler;S3;Mia;Böhm;7b;Mathematik 7b|Religion 7
Schüler;S4;Zoë;Lüders;Q1;
Schüler;S5;Paul;Weber;7b;Mathematik 7b|Religion 7
`;
/** Mia leaves the school. */
const TERM_WITHOUT_MIA = TERM.split("\n").filter((l) => !l.includes("Böhm")).join("\n");

const EV = "de.schulhof.calendar.event";
const enc = encodeURIComponent;

describe("lean room graph: who is a member of what", { concurrency: false }, () => {
  let s: OwnSchool;
  const rooms = new Map<string, string>();
  const uid = (localpart: string): string => `@${localpart}:${s.serverName}`;
  const room = (alias: string): string => rooms.get(alias) ?? assert.fail(`no room ${alias}`);
  const membership = async (roomAlias: string, localpart: string): Promise<{ membership?: string; sender?: string }> => {
    const r = await s.call(s.adminToken, "GET", `/_synapse/admin/v1/rooms/${enc(room(roomAlias))}/state`);
    const ev = (r.body.state as { type: string; state_key: string; sender: string; content: { membership?: string } }[]).find(
      (e) => e.type === "m.room.member" && e.state_key === uid(localpart),
    );
    return { membership: ev?.content.membership, sender: ev?.sender };
  };
  const joinedMembers = async (roomAlias: string): Promise<string[]> => {
    const r = await s.call(s.adminToken, "GET", `/_synapse/admin/v1/rooms/${enc(room(roomAlias))}/members`);
    return (r.body.members as string[]).filter((m) => !m.startsWith("@schule:") && !m.startsWith("@kalender:") && !m.startsWith("@klausuren:")).sort();
  };
  const schoolState = (sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> => pgQuery(s.dbUrl, "school", sql, params);

  before(async () => {
    s = await startOwnSchool("graph", "Schule am Graphen", TERM);
    for (const alias of ["schule-space", "schule-jg-jahrgang-7", "schule-klasse-7a", "schule-chat-7a", "schule-kurs-religion-7", "schule-kurs-mathematik-7a", "schule-lehrerzimmer"]) {
      const r = await s.call(s.adminToken, "GET", `/_matrix/client/v3/directory/room/${enc(`#${alias}:${s.serverName}`)}`);
      rooms.set(alias, String(r.body.room_id));
    }
  });
  after(async () => {
    await s?.stop();
  });

  it("puts staff, not students, in the school space and makes it world-readable", async () => {
    assert.deepEqual(await joinedMembers("schule-space"), [uid("ingrid.hoffmann"), uid("juergen.weiss"), uid("oezlem.celik")].sort());
    const lena = await s.tokenFor("lena.koehler");
    const hv = await s.call(lena, "GET", `/_matrix/client/v3/rooms/${enc(room("schule-space"))}/state/m.room.history_visibility/`);
    assert.equal(hv.status, 200, "a student reads the school space's state without being a member");
    assert.equal(hv.body.history_visibility, "world_readable");
    const info = await s.call(lena, "GET", `/_matrix/client/v3/rooms/${enc(room("schule-space"))}/state/de.schulhof.school/`);
    assert.equal(info.body.name, "Schule am Graphen");
  });

  it("lets a student browse the school space and their class space's hierarchy, and nothing of other classes", async () => {
    const lena = await s.tokenFor("lena.koehler");
    const names = async (alias: string): Promise<string[]> => {
      const r = await s.call(lena, "GET", `/_matrix/client/v1/rooms/${enc(room(alias))}/hierarchy?max_depth=5`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return (r.body.rooms as { name?: string }[]).map((x) => x.name ?? "");
    };
    const fromSchool = await names("schule-space");
    for (const n of ["Schule am Graphen", "Jahrgang 7", "Klasse 7a", "7a Klassenchat", "Mathematik 7a", "Religion 7"]) assert.ok(fromSchool.includes(n), `the school's hierarchy shows ${n} (has ${fromSchool.join(", ")})`);
    for (const n of ["Klasse 7b", "Mathematik 7b", "7b Klassenchat", "Lehrerzimmer", "Q1"]) assert.ok(!fromSchool.includes(n), `the school's hierarchy hides ${n} from a 7a student`);
    const jonas = await s.tokenFor("jonas.gross");
    const r = await s.call(jonas, "GET", `/_matrix/client/v1/rooms/${enc(room("schule-space"))}/hierarchy?max_depth=5`);
    const jonasSees = (r.body.rooms as { name?: string }[]).map((x) => x.name ?? "");
    assert.ok(jonasSees.includes("Schule am Graphen"), "a student outside every year group still reads the school space");
    assert.ok(!jonasSees.includes("Religion 7"), "but not a course he does not take");
  });

  it("refuses a student who tries to join, post in or write to the school space", async () => {
    const jonas = await s.tokenFor("jonas.gross");
    const join = await s.call(jonas, "POST", `/_matrix/client/v3/join/${enc(room("schule-space"))}`, {});
    assert.equal(join.status, 403, "the school space stays invite-only");
    const post = await s.call(jonas, "PUT", `/_matrix/client/v3/rooms/${enc(room("schule-space"))}/send/m.room.message/t1`, { msgtype: "m.text", body: "hi" });
    assert.equal(post.status, 403);
    const state = await s.call(jonas, "PUT", `/_matrix/client/v3/rooms/${enc(room("schule-space"))}/state/${EV}/fake`, { summary: "frei", start: "2027-01-04", end: "2027-01-05", all_day: true });
    assert.equal(state.status, 403);
    // The staff's room stays closed to students: not world-readable.
    const teachers = await s.call(jonas, "GET", `/_matrix/client/v3/rooms/${enc(room("schule-lehrerzimmer"))}/state`);
    assert.equal(teachers.status, 403);
  });

  it("puts a Sek I student in the year group's space only for a year-group course", async () => {
    assert.equal((await membership("schule-jg-jahrgang-7", "lena.koehler")).membership, "join", "Lena takes Religion 7");
    assert.notEqual((await membership("schule-jg-jahrgang-7", "jonas.gross")).membership, "join", "Jonas takes no course of the year group");
    assert.equal((await membership("schule-kurs-religion-7", "lena.koehler")).membership, "join");
  });

  it("shows the school calendar to the school's students through the calendar API, and not to one who left", async () => {
    const admin = await s.tokenFor("ingrid.hoffmann");
    const put = await s.call(admin, "PUT", `/_matrix/client/v3/rooms/${enc(room("schule-space"))}/state/${EV}/ferien-1`, {
      summary: "Weihnachtsferien", start: "2027-12-23", end: "2028-01-07", all_day: true, tzid: "Europe/Berlin", category: "holiday",
    });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    const eventsOf = async (localpart: string): Promise<string[]> => {
      const api = await apiSession({ userId: uid(localpart), accessToken: await s.tokenFor(localpart) }, s.calendarApiUrl, s.synapseUrl);
      const r = await api("/events?from=2027-12-20&to=2028-01-10");
      assert.equal(r.status, 200);
      return ((await r.json()) as { occurrences: { summary: string }[] }).occurrences.map((o) => o.summary);
    };
    await eventually("the student sees the school's holidays", async () => ((await eventsOf("mia.boehm")).includes("Weihnachtsferien") ? true : undefined));
    // Mia leaves the school: deactivated, she has left every room, and the school calendar is no longer hers.
    const session = await apiSession({ userId: uid("mia.boehm"), accessToken: await s.tokenFor("mia.boehm") }, s.calendarApiUrl, s.synapseUrl);
    const r = await s.importRoster(TERM_WITHOUT_MIA);
    assert.deepEqual(r.report?.failures, []);
    await eventually("the calendar no longer shows Mia the school calendar", async () => {
      const res = await session("/events?from=2027-12-20&to=2028-01-10");
      const summaries = ((await res.json()) as { occurrences?: { summary: string }[] }).occurrences?.map((o) => o.summary) ?? [];
      return summaries.includes("Weihnachtsferien") ? undefined : true;
    }, 30_000);
  });

  it("migrates a school provisioned the old way: students leave the school space and year groups themselves on the next import", async () => {
    const bot = s.gen.secrets.appservices.school?.as_token ?? assert.fail("no school appservice token");
    const space = room("schule-space");
    const year = room("schule-jg-jahrgang-7");
    // The old way: history shared, the year group restricted to the school space, every student a member of both.
    await s.call(bot, "PUT", `/_matrix/client/v3/rooms/${enc(space)}/state/m.room.history_visibility/`, { history_visibility: "shared" });
    await s.call(bot, "PUT", `/_matrix/client/v3/rooms/${enc(year)}/state/m.room.join_rules/`, { join_rule: "restricted", allow: [{ type: "m.room_membership", room_id: space }] });
    await schoolState(`UPDATE rooms SET join_rule = $1 WHERE key = 'yeargroup:Jahrgang 7'`, [JSON.stringify({ rule: "restricted", viaKey: "school" })]);
    // Mia left in the test before; the school goes on without her.
    for (const student of ["lena.koehler", "jonas.gross", "zoe.lueders"]) {
      const inv = await s.call(bot, "POST", `/_matrix/client/v3/rooms/${enc(space)}/invite`, { user_id: uid(student) });
      assert.equal(inv.status, 200, JSON.stringify(inv.body));
      const joined = await s.call(bot, "POST", `/_matrix/client/v3/join/${enc(space)}?user_id=${enc(uid(student))}`, {});
      assert.equal(joined.status, 200, JSON.stringify(joined.body));
      await schoolState(`INSERT INTO memberships (room_key, user_id) VALUES ('school', $1) ON CONFLICT DO NOTHING`, [uid(student)]);
    }
    for (const student of ["jonas.gross"]) {
      assert.equal((await s.call(bot, "POST", `/_matrix/client/v3/join/${enc(year)}?user_id=${enc(uid(student))}`, {})).status, 200);
      await schoolState(`INSERT INTO memberships (room_key, user_id) VALUES ('yeargroup:Jahrgang 7', $1) ON CONFLICT DO NOTHING`, [uid(student)]);
    }
    assert.equal((await joinedMembers("schule-space")).length, 6, "old style: staff and students in the school space");

    const r = await s.importRoster(TERM_WITHOUT_MIA);
    assert.deepEqual(r.report?.failures, []);
    assert.deepEqual(await joinedMembers("schule-space"), [uid("ingrid.hoffmann"), uid("juergen.weiss"), uid("oezlem.celik")].sort());
    for (const student of ["lena.koehler", "jonas.gross", "zoe.lueders"]) {
      assert.deepEqual(await membership("schule-space", student), { membership: "leave", sender: uid(student) }, `${student} left the school space themselves`);
    }
    assert.deepEqual(await membership("schule-jg-jahrgang-7", "jonas.gross"), { membership: "leave", sender: uid("jonas.gross") });
    assert.equal((await membership("schule-jg-jahrgang-7", "lena.koehler")).membership, "join", "Lena keeps the year group of her Religion course");
    const lena = await s.tokenFor("lena.koehler");
    const hv = await s.call(lena, "GET", `/_matrix/client/v3/rooms/${enc(space)}/state/m.room.history_visibility/`);
    assert.equal(hv.body.history_visibility, "world_readable");
    const rule = await s.call(bot, "GET", `/_matrix/client/v3/rooms/${enc(year)}/state/m.room.join_rules/`);
    assert.equal(rule.body.join_rule, "invite", "the year group is invite-only now that students are not in the school space");
    // Nothing else moved: the students are still in their class, chat and courses.
    for (const alias of ["schule-klasse-7a", "schule-chat-7a", "schule-kurs-mathematik-7a"]) {
      assert.equal((await membership(alias, "jonas.gross")).membership, "join", `Jonas is still in ${alias}`);
    }
    const stored = (await schoolState(`SELECT user_id FROM memberships WHERE room_key = 'school' ORDER BY user_id`)).map((x) => String(x.user_id));
    assert.deepEqual(stored.filter((u) => !u.startsWith("@kalender:")), [uid("ingrid.hoffmann"), uid("juergen.weiss"), uid("oezlem.celik")].sort(), "the store forgot the students' memberships");
    // A second import has nothing left to do: no join, no removal, no power levels sent again.
    const again = await s.importRoster(TERM_WITHOUT_MIA);
    assert.deepEqual(again.report?.failures, []);
    assert.deepEqual(again.report?.apply, { roomsCreated: 0, joins: 0, removals: 0, powerUpdates: 0, failures: [] });
  });
});
