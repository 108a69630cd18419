// A district of real homeservers: schools A and B on 127.0.0.2 and 127.0.0.3 federate over TLS (a CA made now);
// an outsider on 127.0.0.9 wants in and is refused. The shared course, the remote student's video, an outage and its
// catch-up, and a change of the district file.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { dispose } from "@livekit/rtc-node";
import { testEnv } from "./harness/env.ts";
import { joinAsParticipant } from "./harness/livekit.ts";
import { apiSession } from "./harness/openid.ts";
import { getToken } from "./harness/video.ts";
import { signedFederationRequest, startDistrict, type DistrictUser, type TestDistrict } from "./harness/district.ts";

let d: TestDistrict;
let dir = "";

const api = async (u: DistrictUser, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
  const res = await fetch(`${u.school.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${u.accessToken}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json().catch(() => ({}))) as Record<string, unknown> };
};
const ok = async (u: DistrictUser, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> => {
  const r = await api(u, method, path, body);
  assert.ok(r.status < 300, `${method} ${path} as ${u.userId}: ${r.status} ${JSON.stringify(r.json)}`);
  return r.json;
};
const enc = encodeURIComponent;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until `fn` answers something truthy (or fails after `ms`). */
async function eventually<T>(what: string, fn: () => Promise<T | null | undefined | false>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown = null;
  for (;;) {
    try {
      const v = await fn();
      if (v !== null && v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out: ${what}${last === null ? "" : ` (${String(last)})`}`);
    await sleep(300);
  }
}

/** The bodies of the room's messages as `u` sees them (paginating back through history, which backfills over federation). */
async function bodies(u: DistrictUser, roomId: string, limit = 200): Promise<string[]> {
  const r = await ok(u, "GET", `/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=${limit}`);
  return (r.chunk as { type: string; content: { body?: string } }[]).filter((e) => e.type === "m.room.message").map((e) => e.content.body ?? "");
}

async function joinWhenInvited(u: DistrictUser, roomId: string): Promise<void> {
  await eventually(`${u.userId} invited to ${roomId}`, async () => (await api(u, "POST", `/_matrix/client/v3/join/${enc(roomId)}`, {})).status === 200);
}

before(async () => {
  const env = testEnv();
  dir = mkdtempSync(join(tmpdir(), "schulhof-district-"));
  d = await startDistrict({
    dir,
    pgUrl: env.pgUrl,
    livekit: env.livekit,
    all: [
      { id: "schule-a", name: "Gymnasium Am Wall", address: "127.0.0.2", shareDirectory: true },
      { id: "schule-b", name: "Oberschule Lindenweg", address: "127.0.0.3", shareDirectory: false },
      { id: "fremd", name: "Fremde Schule", address: "127.0.0.9" },
    ],
    district: ["schule-a", "schule-b"],
  });
});

after(async () => {
  // rtc-node's native side keeps the process alive until it is disposed.
  await dispose();
  await d?.stop();
  if (process.env.SCHULHOF_KEEP_TEST_DATA === undefined) rmSync(dir, { recursive: true, force: true });
});

describe("district configuration", () => {
  it("allowlists exactly the district's other schools, over TLS with the district CA", () => {
    const yaml = (id: string): Record<string, unknown> => parse(readFileSync(d.school(id).gen.synapse.homeserverYaml, "utf8")) as Record<string, unknown>;
    const a = yaml("schule-a");
    assert.deepEqual(a.federation_domain_whitelist, ["schule-b.bezirk.test"]);
    assert.deepEqual(yaml("schule-b").federation_domain_whitelist, ["schule-a.bezirk.test"]);
    assert.deepEqual(a.federation_custom_ca_list, [d.caFile]);
    assert.deepEqual(a.ip_range_whitelist, ["127.0.0.3"]);
    const listeners = a.listeners as { tls: boolean; bind_addresses: string[]; port: number }[];
    assert.ok(listeners.some((l) => l.tls && l.bind_addresses[0] === "127.0.0.2" && l.port === 8448));
    const wk = JSON.parse(readFileSync(join(d.school("schule-a").gen.wellKnownDir, "matrix", "server"), "utf8")) as Record<string, string>;
    assert.equal(wk["m.server"], "matrix.schule-a.bezirk.test:8448");
    const video = parse(readFileSync(join(dir, "video", "video-service.yaml"), "utf8")) as { schools: Record<string, unknown> };
    assert.deepEqual(Object.keys(video.schools).sort(), ["schule-a.bezirk.test", "schule-b.bezirk.test"]);
  });
});

