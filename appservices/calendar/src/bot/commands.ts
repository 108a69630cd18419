// Commands of `@kalender` and `@klausuren` for any Matrix client: German names with English aliases.
import { randomBytes } from "node:crypto";
import { DateTime } from "luxon";
import type { HandlerContext, MatrixEvent, Queryable } from "@schulhof/core";
import { noticeContent } from "@schulhof/core";
import { EXAM_KINDS, type ExamKind } from "../exams/index.ts";
import { describeOccurrence, occurrencesBetween, validateEvent, type Category, type EventContent } from "../model/index.ts";
import { CAL_EVENT, isGuestRoom, isOurBot, type CalendarEnv } from "../domain.ts";
import { eventsIn, PENDING_NEW, saveEvent } from "../store/events.ts";
import { examsOfCohort } from "../store/exams.ts";
import { calendarsOf, getRoom, levelFor, membersOf, powerIn, type RoomRow } from "../store/rooms.ts";
import { cohortRoomByName } from "../planning/context.ts";
import { approveExam, cancelExam, kindLabel, moveExam, requestExam, type ExamDecision } from "../planning/service.ts";
import { personalRoomOf, requestPersonalRoom } from "../personal.ts";
import { T } from "./texts.ts";

type Cmd = "today" | "week" | "upcoming" | "event" | "feed" | "exam" | "exams";

const NAMES: Record<string, { cmd: Cmd; lang: "de" | "en" }> = {
  heute: { cmd: "today", lang: "de" },
  today: { cmd: "today", lang: "en" },
  woche: { cmd: "week", lang: "de" },
  week: { cmd: "week", lang: "en" },
  termine: { cmd: "upcoming", lang: "de" },
  events: { cmd: "upcoming", lang: "en" },
  termin: { cmd: "event", lang: "de" },
  event: { cmd: "event", lang: "en" },
  abo: { cmd: "feed", lang: "de" },
  "kalender-link": { cmd: "feed", lang: "de" },
  feed: { cmd: "feed", lang: "en" },
  klausur: { cmd: "exam", lang: "de" },
  exam: { cmd: "exam", lang: "en" },
  klausuren: { cmd: "exams", lang: "de" },
  exams: { cmd: "exams", lang: "en" },
};

function parse(body: string): { cmd: Cmd; lang: "de" | "en"; args: string[] } | null {
  const m = /^!(\S+)\s*([\s\S]*)$/.exec(body.trim());
  if (m === null) return null;
  const known = NAMES[(m[1] ?? "").toLowerCase()];
  if (known === undefined) return null;
  return { ...known, args: (m[2] ?? "").split(/\s+/).filter((s) => s !== "") };
}

/** Whether a message is a command of this appservice (intake keeps only these messages). */
export function isCalendarCommand(body: string): boolean {
  return parse(body) !== null;
}

/** `03.12.2026`, `3.12.`, `2026-12-03`, `heute`, `morgen` → ISO date in the school's zone, or null. */
export function parseDay(s: string, zone: string, now: DateTime = DateTime.now()): string | null {
  const today = now.setZone(zone).startOf("day");
  const w = s.toLowerCase();
  if (w === "heute" || w === "today") return today.toISODate();
  if (w === "morgen" || w === "tomorrow") return today.plus({ days: 1 }).toISODate();
  let d: DateTime | null = null;
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  const de = /^(\d{1,2})\.(\d{1,2})\.(\d{4})?$/.exec(s);
  if (iso !== null) d = DateTime.fromObject({ year: Number(iso[1]), month: Number(iso[2]), day: Number(iso[3]) }, { zone });
  else if (de !== null) {
    const year = de[3] === undefined ? today.year : Number(de[3]);
    d = DateTime.fromObject({ year, month: Number(de[2]), day: Number(de[1]) }, { zone });
    // `3.1.` in December means next January.
    if (de[3] === undefined && d.isValid && d < today.minus({ days: 30 })) d = d.plus({ years: 1 });
  }
  return d !== null && d.isValid ? d.toISODate() : null;
}

/** `3`, `3-4`, `3,4,5` → sorted lesson periods, or null. */
export function parsePeriods(s: string): number[] | null {
  const range = /^(\d{1,2})-(\d{1,2})$/.exec(s);
  let out: number[];
  if (range !== null) {
    const a = Number(range[1]);
    const b = Number(range[2]);
    if (b < a || b - a > 10) return null;
    out = Array.from({ length: b - a + 1 }, (_, i) => a + i);
  } else if (/^\d{1,2}(,\d{1,2})*$/.test(s)) out = s.split(",").map(Number);
  else return null;
  return out.every((n) => n >= 1 && n <= 16) ? [...new Set(out)].sort((x, y) => x - y) : null;
}

const TAGS: Record<string, Category> = {
  ausflug: "trip",
  klassenfahrt: "trip",
  trip: "trip",
  ferien: "holiday",
  feiertag: "holiday",
  holiday: "holiday",
  konferenz: "meeting",
  elternabend: "meeting",
  meeting: "meeting",
  prüfung: "exam",
  exam: "exam",
  unterricht: "lesson",
  lesson: "lesson",
};

