// Benchmark: a school year of calendars for 1,000 students: personal feeds (cold, cached, ETag), expansion, exam checks.
import { createServer, type Server } from "node:http";
import express from "express";
import { DateTime } from "luxon";
import pino from "pino";
import { migrate, openPostgres, type AppserviceContext, type Db } from "@schulhof/core";
import { CALENDAR_MIGRATIONS, cohortSituation, createFeed, DEFAULT_PERIOD_TIMES, examRules, feedHandler, model, planned, saveEvent, saveExam, saveMember, setRoomField, type CalendarEnv, type ExamContent } from "@schulhof/calendar";
import { startPostgres } from "@schulhof/test";
import { printTable } from "./proc.ts";
import { percentile } from "./stack.ts";

const STUDENTS = Number(process.env.BENCH_STUDENTS ?? 1000);
const CLASSES = 40;
const COURSES = 300;
const EXAMS = 1200;
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 300);
const ZONE = "Europe/Berlin";
const say = (s: string): void => void process.stderr.write(`bench: ${s}\n`);
const env: CalendarEnv = {
  botUserId: "@kalender:bench.test",
  examBotUserId: "@klausuren:bench.test",
  lang: "de",
  timezone: ZONE,
  state: "NW",
  periodTimes: DEFAULT_PERIOD_TIMES,
  publicBaseUrl: "http://127.0.0.1",
  sessionSecret: "bench-secret-bench-secret-bench-secret-0123",
};

const YEAR_START = "2026-08-27";
const YEAR_END = "2027-07-02";
const FERIEN: [string, string, string][] = [
  ["Herbstferien", "2026-10-12", "2026-10-24"],
  ["Weihnachtsferien", "2026-12-23", "2027-01-07"],
  ["Osterferien", "2027-03-22", "2027-04-04"],
  ["Pfingstferien", "2027-05-18", "2027-05-19"],
  ["Sommerferien", "2027-07-05", "2027-08-18"],
];