describe("colleagues across schools", () => {
  it("a teacher of school A messages a colleague at school B, and the answer comes back", async () => {
    const a = await d.user("schule-a", "mueller");
    const b = await d.user("schule-b", "yilmaz");
    const { room_id: roomId } = (await ok(a, "POST", "/_matrix/client/v3/createRoom", { is_direct: true, invite: [b.userId], preset: "trusted_private_chat" })) as { room_id: string };
    await joinWhenInvited(b, roomId);
    await ok(a, "PUT", `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/t1`, { msgtype: "m.text", body: "Hallo Frau Yılmaz, Latein am Donnerstag?" });
    await eventually("B sees A's message", async () => (await bodies(b, roomId)).includes("Hallo Frau Yılmaz, Latein am Donnerstag?"));
    await ok(b, "PUT", `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/t2`, { msgtype: "m.text", body: "Ja, gern!" });
    await eventually("A sees B's answer", async () => (await bodies(a, roomId)).includes("Ja, gern!"));
  });
});

/** Events of a room as `u` sees them (newest first). */
async function events(u: DistrictUser, roomId: string, limit = 200): Promise<{ event_id: string; sender: string; type: string; content: Record<string, unknown> }[]> {
  const r = await ok(u, "GET", `/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=${limit}`);
  return r.chunk as { event_id: string; sender: string; type: string; content: Record<string, unknown> }[];
}

/** Waits for an invite to a room named `prefix…` (incremental sync, as a client would) and joins it. */
async function joinInvite(u: DistrictUser, prefix: string): Promise<string> {
  const seen = new Map<string, string>();
  let since: string | undefined;
  const roomId = await eventually(`${u.userId} invited to ${prefix}`, async () => {
    const body = (await ok(u, "GET", `/_matrix/client/v3/sync?timeout=0${since === undefined ? "" : `&since=${enc(since)}`}`)) as {
      next_batch: string;
      rooms?: { invite?: Record<string, { invite_state: { events: { type: string; content: { name?: string } }[] } }> };
    };
    since = body.next_batch;
    for (const [id, r] of Object.entries(body.rooms?.invite ?? {})) seen.set(id, r.invite_state.events.find((e) => e.type === "m.room.name")?.content.name ?? "");
    return [...seen.entries()].find(([, name]) => name.startsWith(prefix))?.[0];
  });
  await joinWhenInvited(u, roomId);
  return roomId;
}

const HW = "de.schulhof.homework";

