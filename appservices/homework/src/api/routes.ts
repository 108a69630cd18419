// The homework HTTP API for the web client: OpenID-authenticated, and it never shows a student anything of another.
import express, { type Express, type Request, type Response } from "express";
import { langOf, openIdRoutes, OpenIdVerifier, requireUser, sendError, userOf, SchulhofError, type AppserviceContext } from "@schulhof/core";
import { todoStatus } from "../domain/status.ts";
import { teacherRoutes } from "./teacher.ts";
import { assignmentsOf, getAssignment } from "../store/assignments.ts";
import { coursesOf, roleIn, studentsOf } from "../store/courses.ts";
import { startAssignment, statusOf } from "../students/started.ts";
import {
  extensionsFor,
  extensionsOfStudent,
  feedbackOfStudent,
  gradesFor,
  latestSubmissions,
  startedKeys,
  submissionRoomOf,
  submissionsOfStudent,
  submittedKeys,
  teamRoomOf,
} from "../store/submissions.ts";
import { teachingOf } from "./teaching.ts";

export const API_PREFIX = "/_schulhof/homework/v1";

const forbidden = (): SchulhofError =>
  new SchulhofError("SCHULHOF_HOMEWORK_FORBIDDEN", "not allowed", { de: "Das darfst du nicht sehen.", en: "You may not see this." }, { httpStatus: 403, errcode: "M_FORBIDDEN" });

/** Mounts the API on `app`. `homeservers` are the servers whose OpenID tokens are trusted (the district). */
export function homeworkApi(app: Express, ctx: AppserviceContext, opts: { sessionSecret: string; homeservers: Record<string, string> }): void {
  const router = express.Router();
  router.use((_req, res, next) => {
    res.set("cache-control", "no-store");
    next();
  });
  openIdRoutes(router, { verifier: new OpenIdVerifier({ homeservers: opts.homeservers }), secret: opts.sessionSecret, prefix: "", log: ctx.log });
  const auth = requireUser(opts.sessionSecret);
  const wrap =
    (fn: (req: Request, res: Response) => Promise<unknown>) =>
    async (req: Request, res: Response): Promise<void> => {
      try {
        res.json(await fn(req, res));
      } catch (e) {
        sendError(res, e, langOf(req), ctx.log);
      }
    };

  // A student's assignments across all courses, by due date, with the status schools know and the student's own
  // submission room (never another's: the rooms are looked up by the signed-in user alone).
  router.get(
    "/todo",
    auth,
    wrap(async (_req, res) => {
      const user = userOf(res);
      const now = Date.now();
      const submitted = await submittedKeys(ctx.db, user);
      const started = await startedKeys(ctx.db, user);
      const extensions = await extensionsOfStudent(ctx.db, user);
      const items = [];
      const courses = [];
      for (const course of await coursesOf(ctx.db, user)) {
        if (course.role !== "student") continue;
        courses.push({ course_room: course.roomId, course: course.name });
        const feedback = await feedbackOfStudent(ctx.db, course.roomId, user);
        const ownRoom = await submissionRoomOf(ctx.db, course.roomId, user);
        for (const a of await assignmentsOf(ctx.db, course.roomId)) {
          const key = `${course.roomId}\0${a.id}`;
          const ext = extensions.get(key);
          const due = ext?.due ?? a.content.due;
          const cutoff = ext === undefined ? a.content.cutoff : ext.cutoff;
          const status = todoStatus({ now, due, cutoff, closed: a.content.status === "closed", submitted: submitted.has(key), started: started.has(key) });
          const fb = feedback.get(a.id);
          items.push({
            course_room: course.roomId,
            course: course.name,
            assignment_id: a.id,
            title: a.content.title,
            due,
            cutoff,
            status,
            grading: a.content.grading,
            description: a.content.description,
            attachments: a.content.attachments,
            submission_kinds: a.content.submission_kinds,
            submission_room: a.content.teams === null ? ownRoom : await teamRoomOf(ctx.db, course.roomId, a.id, user),
            feedback: fb === undefined ? null : { grade: fb.grade, points: fb.points, comment: fb.comment },
          });
        }
      }
      items.sort((x, y) => x.due.localeCompare(y.due));
      return { items, courses };
    }),
  );

  // Marks an assignment as started for the signed-in student (as `!begonnen` does, through the same code).
  router.post(
    "/courses/:course/assignments/:id/started",
    auth,
    wrap(async (req, res) => {
      const user = userOf(res);
      const a = await startAssignment(ctx.db, String(req.params.course), String(req.params.id), user);
      return { assignment_id: a.id, status: await statusOf(ctx.db, a, user) };
    }),
  );

  // The courses the signed-in user teaches, with their assignments and drafts; empty for everyone else.
  router.get(
    "/teaching",
    auth,
    wrap(async (_req, res) => ({ courses: await teachingOf(ctx.db, userOf(res), ctx.matrix.botUserId) })),
  );

  // A teacher's overview of one assignment: who submitted, who is late, who has not.
  router.get(
    "/courses/:course/assignments/:id/overview",
    auth,
    wrap(async (req, res) => {
      const user = userOf(res);
      const course = String(req.params.course);
      if ((await roleIn(ctx.db, course, user)) !== "teacher") throw forbidden();
      const a = await getAssignment(ctx.db, course, String(req.params.id));
      if (a === null) throw new SchulhofError("SCHULHOF_HOMEWORK_NOT_FOUND", "no such assignment", { de: "Diese Aufgabe gibt es nicht.", en: "No such assignment." }, { httpStatus: 404, errcode: "M_NOT_FOUND" });
      const subs = await latestSubmissions(ctx.db, course, a.id);
      const exts = await extensionsFor(ctx.db, course, a.id);
      const grades = await gradesFor(ctx.db, course, a.id);
      const students = await studentsOf(ctx.db, course, ctx.matrix.botUserId);
      return {
        assignment: { id: a.id, ...a.content },
        students: students.map((userId) => {
          const sub = subs.get(userId);
          return {
            user_id: userId,
            status: sub === undefined ? "missing" : sub.late ? "late" : "submitted",
            submitted_at: sub?.submittedAt ?? null,
            submission_event: sub?.eventId ?? null,
            submission_room: sub?.roomId ?? null,
            extension: exts.get(userId) ?? null,
            grade: grades.get(userId) ?? null,
          };
        }),
      };
    }),
  );

  // The submissions and feedback of one student in a course: for the course's teachers and that student only.
  router.get(
    "/courses/:course/students/:student/submissions",
    auth,
    wrap(async (req, res) => {
      const user = userOf(res);
      const course = String(req.params.course);
      const student = String(req.params.student);
      const role = await roleIn(ctx.db, course, user);
      if (!(role === "teacher" || (role === "student" && user === student))) throw forbidden();
      const feedback = await feedbackOfStudent(ctx.db, course, student);
      return {
        submissions: (await submissionsOfStudent(ctx.db, course, student)).map((s) => ({
          assignment_id: s.assignmentId,
          event_id: s.eventId,
          room_id: s.roomId,
          submitted_at: s.submittedAt,
          late: s.late,
          text: s.content.text,
          files: s.content.files,
        })),
        feedback: [...feedback.values()].map((f) => ({ assignment_id: f.assignmentId, grade: f.grade, points: f.points, comment: f.comment, by: f.sender, at: f.originTs })),
      };
    }),
  );
  teacherRoutes(router, ctx, auth);
  app.use(API_PREFIX, router);
}
