// Calendars and exam planning against real Synapse and PostgreSQL: real clients, feeds read back by two independent parsers.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { before, describe, it } from "node:test";
import ICAL from "ical.js";
import { DateTime } from "luxon";
import { MatrixError } from "matrix-js-sdk";
import { testEnv } from "./harness/env.ts";
import { apiSession } from "./harness/openid.ts";
import { joinInvite, replyFrom } from "./harness/rooms.ts";
import { eventually, newUser, roomMessages, type TestUser } from "./harness/users.ts";

const CAL = "de.schulhof.calendar";
const EV = "de.schulhof.calendar.event";
const kalender = (): string => `@kalender:${testEnv().serverName}`;
const klausuren = (): string => `@klausuren:${testEnv().serverName}`;
const api = (): string => `${testEnv().calendarUrl}/_schulhof/calendar/v1`;
type Api = Awaited<ReturnType<typeof apiSession>>;

async function forbidden(p: Promise<unknown>): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof MatrixError && (e.errcode === "M_FORBIDDEN" || e.httpStatus === 403));
}

/** A school day at least `weeks` weeks ahead: the Monday of that week plus `day` days. */
function schoolDay(weeks: number, day: number): string {
  return DateTime.now().setZone("Europe/Berlin").startOf("week").plus({ weeks, days: day }).toISODate()!;
}

const json = async <T>(res: Response): Promise<T> => {
  const text = await res.text();
  if (!res.ok) throw new Error(`${res.status} ${text}`);
  return JSON.parse(text) as T;
};

