// Auskunft (DSGVO Art. 15): what the mail bridge holds about one person, from its own database only: their mail
// conversations, every mail delivered to them (with its raw message, as received) and every mail they sent (as
// relayed), with the metadata the bridge keeps. The envelope recipients of an incoming mail are not exported: they
// may name other people of the school the mail was also delivered to (a Bcc the person could not see).
import type { Queryable } from "@schulhof/core";

export interface MailPersonExport {
  conversations: { room_id: string; subject: string; external: unknown; created_at: string; last_activity: string }[];
  received: { inbound_id: string; room_id: string; received_at: string; mail_from: string; remote_ip: string; helo: string; dmarc: string; auth: unknown; size: number; state: string; delivered_at: string | null; raw: Buffer }[];
  sent: { id: string; room_id: string; message_id: string; mail_from: string; rcpt_to: unknown; state: string; attempts: number; last_error: string | null; created_at: string; sent_at: string | null; relay_response: string | null; raw: Buffer }[];
}

const isoTs = (v: unknown): string | null => (v === null || v === undefined ? null : v instanceof Date ? v.toISOString() : String(v));
const buf = (v: unknown): Buffer => (Buffer.isBuffer(v) ? v : v instanceof Uint8Array ? Buffer.from(v) : Buffer.from(String(v)));

/** The person's rows of the mail bridge's database (one schema); `raw` holds each mail's bytes. */
export async function exportMailPerson(db: Queryable, userId: string): Promise<MailPersonExport> {
  const q = async <T>(sql: string): Promise<T[]> => (await db.query<T>(sql, [userId])).rows;
  const conversations = await q<{ room_id: string; subject: string; external: unknown; created_at: unknown; last_activity: string }>(
    `SELECT room_id, subject, external, created_at, last_activity FROM conversations WHERE local_user = $1 ORDER BY created_at`,
  );
  const received = await q<{ inbound_id: string; room_id: string; received_at: unknown; mail_from: string; remote_ip: string; helo: string; dmarc: string; auth: unknown; size: number; state: string; delivered_at: unknown; raw: unknown }>(
    `SELECT i.id AS inbound_id, d.room_id, i.received_at, i.mail_from, i.remote_ip, i.helo, i.dmarc, i.auth, i.size, i.state, i.delivered_at, i.raw
       FROM deliveries d JOIN inbound i ON i.id = d.inbound_id WHERE d.local_user = $1 ORDER BY i.id`,
  );
  const sent = await q<{ id: string; room_id: string; message_id: string; mail_from: string; rcpt_to: unknown; state: string; attempts: number; last_error: string | null; created_at: unknown; sent_at: unknown; relay_response: string | null; raw: unknown }>(
    `SELECT id, room_id, message_id, mail_from, rcpt_to, state, attempts, last_error, created_at, sent_at, relay_response, raw FROM outbound WHERE sender_user = $1 ORDER BY id`,
  );
  return {
    conversations: conversations.map((c) => ({ ...c, created_at: isoTs(c.created_at) ?? "", last_activity: new Date(Number(c.last_activity)).toISOString() })),
    received: received.map((r) => ({ ...r, inbound_id: String(r.inbound_id), received_at: isoTs(r.received_at) ?? "", delivered_at: isoTs(r.delivered_at), raw: buf(r.raw) })),
    sent: sent.map((s) => ({ ...s, id: String(s.id), created_at: isoTs(s.created_at) ?? "", sent_at: isoTs(s.sent_at), raw: buf(s.raw) })),
  };
}
