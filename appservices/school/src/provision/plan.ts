// The school's rooms as they should be: a pure function from the people to spaces, rooms, members and power levels.
import { cohortOf, courseCohort, normalizeClassName, type Role } from "../roster/index.ts";
import { localpartPart } from "../roster/usernames.ts";

/** The kinds of room the school appservice provisions (other appservices mark their own rooms with other kinds). */
export const ROOM_KINDS = ["school", "yeargroup", "class", "classchat", "course", "teachers", "exams"] as const;
export type RoomKind = (typeof ROOM_KINDS)[number];

/** A person as planning needs them. */
export interface PlanPerson {
  userId: string;
  role: Role;
  className: string | null;
  courses: string[];
}

/** One room or space as it should be. `members` maps user id → power level (0, 50 or 100). */
export interface RoomSpec {
  key: string;
  kind: RoomKind;
  name: string;
  topic: string;
  aliasLocalpart: string;
  parentKey: string | null;
  isSpace: boolean;
  /** `restricted` lets members of the room `viaKey` join without an invite. */
  join: { rule: "invite" } | { rule: "restricted"; viaKey: string };
  /** Power level needed to post messages: 0 in chats, 50 where only teachers write. */
  eventsDefault: number;
  members: Map<string, number>;
  /** Extra state for `createRoom` (`de.schulhof.course`, …). */
  state: { type: string; state_key: string; content: Record<string, unknown> }[];
  /** Parents before children: a room is provisioned after its parent. */
  depth: number;
  /** Power levels of single event types that differ from the defaults (`powerLevelsFor`). */
  eventLevels?: Record<string, number>;
  /**
   * `world_readable`: every account of the server reads the room's state and history without being a member (the
   * school space, so that students see the school calendar and the rooms' hierarchy without joining it). Default `shared`.
   */
  historyVisibility?: "shared" | "world_readable";
}

/** Bots of the feature appservices and where they act. */
export interface PlanBots {
  /** Invited to every course room at power 50 (homework). */
  courseBots?: readonly string[];
  /** Invited to every calendar room (school space at 100, others at 50). */
  calendarBot?: string | null;
  /** Invited to exam-planning rooms at 100 (it alone writes `de.schulhof.exam`), course rooms and cohort spaces at 50. */
  examBot?: string | null;
}

/** Calendar colours, picked by a stable hash of the room key. */
const CALENDAR_COLOURS = ["#1f6feb", "#2da44e", "#bf3989", "#d4a72c", "#8250df", "#cf222e", "#0a7d8c", "#bc4c00"];

/** The `de.schulhof.calendar` marker of a room that is also a calendar. */
export function calendarMarker(key: string, name: string, scope: "school" | "class" | "course" | "teachers"): RoomSpec["state"][number] {
  let h = 0;
  for (const ch of key) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return { type: "de.schulhof.calendar", state_key: "", content: { name, colour: CALENDAR_COLOURS[h % CALENDAR_COLOURS.length], scope } };
}

export const POWER = { student: 0, teacher: 50, admin: 100 } as const;

/** A readable slug for aliases: `Mathematik 5a` → `mathematik-5a`. */
export function slug(name: string): string {
  return localpartPart(name).replace(/\./g, "-") || "x";
}

/** What the school space says about the school (`de.schulhof.school`). */
export interface SchoolInfo {
  name: string;
  state: string;
  timezone: string;
  mailDomain: string;
}

/**
 * Plans every room of the school from its active people. Sek I classes get a class space with a
 * chat and an exam-planning room; Sek II year groups are the cohort (one space, one Klausurplan)
 * and their classes get a chat under it. Courses hang under their cohort's space. School admins
 * are at power 100 in every room, teachers at 50 in the rooms they teach in, students at 0.
 *
 * Memberships only where a person needs them (docs/provisioning.md, "Who is a member of what"): the school space
 * and the Lehrerzimmer are the staff's; students read the world-readable school space without joining it. A Sek I
 * year group's space holds its teachers and only those students who take one of its year-group courses. Each
 * membership a student does not have is homeserver work saved at every import and every login (a new device is
 * announced to everyone who shares a room with its owner).
 */
