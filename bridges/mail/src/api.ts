// The mail bridge's HTTP API for the web client (OpenID-authenticated): the user's address, conversations, new mail, the school's policy.
import { randomBytes } from "node:crypto";
import express, { type Express, type Request } from "express";
import { z } from "zod";
import { langOf, noticeContent, openIdRoutes, OpenIdVerifier, requireUser, sendError, userOf, SchulhofError, type AppserviceContext } from "@schulhof/core";
import { AttachmentRefsSchema, fetchAttachments, MAX_ATTACHMENTS, type AttachmentRef } from "./attachments.ts";
import type { MailBridgeConfig } from "./config.ts";
import { conversationOf, decodeCursor, listConversations } from "./conversations.ts";
import type { Directory } from "./directory.ts";
import { queueConversationMail, refusedText, startConversation, startRefusal, type OutgoingEnv, type Refusal } from "./outgoing.ts";

export const MAIL_API_PREFIX = "/_schulhof/mail/v1";

/** The key of the bridge's notice that shows a mail written through the API in its room: who wrote it, its text and files. */
export const SENT_KEY = "de.schulhof.mail.sent";

const NewMailSchema = z.object({
  to: z.string().min(3).max(254),
  subject: z.string().trim().min(1).max(200),
  text: z.string().min(1).max(100_000),
  attachments: AttachmentRefsSchema.optional(),
});

const refused = (r: Refusal): SchulhofError => new SchulhofError("SCHULHOF_MAIL_REFUSED", "refused by policy", { de: `Diese Mail darfst du nicht verschicken: ${r.de}`, en: `You may not send this mail: ${r.en}` }, { httpStatus: 403, errcode: "M_FORBIDDEN" });

/** The notice of a mail written through the API: readable text for any client, and the mail's parts for the web client. */
function sentNotice(user: string, text: string, files: readonly (AttachmentRef & { size: number })[]): Record<string, unknown> {
  const list = files.length === 0 ? "" : `\n📎 ${files.map((f) => f.name).join(", ")}`;
  return { ...noticeContent(`✉️ ${text}${list}`), [SENT_KEY]: { by: user, text, attachments: files } };
}

