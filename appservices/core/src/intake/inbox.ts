// The durable inbox: every event a homeserver transaction brings is written here before the transaction is acknowledged.
import type { Db, Queryable } from "../db/db.ts";
import type { Migration } from "../db/migrate.ts";

/** A Matrix event as an appservice receives it (client-server format). */
export interface MatrixEvent {
  event_id: string;
  room_id: string;
  type: string;
  sender: string;
  origin_server_ts: number;
  content: Record<string, unknown>;
  state_key?: string;
  unsigned?: Record<string, unknown>;
}

/** An inbox row that still waits for its handler. */
export interface PendingEvent {
  seq: number;
  event: MatrixEvent;
  attempts: number;
}

export const INBOX_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "inbox",
    sql: `
CREATE TABLE intake_inbox (
  seq BIGSERIAL PRIMARY KEY,
  event_id TEXT NOT NULL UNIQUE,
  room_id TEXT NOT NULL,
  txn_id TEXT NOT NULL,
  event JSONB NOT NULL,
  received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  handled_at TIMESTAMPTZ,
  failed BOOLEAN NOT NULL DEFAULT false,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT
);
CREATE INDEX intake_inbox_pending ON intake_inbox (seq) WHERE handled_at IS NULL;
CREATE TABLE intake_transactions (
  txn_id TEXT PRIMARY KEY,
  events INTEGER NOT NULL,
  received_at TIMESTAMPTZ NOT NULL DEFAULT now()
)`,
  },
];

const INSERT_EVENT = `
INSERT INTO intake_inbox (event_id, room_id, txn_id, event) VALUES ($1, $2, $3, $4)
ON CONFLICT (event_id) DO NOTHING RETURNING seq`;
const INSERT_TXN = `INSERT INTO intake_transactions (txn_id, events) VALUES ($1, $2) ON CONFLICT (txn_id) DO NOTHING`;
const SELECT_PENDING = `
SELECT seq, event, attempts FROM intake_inbox
WHERE handled_at IS NULL AND seq > $1 AND room_id <> ALL($3::text[]) ORDER BY seq LIMIT $2`;
const MARK_HANDLED = `UPDATE intake_inbox SET handled_at = now(), attempts = attempts + 1, last_error = NULL WHERE seq = $1`;
const MARK_FAILED = `
UPDATE intake_inbox SET handled_at = now(), failed = true, attempts = attempts + 1, last_error = $2 WHERE seq = $1`;
const RECORD_ATTEMPT = `UPDATE intake_inbox SET attempts = attempts + 1, last_error = $2 WHERE seq = $1`;
const COUNT_PENDING = `SELECT count(*)::int AS n FROM intake_inbox WHERE handled_at IS NULL`;

/**
 * Stores the events of one transaction in one database transaction. Returns how many were new;
 * events seen before (a replayed transaction, or Synapse resending an event) are skipped.
 */
export async function storeTransaction(db: Db, txnId: string, events: readonly MatrixEvent[]): Promise<number> {
  return db.transaction(async (tx: Queryable) => {
    let fresh = 0;
    for (const ev of events) {
      const r = await tx.query(INSERT_EVENT, [ev.event_id, ev.room_id, txnId, JSON.stringify(ev)]);
      fresh += r.rows.length;
    }
    await tx.query(INSERT_TXN, [txnId, events.length]);
    return fresh;
  });
}

/** The oldest events not handled yet, after `afterSeq`, outside `skipRooms`. */
export async function pendingEvents(db: Queryable, afterSeq: number, limit: number, skipRooms: string[] = []): Promise<PendingEvent[]> {
  const r = await db.query<{ seq: string | number; event: MatrixEvent | string; attempts: number }>(SELECT_PENDING, [
    afterSeq,
    limit,
    skipRooms,
  ]);
  return r.rows.map((row) => ({
    seq: Number(row.seq),
    event: typeof row.event === "string" ? (JSON.parse(row.event) as MatrixEvent) : row.event,
    attempts: row.attempts,
  }));
}

/** Marks an event as handled; called only after its handler's effects are durable. */
export async function markHandled(db: Queryable, seq: number): Promise<void> {
  await db.query(MARK_HANDLED, [seq]);
}

/** Gives up on an event that fails for a reason a retry cannot fix. */
export async function markFailed(db: Queryable, seq: number, reason: string): Promise<void> {
  await db.query(MARK_FAILED, [seq, reason.slice(0, 2000)]);
}

/** Counts a failed attempt that will be retried. */
export async function recordAttempt(db: Queryable, seq: number, reason: string): Promise<void> {
  await db.query(RECORD_ATTEMPT, [seq, reason.slice(0, 2000)]);
}

/** How many events wait for their handler. */
export async function countPending(db: Queryable): Promise<number> {
  return (await db.query<{ n: number }>(COUNT_PENDING)).rows[0]?.n ?? 0;
}