describe("a course shared by two schools (on school A's server)", () => {
  let teacher: DistrictUser;
  let local: DistrictUser;
  let remote: DistrictUser;
  let course = "";
  const subRooms = new Map<string, string>();
  const hwBot = (): string => `@hausaufgaben:${d.school("schule-a").serverName}`;
  const calBot = (id: string): string => `@kalender:${d.school(id).serverName}`;

  before(async () => {
    teacher = await d.user("schule-a", "latein-lehrerin");
    local = await d.user("schule-a", "anna");
    remote = await d.user("schule-b", "ben");
    const { room_id } = (await ok(teacher, "POST", "/_matrix/client/v3/createRoom", {
      name: "Latein 9 (Bezirkskurs)",
      initial_state: [
        { type: "de.schulhof.course", state_key: "", content: { name: "Latein 9 (Bezirkskurs)", subject: "Latein" } },
        { type: "de.schulhof.calendar", state_key: "", content: { name: "Latein 9 (Bezirkskurs)", colour: "#8250df", scope: "course" } },
      ],
      power_level_content_override: { users: { [hwBot()]: 50, [calBot("schule-a")]: 50 }, state_default: 50, events_default: 0 },
      invite: [hwBot(), calBot("schule-a"), local.userId, remote.userId],
    })) as { room_id: string };
    course = room_id;
    await joinWhenInvited(local, course);
    await joinWhenInvited(remote, course);
    await eventually("bots joined the course", async () => {
      const m = await ok(teacher, "GET", `/_matrix/client/v3/rooms/${enc(course)}/joined_members`);
      return hwBot() in (m.joined as Record<string, unknown>) && calBot("schule-a") in (m.joined as Record<string, unknown>);
    });

  });

  it("gives the remote student the assignment and a private submission room, like the local one", async () => {
    await ok(teacher, "PUT", `/_matrix/client/v3/rooms/${enc(course)}/state/${HW}.assignment/a-latein-1`, {
      title: "Lektion 12",
      due: new Date(Date.now() + 3600_000).toISOString(),
      cutoff: new Date(Date.now() + 7200_000).toISOString(),
      grading: "grade",
      description: { body: "Übersetzung S. 80" },
    });
    await eventually("remote student sees the announcement", async () =>
      (await events(remote, course)).find((e) => e.sender === hwBot() && String(e.content.body).includes("Neue Aufgabe: „Lektion 12“")),
    );
    for (const s of [local, remote]) subRooms.set(s.userId, await joinInvite(s, "Abgaben Latein 9 (Bezirkskurs):"));
    assert.notEqual(subRooms.get(local.userId), subRooms.get(remote.userId));
  });

  it("takes the remote student's submission (!abgeben from any client), confirms it and lets the teacher grade it", async () => {
    const room = subRooms.get(remote.userId) ?? "";
    await ok(remote, "PUT", `/_matrix/client/v3/rooms/${enc(room)}/send/m.room.message/s1`, { msgtype: "m.text", body: "Der Bauer pflügt das Feld." });
    await ok(remote, "PUT", `/_matrix/client/v3/rooms/${enc(room)}/send/m.room.message/s2`, { msgtype: "m.text", body: "!abgeben" });
    const made = await eventually("bot's submission for the remote student", async () => (await events(remote, room)).find((e) => e.type === `${HW}.submission` && e.sender === hwBot()));
    assert.equal(made.content.student, remote.userId);
    assert.equal(made.content.text, "Der Bauer pflügt das Feld.");
    await joinWhenInvited(teacher, room);
    await ok(teacher, "PUT", `/_matrix/client/v3/rooms/${enc(room)}/send/${HW}.feedback/f1`, { assignment_id: "a-latein-1", student: remote.userId, grade: "2", comment: "Bene!", body: "Note: 2" });
    await eventually("the remote student sees the grade", async () => (await events(remote, room)).find((e) => e.type === `${HW}.feedback` && e.content.grade === "2"));
  });

  it("lists the shared course's work, the submission and the grade in the remote student's own school's homework API (its web client)", async () => {
    const b = d.school("schule-b");
    const hw = await apiSession(remote, `http://127.0.0.1:${b.ports.homework}/_schulhof/homework/v1`, b.url);
    const item = await eventually(
      "the graded assignment in B's to-do list",
      async () => {
        const r = (await (await hw("/todo")).json()) as {
          items?: { assignment_id: string; title: string; status: string; feedback: { grade?: string } | null }[];
        };
        const it = r.items?.find((i) => i.assignment_id === "a-latein-1");
        return it?.feedback?.grade === "2" ? it : null;
      },
      60_000,
    );
    assert.equal(item.status, "submitted");
    assert.equal(item.title, "Lektion 12");
    // B's homework bot reads along and says nothing: one announcement (A's), one receipt (A's).
    const peer = `@hausaufgaben:${b.serverName}`;
    assert.equal((await events(teacher, course)).filter((e) => e.sender === peer && e.type === "m.room.message").length, 0);
    assert.equal((await events(remote, subRooms.get(remote.userId) ?? "")).filter((e) => e.sender === peer && e.type !== "m.room.member").length, 0);
  });

  it("keeps each student's submission room on the servers that must hold it, and away from the other student", async () => {
    const remoteRoom = subRooms.get(remote.userId) ?? "";
    const localRoom = subRooms.get(local.userId) ?? "";
    // The local student cannot join or read the remote student's room (nor the other way round).
    assert.equal((await api(local, "POST", `/_matrix/client/v3/join/${enc(remoteRoom)}`, {})).status, 403);
    assert.equal((await api(local, "GET", `/_matrix/client/v3/rooms/${enc(remoteRoom)}/messages?dir=b`)).status, 403);
    const viaA = `server_name=${d.school("schule-a").serverName}`;
    assert.equal((await api(remote, "POST", `/_matrix/client/v3/join/${enc(localRoom)}?${viaA}`, {})).status, 403);
    assert.notEqual((await api(remote, "GET", `/_matrix/client/v3/rooms/${enc(localRoom)}/messages?dir=b`)).status, 200);
    // School B's server holds its own student's room and nothing of school A's student.
    const b = d.school("schule-b");
    const onB = async (roomId: string): Promise<number> => (await fetch(`${b.url}/_synapse/admin/v1/rooms/${enc(roomId)}`, { headers: { authorization: `Bearer ${b.adminToken}` } })).status;
    assert.equal(await onB(remoteRoom), 200);
    assert.equal(await onB(localRoom), 404);
  });

  it("puts the course's dates and exams into the remote student's own school calendar and start page, announced once (by the host school's bot)", async () => {
    // The host's calendar bot invites the remote student's school's calendar bot, which reads along.
    await eventually("B's calendar bot in the course", async () => calBot("schule-b") in ((await ok(teacher, "GET", `/_matrix/client/v3/rooms/${enc(course)}/joined_members`)).joined as Record<string, unknown>), 60_000);
    await ok(teacher, "PUT", `/_matrix/client/v3/rooms/${enc(course)}/state/de.schulhof.calendar.event/exkursion@latein`, {
      summary: "Exkursion Römermuseum",
      start: "2027-03-10T08:00",
      end: "2027-03-10T13:00",
      all_day: false,
      tzid: "Europe/Berlin",
      category: "trip",
    });
    const b = d.school("schule-b");
    const cal = await apiSession(remote, `http://127.0.0.1:${b.ports.calendar}/_schulhof/calendar/v1`, b.url);
    const occ = await eventually("the trip in B's calendar for the remote student", async () => {
      const r = (await (await cal("/events?from=2027-03-01&to=2027-03-31")).json()) as { occurrences?: { summary: string }[] };
      return r.occurrences?.find((o) => o.summary === "Exkursion Römermuseum");
    }, 60_000);
    assert.equal(occ.summary, "Exkursion Römermuseum");
    // An exam of the shared course (the host's @klausuren writes it into the course calendar once it is confirmed)
    // is on the remote student's start page at their own school.
    const day = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
    await ok(teacher, "PUT", `/_matrix/client/v3/rooms/${enc(course)}/state/de.schulhof.calendar.event/exam-xlatein1`, {
      summary: "Klausur Latein 9",
      start: `${day}T08:00`,
      end: `${day}T09:30`,
      all_day: false,
      tzid: "Europe/Berlin",
      category: "exam",
      exam_id: "xlatein1",
      exam_kind: "klausur",
      exam_periods: [1, 2],
    });
    const exam = await eventually("the shared course's exam on B's start page", async () => {
      const r = (await (await cal("/exams/upcoming")).json()) as { exams?: { id: string; date: string; periods: number[]; kind: string; course: string }[] };
      return r.exams?.find((e) => e.id === "xlatein1");
    }, 60_000);
    assert.deepEqual({ date: exam.date, periods: exam.periods, kind: exam.kind, course: exam.course }, { date: day, periods: [1, 2], kind: "klausur", course: "Latein 9 (Bezirkskurs)" });
    // One announcement in the course, by the host school's bot; the guest bot stays silent.
    await eventually("announced by A's bot", async () => (await events(teacher, course)).find((e) => e.sender === calBot("schule-a") && String(e.content.body).includes("Exkursion Römermuseum")));
    await sleep(2000);
    assert.equal((await events(teacher, course)).filter((e) => e.sender === calBot("schule-b") && e.type === "m.room.message").length, 0);
  });

  it("keeps the calendar bots out of rooms they are only invited to by another school's people (only a peer bot's invite counts)", async () => {
    const colleague = await d.user("schule-b", "kollegin");
    const lure = ((await ok(colleague, "POST", "/_matrix/client/v3/createRoom", { name: "Privater Kalender", invite: [calBot("schule-a")] })) as { room_id: string }).room_id;
    // The host's bot joined the course within seconds above; give this invite the same time and more.
    await sleep(5000);
    const members = (await ok(colleague, "GET", `/_matrix/client/v3/rooms/${enc(lure)}/joined_members`)).joined as Record<string, unknown>;
    assert.ok(!(calBot("schule-a") in members), "school A's calendar bot does not follow a person of school B");
  });

  it("lets the remote student into the course's video lesson with a token from the central service", async () => {
    const token = (u: DistrictUser): Promise<Response> => getToken(u, course, { serviceUrl: d.videoUrl, homeserverUrl: u.school.url });
    const t = await token(teacher);
    const s = await token(remote);
    assert.equal(t.status, 200, await t.clone().text());
    assert.equal(s.status, 200, await s.clone().text());
    const tj = (await t.json()) as { url: string; jwt: string };
    const sj = (await s.json()) as { url: string; jwt: string };
    const pt = await joinAsParticipant(tj.url, tj.jwt, { publishAudio: true, publishVideo: true });
    const ps = await joinAsParticipant(sj.url, sj.jwt, { publishAudio: true, publishVideo: true });
    try {
      await ps.waitForRemoteTrack(pt.identity, "video", 20_000);
      await pt.waitForRemoteTrack(ps.identity, "video", 20_000);
    } finally {
      await ps.leave();
      await pt.leave();
    }
  });
});

