// Hands inbox events to the appservice's handler: in order within a room, rooms in parallel, at least once.
import type { Logger } from "pino";
import type { Db } from "../db/db.ts";
import { SchulhofError } from "../errors.ts";
import { markFailed, markHandled, pendingEvents, recordAttempt, type MatrixEvent, type PendingEvent } from "./inbox.ts";

/**
 * Handles one event. Called at least once per event, possibly again after a crash, so its effects
 * must be idempotent (upsert by event id; send with a transaction id derived from the event id).
 * Throw `RetryableError` when the cause is passing (homeserver down); any other error is retried a
 * few times and then recorded as failed.
 */
export type EventHandler = (event: MatrixEvent) => Promise<void>;

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
  /** Rooms handled at the same time. */
  concurrency?: number;
  /** Attempts for errors that are neither retryable nor permanent. */
  maxAttempts?: number;
  /** Called after each event with its outcome, for metrics. */
  onOutcome?: (outcome: "handled" | "failed" | "retry", event: MatrixEvent, ms: number) => void;
}

/** Runs the handler over the inbox until stopped. */
export class Dispatcher {
  private readonly opts: Required<Omit<DispatcherOptions, "onOutcome">> & Pick<DispatcherOptions, "onOutcome">;
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private readonly backoff = new Map<string, { until: number; delay: number }>();
  private idleWaiters: (() => void)[] = [];

  constructor(opts: DispatcherOptions) {
    this.opts = { concurrency: 8, maxAttempts: 5, onOutcome: undefined, ...opts };
  }

  /** Starts working through the inbox, beginning with what an earlier run left. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Tells the dispatcher that new events were stored. */
  kick(): void {
    this.wake?.();
  }

  /** Resolves when the inbox has nothing left that can be handled now. For tests and shutdown. */
  whenIdle(): Promise<void> {
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      this.kick();
    });
  }

  /** Stops after the events in hand are done. */
  async stop(): Promise<void> {
    this.running = false;
    this.kick();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      let batch: PendingEvent[];
      try {
        batch = await pendingEvents(this.opts.db, 0, 1000);
      } catch (e) {
        this.opts.log.error({ err: e }, "inbox read failed");
        await this.sleep(1000);
        continue;
      }
      const now = Date.now();
      const byRoom = new Map<string, PendingEvent[]>();
      for (const p of batch) {
        const b = this.backoff.get(p.event.room_id);
        if (b !== undefined && b.until > now) continue;
        const list = byRoom.get(p.event.room_id) ?? [];
        list.push(p);
        byRoom.set(p.event.room_id, list);
      }
      if (byRoom.size === 0) {
        for (const w of this.idleWaiters.splice(0)) w();
        const nextRetry = Math.min(...[...this.backoff.values()].map((b) => b.until), now + 5000);
        await this.sleep(Math.max(20, nextRetry - now));
        continue;
      }
      await this.runRooms([...byRoom.values()]);
    }
    for (const w of this.idleWaiters.splice(0)) w();
  }

  private async runRooms(rooms: PendingEvent[][]): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < rooms.length) {
        const room = rooms[next++];
        if (room !== undefined) await this.runRoom(room);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.opts.concurrency, rooms.length) }, worker));
  }

  private async runRoom(events: PendingEvent[]): Promise<void> {
    for (const p of events) {
      if (!this.running) return;
      const ok = await this.runOne(p);
      if (!ok) return;
    }
    this.backoff.delete(events[0]?.event.room_id ?? "");
  }

  /** Returns false when the room must wait (a retry is due later). */
  private async runOne(p: PendingEvent): Promise<boolean> {
    const { db, log, handle, maxAttempts, onOutcome } = this.opts;
    const started = performance.now();
    try {
      await handle(p.event);
      await markHandled(db, p.seq);
      onOutcome?.("handled", p.event, performance.now() - started);
      return true;
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      const permanent = e instanceof PermanentError || (!(e instanceof RetryableError) && p.attempts + 1 >= maxAttempts);
      if (permanent) {
        log.warn({ err: e, event_id: p.event.event_id, room_id: p.event.room_id }, "event handling failed for good");
        await markFailed(db, p.seq, reason).catch((err: unknown) => log.error({ err }, "could not record failure"));
        onOutcome?.("failed", p.event, performance.now() - started);
        return true;
      }
      const prev = this.backoff.get(p.event.room_id);
      const delay = Math.min((prev?.delay ?? 250) * 2, 30_000);
      this.backoff.set(p.event.room_id, { until: Date.now() + delay, delay });
      log.info({ event_id: p.event.event_id, reason, retry_in_ms: delay }, "event handling will be retried");
      await recordAttempt(db, p.seq, reason).catch(() => undefined);
      onOutcome?.("retry", p.event, performance.now() - started);
      return false;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }
}