/** Mounts the API. */
export function mailApi(app: Express, ctx: AppserviceContext, opts: { config: MailBridgeConfig; directory: Directory; outEnv: OutgoingEnv; kick: () => void }): void {
  const router = express.Router();
  router.use((_req, res, next) => {
    res.set("cache-control", "no-store");
    next();
  });
  openIdRoutes(router, { verifier: new OpenIdVerifier({ homeservers: opts.config.trustedHomeservers }), secret: opts.config.sessionSecret, prefix: "", log: ctx.log });
  const auth = requireUser(opts.config.sessionSecret);
  const wrap = (fn: (req: Request, user: string) => Promise<unknown>) => async (req: Request, res: express.Response): Promise<void> => {
    try {
      res.json(await fn(req, userOf(res)));
    } catch (e) {
      sendError(res, e, langOf(req), ctx.log);
    }
  };

  router.get("/address", auth, wrap(async (_req, user) => ({
    address: (await opts.directory.get()).addressOfUser(user),
    max_attachment_bytes: opts.outEnv.maxAttachmentBytes,
    max_attachments: MAX_ATTACHMENTS,
  })));

  router.get("/conversations", auth, wrap(async (req, user) => {
    const q = z.object({ limit: z.coerce.number().int().min(1).max(500).default(500), cursor: z.string().max(2000).optional() }).safeParse(req.query);
    const cursor = q.success && q.data.cursor !== undefined ? decodeCursor(q.data.cursor) : null;
    if (!q.success || (q.data.cursor !== undefined && cursor === null)) {
      throw new SchulhofError("SCHULHOF_MAIL_BAD_REQUEST", "limit, cursor", { de: "Ungültige Seite der Liste (limit 1–500, cursor von der Antwort).", en: "Invalid page of the list (limit 1–500, cursor from the answer)." }, { httpStatus: 400, errcode: "M_INVALID_PARAM" });
    }
    const page = await listConversations(ctx.db, user, q.data.limit, cursor);
    return { conversations: page.conversations, next_cursor: page.next };
  }));

  // The school's mail policy, read-only, for the school's admins (role admin in the school's directory).
  router.get("/policy", auth, wrap(async (_req, user) => {
    await opts.directory.get();
    if (!opts.directory.admins().includes(user)) {
      throw new SchulhofError("SCHULHOF_MAIL_NOT_ADMIN", "policy for admins only", { de: "Nur die Schulverwaltung sieht die Mail-Regeln der Schule.", en: "Only the school's admins see its mail rules." }, { httpStatus: 403, errcode: "M_FORBIDDEN" });
    }
    return { mail_domain: opts.config.mailDomain, policy: opts.outEnv.policy };
  }));

  // A new mail: a conversation room, and the text with its attachments as its first mail (one MIME message).
  router.post("/mails", auth, express.json({ limit: "256kb" }), wrap(async (req, user) => {
    const b = NewMailSchema.safeParse(req.body);
    if (!b.success) {
      const many = b.error.issues.some((i) => i.path[0] === "attachments" && i.code === "too_big" && i.path.length === 1);
      if (many) throw new SchulhofError("SCHULHOF_MAIL_BAD_REQUEST", "too many attachments", { de: `Höchstens ${MAX_ATTACHMENTS} Anhänge je Mail.`, en: `At most ${MAX_ATTACHMENTS} attachments per mail.` }, { httpStatus: 400, errcode: "M_INVALID_PARAM" });
      throw new SchulhofError("SCHULHOF_MAIL_BAD_REQUEST", "to, subject, text, attachments", { de: "An, Betreff und Text angeben (Anhänge als mxc, name, type).", en: "Give to, subject and text (attachments as mxc, name, type)." }, { httpStatus: 400, errcode: "M_BAD_JSON" });
    }
    const { to, text } = b.data;
    const subject = b.data.subject.replace(/[\r\n]+/g, " ");
    const refs = b.data.attachments ?? [];
    const book = await opts.directory.get();
    const early = startRefusal(book, opts.outEnv, user, to);
    if (early !== null) throw refused(early);
    // Read before the transaction: the files may be large, and the database stays free meanwhile.
    const files = await fetchAttachments(refs, ctx.matrix.identity, opts.outEnv.maxAttachmentBytes);
    const seed = randomBytes(12).toString("hex");
    const result = await ctx.db.transaction(async (tx) => {
      const enqueue = (a: Parameters<typeof ctx.outbox.enqueue>[2]): Promise<void> => ctx.outbox.enqueue(tx, `api:${seed}`, a);
      const roomId = await startConversation(tx, enqueue, book, ctx.matrix, opts.outEnv, { user, to, subject, seed, replyIn: null });
      const conv = roomId === null ? null : await conversationOf(tx, roomId);
      if (roomId === null || conv === null) return { roomId, refusal: startRefusal(book, opts.outEnv, user, to) };
      const refusal = await queueConversationMail(conv, { eventId: `$api-${seed}`, sender: user, ts: Date.now(), text, attachments: async () => files }, tx, book, opts.outEnv);
      if (refusal === null) {
        const shown = files.map((f, i) => ({ mxc: refs[i]?.mxc ?? "", name: f.filename, type: f.contentType, size: f.content.length }));
        await enqueue({ kind: "message", roomId, eventType: "m.room.message", content: sentNotice(user, text, shown) });
      } else {
        // The room exists already (a rate limit, say): it says what happened too.
        await enqueue({ kind: "message", roomId, eventType: "m.room.message", content: noticeContent(refusedText(refusal, opts.outEnv.lang)) });
      }
      return { roomId, refusal };
    });
    ctx.outbox.kick();
    opts.kick();
    if (result.roomId === null || result.refusal !== null) throw refused(result.refusal ?? { de: "Schulregel.", en: "school policy." });
    return { room_id: result.roomId };
  }));

  app.use(MAIL_API_PREFIX, router);
}