describe("a server outside the district", () => {
  let teacher: DistrictUser;
  let student: DistrictUser;
  let intruder: DistrictUser;
  let room = "";

  before(async () => {
    teacher = await d.user("schule-a", "klassenlehrer");
    student = await d.user("schule-b", "gast");
    intruder = await d.user("fremd", "eindringling");
    room = ((await ok(teacher, "POST", "/_matrix/client/v3/createRoom", { name: "Klasse 8c", preset: "public_chat", invite: [student.userId] })) as { room_id: string }).room_id;
    await joinWhenInvited(student, room);
    await ok(teacher, "PUT", `/_matrix/client/v3/rooms/${enc(room)}/send/m.room.message/geheim`, { msgtype: "m.text", body: "Elternabend am 3. Dezember" });
  });

  const membersOf = async (roomId: string): Promise<string[]> => Object.keys((await ok(teacher, "GET", `/_matrix/client/v3/rooms/${enc(roomId)}/joined_members`)).joined as Record<string, unknown>);

  it("cannot join, knock or be invited into a district room, even a public one", async () => {
    const a = d.school("schule-a").serverName;
    const join = await api(intruder, "POST", `/_matrix/client/v3/join/${enc(room)}?server_name=${a}`, {});
    assert.notEqual(join.status, 200, JSON.stringify(join.json));
    const knock = await api(intruder, "POST", `/_matrix/client/v3/knock/${enc(room)}?server_name=${a}`, {});
    assert.notEqual(knock.status, 200, JSON.stringify(knock.json));
    const invite = await api(teacher, "POST", `/_matrix/client/v3/rooms/${enc(room)}/invite`, { user_id: intruder.userId });
    assert.notEqual(invite.status, 200, "the district server does not send an invite out");
    assert.ok(!(await membersOf(room)).includes(intruder.userId));
    // Nor can it pull a district user into its own room.
    const bait = ((await ok(intruder, "POST", "/_matrix/client/v3/createRoom", { name: "Gewinnspiel" })) as { room_id: string }).room_id;
    const out = await api(intruder, "POST", `/_matrix/client/v3/rooms/${enc(bait)}/invite`, { user_id: teacher.userId });
    assert.notEqual(out.status, 200, "school A refuses the invite");
    const sync = await ok(teacher, "GET", "/_matrix/client/v3/sync?timeout=0");
    assert.equal(((sync.rooms as { invite?: Record<string, unknown> } | undefined)?.invite ?? {})[bait], undefined);
  });

  it("gets nothing with requests signed by its own real key (backfill, state, event, make_join, make_knock)", async () => {
    const from = d.school("fremd");
    const to = d.school("schule-a");
    const eventId = ((await events(teacher, room)).find((e) => e.type === "m.room.message")?.event_id ?? "");
    const paths = [
      `/_matrix/federation/v1/backfill/${enc(room)}?v=${enc(eventId)}&limit=50`,
      `/_matrix/federation/v1/state/${enc(room)}?event_id=${enc(eventId)}`,
      `/_matrix/federation/v1/event/${enc(eventId)}`,
      `/_matrix/federation/v1/make_join/${enc(room)}/${enc(intruder.userId)}?ver=10&ver=11&ver=12`,
      `/_matrix/federation/v1/make_knock/${enc(room)}/${enc(intruder.userId)}?ver=10&ver=11&ver=12`,
    ];
    for (const p of paths) {
      const r = await signedFederationRequest(from, to, d.caFile, "GET", p);
      assert.equal(r.status, 403, `${p}: ${r.status} ${JSON.stringify(r.body)}`);
      assert.equal(r.body.errcode, "M_FORBIDDEN");
      assert.ok(!JSON.stringify(r.body).includes("Elternabend"));
    }
    // The same request from a district school is answered: the refusal is the allowlist, not a broken request.
    const fromB = await signedFederationRequest(d.school("schule-b"), to, d.caFile, "GET", paths[0] ?? "");
    assert.equal(fromB.status, 200, JSON.stringify(fromB.body));
  });

  it("gets no video token from the district's token service", async () => {
    const res = await getToken(intruder, room, { serviceUrl: d.videoUrl, homeserverUrl: intruder.school.url });
    assert.equal(res.status, 403);
    assert.equal(((await res.json()) as { errcode: string }).errcode, "M_FORBIDDEN");
  });
});

