// The morning benchmark's school: a roster imported by the school appservice (real passwords, real rooms), then
// assignments posted by teachers so that the homework bot makes every student a submission room.
import type { ImportReport } from "@schulhof/school";
import type pg from "pg";
import { BENCH_SCHOOL, generateRoster, type SchoolSize } from "./school-generator.ts";
import { matrixCall, type BenchStack } from "./stack.ts";
import { pool } from "./video-people.ts";

/** Someone with a credential letter: the morning logs them in with this password. */
export interface LetterLogin {
  userId: string;
  localpart: string;
  password: string;
  role: "student" | "teacher";
}

/** Where a student hands in homework: their submission room and the assignment it is for. */
export interface SubmissionTarget {
  roomId: string;
  assignmentId: string;
}

/** The school the morning runs in. */
export interface MorningSchool {
  size: SchoolSize;
  people: LetterLogin[];
  submissions: Map<string, SubmissionTarget>;
  importSeconds: number;
  submissionRoomsSeconds: number;
  rooms: number;
  memberships: number;
  /** Course rooms that hold a video lesson in the morning, with who takes part: each person in at most one. */
  lessons: Map<string, string[]>;
}

/** The benchmark school scaled to `students` (1,000: 80 teachers, 40 classes, 300 courses, as in bench:provision). */
export function scaledSchool(students: number): SchoolSize {
  const f = students / BENCH_SCHOOL.students;
  const classes = Math.max(2, Math.round(BENCH_SCHOOL.classes * f));
  return { students, teachers: Math.max(2, Math.round(BENCH_SCHOOL.teachers * f)), classes, courses: Math.max(classes, Math.round(BENCH_SCHOOL.courses * f)) };
}

/** Imports the roster through the school appservice's admin API and answers its report (the letters carry the passwords). */
export async function importRoster(stack: BenchStack, csv: string, say: (s: string) => void): Promise<ImportReport> {
  const res = await fetch(`http://127.0.0.1:${stack.ports.school}/_schulhof/school/v1/admin/roster/import?file_name=morning.csv`, {
    method: "POST",
    headers: { authorization: `Bearer ${stack.gen.secrets.admin_api_token}` },
    body: csv,
  });
  if (!res.ok) throw new Error(`roster import: ${res.status} ${await res.text()}`);
  let report: ImportReport | null = null;
  let buf = "";
  let lastSaid = 0;
  const dec = new TextDecoder();
  for await (const chunk of res.body ?? []) {
    buf += dec.decode(chunk as Uint8Array, { stream: true });
    for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
      const msg = JSON.parse(buf.slice(0, nl)) as { progress?: { phase: string; done: number; total: number }; report?: ImportReport; error?: unknown };
      buf = buf.slice(nl + 1);
      if (msg.progress !== undefined && Date.now() - lastSaid > 15_000) {
        lastSaid = Date.now();
        say(`  import: ${msg.progress.phase} ${msg.progress.done}/${msg.progress.total}`);
      }
      if (msg.report !== undefined) report = msg.report;
      if (msg.error !== undefined) throw new Error(`roster import failed: ${JSON.stringify(msg.error)}`);
    }
  }
  if (report === null) throw new Error("roster import: no report");
  if (report.failures.length > 0) throw new Error(`roster import: ${report.failures.length} failures, first: ${JSON.stringify(report.failures[0])}`);
  return report;
}

