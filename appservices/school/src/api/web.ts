// The school API for the web client: sign-in with a Matrix OpenID token, who am I (role, class, courses, whether the
// letter's password still has to be changed), and the admin area for school admins (roster import with letters).
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { Writable } from "node:stream";
import express, { type Express, type NextFunction, type Request, type RequestHandler, type Response } from "express";
import { langOf, openIdRoutes, OpenIdVerifier, requireUser, SchulhofError, sendError, userOf, verifySession, type AppserviceContext } from "@schulhof/core";
import type { SchoolAppserviceConfig } from "../config.ts";
import { writeCredentialLetters, type LetterPerson } from "../letters/letters.ts";
import { activePersonByUser, clearInitialPassword, hasInitialPassword } from "../store/people.ts";

export const SCHOOL_API_PREFIX = "/_schulhof/school/v1";

/** Letters kept for download after an import from the web: in memory only, for a quarter of an hour. */
const LETTERS_TTL_MS = 15 * 60_000;

/** Credential letters waiting for their download, by random id; passwords never touch the disk. */
export class LetterStore {
  private readonly items = new Map<string, { pdf: Buffer; owner: string; until: number }>();
  put(pdf: Buffer, owner: string): string {
    this.sweep();
    const id = randomBytes(18).toString("base64url");
    this.items.set(id, { pdf, owner, until: Date.now() + LETTERS_TTL_MS });
    return id;
  }
  get(id: string, owner: string): Buffer | null {
    this.sweep();
    const item = this.items.get(id);
    return item !== undefined && item.owner === owner ? item.pdf : null;
  }
  private sweep(): void {
    const now = Date.now();
    for (const [id, item] of this.items) if (item.until < now) this.items.delete(id);
  }
}

/** Renders letters into a buffer. */
export async function lettersPdf(letters: readonly LetterPerson[], school: { name: string; loginUrl: string; homeserver: string }, lang: "de" | "en"): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk);
      cb();
    },
  });
  await writeCredentialLetters(letters, school, sink, lang);
  return Buffer.concat(chunks);
}

const notAdmin = (): SchulhofError =>
  new SchulhofError("SCHULHOF_SCHOOL_NOT_ADMIN", "not a school admin", { de: "Nur für die Verwaltung der Schule.", en: "For the school's administration only." }, { httpStatus: 403, errcode: "M_FORBIDDEN" });

/**
 * The admin guard: the CLI's admin token, or a web session of an active person with the role admin. Sets
 * `res.locals.adminUser` to the person's user id (or "cli").
 */
export function requireSchoolAdmin(ctx: AppserviceContext, config: Pick<SchoolAppserviceConfig, "adminApiToken" | "sessionSecret">): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const bearer = /^Bearer +(\S+) *$/i.exec(req.headers.authorization ?? "")?.[1] ?? "";
    const digest = (s: string): Buffer => createHash("sha256").update(s).digest();
    if (bearer !== "" && timingSafeEqual(digest(bearer), digest(config.adminApiToken))) {
      res.locals.adminUser = "cli";
      next();
      return;
    }
    try {
      if (config.sessionSecret === null || bearer === "") {
        res.status(401).json({ errcode: "M_UNKNOWN_TOKEN", error: "Unbekanntes Token / unknown token" });
        return;
      }
      const userId = verifySession(bearer, config.sessionSecret);
      const person = await activePersonByUser(ctx.db, userId);
      if (person?.role !== "admin") throw notAdmin();
      res.locals.adminUser = userId;
      next();
    } catch (e) {
      sendError(res, e, langOf(req));
    }
  };
}

/** Mounts sign-in, `/me` and the password flag. */
export function webRoutes(app: Express, ctx: AppserviceContext, config: SchoolAppserviceConfig): void {
  if (config.sessionSecret === null) return;
  const router = express.Router();
  router.use((_req, res, next) => {
    res.set("cache-control", "no-store");
    next();
  });
  openIdRoutes(router, { verifier: new OpenIdVerifier({ homeservers: { [config.serverName]: config.homeserverUrl } }), secret: config.sessionSecret, prefix: "", log: ctx.log });
  const auth = requireUser(config.sessionSecret);
  router.get("/me", auth, async (req, res) => {
    try {
      const userId = userOf(res);
      const p = await activePersonByUser(ctx.db, userId);
      res.json({
        user_id: userId,
        role: p?.role ?? null,
        first_name: p?.firstName ?? null,
        last_name: p?.lastName ?? null,
        class_name: p?.className ?? null,
        courses: p?.courses ?? [],
        admin: p?.role === "admin",
        must_change_password: p === null ? false : await hasInitialPassword(ctx.db, userId),
        school: { name: config.schoolName, state: config.schoolState, mail_domain: config.mailDomain, timezone: config.timezone },
      });
    } catch (e) {
      sendError(res, e, langOf(req), ctx.log);
    }
  });
  // The client changed the password at the homeserver (which checked the old one) and says so: the reminder goes.
  // Only the person themselves can clear it, and only their own.
  router.post("/me/password-changed", auth, async (req, res) => {
    try {
      await clearInitialPassword(ctx.db, userOf(res));
      res.json({ ok: true });
    } catch (e) {
      sendError(res, e, langOf(req), ctx.log);
    }
  });
  app.use(SCHOOL_API_PREFIX, router);
}
