// Schema of the calendar appservice: its projection of calendar rooms, members, events and exams, plus feeds.
import type { Migration } from "@schulhof/core";

export const CALENDAR_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "calendar projection",
    sql: `
CREATE SEQUENCE change_seq;
CREATE TABLE rooms (
  room_id TEXT PRIMARY KEY,
  kind TEXT,
  name TEXT NOT NULL DEFAULT '',
  calendar JSONB,
  school JSONB,
  course JSONB,
  exam_cohort JSONB,
  exam_rules JSONB,
  parent TEXT,
  powers JSONB NOT NULL DEFAULT '{}',
  users_default INTEGER NOT NULL DEFAULT 0,
  state_default INTEGER NOT NULL DEFAULT 50,
  event_levels JSONB NOT NULL DEFAULT '{}',
  creators JSONB NOT NULL DEFAULT '[]',
  version BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE members (
  room_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  joined BOOLEAN NOT NULL,
  PRIMARY KEY (room_id, user_id)
);
CREATE INDEX members_user ON members (user_id) WHERE joined;
CREATE TABLE events (
  room_id TEXT NOT NULL,
  uid TEXT NOT NULL,
  content JSONB NOT NULL,
  sender TEXT NOT NULL,
  event_id TEXT NOT NULL,
  origin_ts BIGINT NOT NULL,
  category TEXT NOT NULL,
  first_day TEXT NOT NULL,
  last_day TEXT NOT NULL,
  PRIMARY KEY (room_id, uid)
);
CREATE INDEX events_days ON events (room_id, first_day, last_day);
CREATE TABLE personal (
  user_id TEXT PRIMARY KEY,
  room_id TEXT,
  send_feed BOOLEAN NOT NULL DEFAULT false,
  requested_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE feeds (
  id TEXT PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  token_box TEXT NOT NULL,
  user_id TEXT NOT NULL,
  room_id TEXT,
  label TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  last_used_at TIMESTAMPTZ,
  revoked_at TIMESTAMPTZ
);
CREATE INDEX feeds_user ON feeds (user_id);
CREATE TABLE reminders_sent (
  room_id TEXT NOT NULL,
  uid TEXT NOT NULL,
  occurrence TEXT NOT NULL,
  sent_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (room_id, uid, occurrence)
);
CREATE TABLE exams (
  id TEXT PRIMARY KEY,
  cohort_room TEXT NOT NULL,
  course_room TEXT NOT NULL,
  status TEXT NOT NULL,
  date TEXT NOT NULL,
  content JSONB NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX exams_cohort ON exams (cohort_room, date);
CREATE TABLE holiday_years (
  room_id TEXT NOT NULL,
  year INTEGER NOT NULL,
  PRIMARY KEY (room_id, year)
)`,
  },
];
