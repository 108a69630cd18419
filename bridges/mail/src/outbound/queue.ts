/**
 * The durable outbound queue (table `outbound` of store/migrations.ts): one row per Matrix event
 * that became a mail, keyed by that event's id (`cause`), so a replayed event enqueues nothing.
 * States: 'queued' → 'sent' | 'failed' (rejected or expired); a later DSN turns a row 'bounced'.
 */
import type { Queryable } from "@schulhof/core";

/** State of an outbound row. */
export type OutboundState = "queued" | "sent" | "failed" | "bounced";

/** An outbound row as handed to hooks (without the raw message). */
export interface OutboundRow {
  id: number;
  /** Matrix event id that caused the mail. */
  cause: string;
  roomId: string;
  senderUser: string;
  /** `<id@domain>` of the mail. */
  messageId: string;
  /** Envelope sender (the VERP bounce address). */
  mailFrom: string;
  rcptTo: string[];
  state: OutboundState;
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  sentAt: Date | null;
  relayResponse: string | null;
}

/** What `enqueueOutbound` stores. */
export interface OutboundInput {
  cause: string;
  roomId: string;
  senderUser: string;
  messageId: string;
  /**
   * Envelope sender. Pass a function to derive it from the new row's id, e.g.
   * `(id) => bounceAddress(id, domain, secret)` for VERP (the id is not known before the insert).
   */
  mailFrom: string | ((id: number) => string);
  rcptTo: string[];
  raw: Buffer;
}

/** Columns of `OutboundRow` (everything but `raw`), for SELECT and RETURNING lists. */
export const OUTBOUND_COLUMNS =
  "id, cause, room_id, sender_user, message_id, mail_from, rcpt_to, state, attempts, last_error, created_at, sent_at, relay_response";

const INSERT = `
INSERT INTO outbound (cause, room_id, sender_user, message_id, mail_from, rcpt_to, raw)
VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7)
ON CONFLICT (cause) DO NOTHING
RETURNING id`;
const SET_MAIL_FROM = `UPDATE outbound SET mail_from = $2 WHERE id = $1`;
const BY_CAUSE = `SELECT id FROM outbound WHERE cause = $1`;

function toDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  return value instanceof Date ? value : new Date(String(value));
}

/** Maps a database row (snake_case, as returned by pg or PGlite) to an `OutboundRow`. */
export function toOutboundRow(r: Record<string, unknown>): OutboundRow {
  const rcpt = typeof r.rcpt_to === "string" ? (JSON.parse(r.rcpt_to) as unknown) : r.rcpt_to;
  return {
    id: Number(r.id),
    cause: String(r.cause),
    roomId: String(r.room_id),
    senderUser: String(r.sender_user),
    messageId: String(r.message_id),
    mailFrom: String(r.mail_from),
    rcptTo: Array.isArray(rcpt) ? rcpt.map(String) : [],
    state: String(r.state) as OutboundState,
    attempts: Number(r.attempts),
    lastError: r.last_error === null || r.last_error === undefined ? null : String(r.last_error),
    createdAt: toDate(r.created_at) ?? new Date(0),
    sentAt: toDate(r.sent_at),
    relayResponse: r.relay_response === null || r.relay_response === undefined ? null : String(r.relay_response),
  };
}

/** A BYTEA value as a Buffer (pg answers Buffer, PGlite Uint8Array). */
export function toBuffer(value: unknown): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  throw new TypeError("expected a BYTEA value");
}

/**
 * Queues one outbound mail inside the caller's transaction (INSERT … ON CONFLICT (cause) DO
 * NOTHING). A replayed cause creates nothing and answers the existing row's id with
 * `created: false`. Call the sender's `kick()` after the transaction commits.
 * @throws TypeError for an empty recipient list, a non-Buffer `raw` or an empty envelope sender.
 */
export async function enqueueOutbound(tx: Queryable, row: OutboundInput): Promise<{ id: number; created: boolean }> {
  if (!Array.isArray(row.rcptTo) || row.rcptTo.length === 0) throw new TypeError("outbound mail needs at least one recipient");
  if (!Buffer.isBuffer(row.raw)) throw new TypeError("outbound raw message must be a Buffer");
  const fixedFrom = typeof row.mailFrom === "string" ? row.mailFrom : "";
  if (typeof row.mailFrom === "string" && !fixedFrom) throw new TypeError("outbound mail needs an envelope sender");
  const inserted = await tx.query<{ id: string | number }>(INSERT, [
    row.cause,
    row.roomId,
    row.senderUser,
    row.messageId,
    fixedFrom,
    JSON.stringify(row.rcptTo),
    row.raw,
  ]);
  const first = inserted.rows[0];
  if (first === undefined) {
    const existing = await tx.query<{ id: string | number }>(BY_CAUSE, [row.cause]);
    const found = existing.rows[0];
    if (found === undefined) throw new Error(`outbound row for cause ${row.cause} vanished`);
    return { id: Number(found.id), created: false };
  }
  const id = Number(first.id);
  if (typeof row.mailFrom === "function") {
    const mailFrom = row.mailFrom(id);
    if (!mailFrom) throw new TypeError("outbound mail needs an envelope sender");
    await tx.query(SET_MAIL_FROM, [id, mailFrom]);
  }
  return { id, created: true };
}

/** Reads one outbound row (without the raw message), or null. */
export async function getOutbound(q: Queryable, id: number): Promise<OutboundRow | null> {
  const r = await q.query<Record<string, unknown>>(`SELECT ${OUTBOUND_COLUMNS} FROM outbound WHERE id = $1`, [id]);
  const row = r.rows[0];
  return row === undefined ? null : toOutboundRow(row);
}