async function seed(db: Db): Promise<{ students: string[]; cohorts: { room: string; courses: string[] }[]; school: string }> {
  const school = "!school:bench.test";
  await db.transaction(async (tx) => {
    await setRoomField(tx, school, "kind", "school");
    await setRoomField(tx, school, "school", { state: "NW", timezone: ZONE });
    await setRoomField(tx, school, "calendar", { name: "Schulkalender", scope: "school" });
    let i = 0;
    for (const year of [2026, 2027]) {
      for (const h of model.publicHolidays("NW", year, ZONE)) await saveEvent(tx, { roomId: school, uid: h.uid, content: h.content, sender: env.botUserId, eventId: `$h${i++}`, originTs: 1 });
    }
    for (const [name, from, to] of FERIEN) {
      const end = DateTime.fromISO(to).plus({ days: 1 }).toISODate()!;
      await saveEvent(tx, { roomId: school, uid: `ferien-${from}`, content: { summary: name, start: from, end, all_day: true, tzid: ZONE, category: "holiday" } as model.EventContent, sender: env.botUserId, eventId: `$f${from}`, originTs: 1 });
    }
  });
  const students: string[] = [];
  const cohorts: { room: string; courses: string[] }[] = [];
  const classOf: string[] = [];
  for (let c = 0; c < CLASSES; c++) classOf.push(`${5 + Math.floor(c / 8)}${"abcdefgh"[c % 8]}`);
  say(`seeding ${CLASSES} classes, ${COURSES} courses, ${STUDENTS} students`);
  for (let c = 0; c < CLASSES; c++) {
    const name = classOf[c] ?? "";
    const classRoom = `!class-${name}:bench.test`;
    const examRoom = `!exams-${name}:bench.test`;
    await db.transaction(async (tx) => {
      await setRoomField(tx, classRoom, "calendar", { name: `Kalender ${name}`, scope: "class" });
      await setRoomField(tx, examRoom, "exam_cohort", { kind: "class", name, stage: "sek1", grade: Number(name.slice(0, -1)) });
      await setRoomField(tx, examRoom, "parent", classRoom);
      for (let s = 0; s < STUDENTS / CLASSES; s++) {
        const user = `@s${c}-${s}:bench.test`;
        students.push(user);
        for (const room of [school, classRoom, examRoom]) await saveMember(tx, room, user, true);
      }
    });
    cohorts.push({ room: examRoom, courses: [] });
  }
  // Courses: weekly lessons, three per week, for the whole school year.
  for (let k = 0; k < COURSES; k++) {
    const c = k % CLASSES;
    const name = `Kurs ${k} ${classOf[c]}`;
    const room = `!course-${k}:bench.test`;
    cohorts[c]?.courses.push(room);
    await db.transaction(async (tx) => {
      await setRoomField(tx, room, "course", { name, cohort: { kind: "class", name: classOf[c] } });
      await setRoomField(tx, room, "calendar", { name, scope: "course" });
      for (let s = 0; s < STUDENTS / CLASSES; s++) await saveMember(tx, room, `@s${c}-${s}:bench.test`, true);
      for (let l = 0; l < 3; l++) {
        const weekday = (k + l * 2) % 5;
        const period = 1 + ((k + l) % 6);
        const first = DateTime.fromISO(YEAR_START).startOf("week").plus({ days: weekday });
        const start = first < DateTime.fromISO(YEAR_START) ? first.plus({ weeks: 1 }) : first;
        const [ps, pe] = DEFAULT_PERIOD_TIMES[period] ?? ["08:00", "08:45"];
        const content = {
          summary: name,
          start: `${start.toISODate()}T${ps}`,
          end: `${start.toISODate()}T${pe}`,
          all_day: false,
          tzid: ZONE,
          rrule: `FREQ=WEEKLY;UNTIL=${YEAR_END.replace(/-/g, "")}T220000Z`,
          exdates: [] as string[],
          category: "lesson",
          location: `R ${100 + (k % 40)}`,
        } as model.EventContent;
        const checked = model.validateEvent(content);
        if (!checked.ok) throw new Error(`bench data invalid: ${JSON.stringify(checked.reasons)}`);
        await saveEvent(tx, { roomId: room, uid: `lesson-${k}-${l}`, content: checked.content, sender: "@t:bench.test", eventId: `$l${k}-${l}`, originTs: 1 });
      }
    });
  }
  // Exams: spread over the school days of the year, in the course and the class calendar.
  const days: string[] = [];
  for (let d = DateTime.fromISO("2026-09-07"); d < DateTime.fromISO("2027-06-25"); d = d.plus({ days: 1 })) {
    if (d.weekday <= 5 && !FERIEN.some(([, a, b]) => d.toISODate()! >= a && d.toISODate()! <= b)) days.push(d.toISODate()!);
  }
  await db.transaction(async (tx) => {
    for (let e = 0; e < EXAMS; e++) {
      const k = e % COURSES;
      const c = k % CLASSES;
      const perCohort = Math.floor(e / CLASSES);
      const date = days[(perCohort * 5 + c) % days.length] ?? "2026-09-07";
      const exam: ExamContent = {
        id: `x${e}`,
        course_room: `!course-${k}:bench.test`,
        course: `Kurs ${k}`,
        cohort: classOf[c] ?? "",
        kind: "klassenarbeit",
        date,
        periods: [3, 4],
        status: "confirmed",
        requested_by: "@t:bench.test",
        requested_at: "2026-08-20T10:00:00Z",
        version: 1,
      };
      await saveExam(tx, `!exams-${classOf[c]}:bench.test`, exam);
      const content = { summary: `Klassenarbeit Kurs ${k}`, start: `${date}T09:55`, end: `${date}T11:30`, all_day: false, tzid: ZONE, category: "exam", exam_id: exam.id } as model.EventContent;
      for (const room of [`!course-${k}:bench.test`, `!class-${classOf[c]}:bench.test`]) {
        await saveEvent(tx, { roomId: room, uid: `exam-${exam.id}`, content, sender: env.examBotUserId, eventId: `$x${e}${room}`, originTs: 1 });
      }
    }
  });
  return { students, cohorts, school };
}

