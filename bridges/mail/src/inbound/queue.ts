/**
 * The durable inbound queue (table `inbound`, see store/migrations.ts): the SMTP server stores
 * each accepted message with `storeInbound` before it answers 250; the delivery worker takes
 * due messages with `nextInbound`, and marks each delivered (inside its delivery transaction),
 * for a retry with backoff, or failed for good.
 */
import type { Db, Queryable } from "@schulhof/core";
import type { AuthSummary, InboundMessage } from "./types.ts";

/** A queued message as the delivery worker gets it. */
export interface InboundRow {
  id: number;
  receivedAt: Date;
  mailFrom: string;
  rcptTo: string[];
  remoteIp: string;
  helo: string;
  auth: AuthSummary;
  dmarc: string;
  raw: Buffer;
  size: number;
  /** Delivery attempts so far (0 for a new message). */
  attempts: number;
  lastError: string | null;
}

/** Longest `last_error` kept. */
const MAX_ERROR_LENGTH = 2000;

const INSERT = `
INSERT INTO inbound (mail_from, rcpt_to, remote_ip, helo, auth, dmarc, raw, size)
VALUES ($1, $2::jsonb, $3, $4, $5::jsonb, $6, $7, $8)
RETURNING id`;
const NEXT = `
SELECT id, received_at, mail_from, rcpt_to, remote_ip, helo, auth, dmarc, raw, size, attempts, last_error
FROM inbound WHERE state = 'queued' AND next_attempt_at <= now() ORDER BY id LIMIT $1`;
const DELIVERED = `
UPDATE inbound SET state = 'delivered', delivered_at = now(), attempts = attempts + 1, last_error = NULL
WHERE id = $1 AND state = 'queued'`;
const RETRY = `
UPDATE inbound SET attempts = attempts + 1, last_error = $2,
  next_attempt_at = now() + ($3::double precision * interval '1 millisecond')
WHERE id = $1 AND state = 'queued'`;
const FAILED = `
UPDATE inbound SET state = 'failed', attempts = attempts + 1, last_error = $2
WHERE id = $1 AND state = 'queued'`;

interface DbRow {
  id: string | number | bigint;
  received_at: Date | string;
  mail_from: string;
  rcpt_to: unknown;
  remote_ip: string;
  helo: string;
  auth: unknown;
  dmarc: string;
  raw: Uint8Array;
  size: number;
  attempts: number;
  last_error: string | null;
}

function json<T>(value: unknown): T {
  return (typeof value === "string" ? JSON.parse(value) : value) as T;
}

function toRow(r: DbRow): InboundRow {
  const raw = Buffer.isBuffer(r.raw) ? r.raw : Buffer.from(r.raw.buffer, r.raw.byteOffset, r.raw.byteLength);
  return {
    id: Number(r.id),
    receivedAt: r.received_at instanceof Date ? r.received_at : new Date(r.received_at),
    mailFrom: r.mail_from,
    rcptTo: json<string[]>(r.rcpt_to),
    remoteIp: r.remote_ip,
    helo: r.helo,
    auth: json<AuthSummary>(r.auth),
    dmarc: r.dmarc,
    raw,
    size: Number(r.size),
    attempts: Number(r.attempts),
    lastError: r.last_error,
  };
}

/**
 * Inserts a received message as `queued` in its own transaction and returns its id. The message is
 * durable when the promise resolves (the `Db` contract), so the server may answer 250 then.
 */
export async function storeInbound(db: Db, msg: InboundMessage): Promise<number> {
  return db.transaction(async (tx) => {
    const r = await tx.query<{ id: string | number }>(INSERT, [
      msg.mailFrom,
      JSON.stringify(msg.rcptTo),
      msg.remoteIp,
      msg.helo,
      JSON.stringify(msg.auth),
      msg.dmarc,
      msg.raw,
      msg.size,
    ]);
    const id = r.rows[0]?.id;
    if (id === undefined) throw new Error("inbound: INSERT returned no id");
    return Number(id);
  });
}

/**
 * Up to `limit` queued messages whose next attempt is due, oldest first. Not a claim: meant for one
 * delivery worker per database (the rows stay `queued` until marked).
 */
export async function nextInbound(db: Queryable, limit: number): Promise<InboundRow[]> {
  const r = await db.query<DbRow>(NEXT, [limit]);
  return r.rows.map(toRow);
}

/**
 * Marks a message delivered; call it inside the transaction that records the delivery so that
 * both commit together. False when the message was not queued (already delivered or failed).
 */
export async function markDelivered(tx: Queryable, id: number | string): Promise<boolean> {
  const r = await tx.query<{ id: string }>(`${DELIVERED} RETURNING id`, [id]);
  return r.rows.length > 0;
}

/** Records a failed attempt and schedules the next one `backoffMs` from now; false when not queued. */
export async function markInboundRetry(db: Queryable, id: number | string, error: string, backoffMs: number): Promise<boolean> {
  const wait = Number.isFinite(backoffMs) && backoffMs > 0 ? backoffMs : 0;
  const r = await db.query<{ id: string }>(`${RETRY} RETURNING id`, [id, error.slice(0, MAX_ERROR_LENGTH), wait]);
  return r.rows.length > 0;
}

/** Gives a message up for good (state `failed`, kept for the admins); false when not queued. */
export async function markInboundFailed(db: Queryable, id: number | string, error: string): Promise<boolean> {
  const r = await db.query<{ id: string }>(`${FAILED} RETURNING id`, [id, error.slice(0, MAX_ERROR_LENGTH)]);
  return r.rows.length > 0;
}
