// Schema of the mail bridge: the durable inbound and outbound queues, conversations and puppets.
import type { Migration } from "@schulhof/core";

export const MAIL_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "mail queues and conversations",
    sql: `
CREATE TABLE inbound (
  id BIGSERIAL PRIMARY KEY,
  received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  mail_from TEXT NOT NULL,
  rcpt_to JSONB NOT NULL,
  remote_ip TEXT NOT NULL DEFAULT '',
  helo TEXT NOT NULL DEFAULT '',
  auth JSONB NOT NULL DEFAULT '{}',
  dmarc TEXT NOT NULL DEFAULT 'none',
  raw BYTEA NOT NULL,
  size INTEGER NOT NULL,
  state TEXT NOT NULL DEFAULT 'queued',
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  delivered_at TIMESTAMPTZ
);
CREATE INDEX inbound_queued ON inbound (id) WHERE state = 'queued';
CREATE TABLE outbound (
  id BIGSERIAL PRIMARY KEY,
  cause TEXT NOT NULL UNIQUE,
  room_id TEXT NOT NULL,
  sender_user TEXT NOT NULL,
  message_id TEXT NOT NULL,
  mail_from TEXT NOT NULL,
  rcpt_to JSONB NOT NULL,
  raw BYTEA NOT NULL,
  state TEXT NOT NULL DEFAULT 'queued',
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  sent_at TIMESTAMPTZ,
  relay_response TEXT
);
CREATE INDEX outbound_queued ON outbound (next_attempt_at, id) WHERE state = 'queued';
CREATE TABLE conversations (
  room_id TEXT PRIMARY KEY,
  local_user TEXT NOT NULL,
  external JSONB NOT NULL,
  subject TEXT NOT NULL DEFAULT '',
  last_message_id TEXT,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE thread_keys (
  local_user TEXT NOT NULL,
  message_id TEXT NOT NULL,
  room_id TEXT NOT NULL,
  PRIMARY KEY (local_user, message_id)
);
CREATE TABLE deliveries (
  inbound_id BIGINT NOT NULL,
  local_user TEXT NOT NULL,
  room_id TEXT NOT NULL,
  PRIMARY KEY (inbound_id, local_user)
);
CREATE TABLE uploads (
  inbound_id BIGINT NOT NULL,
  part INTEGER NOT NULL,
  mxc TEXT NOT NULL,
  PRIMARY KEY (inbound_id, part)
);
CREATE TABLE puppets (
  address TEXT PRIMARY KEY,
  user_id TEXT NOT NULL UNIQUE,
  display_name TEXT NOT NULL DEFAULT ''
);
CREATE TABLE room_puppets (
  room_id TEXT NOT NULL,
  puppet TEXT NOT NULL,
  PRIMARY KEY (room_id, puppet)
);
CREATE TABLE rate (
  user_id TEXT PRIMARY KEY,
  window_start BIGINT NOT NULL,
  count INTEGER NOT NULL
)`,
  },
  {
    version: 2,
    name: "message ids delivered per person",
    // An outside server that lost our 250 sends the same mail again: delivered once per person by its Message-ID.
    sql: `
CREATE TABLE delivered_ids (
  local_user TEXT NOT NULL,
  message_id TEXT NOT NULL,
  PRIMARY KEY (local_user, message_id)
)`,
  },
  {
    version: 3,
    name: "last activity of conversations",
    // The inbox's order and paging: when the newest mail of the conversation came in or went out (ms since 1970).
    sql: `
ALTER TABLE conversations ADD COLUMN last_activity BIGINT NOT NULL DEFAULT 0;
UPDATE conversations c SET last_activity = GREATEST(
  (EXTRACT(EPOCH FROM c.created_at) * 1000)::BIGINT,
  COALESCE((SELECT MAX((EXTRACT(EPOCH FROM i.received_at) * 1000)::BIGINT) FROM deliveries d JOIN inbound i ON i.id = d.inbound_id WHERE d.room_id = c.room_id), 0),
  COALESCE((SELECT MAX((EXTRACT(EPOCH FROM o.created_at) * 1000)::BIGINT) FROM outbound o WHERE o.room_id = c.room_id), 0)
);
CREATE INDEX conversations_by_activity ON conversations (local_user, last_activity DESC, room_id DESC)`,
  },
];