/** Reads an iCalendar text with Python's `icalendar` (an independent implementation). */
function readWithPython(ics: string): { uid: string; summary: string; dtstart: string; rrule: string | null; exdates: string[] }[] {
  const python = ".venv/bin/python";
  assert.ok(existsSync(python), "the .venv with Python's icalendar is missing: run scripts/bootstrap.sh");
  const script = `
import sys, json, icalendar
cal = icalendar.Calendar.from_ical(sys.stdin.read())
out = []
for ev in cal.walk("VEVENT"):
    ex = []
    raw = ev.get("EXDATE")
    for group in (raw if isinstance(raw, list) else ([raw] if raw is not None else [])):
        ex += [d.dt.isoformat() for d in group.dts]
    rr = ev.get("RRULE")
    out.append({"uid": str(ev.get("UID")), "summary": str(ev.get("SUMMARY")), "dtstart": ev.decoded("DTSTART").isoformat(),
                "rrule": rr.to_ical().decode() if rr is not None else None, "exdates": ex})
print(json.dumps(out))
`;
  const r = spawnSync(python, ["-c", script], { input: ics, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as { uid: string; summary: string; dtstart: string; rrule: string | null; exdates: string[] }[];
}

describe("calendars and exam planning with real clients", { concurrency: false }, () => {
  let admin: TestUser;
  let teacher: TestUser;
  let s1: TestUser;
  let s2: TestUser;
  let outsider: TestUser;
  let classSpace: string;
  let examRoom: string;
  let maths: string;
  let german: string;
  let s1api: Api;
  let teacherApi: Api;

  before(async () => {
    const u = { unthrottled: true };
    [admin, teacher, s1, s2, outsider] = await Promise.all([newUser("schulleitung", u), newUser("lehrer", u), newUser("schuelerin", u), newUser("schueler", u), newUser("fremd", u)]);
    const pl = (extra: Record<string, number>, events: Record<string, number> = {}): Record<string, unknown> => ({
      users: { [teacher.userId]: 50, ...extra },
      state_default: 50,
      events_default: 0,
      events: { "de.schulhof.calendar": 100, "de.schulhof.exam": 100, "de.schulhof.exam.cohort": 100, ...events },
    });
    classSpace = (
      await admin.client.createRoom({
        name: "Klasse 9z",
        creation_content: { type: "m.space" },
        initial_state: [
          { type: "de.schulhof.room", state_key: "", content: { kind: "class" } },
          { type: CAL, state_key: "", content: { name: "Kalender 9z", colour: "#1f6feb", scope: "class" } },
        ],
        power_level_content_override: pl({ [kalender()]: 50, [klausuren()]: 50 }),
      })
    ).room_id;
    examRoom = (
      await admin.client.createRoom({
        name: "Klausurplan 9z",
        initial_state: [
          { type: "de.schulhof.room", state_key: "", content: { kind: "exams" } },
          { type: "de.schulhof.exam.cohort", state_key: "", content: { kind: "class", name: "9z", stage: "sek1", grade: 9 } },
          { type: "m.space.parent", state_key: classSpace, content: { via: [testEnv().serverName], canonical: true } },
        ],
        power_level_content_override: pl({ [klausuren()]: 100 }),
      })
    ).room_id;
    const course = async (name: string): Promise<string> =>
      (
        await admin.client.createRoom({
          name,
          initial_state: [
            { type: "de.schulhof.room", state_key: "", content: { kind: "course" } },
            { type: "de.schulhof.course", state_key: "", content: { name, cohort: { kind: "class", name: "9z" }, teachers: [teacher.userId] } },
            { type: CAL, state_key: "", content: { name, colour: "#2da44e", scope: "course" } },
          ],
          power_level_content_override: pl({ [kalender()]: 50, [klausuren()]: 50 }),
        })
      ).room_id;
    maths = await course("Mathematik 9z");
    german = await course("Deutsch 9z");
    for (const room of [classSpace, examRoom, maths, german]) {
      for (const u of [teacher, s1, s2]) {
        await admin.client.invite(room, u.userId);
        await u.client.joinRoom(room);
      }
      if (room !== examRoom) await admin.client.invite(room, kalender());
      await admin.client.invite(room, klausuren());
    }
    await eventually("bots joined", async () => {
      for (const room of [classSpace, maths, german]) if (!(kalender() in (await admin.client.getJoinedRoomMembers(room)).joined)) return undefined;
      for (const room of [classSpace, examRoom, maths, german]) if (!(klausuren() in (await admin.client.getJoinedRoomMembers(room)).joined)) return undefined;
      return true;
    });
    s1api = await apiSession(s1, api());
    teacherApi = await apiSession(teacher, api());
  });

  it("takes a teacher's event from !termin, announces it, and lists it for students with !heute", async () => {
    const today = DateTime.now().setZone("Europe/Berlin").toFormat("dd.MM.yyyy");
    await teacher.client.sendTextMessage(maths, `!termin ${today} 23:00-23:30 Sternbeobachtung #ausflug`);
    await eventually("announcement", async () => (await roomMessages(s1, maths)).find((m) => m.sender === kalender() && /Neuer Termin: .*Sternbeobachtung/.test(String(m.content.body))));
    const ask = await s1.client.sendTextMessage(maths, "!heute");
    assert.match((await replyFrom(kalender(), s1, maths, ask.event_id)).body, /Sternbeobachtung/);
  });

  it("refuses students writing a class calendar, at the homeserver and at the bot", async () => {
    await forbidden(s1.client.sendStateEvent(classSpace, EV as never, { summary: "frei!", start: "2027-01-04", end: "2027-01-05", all_day: true, tzid: "Europe/Berlin", category: "holiday" } as never, "evil@x"));
    const ask = await s1.client.sendTextMessage(maths, "!termin morgen Party");
    assert.match((await replyFrom(kalender(), s1, maths, ask.event_id)).body, /nur Lehrkräfte/);
    const res = await s1api(`/calendars/${encodeURIComponent(classSpace)}/events`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ summary: "x", start: "2027-01-04", end: "2027-01-05", all_day: true, tzid: "Europe/Berlin", category: "other" }) });
    assert.equal(res.status, 403);
  });

  it("answers an invalid event with every reason and undoes it", async () => {
    const bad = await teacher.client.sendStateEvent(maths, EV as never, { summary: "Rückwärts", start: "2027-01-05T10:00", end: "2027-01-05T09:00", all_day: false, tzid: "Mars/Olympus", category: "other" } as never, "bad@test");
    const reply = (await replyFrom(kalender(), teacher, maths, bad.event_id)).body;
    assert.match(reply, /nicht übernommen/);
    assert.match(reply, /Mars\/Olympus/);
    await eventually("state undone", async () => {
      const c = (await teacher.client.getStateEvent(maths, EV as never, "bad@test")) as Record<string, unknown>;
      return Object.keys(c).length === 0 ? true : undefined;
    });
  });

  it("serves a feed of a weekly lesson across DST with a holiday exception, readable by ical.js and Python, with ETags", async () => {
    await teacher.client.sendStateEvent(
      maths,
      EV as never,
      { summary: "Mathematik", start: "2026-10-22T08:00", end: "2026-10-22T08:45", all_day: false, tzid: "Europe/Berlin", rrule: "FREQ=WEEKLY;BYDAY=TH;UNTIL=20261231T230000Z", exdates: ["2026-12-24T08:00"], category: "lesson", location: "R 101" } as never,
      "mathe-do@test",
    );
    const feed = await json<{ id: string; url: string }>(await s1api("/feeds", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ label: "Handy" }) }));
    assert.match(feed.url, /\/feed\/[A-Za-z0-9_-]{43}\.ics$/);
    const path = new URL(feed.url).pathname;
    const get = (headers: Record<string, string> = {}): Promise<Response> => fetch(`${testEnv().calendarUrl}${path}`, { headers });
    const ics = await eventually("lesson in the feed", async () => {
      const r = await get();
      const t = await r.text();
      return t.includes("mathe-do@test") ? { text: t, etag: r.headers.get("etag") ?? "" } : undefined;
    });
    const comp = new ICAL.Component(ICAL.parse(ics.text));
    const vevent = comp.getAllSubcomponents("vevent").find((v) => v.getFirstPropertyValue("uid") === "mathe-do@test");
    assert.ok(vevent !== undefined);
    const exdates = vevent.getAllProperties("exdate").map((p) => String(p.getFirstValue()));
    assert.ok(exdates.some((d) => d.startsWith("2026-12-24T08:00")), `EXDATE ${exdates.join(",")}`);
    assert.equal(vevent.getFirstProperty("dtstart")?.getParameter("tzid"), "Europe/Berlin");
    assert.ok(comp.getAllSubcomponents("vtimezone").length >= 1, "VTIMEZONE present");
    const py = readWithPython(ics.text).find((e) => e.uid === "mathe-do@test");
    assert.ok(py !== undefined);
    assert.equal(py.dtstart, "2026-10-22T08:00:00+02:00");
    assert.match(py.rrule ?? "", /FREQ=WEEKLY/);
    assert.ok(py.exdates.some((d) => d.startsWith("2026-12-24T08:00:00+01:00")), py.exdates.join(","));
    // Expanded by the API: 08:00 local both sides of the change, 06:00Z before and 07:00Z after, and not on 24 December.
    const occ = await json<{ occurrences: { uid: string; start: string }[] }>(await s1api("/events?from=2026-10-19&to=2026-12-31&tz=Europe/Berlin"));
    const lessons = occ.occurrences.filter((o) => o.uid === "mathe-do@test").map((o) => o.start);
    assert.ok(lessons.includes("2026-10-22T08:00:00+02:00") && lessons.includes("2026-10-29T08:00:00+01:00"), lessons.join(","));
    assert.ok(!lessons.some((s) => s.startsWith("2026-12-24")));
    assert.equal(lessons.length, 10);
    // Unchanged → 304 without a body (once the echoes of the set-up have settled: under load they can arrive late); a change → a new ETag.
    const settled = await eventually("a settled feed", async () => {
      const etag = (await get()).headers.get("etag") ?? "";
      return (await get({ "if-none-match": etag })).status === 304 ? etag : undefined;
    });
    const again = await get({ "if-none-match": settled });
    assert.equal(again.status, 304);
    await teacher.client.sendStateEvent(maths, EV as never, { summary: "Elternsprechtag", start: "2027-02-10T15:00", end: "2027-02-10T18:00", all_day: false, tzid: "Europe/Berlin", category: "meeting" } as never, "est@test");
    await eventually("new etag", async () => ((await get({ "if-none-match": settled })).status === 200 ? true : undefined));
    // Revoked: 404 at once, the same answer as a token that never existed.
    await json(await s1api(`/feeds/${feed.id}`, { method: "DELETE" }));
    const gone = await get();
    assert.equal(gone.status, 404);
    const never = await fetch(`${testEnv().calendarUrl}/_schulhof/calendar/v1/feed/${"A".repeat(43)}.ics`);
    assert.equal(never.status, 404);
    assert.equal(await gone.text(), await never.text());
  });

  it("imports an .ics file of holidays idempotently by UID and reports the broken event", async () => {
    const ics = [
      "BEGIN:VCALENDAR",
      "VERSION:2.0",
      "PRODID:-//Test//Ferien//DE",
      "BEGIN:VEVENT",
      "UID:herbst-2027@ferien.test",
      "DTSTAMP:20260101T000000Z",
      "DTSTART;VALUE=DATE:20271011",
      "DTEND;VALUE=DATE:20271023",
      "SUMMARY:Herbstferien",
      "CATEGORIES:Ferien",
      "END:VEVENT",
      "BEGIN:VEVENT",
      "UID:kaputt@ferien.test",
      "DTSTAMP:20260101T000000Z",
      "DTSTART;VALUE=DATE:20271225",
      "DTEND;VALUE=DATE:20271220",
      "SUMMARY:Rückwärts",
      "END:VEVENT",
      "END:VCALENDAR",
      "",
    ].join("\r\n");
    const post = (): Promise<Response> => teacherApi(`/calendars/${encodeURIComponent(classSpace)}/import`, { method: "POST", headers: { "content-type": "text/calendar" }, body: ics });
    const first = await json<{ imported: number; uids: string[]; errors: { uid: string | null }[] }>(await post());
    assert.deepEqual(first.uids, ["herbst-2027@ferien.test"]);
    assert.equal(first.errors[0]?.uid, "kaputt@ferien.test");
    await json(await post());
    const occ = await eventually("imported holidays", async () => {
      const r = await json<{ occurrences: { uid: string; category: string }[] }>(await s1api("/events?from=2027-10-01&to=2027-10-31"));
      return r.occurrences.some((o) => o.uid === "herbst-2027@ferien.test") ? r : undefined;
    });
    assert.equal(occ.occurrences.filter((o) => o.uid === "herbst-2027@ferien.test").length, 1);
    assert.equal(occ.occurrences.find((o) => o.uid === "herbst-2027@ferien.test")?.category, "holiday");
    assert.equal((await s1api(`/calendars/${encodeURIComponent(classSpace)}/import`, { method: "POST", body: ics })).status, 403);
    assert.equal((await teacherApi(`/calendars/${encodeURIComponent(classSpace)}/import`, { method: "POST", body: "das ist kein Kalender" })).status, 400);
  });

  it("shows in a feed nothing the user may not see", async () => {
    const out = await apiSession(outsider, api());
    const feed = await json<{ url: string }>(await out("/feeds", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }));
    const text = await (await fetch(`${testEnv().calendarUrl}${new URL(feed.url).pathname}`)).text();
    assert.ok(text.includes("BEGIN:VCALENDAR"));
    assert.ok(!text.includes("mathe-do@test") && !text.includes("Elternsprechtag"), "an outsider sees no course events");
    // A single-calendar feed of a calendar the user is not in: refused as not found.
    assert.equal((await out("/feeds", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ room_id: maths }) })).status, 404);
    assert.equal((await out(`/calendars/${encodeURIComponent(maths)}/events/mathe-do%40test`)).status, 404);
  });

  it("sends the personal feed link privately: !abo in a course room makes the user's own calendar room", async () => {
    const ask = await s2.client.sendTextMessage(maths, "!abo");
    assert.match((await replyFrom(kalender(), s2, maths, ask.event_id)).body, /privaten Raum „Mein Kalender“/);
    const own = await joinInvite(s2, "Mein Kalender");
    const link = await eventually("feed link", async () => (await roomMessages(s2, own)).find((m) => m.sender === kalender() && /\/feed\/[A-Za-z0-9_-]{43}\.ics/.test(String(m.content.body))));
    const url = /(http\S+\.ics)/.exec(String(link.content.body))?.[1] ?? "";
    const feed = await fetch(`${testEnv().calendarUrl}${new URL(url).pathname}`);
    assert.equal(feed.status, 200);
    assert.match(await feed.text(), /mathe-do@test/);
    // Nobody else is in that room, and the link was not posted where others read.
    assert.deepEqual(Object.keys((await s2.client.getJoinedRoomMembers(own)).joined).sort(), [kalender(), s2.userId].sort());
    assert.ok(!(await roomMessages(s2, maths)).some((m) => /\/feed\//.test(String(m.content.body))));
  });

  it("plans an exam that respects the rules; students see it in their calendars and feeds; a second one that day is refused", async () => {
    const day = schoolDay(3, 1);
    await teacher.client.sendTextMessage(maths, `!klausur ${day} 3-4 klassenarbeit`);
    await eventually("announced in the course", async () => (await roomMessages(s1, maths)).find((m) => m.sender === klausuren() && /Angekündigt: Klassenarbeit Mathematik 9z/.test(String(m.content.body))));
    const upcoming = await eventually("upcoming for the student", async () => {
      const r = await json<{ exams: { id: string; course: string; date: string }[] }>(await s1api("/exams/upcoming?days=40"));
      return r.exams.find((e) => e.date === day);
    });
    assert.equal(upcoming.course, "Mathematik 9z");
    // In the course and class calendars as a state event, and in the student's feed (once, though in two calendars).
    await eventually("class calendar entry", async () => {
      const c = (await s1.client.getStateEvent(classSpace, EV as never, `exam-${upcoming.id}`).catch(() => ({}))) as Record<string, unknown>;
      return c.category === "exam" ? true : undefined;
    });
    const occ = await eventually("exam in the student's events", async () => {
      const r = await json<{ occurrences: { uid: string; start: string; calendars: string[] }[] }>(await s1api(`/events?from=${day}&to=${day}`));
      const e = r.occurrences.find((o) => o.uid === `exam-${upcoming.id}`);
      return e?.calendars.length === 2 ? e : undefined;
    });
    assert.equal(occ.start.slice(11, 16), "09:55");
    // The second exam on that day for the same class: refused with the reason (NI: one per day).
    const second = await teacher.client.sendTextMessage(german, `!klausur ${day} 1-2 klassenarbeit`);
    const refusal = (await replyFrom(klausuren(), teacher, german, second.event_id)).body;
    assert.match(refusal, /kann so nicht eingetragen werden/);
    assert.match(refusal, /Mathematik 9z/);
    // The API's dry run says the same before a teacher submits.
    const check = await json<{ ok: boolean; violations: { ruleId: string }[] }>(
      await teacherApi("/exams/check", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ course_room: german, kind: "klassenarbeit", date: day, periods: [1, 2] }) }),
    );
    assert.equal(check.ok, false);
    assert.ok(check.violations.length >= 1);
  });

  it("refuses exams from students, and on a day blocked by a class trip", async () => {
    const day = schoolDay(4, 2);
    const ask = await s1.client.sendTextMessage(german, `!klausur ${day} 3 test`);
    assert.match((await replyFrom(klausuren(), s1, german, ask.event_id)).body, /nur Lehrkräfte/);
    const res = await s1api("/exams", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ course_room: german, kind: "test", date: day, periods: [3] }) });
    assert.equal(res.status, 403);
    await teacher.client.sendStateEvent(classSpace, EV as never, { summary: "Klassenfahrt Harz", start: day, end: DateTime.fromISO(day).plus({ days: 2 }).toISODate(), all_day: true, tzid: "Europe/Berlin", category: "trip" } as never, "fahrt@test");
    const refused = await eventually("trip blocks", async () => {
      const r = await json<{ ok: boolean; violations: { reason: { de: string } }[] }>(
        await teacherApi("/exams/check", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ course_room: german, kind: "klassenarbeit", date: day, periods: [3] }) }),
      );
      return r.ok ? undefined : r;
    });
    assert.ok(refused.violations.some((v) => /Klassenfahrt Harz/.test(v.reason.de)), JSON.stringify(refused.violations));
  });

  it("moves and cancels an exam: calendars follow and students are told", async () => {
    const day = schoolDay(5, 3);
    const made = await json<{ ok: boolean; exam: { id: string } }>(
      await teacherApi("/exams", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ course_room: german, kind: "klassenarbeit", date: day, periods: [1, 2] }) }),
    );
    assert.equal(made.ok, true);
    const to = schoolDay(6, 1);
    // The dry run first: onto the maths exam's day it names the conflict, to a free day it fits; neither moves anything.
    const post = (path: string, body: unknown): Promise<Response> => teacherApi(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const clash = await json<{ ok: boolean; dry_run: boolean; exam: unknown; violations: { reason: { de: string } }[] }>(await post(`/exams/${made.exam.id}/move/check`, { date: schoolDay(3, 1), periods: [1] }));
    assert.deepEqual([clash.ok, clash.dry_run, clash.exam], [false, true, null]);
    assert.ok(clash.violations.some((v) => /Mathematik 9z/.test(v.reason.de)), JSON.stringify(clash.violations));
    assert.equal((await json<{ ok: boolean }>(await post(`/exams/${made.exam.id}/move/check`, { date: to, periods: [5] }))).ok, true);
    assert.equal((await post(`/exams/${made.exam.id}/move/check`, { date: to, periods: [9] })).status, 400, "the school has 8 periods");
    const plan = await json<{ exams: { id: string; date: string }[]; periods: { number: number }[] }>(await teacherApi(`/exams/plan?cohort_room=${encodeURIComponent(examRoom)}&from=${day}&to=${to}`));
    assert.equal(plan.exams.find((e) => e.id === made.exam.id)?.date, day, "a dry run moves nothing");
    assert.deepEqual(plan.periods.map((p) => p.number), [1, 2, 3, 4, 5, 6, 7, 8]);
    const moved = await json<{ ok: boolean }>(await teacherApi(`/exams/${made.exam.id}/move`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ date: to, periods: [5] }) }));
    assert.equal(moved.ok, true);
    await eventually("course calendar moved", async () => {
      const c = (await s2.client.getStateEvent(german, EV as never, `exam-${made.exam.id}`)) as { start?: string };
      return c.start?.startsWith(to) === true ? true : undefined;
    });
    await eventually("students told", async () => (await roomMessages(s2, german)).find((m) => m.sender === klausuren() && /Verschoben/.test(String(m.content.body))));
    await json(await teacherApi(`/exams/${made.exam.id}/cancel`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ reason: "Lehrkraft krank" }) }));
    await eventually("calendar entry removed", async () => {
      const c = (await s2.client.getStateEvent(german, EV as never, `exam-${made.exam.id}`)) as Record<string, unknown>;
      return Object.keys(c).length === 0 ? true : undefined;
    });
    assert.equal((await s1api(`/exams/${made.exam.id}/cancel`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })).status, 403);
  });

  it("lists for the teacher the cohort's courses to plan for, and none for a student", async () => {
    type Cohorts = { cohorts: { room_id: string; can_plan: boolean; can_approve: boolean; courses: { room_id: string; can_plan: boolean }[] }[] };
    const mine = (await json<Cohorts>(await teacherApi("/exams/cohorts"))).cohorts.find((c) => c.room_id === examRoom);
    assert.equal(mine?.can_plan, true);
    assert.deepEqual(mine?.courses.map((c) => [c.room_id, c.can_plan]).sort(), [[german, true], [maths, true]].sort());
    const student = (await json<Cohorts>(await s1api("/exams/cohorts"))).cohorts.find((c) => c.room_id === examRoom);
    assert.deepEqual([student?.can_plan, student?.can_approve, student?.courses], [false, false, []]);
  });

  it("makes the personal calendar before answering, and lists and drops its events at once", async () => {
    const own = await json<{ room_id: string | null }>(await s1api("/personal", { method: "POST" }));
    assert.ok(own.room_id !== null, "the room is made before the answer");
    const list = await json<{ calendars: { room_id: string; scope: string; can_write: boolean }[]; personal_room: string }>(await s1api("/calendars"));
    assert.equal(list.personal_room, own.room_id);
    assert.ok(list.calendars.some((c) => c.room_id === own.room_id && c.scope === "personal" && c.can_write));
    const date = schoolDay(2, 2);
    const event = { summary: "Zahnarzt", start: `${date}T14:00`, end: `${date}T15:00`, all_day: false, tzid: "Europe/Berlin", category: "other" };
    const room = encodeURIComponent(own.room_id);
    const { uid } = await json<{ uid: string }>(await s1api(`/calendars/${room}/events`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(event) }));
    const listed = async (): Promise<boolean> => (await json<{ occurrences: { uid: string }[] }>(await s1api(`/events?from=${date}&to=${date}`))).occurrences.some((o) => o.uid === uid);
    assert.equal(await listed(), true, "listed before the homeserver's echo");
    await s1.client.joinRoom(own.room_id);
    await eventually("the event in the room", async () => {
      const c = (await s1.client.getStateEvent(own.room_id!, EV as never, uid).catch(() => ({}))) as Record<string, unknown>;
      return c.summary === "Zahnarzt" ? true : undefined;
    });
    await json(await s1api(`/calendars/${room}/events/${encodeURIComponent(uid)}`, { method: "DELETE" }));
    assert.equal(await listed(), false, "gone at once, not after the echo");
    await eventually("deletion announced once", async () => {
      const said = (await roomMessages(s1, own.room_id!)).filter((m) => m.sender === kalender() && /Termin gelöscht: Zahnarzt/.test(String(m.content.body)));
      return said.length === 1 ? said : undefined;
    });
    await eventually("state emptied", async () => {
      const c = (await s1.client.getStateEvent(own.room_id!, EV as never, uid).catch(() => ({}))) as Record<string, unknown>;
      return Object.keys(c).length === 0 ? true : undefined;
    });
    assert.equal(await listed(), false, "the echo changes nothing");
  });
});
