// The mail bridge's HTTP API for the web client (OpenID-authenticated): the user's address, conversations, new mail.
import { randomBytes } from "node:crypto";
import express, { type Express, type Request } from "express";
import { z } from "zod";
import { langOf, noticeContent, openIdRoutes, OpenIdVerifier, requireUser, sendError, userOf, SchulhofError, type AppserviceContext, type MatrixEvent } from "@schulhof/core";
import type { MailBridgeConfig } from "./config.ts";
import type { Directory } from "./directory.ts";
import { onConversationMessage, startConversation, type OutgoingEnv } from "./outgoing.ts";

export const MAIL_API_PREFIX = "/_schulhof/mail/v1";

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

  router.get("/address", auth, wrap(async (_req, user) => ({ address: (await opts.directory.get()).addressOfUser(user) })));

  router.get("/conversations", auth, wrap(async (_req, user) => {
    const rows = await ctx.db.query<{ room_id: string; external: unknown; subject: string; created_at: unknown }>(
      `SELECT room_id, external, subject, created_at FROM conversations WHERE local_user = $1 ORDER BY created_at DESC LIMIT 500`,
      [user],
    );
    return { conversations: rows.rows.map((r) => ({ room_id: r.room_id, with: typeof r.external === "string" ? JSON.parse(r.external) : r.external, subject: r.subject })) };
  }));

  // A new mail: a conversation room, and the text as its first mail.
  router.post("/mails", auth, express.json({ limit: "256kb" }), wrap(async (req, user) => {
    const b = z.object({ to: z.string().min(3).max(254), subject: z.string().trim().min(1).max(200), text: z.string().min(1).max(100_000) }).safeParse(req.body);
    if (!b.success) throw new SchulhofError("SCHULHOF_MAIL_BAD_REQUEST", "to, subject, text", { de: "An, Betreff und Text angeben.", en: "Give to, subject and text." }, { httpStatus: 400, errcode: "M_BAD_JSON" });
    const book = await opts.directory.get();
    const seed = randomBytes(12).toString("hex");
    const result = await ctx.db.transaction(async (tx) => {
      const enqueue = (a: Parameters<typeof ctx.outbox.enqueue>[2]): Promise<void> => ctx.outbox.enqueue(tx, `api:${seed}`, a);
      const roomId = await startConversation(tx, enqueue, book, ctx.matrix, opts.outEnv, { user, to: b.data.to, subject: b.data.subject.replace(/[\r\n]+/g, " "), seed, replyIn: null });
      if (roomId === null) return null;
      const event = { event_id: `$api-${seed}`, room_id: roomId, sender: user, type: "m.room.message", origin_server_ts: Date.now(), content: { msgtype: "m.text", body: b.data.text } } as MatrixEvent;
      const queued = await onConversationMessage(event, tx, enqueue, book, ctx.matrix, opts.outEnv);
      if (queued) await enqueue({ kind: "message", roomId, eventType: "m.room.message", content: noticeContent(`✉️ ${b.data.text}`) });
      return { roomId, queued };
    });
    ctx.outbox.kick();
    opts.kick();
    if (result === null || !result.queued) throw new SchulhofError("SCHULHOF_MAIL_REFUSED", "refused by policy", { de: "Diese Mail darfst du nicht verschicken (Schulregel).", en: "You may not send this mail (school policy)." }, { httpStatus: 403, errcode: "M_FORBIDDEN" });
    return { room_id: result.roomId };
  }));

  app.use(MAIL_API_PREFIX, router);
}
