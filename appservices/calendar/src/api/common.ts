// What the calendar API's route modules share: errors, request pieces, and the kit each module mounts its routes with.
import type { Request, RequestHandler, Router } from "express";
import { z } from "zod";
import { SchulhofError, type AppserviceContext, type OutboxAction, type Queryable } from "@schulhof/core";
import type { CalendarEnv } from "../domain.ts";

export const err = (code: string, status: number, de: string, en: string): SchulhofError =>
  new SchulhofError(`SCHULHOF_CALENDAR_${code}`, en, { de, en }, { httpStatus: status, errcode: status === 403 ? "M_FORBIDDEN" : status === 404 ? "M_NOT_FOUND" : "M_BAD_JSON" });
export const notFound = (): SchulhofError => err("NOT_FOUND", 404, "Nicht gefunden.", "Not found.");
export const forbidden = (): SchulhofError => err("FORBIDDEN", 403, "Das darfst du hier nicht.", "You may not do that here.");

/** A local day, `YYYY-MM-DD`. */
export const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
/** The longest range of days one request may ask for. */
export const MAX_RANGE_DAYS = 400;

/** What a route module needs to mount its routes on the authenticated router. */
export interface ApiKit {
  router: Router;
  ctx: AppserviceContext;
  env: CalendarEnv;
  /** Requires a session; the user id is passed to `wrap`'s function. */
  auth: RequestHandler;
  /** Answers the function's result as JSON, or its error Matrix-style in the caller's language. */
  wrap: (fn: (req: Request, user: string) => Promise<unknown>) => RequestHandler;
  /** Parses a JSON body (256 kB at most). */
  json: RequestHandler;
  /** Runs `fn` in a transaction with an outbox, then sends what it queued. */
  withOutbox: <R>(cause: string, fn: (tx: Queryable, enqueue: (a: OutboxAction) => Promise<void>) => Promise<R>) => Promise<R>;
}
