// Teachers' write routes of the homework API: drafts, publishing, closing early and extensions.
import { randomBytes } from "node:crypto";
import express, { type Request, type Response, type Router } from "express";
import { z } from "zod";
import { langOf, sendError, SchulhofError, userOf, type AppserviceContext } from "@schulhof/core";
import { ASSIGNMENT, AssignmentSchema, EXTENSION, ExtensionSchema } from "../domain/schema.ts";
import { getAssignment } from "../store/assignments.ts";
import { roleIn } from "../store/courses.ts";
import { submissionRoomOf } from "../store/submissions.ts";

const LIST = `SELECT id, content, updated_at FROM drafts WHERE course_room = $1 ORDER BY updated_at DESC`;
const UPSERT = `
INSERT INTO drafts (id, course_room, author, content) VALUES ($1, $2, $3, $4)
ON CONFLICT (id) DO UPDATE SET content = $4, author = $3, updated_at = now() WHERE drafts.course_room = $2`;
const GET = `SELECT content FROM drafts WHERE id = $1 AND course_room = $2`;
const DELETE = `DELETE FROM drafts WHERE id = $1 AND course_room = $2`;

const DraftSchema = z.looseObject({ title: z.string().trim().min(1).max(200) });

const bad = (why: string): SchulhofError => new SchulhofError("SCHULHOF_HOMEWORK_INVALID", why, { de: `Ungültig: ${why}`, en: `Invalid: ${why}` }, { httpStatus: 400, errcode: "M_BAD_JSON" });
const notFound = (): SchulhofError => new SchulhofError("SCHULHOF_HOMEWORK_NOT_FOUND", "not found", { de: "Nicht gefunden.", en: "Not found." }, { httpStatus: 404, errcode: "M_NOT_FOUND" });
const forbidden = (): SchulhofError =>
  new SchulhofError("SCHULHOF_HOMEWORK_FORBIDDEN", "not a teacher of this course", { de: "Das dürfen nur Lehrkräfte dieses Kurses.", en: "Only teachers of this course may do that." }, { httpStatus: 403, errcode: "M_FORBIDDEN" });

/**
 * Adds the write routes to `router` (behind `auth`). Drafts live only in the appservice's database
 * until published; publishing, closing and extensions are written to the rooms by the bot (through
 * the outbox), after the same checks the homeserver makes.
 */
export function teacherRoutes(router: Router, ctx: AppserviceContext, auth: express.RequestHandler): void {
  const json = express.json({ limit: "256kb" });
  const route =
    (fn: (req: Request, user: string, course: string) => Promise<unknown>) =>
    async (req: Request, res: Response): Promise<void> => {
      try {
        const user = userOf(res);
        const course = String(req.params.course);
        if ((await roleIn(ctx.db, course, user)) !== "teacher") throw forbidden();
        res.json(await fn(req, user, course));
      } catch (e) {
        sendError(res, e, langOf(req), ctx.log);
      }
    };
  const queue = async (cause: string, action: Parameters<AppserviceContext["outbox"]["enqueue"]>[2]): Promise<void> => {
    await ctx.db.transaction((tx) => ctx.outbox.enqueue(tx, cause, action));
    ctx.outbox.kick();
  };

  router.get("/courses/:course/drafts", auth, route(async (_req, _user, course) => ({ drafts: (await ctx.db.query(LIST, [course])).rows })));

  router.put(
    "/courses/:course/drafts/:id",
    auth,
    json,
    route(async (req, user, course) => {
      const draft = DraftSchema.safeParse(req.body);
      if (!draft.success) throw bad(draft.error.issues[0]?.message ?? "draft");
      await ctx.db.query(UPSERT, [String(req.params.id), course, user, JSON.stringify(draft.data)]);
      return { id: String(req.params.id) };
    }),
  );

  router.post(
    "/courses/:course/drafts/:id/publish",
    auth,
    route(async (req, user, course) => {
      const row = (await ctx.db.query<{ content: unknown }>(GET, [String(req.params.id), course])).rows[0];
      if (row === undefined) throw notFound();
      const content = typeof row.content === "string" ? (JSON.parse(row.content) as unknown) : row.content;
      const a = AssignmentSchema.safeParse({ ...(content as object), status: "published" });
      if (!a.success) throw bad(`${a.error.issues[0]?.path.join(".") ?? ""}: ${a.error.issues[0]?.message ?? ""}`);
      const id = `a${randomBytes(6).toString("hex")}`;
      await queue(`publish:${String(req.params.id)}`, { kind: "state", roomId: course, eventType: ASSIGNMENT, stateKey: id, content: { ...a.data, created_by: user } });
      await ctx.db.query(DELETE, [String(req.params.id), course]);
      return { assignment_id: id };
    }),
  );

  router.post(
    "/courses/:course/assignments/:id/close",
    auth,
    route(async (req, user, course) => {
      const a = await getAssignment(ctx.db, course, String(req.params.id));
      if (a === null) throw notFound();
      const content = { ...a.content, status: "closed", version: a.content.version + 1, closed_by: user };
      await queue(`close:${a.eventId}`, { kind: "state", roomId: course, eventType: ASSIGNMENT, stateKey: a.id, content });
      return { assignment_id: a.id, status: "closed" };
    }),
  );

  router.post(
    "/courses/:course/assignments/:id/extensions",
    auth,
    json,
    route(async (req, _user, course) => {
      const body = z.object({ student: z.string() }).and(ExtensionSchema).safeParse(req.body);
      if (!body.success) throw bad(body.error.issues[0]?.message ?? "extension");
      const a = await getAssignment(ctx.db, course, String(req.params.id));
      if (a === null) throw notFound();
      const room = await submissionRoomOf(ctx.db, course, body.data.student);
      if (room === null) throw notFound();
      await queue(`extend:${a.id}:${body.data.student}:${body.data.due}`, {
        kind: "state",
        roomId: room,
        eventType: EXTENSION,
        stateKey: a.id,
        content: { due: body.data.due, cutoff: body.data.cutoff },
      });
      return { assignment_id: a.id, student: body.data.student, due: body.data.due };
    }),
  );
}
