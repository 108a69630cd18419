// The appservice side of the Application Service API: transactions are stored durably before they are acknowledged.
import { timingSafeEqual } from "node:crypto";
import express, { type Request, type Response, type Router } from "express";
import type { Logger } from "pino";
import { z } from "zod";
import type { Db } from "../db/db.ts";
import { storeTransaction, type MatrixEvent } from "./inbox.ts";

const EventSchema = z.looseObject({
  event_id: z.string().min(1).max(255),
  room_id: z.string().min(1).max(255),
  type: z.string().min(1).max(255),
  sender: z.string().min(1).max(255),
  origin_server_ts: z.number(),
  content: z.record(z.string(), z.unknown()),
  state_key: z.string().optional(),
});

const TransactionSchema = z.looseObject({
  events: z.array(z.unknown()).default([]),
  ephemeral: z.array(z.unknown()).optional(),
  "de.sorunome.msc2409.ephemeral": z.array(z.unknown()).optional(),
});

export interface TransactionApiOptions {
  db: Db;
  hsToken: string;
  log: Logger;
  /** Which events to keep; the others are acknowledged and dropped (see AppserviceDefinition.accepts). */
  accepts: (event: MatrixEvent) => boolean;
  /** Called after a transaction's events are durable. */
  onStored: (fresh: number) => void;
  /** Ephemeral events (typing, receipts, presence) are not durable by nature; handled best-effort. */
  onEphemeral?: (events: unknown[]) => void;
  /** Answers the homeserver's question whether a user in the namespace exists. */
  userExists?: (userId: string) => Promise<boolean>;
  /** Counts transactions for metrics. */
  onTransaction?: (events: number, fresh: number, ms: number) => void;
}

/** The routes of the Application Service API (`/_matrix/app/v1/...` and the legacy unprefixed paths). */
export function transactionRouter(opts: TransactionApiOptions): Router {
  const router = express.Router();
  const expected = Buffer.from(opts.hsToken);
  const authorised = (req: Request, res: Response): boolean => {
    const header = req.headers.authorization;
    const fromHeader = header?.startsWith("Bearer ") === true ? header.slice(7) : undefined;
    const fromQuery = typeof req.query.access_token === "string" ? req.query.access_token : undefined;
    const token = fromHeader ?? fromQuery;
    if (token === undefined) {
      res.status(401).json({ errcode: "M_UNAUTHORIZED", error: "Missing access token" });
      return false;
    }
    const given = Buffer.from(token);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      res.status(403).json({ errcode: "M_FORBIDDEN", error: "Bad hs_token" });
      return false;
    }
    return true;
  };
  const json = express.json({ limit: "64mb" });

  const onTransaction = async (req: Request, res: Response): Promise<void> => {
    if (!authorised(req, res)) return;
    const started = performance.now();
    const txnId = String(req.params.txnId);
    const parsed = TransactionSchema.safeParse(req.body);
    if (!parsed.success) {
      res.status(400).json({ errcode: "M_BAD_JSON", error: "Transaction body is not an object with events" });
      return;
    }
    const events: MatrixEvent[] = [];
    for (const raw of parsed.data.events) {
      const ev = EventSchema.safeParse(raw);
      if (ev.success) {
        if (opts.accepts(ev.data as MatrixEvent)) events.push(ev.data as MatrixEvent);
      }
      else opts.log.warn({ txnId, issues: ev.error.issues.slice(0, 3) }, "skipping malformed event in transaction");
    }
    try {
      const fresh = await storeTransaction(opts.db, txnId, events);
      res.status(200).json({});
      opts.onTransaction?.(events.length, fresh, performance.now() - started);
      if (fresh > 0) opts.onStored(fresh);
    } catch (e) {
      opts.log.error({ err: e, txnId }, "could not store transaction; the homeserver will retry");
      res.status(503).json({ errcode: "M_UNKNOWN", error: "Storage unavailable, retry later" });
      return;
    }
    const ephemeral = parsed.data["de.sorunome.msc2409.ephemeral"] ?? parsed.data.ephemeral;
    if (ephemeral !== undefined && ephemeral.length > 0) opts.onEphemeral?.(ephemeral);
  };

  const onUser = async (req: Request, res: Response): Promise<void> => {
    if (!authorised(req, res)) return;
    const exists = opts.userExists === undefined ? false : await opts.userExists(String(req.params.userId));
    if (exists) res.status(200).json({});
    else res.status(404).json({ errcode: "M_NOT_FOUND", error: "No such user" });
  };
  const onRoom = (req: Request, res: Response): void => {
    if (!authorised(req, res)) return;
    res.status(404).json({ errcode: "M_NOT_FOUND", error: "No such room alias" });
  };
  const onPing = (req: Request, res: Response): void => {
    if (!authorised(req, res)) return;
    res.status(200).json({});
  };

  for (const prefix of ["/_matrix/app/v1", ""]) {
    router.put(`${prefix}/transactions/:txnId`, json, onTransaction);
    router.get(`${prefix}/users/:userId`, onUser);
    router.get(`${prefix}/rooms/:alias`, onRoom);
  }
  router.post("/_matrix/app/v1/ping", json, onPing);
  return router;
}
