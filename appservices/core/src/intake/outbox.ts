// The durable outbox: Matrix actions that handlers decide inside their transaction, sent afterwards exactly once.
import { createHash } from "node:crypto";
import type { Logger } from "pino";
import { Method } from "matrix-js-sdk";
import type { Db, Queryable } from "../db/db.ts";
import type { Migration } from "../db/migrate.ts";
import type { AppserviceMatrix } from "../matrix/client.ts";
import { asIntakeError } from "../matrix/client.ts";
import { PermanentError } from "./dispatcher.ts";
import type { OutboxAction } from "./outbox-types.ts";
import { RoomOrderedWorker } from "./worker.ts";

export type { OutboxAction } from "./outbox-types.ts";

export const OUTBOX_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "outbox",
    sql: `
CREATE TABLE intake_outbox (
  seq BIGSERIAL PRIMARY KEY,
  cause TEXT NOT NULL,
  room_id TEXT NOT NULL,
  action JSONB NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  sent_at TIMESTAMPTZ,
  failed BOOLEAN NOT NULL DEFAULT false,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  result TEXT
);
CREATE INDEX intake_outbox_pending ON intake_outbox (seq) WHERE sent_at IS NULL`,
  },
];

const INSERT = `INSERT INTO intake_outbox (cause, room_id, action) VALUES ($1, $2, $3)`;
const PENDING = `
SELECT seq, cause, action, attempts FROM intake_outbox
WHERE sent_at IS NULL AND room_id <> ALL($2::text[]) ORDER BY seq LIMIT $1`;
const MARK_SENT = `UPDATE intake_outbox SET sent_at = now(), attempts = attempts + 1, result = $2, last_error = NULL WHERE seq = $1`;
const MARK_FAILED = `UPDATE intake_outbox SET sent_at = now(), failed = true, attempts = attempts + 1, last_error = $2 WHERE seq = $1`;
const RECORD_ATTEMPT = `UPDATE intake_outbox SET attempts = attempts + 1, last_error = $2 WHERE seq = $1`;

/** Queues `action` inside the caller's transaction; `cause` (the source event id) makes the send idempotent. */
export async function enqueue(tx: Queryable, cause: string, action: OutboxAction): Promise<void> {
  await tx.query(INSERT, [cause, action.roomId, JSON.stringify(action)]);
}

/** The transaction id of an outbox row: stable across retries and restarts, so the homeserver de-duplicates. */
export function outboxTxnId(seq: number, cause: string): string {
  return "ob" + createHash("sha256").update(`${seq}\0${cause}`).digest("hex").slice(0, 32);
}

interface Row {
  seq: number;
  cause: string;
  action: OutboxAction;
  attempts: number;
}

/** Sends queued actions in order per room, rooms in parallel; passing failures are retried with backoff. */
export class OutboxSender extends RoomOrderedWorker<Row> {
  constructor(db: Db, matrix: AppserviceMatrix, log: Logger, concurrency = 8) {
    super(
      {
        fetch: async (skipRooms) => {
          const r = await db.query<{ seq: string | number; cause: string; action: OutboxAction | string; attempts: number }>(PENDING, [1000, skipRooms]);
          return r.rows.map((x) => ({
            seq: Number(x.seq),
            cause: x.cause,
            action: typeof x.action === "string" ? (JSON.parse(x.action) as OutboxAction) : x.action,
            attempts: x.attempts,
          }));
        },
        roomOf: (row) => row.action.roomId,
        onFetchError: (e) => log.error({ err: e }, "outbox read failed"),
        process: (row) => sendOne(db, matrix, log, row),
      },
      concurrency,
    );
  }
}

/** The content key that carries an outbox message's transaction id (so a resend can find it). */
export const TXN_KEY = "de.schulhof.txn";

/** The event id of a message this client already sent with `txn`, among the room's latest events, or null. */
async function findSent(client: ReturnType<AppserviceMatrix["as"]>, roomId: string, eventType: string, txn: string): Promise<string | null> {
  const filter = JSON.stringify({ types: [eventType], senders: [client.getUserId()] });
  const page = await client.http.authedRequest<{ chunk: { event_id: string; content?: Record<string, unknown> }[] }>(
    Method.Get,
    `/rooms/${encodeURIComponent(roomId)}/messages`,
    { dir: "b", limit: "100", filter },
  );
  return page.chunk.find((e) => e.content?.[TXN_KEY] === txn)?.event_id ?? null;
}

async function sendOne(db: Db, matrix: AppserviceMatrix, log: Logger, row: Row): Promise<"done" | "retry"> {
  const a = row.action;
  const client = a.asUser === undefined ? matrix.bot : matrix.as(a.asUser);
  try {
    // Raw requests: the SDK's sendEvent queues messages one at a time per client (its scheduler),
    // which would make the bot answer a thousand rooms in single file.
    const enc = encodeURIComponent;
    let result = "";
    if (a.kind === "message") {
      const txn = outboxTxnId(row.seq, row.cause);
      // Synapse forgets transaction ids when it restarts: after a failed attempt whose outcome is
      // unknown (the homeserver may have stored the event before it went down), look for the event
      // by the transaction id it carries before sending it again.
      const earlier = row.attempts > 0 ? await findSent(client, a.roomId, a.eventType, txn) : null;
      if (earlier !== null) {
        result = earlier;
      } else {
        const path = `/rooms/${enc(a.roomId)}/send/${enc(a.eventType)}/${enc(txn)}`;
        result = (await client.http.authedRequest<{ event_id: string }>(Method.Put, path, undefined, { ...a.content, [TXN_KEY]: txn })).event_id;
      }
    } else if (a.kind === "state") {
      const path = `/rooms/${enc(a.roomId)}/state/${enc(a.eventType)}/${enc(a.stateKey)}`;
      result = (await client.http.authedRequest<{ event_id: string }>(Method.Put, path, undefined, a.content)).event_id;
    } else if (a.kind === "invite") {
      await client.http.authedRequest(Method.Post, `/rooms/${enc(a.roomId)}/invite`, undefined, { user_id: a.userId });
    } else {
      await client.http.authedRequest(Method.Post, `/join/${enc(a.roomId)}`, undefined, {});
    }
    await db.query(MARK_SENT, [row.seq, result]);
    return "done";
  } catch (e) {
    const err = asIntakeError(e);
    // Refusals (4xx) are final; a homeserver that is down or busy is waited for, however long. A join refused right
    // after an invite from another server is tried a few more times: that server may not have stored its invite yet.
    if (err instanceof PermanentError && !(a.kind === "join" && row.attempts < 5)) {
      log.warn({ err: e, seq: row.seq, room_id: a.roomId, kind: a.kind }, "outbox action refused for good");
      await db.query(MARK_FAILED, [row.seq, err.message.slice(0, 2000)]).catch(() => undefined);
      return "done";
    }
    await db.query(RECORD_ATTEMPT, [row.seq, err.message.slice(0, 2000)]).catch(() => undefined);
    return "retry";
  }
}
