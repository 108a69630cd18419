// `@hausaufgaben`'s commands for plain Matrix clients: German names with English aliases.
import { randomBytes } from "node:crypto";
import type { MatrixEvent } from "@schulhof/core";
import { ASSIGNMENT, EXTENSION, FEEDBACK, SUBMISSION, type Assignment } from "../domain/schema.ts";
import { formatAtSchool, localToRfc3339, toMillis } from "../domain/deadlines.ts";
import { HomeworkError } from "../domain/errors.ts";
import { gradeText, gradingFromWord, readGradeCommand } from "../domain/grades.ts";
import { STATUS_TEXT, todoStatus } from "../domain/status.ts";
import { assignmentsOf, type AssignmentRow } from "../store/assignments.ts";
import { courseName, roleIn, studentsOf } from "../store/courses.ts";
import {
  latestSubmissions,
  requestSubmissionRoom,
  startedKeys,
  submissionRoom,
  submissionRoomOf,
  submittedKeys,
} from "../store/submissions.ts";
import { notice, type HomeworkEnv } from "../handlers.ts";
import { startAssignment } from "../students/started.ts";
import { T, type Lang } from "./texts.ts";
import type { HandlerContext } from "@schulhof/core";

type Command = "help" | "list" | "create" | "submit" | "started" | "overview" | "extend" | "grade";
const NAMES: Record<string, { cmd: Command; lang: Lang }> = {
  hilfe: { cmd: "help", lang: "de" },
  help: { cmd: "help", lang: "en" },
  aufgaben: { cmd: "list", lang: "de" },
  homework: { cmd: "list", lang: "en" },
  aufgabe: { cmd: "create", lang: "de" },
  assignment: { cmd: "create", lang: "en" },
  abgeben: { cmd: "submit", lang: "de" },
  submit: { cmd: "submit", lang: "en" },
  begonnen: { cmd: "started", lang: "de" },
  started: { cmd: "started", lang: "en" },
  abgaben: { cmd: "overview", lang: "de" },
  submissions: { cmd: "overview", lang: "en" },
  verlängern: { cmd: "extend", lang: "de" },
  verlaengern: { cmd: "extend", lang: "de" },
  extend: { cmd: "extend", lang: "en" },
  note: { cmd: "grade", lang: "de" },
  grade: { cmd: "grade", lang: "en" },
};

/** Reads what the bot may read of a room (the student's latest messages for `!abgeben`). */
export interface RoomReader {
  /** The room's message events, newest first, at most `limit`. */
  recentEvents(roomId: string, limit: number): Promise<MatrixEvent[]>;
}

/** True when `body` is one of this bot's commands. */
export function isHomeworkCommand(body: string): boolean {
  const m = /^!(\S+)/.exec(body.trim());
  return m !== null && NAMES[(m[1] ?? "").toLowerCase()] !== undefined;
}

/** A fresh assignment id: short, unguessable, stable as state key. */
export function newAssignmentId(): string {
  return `a${randomBytes(6).toString("hex")}`;
}