/** Builds an event from `!termin` arguments: date, optional `HH:MM[-HH:MM]`, `#tags`, title. */
export function eventFromArgs(args: string[], zone: string): { content: EventContent } | { error: "usage" | "date"; arg?: string } {
  const [dateArg, ...rest] = args;
  if (dateArg === undefined) return { error: "usage" };
  const day = parseDay(dateArg, zone);
  if (day === null) return { error: "date", arg: dateArg };
  let words = rest;
  let start: string | null = null;
  let end: string | null = null;
  const time = /^(\d{1,2}):(\d{2})(?:-(\d{1,2}):(\d{2}))?$/.exec(words[0] ?? "");
  if (time !== null) {
    const hh = (h: string | undefined, m: string | undefined): string => `${String(h).padStart(2, "0")}:${m}`;
    start = hh(time[1], time[2]);
    end = time[3] === undefined ? null : hh(time[3], time[4]);
    words = words.slice(1);
  }
  let category: Category = "other";
  const title: string[] = [];
  for (const w of words) {
    const tag = w.startsWith("#") ? TAGS[w.slice(1).toLowerCase()] : undefined;
    if (tag !== undefined) category = tag;
    else title.push(w);
  }
  if (title.length === 0) return { error: "usage" };
  const next = DateTime.fromISO(day).plus({ days: 1 }).toISODate()!;
  const startLocal = start === null ? day : `${day}T${start}`;
  const endLocal =
    start === null ? next : end !== null ? `${day}T${end}` : DateTime.fromISO(`${day}T${start}`).plus({ hours: 1 }).toFormat("yyyy-MM-dd'T'HH:mm");
  return { content: { summary: title.join(" "), start: startLocal, end: endLocal, all_day: start === null, tzid: zone, category } as EventContent };
}

/** Whether only the asker (and our bots) are in the room: answers may contain their private events. */
async function isPrivate(q: Queryable, room: RoomRow | null, roomId: string, user: string, env: CalendarEnv): Promise<boolean> {
  if (room?.calendar?.scope === "personal") return (await personalRoomOf(q, user)) === roomId;
  const members = await membersOf(q, roomId);
  return members.every((m) => m === user || isOurBot(env, m));
}

/** Handles one command message. Replies go through the outbox. */
export async function handleCommand(event: MatrixEvent, ctx: Pick<HandlerContext, "tx" | "enqueue">, env: CalendarEnv): Promise<void> {
  const body = typeof event.content.body === "string" ? event.content.body : "";
  const parsed = parse(body);
  if (parsed === null || isOurBot(env, event.sender)) return;
  const { cmd, lang, args } = parsed;
  const t = T[lang];
  const tx = ctx.tx;
  const examCmd = cmd === "exam" || cmd === "exams";
  const reply = async (text: string): Promise<void> =>
    ctx.enqueue({ kind: "message", roomId: event.room_id, eventType: "m.room.message", content: noticeContent(text, { replyTo: event.event_id }), ...(examCmd ? { asUser: env.examBotUserId } : {}) });
  const room = await getRoom(tx, event.room_id);
  // In a shared course hosted by another school, that school's bots answer.
  if (isGuestRoom(room, env)) return;
  const zone = env.timezone;

  switch (cmd) {
    case "today":
    case "week":
    case "upcoming": {
      const now = DateTime.now().setZone(zone);
      const from = cmd === "week" ? now.startOf("week") : now.startOf("day");
      const to = cmd === "today" ? from.plus({ days: 1 }) : cmd === "week" ? from.plus({ weeks: 1 }) : from.plus({ days: 14 });
      const priv = await isPrivate(tx, room, event.room_id, event.sender, env);
      const rooms = priv ? (await calendarsOf(tx, event.sender)).map((r) => r.roomId) : room?.calendar ? [event.room_id] : [];
      const own = priv ? await personalRoomOf(tx, event.sender) : null;
      if (own !== null && !rooms.includes(own)) rooms.push(own);
      if (rooms.length === 0) return reply(t.notCalendar);
      const events = await eventsIn(tx, rooms, from.toISODate()!, to.toISODate()!);
      const seen = new Set<string>();
      const unique = events.filter((e) => (seen.has(e.uid) ? false : (seen.add(e.uid), true)));
      const occ = occurrencesBetween(unique.map((e) => ({ uid: e.uid, content: e.content })), from.toJSDate(), to.toJSDate());
      const what = cmd === "today" ? t.today : cmd === "week" ? t.week : "";
      if (occ.length === 0) return reply(t.noEvents(what).replace("  ", " "));
      return reply([t.eventsTitle(what).replace(" :", ":"), ...occ.slice(0, 50).map((o) => `• ${describeOccurrence(o, lang, zone)}`)].join("\n"));
    }
    case "event": {
      if (room?.calendar === null || room === null) return reply(t.notCalendar);
      if (powerIn(room, event.sender) < levelFor(room, CAL_EVENT)) return reply(t.notAllowed);
      const made = eventFromArgs(args, zone);
      if ("error" in made) return reply(made.error === "date" ? t.badDate(made.arg ?? "") : t.usageEvent);
      const checked = validateEvent({ ...made.content, created_by: event.sender });
      if (!checked.ok) return reply(T[lang].invalidEvent(checked.reasons.map((r) => r[lang])));
      const uid = `${DateTime.now().toFormat("yyyyLLdd")}-${randomBytes(6).toString("hex")}@${env.botUserId.split(":")[1] ?? "schulhof"}`;
      // Stored now (a list right after shows it); the echo of the state event announces it.
      await saveEvent(tx, { roomId: event.room_id, uid, content: checked.content, sender: event.sender, eventId: `${PENDING_NEW}${event.event_id}`, originTs: 0 });
      await ctx.enqueue({ kind: "state", roomId: event.room_id, eventType: CAL_EVENT, stateKey: uid, content: checked.content as unknown as Record<string, unknown> });
      return;
    }
    case "feed": {
      const priv = (await personalRoomOf(tx, event.sender)) === event.room_id;
      const sent = await requestPersonalRoom(tx, env, event.sender, { sendFeed: true, enqueue: ctx.enqueue, lang, inRoom: priv ? event.room_id : null });
      if (!sent) return reply(t.feedPrivate);
      return;
    }
    case "exams": {
      const cohort = await cohortOf(tx, room);
      if (cohort === null) return reply(t.notCalendar);
      const today = DateTime.now().setZone(zone).toISODate()!;
      const exams = (await examsOfCohort(tx, cohort.roomId)).filter((e) => e.content.status !== "cancelled" && e.content.date >= today);
      if (exams.length === 0) return reply(t.noExams);
      return reply(
        [t.examsTitle(cohort.examCohort?.name ?? ""), ...exams.map((e) => `• ${t.examLine(e.content, kindLabel(e.content.kind, lang))}${e.content.status === "requested" ? " ⏳" : ""}`)].join("\n"),
      );
    }
    case "exam":
      return examCommand(event, ctx, env, lang, args, room, reply);
  }
}