describe("school B down, then back", () => {
  it("school A works on; B catches up on everything sent meanwhile", async () => {
    const teacher = await d.user("schule-a", "frau-weiss");
    const local = await d.user("schule-a", "mia");
    const remote = await d.user("schule-b", "jonas");
    const room = ((await ok(teacher, "POST", "/_matrix/client/v3/createRoom", { name: "Geschichte Q1", invite: [local.userId, remote.userId] })) as { room_id: string }).room_id;
    await joinWhenInvited(local, room);
    await joinWhenInvited(remote, room);
    await ok(teacher, "PUT", `/_matrix/client/v3/rooms/${enc(room)}/send/m.room.message/vorher`, { msgtype: "m.text", body: "vorher" });
    await eventually("B has the first message", async () => (await bodies(remote, room)).includes("vorher"));

    await d.stopSynapse("schule-b");
    const sent: string[] = [];
    const slowest = { ms: 0 };
    for (let i = 1; i <= 25; i++) {
      const t0 = performance.now();
      await ok(teacher, "PUT", `/_matrix/client/v3/rooms/${enc(room)}/send/m.room.message/ausfall-${i}`, { msgtype: "m.text", body: `während des Ausfalls ${i}` });
      slowest.ms = Math.max(slowest.ms, performance.now() - t0);
      sent.push(`während des Ausfalls ${i}`);
      if (i % 5 === 0) await sleep(1000);
    }
    assert.ok(slowest.ms < 2000, `sending at A stays fast while B is down (slowest ${Math.round(slowest.ms)} ms)`);
    // A's own people see it all at once.
    assert.deepEqual((await bodies(local, room)).filter((b) => b.startsWith("während")).length, 25);
    // B's users are simply unreachable: a new invite to them fails, quickly.
    const t0 = performance.now();
    const dm = await api(teacher, "POST", "/_matrix/client/v3/createRoom", { invite: [`@niemand:${d.school("schule-b").serverName}`] });
    assert.ok(performance.now() - t0 < 15_000, "the failed invite does not hang");
    assert.ok(dm.status === 200 || dm.status >= 400);

    await d.startSynapse("schule-b");
    const seen = await eventually(
      "B's student sees every message sent during the outage",
      async () => {
        const got = await bodies(remote, room);
        return sent.every((s) => got.includes(s)) ? got : null;
      },
      90_000,
    );
    assert.equal(seen.filter((b) => b.startsWith("während")).length, 25);
    // And talk flows both ways again.
    await ok(remote, "PUT", `/_matrix/client/v3/rooms/${enc(room)}/send/m.room.message/zurueck`, { msgtype: "m.text", body: "wieder da" });
    await eventually("A hears B again", async () => (await bodies(teacher, room)).includes("wieder da"));
  });
});