export function planSchool(people: readonly PlanPerson[], school: SchoolInfo, opts: PlanBots = {}): RoomSpec[] {
  const rooms = new Map<string, RoomSpec>();
  const admins = people.filter((p) => p.role === "admin").map((p) => p.userId);
  const add = (spec: Omit<RoomSpec, "members" | "state"> & { state?: RoomSpec["state"] }): RoomSpec => {
    let r = rooms.get(spec.key);
    if (r === undefined) {
      r = { ...spec, members: new Map(), state: spec.state ?? [] };
      rooms.set(spec.key, r);
    }
    return r;
  };
  const join = (key: string, userId: string, power: number): void => {
    const r = rooms.get(key);
    if (r === undefined) return;
    r.members.set(userId, Math.max(power, r.members.get(userId) ?? 0));
  };

  add({
    key: "school",
    kind: "school",
    name: school.name,
    topic: "Schulhof: alle Klassen, Kurse und Gruppen der Schule",
    aliasLocalpart: "schule-space",
    parentKey: null,
    isSpace: true,
    join: { rule: "invite" },
    eventsDefault: 50,
    depth: 0,
    // The school calendar: everyone reads (without being a member), only admins (and the calendar bot) write.
    eventLevels: { "de.schulhof.calendar.event": 100 },
    historyVisibility: "world_readable",
    state: [
      {
        type: "de.schulhof.school",
        state_key: "",
        content: { name: school.name, state: school.state, timezone: school.timezone, mail_domain: school.mailDomain },
      },
      calendarMarker("school", `Schulkalender ${school.name}`, "school"),
    ],
  });
  add({
    key: "teachers",
    kind: "teachers",
    name: "Lehrerzimmer",
    topic: "Austausch im Kollegium",
    aliasLocalpart: "schule-lehrerzimmer",
    parentKey: "school",
    isSpace: false,
    join: { rule: "invite" },
    eventsDefault: 0,
    depth: 1,
    // The teachers' calendar: every teacher writes.
    eventLevels: { "de.schulhof.calendar.event": 0 },
    state: [calendarMarker("teachers", "Kalender Kollegium", "teachers")],
  });

  /** The space and exam room of a class's cohort; created on first use. */
  const cohortRooms = (className: string): { classSpace: string; examRoom: string; yearSpace: string; chat: string } => {
    const c = cohortOf(className);
    const sek1 = c.stage === "sek1";
    const yearKey = `yeargroup:${c.yearGroup}`;
    add({
      key: yearKey,
      kind: "yeargroup",
      name: c.yearGroup,
      topic: `Jahrgangsstufe ${c.yearGroup}`,
      aliasLocalpart: `schule-jg-${slug(c.yearGroup)}`,
      parentKey: "school",
      isSpace: true,
      // Students are not in the school space, so the year group cannot be restricted to it.
      join: { rule: "invite" },
      eventsDefault: 50,
      depth: 1,
      // In Sek II the year group is the class: its space carries the calendar.
      state: sek1 ? [] : [calendarMarker(yearKey, `Kalender ${c.yearGroup}`, "class")],
    });
    const classKey = sek1 ? `class:${className}` : yearKey;
    if (sek1) {
      add({
        key: classKey,
        kind: "class",
        name: `Klasse ${className}`,
        topic: `Klasse ${className}: Chat, Kurse und Klausurplan`,
        aliasLocalpart: `schule-klasse-${slug(className)}`,
        parentKey: yearKey,
        isSpace: true,
        join: { rule: "invite" },
        eventsDefault: 50,
        depth: 2,
        state: [calendarMarker(classKey, `Kalender ${className}`, "class")],
      });
    }
    const depth = sek1 ? 3 : 2;
    const chatKey = `classchat:${className}`;
    add({
      key: chatKey,
      kind: "classchat",
      name: sek1 ? `${className} Klassenchat` : `${className} Stufenchat`,
      topic: `Chat der ${sek1 ? "Klasse" : "Stufe"} ${className}`,
      aliasLocalpart: `schule-chat-${slug(className)}`,
      parentKey: classKey,
      isSpace: false,
      join: { rule: "restricted", viaKey: classKey },
      eventsDefault: 0,
      depth,
    });
    const cohortName = c.examCohort.name;
    const examKey = `exams:${cohortName}`;
    add({
      key: examKey,
      kind: "exams",
      name: `Klausurplan ${cohortName}`,
      topic: `Klassenarbeiten und Klausuren ${cohortName}`,
      aliasLocalpart: `schule-klausuren-${slug(cohortName)}`,
      parentKey: classKey,
      isSpace: false,
      join: { rule: "restricted", viaKey: classKey },
      eventsDefault: 50,
      depth,
      state: [{ type: "de.schulhof.exam.cohort", state_key: "", content: { kind: c.examCohort.kind, name: cohortName, stage: c.stage, grade: c.grade } }],
    });
    return { classSpace: classKey, examRoom: examKey, yearSpace: yearKey, chat: chatKey };
  };

  const active = [...people].sort((a, b) => a.userId.localeCompare(b.userId));
  for (const p of active) if (p.role !== "student") join("school", p.userId, p.role === "admin" ? POWER.admin : 0);
  for (const p of active) {
    if (p.role !== "student" && p.role !== "teacher") continue;
    if (p.className === null) continue;
    const r = cohortRooms(p.className);
    const power = p.role === "teacher" ? POWER.teacher : POWER.student;
    if (r.yearSpace !== r.classSpace && p.role === "teacher") join(r.yearSpace, p.userId, POWER.teacher);
    join(r.classSpace, p.userId, power);
    join(r.chat, p.userId, power);
    join(r.examRoom, p.userId, power);
  }
  for (const p of active) if (p.role === "teacher" || p.role === "admin") join("teachers", p.userId, p.role === "admin" ? POWER.admin : 0);

  // Courses: the cohort follows the students' classes.
  const courseStudents = new Map<string, PlanPerson[]>();
  const courseTeachers = new Map<string, PlanPerson[]>();
  for (const p of active) {
    for (const course of p.courses) {
      const m = p.role === "student" ? courseStudents : courseTeachers;
      m.set(course, [...(m.get(course) ?? []), p]);
    }
  }
  const courses = [...new Set([...courseStudents.keys(), ...courseTeachers.keys()])].sort((a, b) => a.localeCompare(b, "de"));
  for (const course of courses) {
    const students = courseStudents.get(course) ?? [];
    const teachers = courseTeachers.get(course) ?? [];
    const cohort = courseCohort(course, students.map((s) => s.className).filter((c): c is string => c !== null));
    let parentKey = "school";
    let depth = 1;
    let examRoom: string | null = null;
    const cohortClass = cohort?.kind === "class" ? cohort.name : null;
    // Rooms of a cohort are made for its students; a course without students (only its teacher so
    // far) uses the cohort's rooms only if they exist already, so a name like `Religion 7` makes no `Klasse 7`.
    const usable = (key: string): boolean => students.length > 0 || rooms.has(key);
    if (cohort !== null && cohort.kind === "class" && usable(`class:${cohort.name}`)) {
      const r = cohortRooms(cohort.name);
      parentKey = r.classSpace;
      depth = r.classSpace === r.yearSpace ? 2 : 3;
    } else if (cohort !== null && cohort.kind === "yeargroup") {
      const yearKey = `yeargroup:${cohort.name}`;
      if (!rooms.has(yearKey) && students.length > 0 && normalizeClassName(cohort.name) !== null) cohortRooms(cohort.name);
      if (rooms.has(yearKey)) {
        parentKey = yearKey;
        depth = 2;
      }
    }
    if (cohort !== null && rooms.has(`exams:${cohort.name}`)) examRoom = `exams:${cohort.name}`;
    const key = `course:${course}`;
    // A course for a whole Sek I class needs no invites: members of the class space may join.
    const classStudents = cohortClass === null ? [] : active.filter((p) => p.role === "student" && p.className === cohortClass);
    const wholeClass =
      parentKey.startsWith("class:") && classStudents.length > 0 && classStudents.length === students.length && classStudents.every((s) => students.includes(s));
    add({
      key,
      kind: "course",
      name: course,
      topic: `Kurs ${course}`,
      aliasLocalpart: `schule-kurs-${slug(course)}`,
      parentKey,
      isSpace: false,
      join: wholeClass ? { rule: "restricted", viaKey: parentKey } : { rule: "invite" },
      eventsDefault: 0,
      depth,
      state: [
        {
          type: "de.schulhof.course",
          state_key: "",
          content: {
            name: course,
            subject: course.replace(/\s+\S+$/, "") || course,
            cohort: cohort === null ? null : { kind: cohort.kind, name: cohort.name },
            teachers: teachers.map((t) => t.userId),
          },
        },
        calendarMarker(key, course, "course"),
      ],
    });
    for (const s of students) {
      join(key, s.userId, 0);
      // A Sek I student sees a year-group course (Religion 7) under its year group's space.
      if (parentKey.startsWith("yeargroup:")) join(parentKey, s.userId, 0);
    }
    // Feature bots (homework, …) act in every course room: they announce and write feature state.
    for (const bot of opts.courseBots ?? []) join(key, bot, POWER.teacher);
    for (const t of teachers) {
      join(key, t.userId, POWER.teacher);
      // Teachers see the cohort's space and plan its exams.
      if (parentKey !== "school") join(parentKey, t.userId, POWER.teacher);
      const parent = rooms.get(parentKey);
      if (parent?.parentKey !== undefined && parent.parentKey !== null && parent.parentKey !== "school") {
        join(parent.parentKey, t.userId, POWER.teacher);
      }
      if (examRoom !== null) join(examRoom, t.userId, POWER.teacher);
    }
  }
  // The calendar and exam bots act in the rooms that are calendars or exam plans.
  for (const r of rooms.values()) {
    const isCalendar = r.state.some((s) => s.type === "de.schulhof.calendar");
    if (isCalendar && opts.calendarBot) join(r.key, opts.calendarBot, r.kind === "school" ? POWER.admin : POWER.teacher);
    if (opts.examBot && r.kind === "exams") join(r.key, opts.examBot, POWER.admin);
    else if (opts.examBot && isCalendar && r.kind !== "school" && r.kind !== "teachers") join(r.key, opts.examBot, POWER.teacher);
  }
  for (const r of rooms.values()) for (const a of admins) if (r.members.has(a)) r.members.set(a, POWER.admin);
  return [...rooms.values()].sort((a, b) => a.depth - b.depth || a.key.localeCompare(b.key));
}

/** The power-level `users` map a room should have: members above 0, and school admins at 100 everywhere. */
export function powerUsersFor(room: RoomSpec, admins: readonly string[]): Record<string, number> {
  const users: Record<string, number> = {};
  for (const [u, p] of room.members) if (p > 0) users[u] = p;
  for (const a of admins) users[a] = POWER.admin;
  return Object.fromEntries(Object.entries(users).sort(([a], [b]) => a.localeCompare(b)));
}
