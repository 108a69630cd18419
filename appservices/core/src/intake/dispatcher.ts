// Hands inbox events to the appservice's handler: in order within a room, rooms in parallel, each exactly once.
import type { Logger } from "pino";
import type { Db, Queryable } from "../db/db.ts";
import { SchulhofError } from "../errors.ts";
import { markFailed, markHandled, pendingEvents, recordAttempt, type MatrixEvent, type PendingEvent } from "./inbox.ts";
import type { OutboxAction } from "./outbox-types.ts";
import { RoomOrderedWorker } from "./worker.ts";

/** What a handler may do: write its tables in `tx`, and queue Matrix actions that are sent after commit. */
export interface HandlerContext {
  tx: Queryable;
  enqueue(action: OutboxAction): Promise<void>;
}

/**
 * Handles one event inside one database transaction, which also marks the event handled: its
 * table writes and queued actions happen exactly once. Read and write only through `ctx.tx`, never
 * through the database itself (PGlite has one connection: that would wait forever). Reads from the homeserver are allowed;
 * writes to it go through `ctx.enqueue`. Throw `RetryableError` when the cause is passing (the
 * homeserver is down); `PermanentError` when the event can never be handled; other errors are
 * retried a few times, then the event is recorded as failed.
 */
export type EventHandler = (event: MatrixEvent, ctx: HandlerContext) => Promise<void>;

/** A failure that goes away by itself (network, 5xx, rate limit): retried with backoff, never dropped. */
export class RetryableError extends SchulhofError {
  constructor(message: string, cause?: unknown) {
    super("SCHULHOF_RETRY", message, undefined, { cause });
    this.name = "RetryableError";
  }
}

/** A failure that no retry can fix (the event is malformed or not allowed): recorded and skipped. */
export class PermanentError extends SchulhofError {
  constructor(message: string, cause?: unknown) {
    super("SCHULHOF_PERMANENT", message, undefined, { cause });
    this.name = "PermanentError";
  }
}

export interface DispatcherOptions {
  db: Db;
  handle: EventHandler;
  log: Logger;
  /** Queues an action inside the handler's transaction (the outbox). */
  enqueue: (tx: Queryable, cause: string, action: OutboxAction) => Promise<void>;
  /** Called after a commit that queued actions. */
  onQueued?: () => void;
  concurrency?: number;
  /** Attempts for errors that are neither retryable nor permanent. */
  maxAttempts?: number;
  onOutcome?: (outcome: "handled" | "failed" | "retry", event: MatrixEvent, ms: number) => void;
}

/** Runs the handler over the inbox until stopped. */
export class Dispatcher extends RoomOrderedWorker<PendingEvent> {
  constructor(opts: DispatcherOptions) {
    const maxAttempts = opts.maxAttempts ?? 5;
    super(
      {
        fetch: (skipRooms) => pendingEvents(opts.db, 0, 1000, skipRooms),
        roomOf: (p) => p.event.room_id,
        onFetchError: (e) => opts.log.error({ err: e }, "inbox read failed"),
        process: async (p) => {
          const started = performance.now();
          let queued = false;
          try {
            await opts.db.transaction(async (tx) => {
              await opts.handle(p.event, {
                tx,
                enqueue: async (action) => {
                  queued = true;
                  await opts.enqueue(tx, p.event.event_id, action);
                },
              });
              await markHandled(tx, p.seq);
            });
            if (queued) opts.onQueued?.();
            opts.onOutcome?.("handled", p.event, performance.now() - started);
            return "done";
          } catch (e) {
            const reason = e instanceof Error ? e.message : String(e);
            const permanent = e instanceof PermanentError || (!(e instanceof RetryableError) && p.attempts + 1 >= maxAttempts);
            if (permanent) {
              opts.log.warn({ err: e, event_id: p.event.event_id, room_id: p.event.room_id }, "event handling failed for good");
              await markFailed(opts.db, p.seq, reason).catch((err: unknown) => opts.log.error({ err }, "could not record failure"));
              opts.onOutcome?.("failed", p.event, performance.now() - started);
              return "done";
            }
            opts.log.info({ event_id: p.event.event_id, reason }, "event handling will be retried");
            await recordAttempt(opts.db, p.seq, reason).catch(() => undefined);
            opts.onOutcome?.("retry", p.event, performance.now() - started);
            return "retry";
          }
        },
      },
      opts.concurrency ?? 8,
    );
  }
}
