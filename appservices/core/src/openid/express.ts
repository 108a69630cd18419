// Express glue for OpenID sign-in: the token exchange route, the session guard and Matrix-style error answers.
import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from "express";
import { z } from "zod";
import { SchulhofError } from "../errors.ts";
import type { UserId } from "../ids.ts";
import type { Logger } from "../log.ts";
import { OPENID_ERROR_CODES, openIdError } from "./errors.ts";
import { assertSessionSecret, issueSession, verifySession } from "./session.ts";
import { OpenIdTokenSchema, type OpenIdVerifier } from "./verifier.ts";

const ExchangeBodySchema = z.object({ openid_token: OpenIdTokenSchema });

/** Options of {@link openIdRoutes}. */
export interface OpenIdRouteOptions {
  verifier: Pick<OpenIdVerifier, "verify">;
  /** Signs session tokens; at least 32 characters, the same for every instance of the appservice. */
  secret: string;
  /** Where the appservice's API lives, e.g. `/_schulhof/homework/v1`; the route is `{prefix}/openid/exchange`. */
  prefix: string;
  /** How long an issued session lasts; default 12 hours. */
  sessionTtlMs?: number;
  /** Where server-side failures (5xx) are logged. */
  log?: Pick<Logger, "error">;
}

/**
 * Mounts `POST {prefix}/openid/exchange`: the web client sends `{openid_token}` from its homeserver and gets
 * `{token, user_id, expires_at}`, a session for `Authorization: Bearer`. Throws at once if the secret is too short.
 */
export function openIdRoutes(router: Router, opts: OpenIdRouteOptions): Router {
  assertSessionSecret(opts.secret);
  const exchange = async (req: Request, res: Response): Promise<void> => {
    try {
      const body = ExchangeBodySchema.safeParse(req.body);
      if (!body.success) throw openIdError("bad_json", `malformed OpenID exchange request: ${z.prettifyError(body.error)}`);
      const userId = await opts.verifier.verify(body.data.openid_token);
      const session = issueSession(userId, opts.secret, opts.sessionTtlMs);
      res.set("cache-control", "no-store").json({ token: session.token, user_id: userId, expires_at: session.expiresAt });
    } catch (e) {
      sendError(res, e, langOf(req), opts.log);
    }
  };
  const bodyFailed = (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    sendError(res, bodyParserError(err), langOf(req), opts.log);
  };
  router.post(`${opts.prefix.replace(/\/+$/, "")}/openid/exchange`, express.json({ limit: "16kb" }), exchange, bodyFailed);
  return router;
}

/**
 * Middleware for routes that need a signed-in user: reads `Authorization: Bearer <session token>`, answers 401
 * (`M_MISSING_TOKEN` without one, `M_UNKNOWN_TOKEN` for a bad or expired one) or sets `res.locals.userId`.
 */
export function requireUser(secret: string): RequestHandler {
  assertSessionSecret(secret);
  return (req, res, next) => {
    const bearer = /^Bearer +(\S+) *$/i.exec(req.headers.authorization ?? "")?.[1];
    try {
      if (bearer === undefined) throw openIdError("missing_session", "request without a session token");
      res.locals.userId = verifySession(bearer, secret);
    } catch (e) {
      sendError(res, e, langOf(req));
      return;
    }
    next();
  };
}

/** The signed-in user of a request behind {@link requireUser}; throws (500) when the route lacks that middleware. */
export function userOf(res: Response): UserId {
  const userId: unknown = res.locals.userId;
  if (typeof userId !== "string") throw openIdError("no_user", "userOf() on a route without requireUser()");
  return userId as UserId;
}

/**
 * Answers an error as Matrix does: a SchulhofError as `{errcode, error, schulhof_code}` with its `httpStatus`
 * (`soft_logout: true` for an expired session), anything else as 500 `M_UNKNOWN` without its details.
 * Logs 5xx answers to `log` if given.
 */
export function sendError(res: Response, e: unknown, lang: "de" | "en", log?: Pick<Logger, "error">): void {
  const known = e instanceof SchulhofError;
  const err = known ? e : new SchulhofError("SCHULHOF_INTERNAL", "internal error", { de: "Interner Fehler.", en: "Internal error." });
  if (err.httpStatus >= 500) log?.error({ err: e, code: err.code }, known ? err.message : "unexpected error in an HTTP handler");
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const softLogout = err.code === OPENID_ERROR_CODES.expired_session ? { soft_logout: true } : {};
  res.status(err.httpStatus).json({ ...err.toMatrixError(lang), ...softLogout });
}

/** The language of the answer: English when the first language in `Accept-Language` is English, German otherwise. */
export function langOf(req: Pick<Request, "headers">): "de" | "en" {
  return /^\s*en(?:[-_;,\s]|$)/i.test(req.headers["accept-language"] ?? "") ? "en" : "de";
}

/** Maps an error of `express.json()` (body-parser) to ours. */
export function bodyParserError(err: unknown): unknown {
  const type = typeof err === "object" && err !== null && "type" in err ? err.type : undefined;
  if (type === "entity.parse.failed") return openIdError("not_json", "request body is not valid JSON");
  if (type === "entity.too.large") return openIdError("too_large", "request body too large");
  const status = typeof err === "object" && err !== null && "status" in err ? err.status : undefined;
  return typeof status === "number" && status >= 400 && status < 500 ? openIdError("bad_json", `unreadable request body (${String(type)})`) : err;
}

/**
 * The last error handler of an app: a body that is not JSON or too large answers as Matrix does (`M_NOT_JSON`,
 * `M_TOO_LARGE`), anything else 500 `M_UNKNOWN` without details, never Express's HTML page with a stack trace.
 */
export function matrixErrorHandler(log?: Pick<Logger, "error">) {
  return (err: unknown, req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent) {
      next(err);
      return;
    }
    sendError(res, bodyParserError(err), langOf(req), log);
  };
}
