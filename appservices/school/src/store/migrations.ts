// Schema of the school appservice: its projection of people, rooms and memberships.
import type { Migration } from "@schulhof/core";

export const SCHOOL_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "people rooms memberships",
    sql: `
CREATE TABLE people (
  key TEXT PRIMARY KEY,
  user_id TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL,
  first_name TEXT NOT NULL,
  last_name TEXT NOT NULL,
  class_name TEXT,
  courses JSONB NOT NULL DEFAULT '[]',
  email TEXT,
  active BOOLEAN NOT NULL DEFAULT true,
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE rooms (
  key TEXT PRIMARY KEY,
  room_id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  parent_key TEXT,
  power_users JSONB NOT NULL DEFAULT '{}'
);
CREATE TABLE memberships (
  room_key TEXT NOT NULL,
  user_id TEXT NOT NULL,
  PRIMARY KEY (room_key, user_id)
);
CREATE TABLE imports (
  id BIGSERIAL PRIMARY KEY,
  started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  finished_at TIMESTAMPTZ,
  file_name TEXT,
  summary JSONB
)`,
  },
  {
    version: 2,
    name: "join rules",
    sql: `ALTER TABLE rooms ADD COLUMN join_rule JSONB NOT NULL DEFAULT '{"rule":"invite"}'`,
  },
  {
    version: 3,
    name: "initial passwords to change",
    // People whose password is still the one from their letter; the web client asks them to change it.
    sql: `CREATE TABLE initial_passwords (user_id TEXT PRIMARY KEY, issued_at TIMESTAMPTZ NOT NULL DEFAULT now())`,
  },
];