/** Polls `sql` (answering `n`) until it reaches `want`, or until it has not changed for `stableMs`; answers the last count. */
async function waitForCount(db: pg.Client, sql: string, want: number, timeoutMs: number, stableMs: number, what: string, say: (s: string) => void): Promise<number> {
  const t0 = Date.now();
  let last = -1;
  let lastChange = Date.now();
  let lastSaid = 0;
  for (;;) {
    const have = Number((await db.query<{ n: string }>(sql)).rows[0]?.n ?? 0);
    if (have >= want) return have;
    if (have !== last) {
      last = have;
      lastChange = Date.now();
    }
    if (Date.now() - lastSaid > 15_000) {
      lastSaid = Date.now();
      say(`  waiting for ${what}: ${have}/${want}`);
    }
    if (Date.now() - lastChange > stableMs && have > 0) return have;
    if (Date.now() - t0 > timeoutMs) throw new Error(`${what}: ${have}/${want} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/**
 * Chooses courses so that every student has at least one (greedy cover, biggest gain first): one assignment in each
 * makes one submission room per student and course, not one per student and every course they take.
 */
function coveringCourses(members: Map<string, string[]>): string[] {
  const uncovered = new Set([...members.values()].flat());
  const chosen: string[] = [];
  while (uncovered.size > 0) {
    let best: string | null = null;
    let gain = 0;
    for (const [room, students] of members) {
      const g = students.filter((s) => uncovered.has(s)).length;
      if (g > gain) [best, gain] = [room, g];
    }
    if (best === null) break;
    chosen.push(best);
    for (const s of members.get(best) ?? []) uncovered.delete(s);
  }
  return chosen;
}

/**
 * Sets up the school: roster import (accounts with bcrypt-hashed initial passwords, spaces, class chats, course
 * rooms), one assignment per covering course posted by its teacher (signed in through the admin API, so the
 * morning's login limit is untouched), the bot's submission rooms, and each student's join of theirs.
 */
export async function setUpMorningSchool(stack: BenchStack, db: pg.Client, students: number, say: (s: string) => void): Promise<MorningSchool> {
  const size = scaledSchool(students);
  const roster = generateRoster(size);
  say(`importing the roster: ${size.students} students, ${size.teachers} teachers, ${size.classes} classes, ${size.courses} courses (about 1 s per student on 2 cores) …`);
  const t0 = performance.now();
  const report = await importRoster(stack, roster.csv, say);
  const importSeconds = (performance.now() - t0) / 1000;
  const people: LetterLogin[] = report.letters
    .filter((l) => l.role === "student" || l.role === "teacher")
    .map((l) => ({ userId: l.userId, localpart: l.localpart, password: l.password, role: l.role as "student" | "teacher" }));
  const isStudent = new Set(people.filter((p) => p.role === "student").map((p) => p.userId));

  // Each course has one teacher in the generated roster: the other memberships are students'.
  const studentCourseMemberships = roster.memberships - size.courses;
  const membersSql = "SELECT count(*) AS n FROM course_members m JOIN course_rooms r USING (room_id) WHERE r.is_course AND m.power < 50 AND m.joined";
  await waitForCount(db, membersSql, studentCourseMemberships, 1_800_000, 60_000, "course members seen by the homework bot", say);
  const rows = (
    await db.query<{ room_id: string; user_id: string; power: number }>("SELECT m.room_id, m.user_id, m.power FROM course_members m JOIN course_rooms r USING (room_id) WHERE r.is_course AND m.joined")
  ).rows;
  const courseStudents = new Map<string, string[]>();
  const courseTeacher = new Map<string, string>();
  const bot = `@hausaufgaben:${stack.gen.school.homeserver.server_name}`;
  for (const r of rows) {
    if (isStudent.has(r.user_id)) courseStudents.set(r.room_id, [...(courseStudents.get(r.room_id) ?? []), r.user_id]);
    else if (r.power >= 50 && r.user_id !== bot && people.some((p) => p.userId === r.user_id)) courseTeacher.set(r.room_id, r.user_id);
  }
  const chosen = coveringCourses(courseStudents);
  // The morning's video lessons are in these courses too: each person in the first chosen course they belong to.
  const lessons = new Map<string, string[]>();
  const placed = new Set<string>();
  for (const room of chosen) {
    const members = [courseTeacher.get(room), ...(courseStudents.get(room) ?? [])].filter((u): u is string => u !== undefined && !placed.has(u));
    for (const u of members) placed.add(u);
    lessons.set(room, members);
  }
  const expectedRooms = chosen.reduce((n, c) => n + (courseStudents.get(c)?.length ?? 0), 0);

  say(`teachers post an assignment in ${chosen.length} courses; the bot makes ${expectedRooms} submission rooms …`);
  const hs = stack.synapse.url;
  const setupToken = async (userId: string): Promise<string> =>
    ((await matrixCall(hs, stack.adminToken, "POST", `/_synapse/admin/v1/users/${encodeURIComponent(userId)}/login`, {})) as { access_token: string }).access_token;
  const due = new Date(Date.now() + 3 * 86_400_000).toISOString();
  const t1 = performance.now();
  await pool(chosen, 4, async (room, i) => {
    const teacher = courseTeacher.get(room);
    if (teacher === undefined) throw new Error(`course ${room} has no teacher in the homework projection`);
    await matrixCall(hs, await setupToken(teacher), "PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/state/de.schulhof.homework.assignment/a-morning-${i}`, {
      title: `Wochenaufgabe ${i + 1}`,
      description: { body: "Bitte bis Freitag abgeben." },
      due,
      submission_kinds: ["text", "file"],
    });
  });
  await waitForCount(db, "SELECT count(*) AS n FROM submission_rooms", expectedRooms, 3_600_000, 120_000, "submission rooms", say);
  const submissionRoomsSeconds = (performance.now() - t1) / 1000;
  const assignmentOf = new Map(chosen.map((room, i) => [room, `a-morning-${i}`]));
  const submissions = new Map<string, SubmissionTarget>();
  for (const r of (await db.query<{ room_id: string; course_room: string; s: string }>("SELECT room_id, course_room, students ->> 0 AS s FROM submission_rooms")).rows) {
    const assignmentId = assignmentOf.get(r.course_room);
    if (assignmentId !== undefined && !submissions.has(r.s)) submissions.set(r.s, { roomId: r.room_id, assignmentId });
  }
  say(`students accept their submission-room invites (${submissions.size}) …`);
  await pool([...submissions], 6, async ([student, target]) => {
    await matrixCall(hs, await setupToken(student), "POST", `/_matrix/client/v3/join/${encodeURIComponent(target.roomId)}`, {});
  });
  return {
    size,
    people,
    submissions,
    importSeconds,
    submissionRoomsSeconds,
    rooms: report.apply?.roomsCreated ?? 0,
    memberships: report.apply?.joins ?? 0,
    lessons,
  };
}