async function listen(app: express.Express): Promise<{ server: Server; url: string }> {
  const server = createServer(app);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const addr = server.address();
  if (addr === null || typeof addr === "string") throw new Error("no port");
  return { server, url: `http://127.0.0.1:${addr.port}` };
}

const ms = (a: number[]): number[] => [...a].sort((x, y) => x - y);
const round = (n: number, d = 1): number => Math.round(n * 10 ** d) / 10 ** d;

const pg = await startPostgres();
let exit = 0;
try {
  const url = await pg.createDatabase("calendar");
  const db = await openPostgres(url, "calendar", 10);
  await migrate(db, "calendar", CALENDAR_MIGRATIONS);
  const t0 = performance.now();
  const data = await seed(db);
  const seedS = (performance.now() - t0) / 1000;
  const eventCount = Number((await db.query<{ n: string }>("SELECT count(*) AS n FROM events")).rows[0]?.n ?? 0);
  say(`seeded ${eventCount} events in ${seedS.toFixed(1)} s`);
  const log = pino({ level: "warn" });
  const ctx = { db, log } as unknown as AppserviceContext;
  const sample = data.students.filter((_, i) => i % Math.max(1, Math.floor(data.students.length / SAMPLES)) === 0).slice(0, SAMPLES);
  const tokens: string[] = [];
  await db.transaction(async (tx) => {
    for (const s of sample) tokens.push((await createFeed(tx, s, null, "bench", env.sessionSecret)).token);
  });
  const mk = (cache: number): express.Express => {
    const app = express();
    app.get("/feed/:token.ics", feedHandler(ctx, env, cache));
    return app;
  };
  const cold = await listen(mk(0));
  const warm = await listen(mk(10_000));
  const time = async (u: string, headers: Record<string, string> = {}): Promise<{ ms: number; status: number; etag: string; bytes: number }> => {
    const t = performance.now();
    const r = await fetch(u, { headers });
    const body = await r.text();
    return { ms: performance.now() - t, status: r.status, etag: r.headers.get("etag") ?? "", bytes: body.length };
  };
  say(`feeds: ${sample.length} students, cold / cached / ETag`);
  const coldMs: number[] = [];
  const bytes: number[] = [];
  for (const tok of tokens) {
    const r = await time(`${cold.url}/feed/${tok}.ics`);
    if (r.status !== 200) throw new Error(`feed ${r.status}`);
    coldMs.push(r.ms);
    bytes.push(r.bytes);
  }
  const etags: string[] = [];
  for (const tok of tokens) etags.push((await time(`${warm.url}/feed/${tok}.ics`)).etag);
  const warmMs: number[] = [];
  for (const tok of tokens) warmMs.push((await time(`${warm.url}/feed/${tok}.ics`)).ms);
  const etagMs: number[] = [];
  let notModified = 0;
  for (const [i, tok] of tokens.entries()) {
    const r = await time(`${warm.url}/feed/${tok}.ics`, { "if-none-match": etags[i] ?? "" });
    etagMs.push(r.ms);
    if (r.status === 304) notModified++;
  }
  cold.server.close();
  warm.server.close();

  say("expansion: every lesson of the year");
  const lessons = (await db.query<{ uid: string; content: model.EventContent }>("SELECT uid, content FROM events WHERE category = 'lesson'")).rows;
  const te = performance.now();
  // Every event on its own: occurrencesBetween caps what one answer may hold, a benchmark must not.
  const occ = lessons.flatMap((l) => model.expandEvent(l.uid, l.content, new Date("2026-08-01T00:00:00Z"), new Date("2027-08-01T00:00:00Z")));
  const expandS = (performance.now() - te) / 1000;

  say("exam checks against the whole year of a cohort");
  const checkDb: number[] = [];
  const checkEngine: number[] = [];
  const rules = examRules.defaultRules("NW");
  let refused = 0;
  for (let i = 0; i < 200; i++) {
    const cohort = data.cohorts[i % data.cohorts.length];
    if (cohort === undefined) continue;
    const date = DateTime.fromISO("2026-09-07").plus({ days: (i * 7) % 280 }).toISODate()!;
    const t = performance.now();
    const room = { roomId: cohort.room, parent: cohort.room.replace("!exams-", "!class-"), examCohort: { kind: "class", name: "", stage: "sek1" as const, grade: 7 } };
    const situation = await cohortSituation(db, env, room as never, cohort.courses[0] ?? null, "2026-08-01", "2027-08-01");
    const request = planned({ id: "probe", course_room: cohort.courses[0] ?? "", course: "Probe", cohort: "", kind: "klassenarbeit", date, periods: [3], status: "requested", requested_by: "", requested_at: "", version: 0 }, room as never);
    const t1 = performance.now();
    const r = examRules.checkExam({ request, existing: situation.existing, blocked: situation.blocked, rules, today: "2026-08-01" });
    const t2 = performance.now();
    if (!r.ok) refused++;
    checkDb.push(t2 - t);
    checkEngine.push(t2 - t1);
  }
  await db.close();

  const c = ms(coldMs);
  const w = ms(warmMs);
  const e = ms(etagMs);
  const cd = ms(checkDb);
  const ce = ms(checkEngine);
  const result = {
    students: STUDENTS,
    classes: CLASSES,
    courses: COURSES,
    exams: EXAMS,
    events: eventCount,
    seed_s: round(seedS),
    feeds_sampled: sample.length,
    feed_kib_median: round(percentile(ms(bytes), 50) / 1024),
    feed_cold_p50_ms: round(percentile(c, 50)),
    feed_cold_p95_ms: round(percentile(c, 95)),
    feed_cached_p50_ms: round(percentile(w, 50)),
    feed_cached_p95_ms: round(percentile(w, 95)),
    feed_etag_p50_ms: round(percentile(e, 50)),
    feed_etag_p95_ms: round(percentile(e, 95)),
    etag_304_share: round(notModified / Math.max(1, tokens.length), 3),
    occurrences_expanded: occ.length,
    occurrences_per_s: Math.round(occ.length / expandS),
    exam_check_p50_ms: round(percentile(cd, 50), 2),
    exam_check_p95_ms: round(percentile(cd, 95), 2),
    exam_check_engine_p95_ms: round(percentile(ce, 95), 3),
    exam_checks_refused: refused,
  };
  printTable(`Kalender-Benchmark: ein Schuljahr, ${STUDENTS} Schüler:innen, ${CLASSES} Klassen, ${COURSES} Kurse, ${EXAMS} Klausuren`, [
    ["events in the projection", `${eventCount} (seeded in ${result.seed_s} s)`],
    ["personal feed size (median)", `${result.feed_kib_median} KiB`],
    ["feed cold (render) p50 / p95", `${result.feed_cold_p50_ms} / ${result.feed_cold_p95_ms} ms`],
    ["feed warm (cached) p50 / p95", `${result.feed_cached_p50_ms} / ${result.feed_cached_p95_ms} ms`],
    ["feed with ETag (304) p50 / p95", `${result.feed_etag_p50_ms} / ${result.feed_etag_p95_ms} ms (${Math.round(result.etag_304_share * 100)} % 304)`],
    ["occurrences expanded", `${occ.length} in ${round(expandS, 2)} s = ${result.occurrences_per_s}/s`],
    ["exam check with DB p50 / p95", `${result.exam_check_p50_ms} / ${result.exam_check_p95_ms} ms`],
    ["exam check, rules engine only p95", `${result.exam_check_engine_p95_ms} ms (${refused} of 200 refused)`],
    ["targets", `feed warm p95 < 50 ms: ${result.feed_cached_p95_ms < 50 && result.feed_etag_p95_ms < 50 ? "met" : "MISSED"}; exam check < 20 ms: ${result.exam_check_p95_ms < 20 ? "met" : "MISSED"}`],
  ]);
  process.stdout.write(`${JSON.stringify(result)}\n`);
} catch (e) {
  say(`failed: ${String((e as Error).stack ?? e)}`);
  exit = 1;
} finally {
  pg.stop();
}
process.exit(exit);