/** Runs a command; replies go through the outbox. Returns false for messages that are not ours. */
export async function handleCommand(event: MatrixEvent, ctx: HandlerContext, env: HomeworkEnv, reader: RoomReader): Promise<boolean> {
  const body = typeof event.content.body === "string" ? event.content.body.trim() : "";
  const m = /^!(\S+)\s*([\s\S]*)$/.exec(body);
  const known = m === null ? undefined : NAMES[(m[1] ?? "").toLowerCase()];
  if (m === null || known === undefined) return false;
  const args = (m[2] ?? "").trim();
  const lang = known.lang;
  const t = T[lang];
  const reply = (text: string): Promise<void> => notice(ctx, event.room_id, text, event.event_id);
  const done = async (text: string): Promise<true> => {
    await reply(text);
    return true;
  };
  const subRoom = await submissionRoom(ctx.tx, event.room_id);
  const courseRoom = subRoom?.courseRoom ?? event.room_id;
  const course = await courseName(ctx.tx, courseRoom);
  if (known.cmd === "help") {
    // The school bot answers !hilfe in school rooms; here only in submission rooms, where it is absent.
    if (subRoom !== null) await reply(t.help.join("\n"));
    return true;
  }
  if (course === null) {
    await reply(t.notHere);
    return true;
  }
  const role = await roleIn(ctx.tx, courseRoom, event.sender);
  const isTeacher = role === "teacher";
  const all = await assignmentsOf(ctx.tx, courseRoom);
  const open = all.filter((a) => a.content.status === "published");
  const pick = (arg: string): AssignmentRow | null | "ask" => {
    const n = Number(arg.split(/\s+/)[0]);
    if (arg !== "" && Number.isInteger(n) && n >= 1 && n <= open.length) return open[n - 1] ?? null;
    const byId = all.find((a) => a.id === arg.split(/\s+/)[0]);
    if (byId !== undefined) return byId;
    if (arg === "" && open.length === 1) return open[0] ?? null;
    return open.length === 0 ? null : "ask";
  };
  const listText = (): string => open.map((a, i) => `${i + 1}. ${a.content.title}`).join(", ");
  const tz = (a: Assignment): string => formatAtSchool(a.due, a.timezone, lang);

  try {
    switch (known.cmd) {
      case "list": {
        if (open.length === 0) return done(t.noAssignments);
        const submitted = await submittedKeys(ctx.tx, event.sender);
        const started = await startedKeys(ctx.tx, event.sender);
        const lines = open.map((a, i) => {
          const key = `${courseRoom}\0${a.id}`;
          const st = isTeacher
            ? ""
            : STATUS_TEXT[lang][
                todoStatus({ now: Date.now(), due: a.content.due, cutoff: a.content.cutoff, closed: false, submitted: submitted.has(key), started: started.has(key) })
              ];
          return t.statusLine(i + 1, a.content.title, tz(a.content), st).replace(/: $/, "");
        });
        await reply(lines.join("\n"));
        return true;
      }
      case "create": {
        if (!isTeacher) return done(t.onlyTeachers);
        const [title = "", dueText = "", ...rest] = args.split("|").map((s) => s.trim());
        if (title === "" || dueText === "")
          throw new HomeworkError("SCHULHOF_HOMEWORK_ARGS", "missing title or due", { de: "Titel | fällig am | Beschreibung [| Note/Punkte/ohne]", en: "title | due | description [| grade/points/none]" });
        // An optional last part names the grading (`| Note`, `| Punkte`, `| ohne`); without it the assignment is not graded.
        const gradingWord = rest.length >= 1 ? gradingFromWord(rest[rest.length - 1] ?? "") : null;
        const grading = gradingWord ?? "none";
        if (gradingWord !== null) rest.pop();
        const due = localToRfc3339(dueText, env.timezone);
        const content = {
          title,
          description: { body: rest.join(" | ") },
          due,
          cutoff: null,
          timezone: env.timezone,
          attachments: [],
          submission_kinds: ["text", "file"],
          grading,
          status: "published",
          teams: null,
          reminder_hours: 24,
          version: 1,
          created_by: event.sender,
        };
        await ctx.enqueue({ kind: "state", roomId: courseRoom, eventType: ASSIGNMENT, stateKey: newAssignmentId(), content });
        return true;
      }
      case "submit": {
        if (role !== "student" && subRoom === null) return done(t.onlyTeachers);
        if (subRoom === null) {
          const own = await submissionRoomOf(ctx.tx, courseRoom, event.sender);
          if (own === null) await requestSubmissionRoom(ctx.tx, courseRoom, event.sender);
          await reply(t.onlyInSubmissionRoom);
          return true;
        }
        const a = pick(args);
        if (a === "ask") return done(t.whichAssignment(listText()));
        if (a === null) return done(t.noAssignments);
        // The student's messages since their previous command (newest first until then).
        const recent = await reader.recentEvents(event.room_id, 50);
        const mine: MatrixEvent[] = [];
        for (const ev of recent) {
          if (ev.event_id === event.event_id) continue;
          if (ev.sender !== event.sender) continue;
          const b = typeof ev.content.body === "string" ? ev.content.body : "";
          if (ev.type !== "m.room.message" || b.trim().startsWith("!")) break;
          mine.unshift(ev);
        }
        const text = mine.filter((e) => e.content.msgtype === "m.text").map((e) => String(e.content.body)).join("\n\n");
        const files = mine
          .filter((e) => ["m.file", "m.image", "m.video", "m.audio"].includes(String(e.content.msgtype)) && typeof e.content.url === "string")
          .map((e) => ({
            url: String(e.content.url),
            name: String(e.content.filename ?? e.content.body ?? "datei"),
            size: Number((e.content.info as { size?: number } | undefined)?.size ?? 0),
            mimetype: String((e.content.info as { mimetype?: string } | undefined)?.mimetype ?? "application/octet-stream"),
          }));
        if (text === "" && files.length === 0) return done(t.nothingToSubmit);
        await ctx.enqueue({
          kind: "message",
          roomId: event.room_id,
          eventType: SUBMISSION,
          content: {
            assignment_id: a.id,
            text,
            files,
            student: event.sender,
            submitted_at: event.origin_server_ts,
            body: `Abgabe / submission: ${a.content.title}${text === "" ? "" : `\n\n${text}`}`,
          },
        });
        return true;
      }
      case "started": {
        const a = pick(args);
        if (a === "ask") return done(t.whichAssignment(listText()));
        if (a === null) return done(t.noAssignments);
        const started = await startAssignment(ctx.tx, courseRoom, a.id, event.sender);
        await reply(t.started(started.content.title));
        return true;
      }
      case "overview": {
        if (!isTeacher) return done(t.onlyTeachers);
        const a = pick(args);
        if (a === "ask") return done(t.whichAssignment(listText()));
        if (a === null) return done(t.noAssignments);
        const subs = await latestSubmissions(ctx.tx, courseRoom, a.id);
        const missing = (await studentsOf(ctx.tx, courseRoom, env.botUserId)).filter((s) => !subs.has(s));
        const late = [...subs.values()].filter((s) => s.late).length;
        await reply(t.overview(a.content.title, subs.size, late, missing));
        return true;
      }
      case "extend": {
        if (!isTeacher) return done(t.onlyTeachers);
        const [nr = "", who = "", ...date] = args.split(/\s+/);
        const a = pick(nr);
        if (a === null || a === "ask") return done(t.whichAssignment(listText()));
        const room = await submissionRoomOf(ctx.tx, courseRoom, who);
        if (room === null) throw new HomeworkError("SCHULHOF_HOMEWORK_ARGS", "no such student", { de: `${who} hat hier keinen Abgaberaum.`, en: `${who} has no submission room here.` });
        const due = localToRfc3339(date.join(" "), env.timezone);
        const cutoff = a.content.cutoff === null ? null : new Date(Math.max(toMillis(a.content.cutoff), toMillis(due))).toISOString();
        await ctx.enqueue({ kind: "state", roomId: room, eventType: EXTENSION, stateKey: a.id, content: { due, cutoff } });
        await reply(t.extended(who, a.content.title, formatAtSchool(due, env.timezone, lang)));
        return true;
      }
      case "grade": {
        if (!isTeacher || subRoom === null) return done(t.onlyTeachers);
        const [nr = "", ...words] = args.split(/\s+/);
        const a = pick(nr);
        if (a === null || a === "ask") return done(t.whichAssignment(listText()));
        // A mark that does not fit the assignment's grading is refused with the reason, never dropped.
        const g = readGradeCommand(words, a.content.grading);
        if (!g.ok) return done(t.markRefused(a.content.title, g.why, g.input));
        const student = subRoom.students[0] ?? "";
        const mark = { grade: g.grade, points: g.points };
        // The bot's handling of this event (onFeedback) tells the room, student and teachers, what the feedback says.
        await ctx.enqueue({
          kind: "message",
          roomId: event.room_id,
          eventType: FEEDBACK,
          content: { assignment_id: a.id, student, ...mark, comment: g.comment, body: t.feedback(a.content.title, gradeText(mark, lang), g.comment), given_by: event.sender },
        });
        return true;
      }
    }
  } catch (e) {
    if (e instanceof HomeworkError) {
      // Bad arguments are "not understood"; a refusal (not allowed, closed) speaks for itself.
      await reply(e.httpStatus === 400 ? t.invalid(e.user[lang]) : e.user[lang]);
      return true;
    }
    throw e;
  }
  return true;
}