describe("changing the district file", () => {
  it("adding a school is one entry and a regenerate: it federates, its own settings survive; removing it closes the door again", async () => {
    const teacher = await d.user("schule-a", "schulleitung");
    const newcomer = await d.user("fremd", "neu");
    const room = ((await ok(teacher, "POST", "/_matrix/client/v3/createRoom", { name: "Bezirkskonferenz", preset: "public_chat" })) as { room_id: string }).room_id;
    assert.notEqual((await api(teacher, "POST", `/_matrix/client/v3/rooms/${enc(room)}/invite`, { user_id: newcomer.userId })).status, 200);

    // The outsider's own file says "Fremde Schule"; its admin renamed it before joining the district.
    const fremdFile = join(d.school("fremd").dir, "school.yaml");
    const own = readFileSync(fremdFile, "utf8").replace("name: Fremde Schule", "name: Grundschule Am Bach");
    (await import("node:fs")).writeFileSync(fremdFile, own);
    await d.setDistrict(["schule-a", "schule-b", "fremd"], ["schule-a", "fremd"]);
    const regenerated = parse(readFileSync(fremdFile, "utf8")) as { school: { name: string }; homeserver: { federation_allowlist: string[] } };
    assert.equal(regenerated.school.name, "Grundschule Am Bach", "the school's own setting survives");
    assert.deepEqual(regenerated.homeserver.federation_allowlist, ["schule-a.bezirk.test", "schule-b.bezirk.test"]);
    const aYaml = parse(readFileSync(d.school("schule-a").gen.synapse.homeserverYaml, "utf8")) as { federation_domain_whitelist: string[] };
    assert.deepEqual(aYaml.federation_domain_whitelist, ["fremd.bezirk.test", "schule-b.bezirk.test"]);

    await eventually("the new school's user can be invited", async () => (await api(teacher, "POST", `/_matrix/client/v3/rooms/${enc(room)}/invite`, { user_id: newcomer.userId })).status === 200, 60_000);
    await joinWhenInvited(newcomer, room);
    const token = await getToken(newcomer, room, { serviceUrl: d.videoUrl, homeserverUrl: newcomer.school.url });
    assert.equal(token.status, 200, await token.clone().text());

    await d.setDistrict(["schule-a", "schule-b"], ["schule-a"]);
    const r = await signedFederationRequest(d.school("fremd"), d.school("schule-a"), d.caFile, "GET", `/_matrix/federation/v1/state/${enc(room)}?event_id=x`);
    assert.equal(r.status, 403);
    const again = await api(teacher, "POST", `/_matrix/client/v3/rooms/${enc(room)}/invite`, { user_id: `@other:${d.school("fremd").serverName}` });
    assert.notEqual(again.status, 200);
  });
});

