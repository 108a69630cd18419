// Teachers' write routes of the homework API: drafts, publishing, closing early and extensions.
import { randomBytes } from "node:crypto";
import express, { type Request, type Response, type Router } from "express";
import { z } from "zod";
import { langOf, sendError, SchulhofError, userOf, type AppserviceContext } from "@schulhof/core";
import { ASSIGNMENT, AssignmentSchema, DraftSchema, EXTENSION, ExtensionSchema } from "../domain/schema.ts";
import { getAssignment } from "../store/assignments.ts";
import { mayWriteState, roleIn } from "../store/courses.ts";
import { deleteDraft, draftsOf, getDraft, saveDraft } from "../store/drafts.ts";
import { submissionRoomOf } from "../store/submissions.ts";

const bad = (why: string): SchulhofError => new SchulhofError("SCHULHOF_HOMEWORK_INVALID", why, { de: `Ungültig: ${why}`, en: `Invalid: ${why}` }, { httpStatus: 400, errcode: "M_BAD_JSON" });
const notFound = (): SchulhofError => new SchulhofError("SCHULHOF_HOMEWORK_NOT_FOUND", "not found", { de: "Nicht gefunden.", en: "Not found." }, { httpStatus: 404, errcode: "M_NOT_FOUND" });
const forbidden = (): SchulhofError =>
  new SchulhofError("SCHULHOF_HOMEWORK_FORBIDDEN", "not a teacher of this course", { de: "Das dürfen nur Lehrkräfte dieses Kurses.", en: "Only teachers of this course may do that." }, { httpStatus: 403, errcode: "M_FORBIDDEN" });
const foreignDraft = (): SchulhofError =>
  new SchulhofError("SCHULHOF_HOMEWORK_DRAFT_ID", "draft id belongs to another course", { de: "Dieser Entwurf gehört zu einem anderen Kurs.", en: "This draft belongs to another course." }, { httpStatus: 409, errcode: "M_FORBIDDEN" });

/**
 * The bot lacks the power to write assignments into the course room (or is not in it): the homeserver would refuse
 * the state event, so the API says so instead of answering 200 for a write that never lands.
 */
export const botCannotWrite = (bot: string, draftKept: boolean): SchulhofError =>
  new SchulhofError(
    "SCHULHOF_HOMEWORK_BOT_POWER",
    `${bot} may not write ${ASSIGNMENT} into the course room`,
    {
      de: `Der Hausaufgaben-Bot ${bot} darf in diesem Kursraum keine Aufgaben eintragen. Bitte die Schul-Administration, ihn in den Kursraum aufzunehmen und ihm die Rechte einer Lehrkraft (Level 50) zu geben.${draftKept ? " Dein Entwurf bleibt gespeichert." : ""}`,
      en: `The homework bot ${bot} may not write assignments into this course room. Please ask the school's administrators to add it to the course room with a teacher's rights (level 50).${draftKept ? " Your draft is kept." : ""}`,
    },
    { httpStatus: 409, errcode: "M_FORBIDDEN" },
  );

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

  const draftId = (req: Request): string => {
    const id = String(req.params.id);
    if (!/^[A-Za-z0-9_-]{1,100}$/.test(id)) throw bad("draft id");
    return id;
  };

  router.get(
    "/courses/:course/drafts",
    auth,
    route(async (_req, _user, course) => ({ drafts: (await draftsOf(ctx.db, course)).map((d) => ({ id: d.id, author: d.author, content: d.content, updated_at: d.updatedAt })) })),
  );

  router.put(
    "/courses/:course/drafts/:id",
    auth,
    json,
    route(async (req, user, course) => {
      const id = draftId(req);
      const draft = DraftSchema.safeParse(req.body);
      if (!draft.success) throw bad(`${draft.error.issues[0]?.path.join(".") ?? ""}: ${draft.error.issues[0]?.message ?? "draft"}`);
      if (!(await saveDraft(ctx.db, course, id, user, draft.data))) throw foreignDraft();
      return { id };
    }),
  );

  // Publishing is checked as far as the projection knows before it is promised: the draft must be a complete
  // assignment and the bot must be allowed to write it into the course room (else 409, and the draft stays).
  router.post(
    "/courses/:course/drafts/:id/publish",
    auth,
    route(async (req, user, course) => {
      const draft = await getDraft(ctx.db, course, draftId(req));
      if (draft === null) throw notFound();
      const a = AssignmentSchema.safeParse({ ...draft.content, status: "published" });
      if (!a.success) throw bad(`${a.error.issues[0]?.path.join(".") ?? ""}: ${a.error.issues[0]?.message ?? ""}`);
      if (!(await mayWriteState(ctx.db, course, ctx.matrix.botUserId, ASSIGNMENT))) throw botCannotWrite(ctx.matrix.botUserId, true);
      const id = `a${randomBytes(6).toString("hex")}`;
      await ctx.db.transaction(async (tx) => {
        await ctx.outbox.enqueue(tx, `publish:${draft.id}`, { kind: "state", roomId: course, eventType: ASSIGNMENT, stateKey: id, content: { ...a.data, created_by: user } });
        await deleteDraft(tx, course, draft.id);
      });
      ctx.outbox.kick();
      return { assignment_id: id };
    }),
  );

  router.post(
    "/courses/:course/assignments/:id/close",
    auth,
    route(async (req, user, course) => {
      const a = await getAssignment(ctx.db, course, String(req.params.id));
      if (a === null) throw notFound();
      if (!(await mayWriteState(ctx.db, course, ctx.matrix.botUserId, ASSIGNMENT))) throw botCannotWrite(ctx.matrix.botUserId, false);
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