/** The cohort (exam-planning room) a room belongs to: itself, or the cohort of the course. */
async function cohortOf(q: Queryable, room: RoomRow | null): Promise<RoomRow | null> {
  if (room === null) return null;
  if (room.examCohort !== null) return room;
  const name = room.course?.cohort?.name;
  return name === undefined ? null : cohortRoomByName(q, name);
}

const SUB: Record<string, "cancel" | "move" | "approve"> = {
  absagen: "cancel",
  cancel: "cancel",
  verschieben: "move",
  move: "move",
  genehmigen: "approve",
  approve: "approve",
};

async function examCommand(
  event: MatrixEvent,
  ctx: Pick<HandlerContext, "tx" | "enqueue">,
  env: CalendarEnv,
  lang: "de" | "en",
  args: string[],
  room: RoomRow | null,
  reply: (text: string) => Promise<void>,
): Promise<void> {
  const t = T[lang];
  const enqueue = ctx.enqueue;
  const answer = async (d: ExamDecision): Promise<void> => {
    if (!d.ok) return reply(t.examRefused(d.violations.map((v) => v.reason[lang])));
    if (d.warnings.length > 0) await reply(t.warnings(d.warnings.map((w) => w.reason[lang])));
  };
  try {
    const sub = SUB[(args[0] ?? "").toLowerCase()];
    if (sub !== undefined) {
      const id = args[1] ?? "";
      if (sub === "cancel") {
        await cancelExam(ctx.tx, env, event.sender, id, args.slice(2).join(" "), enqueue);
        return;
      }
      if (sub === "approve") return answer(await approveExam(ctx.tx, env, event.sender, id, enqueue));
      const date = parseDay(args[2] ?? "", env.timezone);
      const periods = parsePeriods(args[3] ?? "");
      if (date === null || periods === null) return reply(t.usageExam);
      return answer(await moveExam(ctx.tx, env, event.sender, id, { date, periods }, enqueue));
    }
    if (room?.course === null || room === null) return reply(t.usageExam);
    const date = parseDay(args[0] ?? "", env.timezone);
    const periods = parsePeriods(args[1] ?? "");
    const kind = (args[2] ?? "klassenarbeit").toLowerCase() as ExamKind;
    if (date === null || periods === null || !(EXAM_KINDS as readonly string[]).includes(kind)) return reply(t.usageExam);
    const title = args.slice(3).join(" ");
    return answer(await requestExam(ctx.tx, env, event.sender, { courseRoom: room.roomId, kind, date, periods, title: title === "" ? undefined : title }, enqueue, { dryRun: false }));
  } catch (e) {
    const user = (e as { user?: { de: string; en: string } }).user;
    if (user !== undefined) return reply(user[lang]);
    throw e;
  }
}