describe("the district's user directory", () => {
  const importRoster = async (id: string, csv: string): Promise<void> => {
    const s = d.school(id);
    const res = await fetch(`http://127.0.0.1:${s.ports.school}/_schulhof/school/v1/admin/roster/import`, {
      method: "POST",
      headers: { authorization: `Bearer ${s.adminApiToken}`, "content-type": "text/csv" },
      body: csv,
    });
    const last = JSON.parse((await res.text()).trim().split("\n").at(-1) ?? "{}") as { report?: unknown; error?: unknown };
    assert.ok(last.report !== undefined, `import at ${id}: ${JSON.stringify(last)}`);
  };
  const search = async (u: DistrictUser, term: string): Promise<string[]> =>
    ((await ok(u, "POST", "/_matrix/client/v3/user_directory/search", { search_term: term, limit: 50 })).results as { user_id: string }[]).map((r) => r.user_id);

  it("lists the teachers of a school that shares them at the other schools, never its students, and nothing of a school that does not", async () => {
    // School A shares its teachers with the district (share_directory: true), school B does not.
    await importRoster("schule-a", "Rolle;Vorname;Nachname;Klasse;Kurse;E-Mail\nLehrer;Jürgen;Müllerhaus;;Latein 9;\nSchüler;Lena;Köhlerberg;9a;Latein 9;\n");
    await importRoster("schule-b", "Rolle;Vorname;Nachname;Klasse;Kurse;E-Mail\nLehrer;Özlem;Yılmazoğlu;;Mathematik 9;\nSchüler;Jonas;Großmann;9b;Mathematik 9;\n");
    const atA = await d.user("schule-a", "sucht-a");
    const atB = await d.user("schule-b", "sucht-b");
    const a = d.school("schule-a").serverName;
    const found = await eventually("A's teacher in B's directory", async () => (await search(atB, "Müllerhaus")).find((id) => id.endsWith(`:${a}`)), 60_000);
    assert.match(found, /^@[a-z0-9.-]+:schule-a\.bezirk\.test$/);
    // A's students are not in the directory room, so B never learns of them.
    assert.deepEqual(await search(atB, "Köhlerberg"), []);
    // B does not share: A finds B's own teacher nowhere, while A's own people stay findable at A.
    assert.deepEqual(await search(atA, "Yılmazoğlu"), []);
    assert.ok((await search(atA, "Köhlerberg")).length === 1);
    // And the found colleague can be written to directly.
    const room = ((await ok(atB, "POST", "/_matrix/client/v3/createRoom", { is_direct: true, invite: [found], preset: "trusted_private_chat" })) as { room_id: string }).room_id;
    assert.ok(room.startsWith("!"));
  });
});
