// Schema of the homework appservice: its projection of courses, assignments, submission rooms, submissions and feedback.
import type { Migration } from "@schulhof/core";

export const HOMEWORK_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "homework projection",
    sql: `
CREATE TABLE course_rooms (
  room_id TEXT PRIMARY KEY,
  name TEXT NOT NULL DEFAULT '',
  powers JSONB NOT NULL DEFAULT '{}',
  users_default INTEGER NOT NULL DEFAULT 0,
  creators JSONB NOT NULL DEFAULT '[]',
  is_course BOOLEAN NOT NULL DEFAULT false,
  submissions_space TEXT
);
CREATE TABLE course_members (
  room_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  power INTEGER NOT NULL DEFAULT 0,
  joined BOOLEAN NOT NULL DEFAULT true,
  PRIMARY KEY (room_id, user_id)
);
CREATE TABLE assignments (
  course_room TEXT NOT NULL,
  id TEXT NOT NULL,
  content JSONB NOT NULL,
  sender TEXT NOT NULL,
  event_id TEXT NOT NULL,
  origin_ts BIGINT NOT NULL,
  PRIMARY KEY (course_room, id)
);
CREATE TABLE submission_rooms (
  room_id TEXT PRIMARY KEY,
  course_room TEXT NOT NULL,
  students JSONB NOT NULL,
  assignment_id TEXT
);
CREATE INDEX submission_rooms_course ON submission_rooms (course_room);
CREATE TABLE submissions (
  event_id TEXT PRIMARY KEY,
  room_id TEXT NOT NULL,
  course_room TEXT NOT NULL,
  assignment_id TEXT NOT NULL,
  student TEXT NOT NULL,
  submitted_at BIGINT NOT NULL,
  late BOOLEAN NOT NULL,
  content JSONB NOT NULL
);
CREATE INDEX submissions_assignment ON submissions (course_room, assignment_id, student);
CREATE TABLE feedback (
  event_id TEXT PRIMARY KEY,
  room_id TEXT NOT NULL,
  course_room TEXT NOT NULL,
  assignment_id TEXT NOT NULL,
  student TEXT NOT NULL,
  sender TEXT NOT NULL,
  grade TEXT,
  points INTEGER,
  comment TEXT NOT NULL DEFAULT '',
  origin_ts BIGINT NOT NULL
);
CREATE INDEX feedback_assignment ON feedback (course_room, assignment_id, student);
CREATE TABLE extensions (
  course_room TEXT NOT NULL,
  assignment_id TEXT NOT NULL,
  student TEXT NOT NULL,
  due TEXT NOT NULL,
  cutoff TEXT,
  PRIMARY KEY (course_room, assignment_id, student)
);
CREATE TABLE started (
  course_room TEXT NOT NULL,
  assignment_id TEXT NOT NULL,
  student TEXT NOT NULL,
  PRIMARY KEY (course_room, assignment_id, student)
);
CREATE TABLE reminders_sent (
  course_room TEXT NOT NULL,
  assignment_id TEXT NOT NULL,
  student TEXT NOT NULL,
  sent_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (course_room, assignment_id, student)
);
CREATE TABLE team_jobs (
  course_room TEXT NOT NULL,
  assignment_id TEXT NOT NULL,
  team INTEGER NOT NULL,
  students JSONB NOT NULL,
  PRIMARY KEY (course_room, assignment_id, team)
);
CREATE TABLE drafts (
  id TEXT PRIMARY KEY,
  course_room TEXT NOT NULL,
  author TEXT NOT NULL,
  content JSONB NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE room_jobs (
  course_room TEXT NOT NULL,
  student TEXT NOT NULL,
  requested_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (course_room, student)
)`,
  },
  {
    version: 2,
    name: "levels for state events",
    // Kept from power-level events so that the API can tell before publishing whether the bot may write there.
    sql: `ALTER TABLE course_rooms ADD COLUMN state_levels JSONB`,
  },
];
