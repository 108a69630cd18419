// The shapes a parsed class list (Schülerliste / Lehrerliste) takes: people, row errors and the parse result.

import type { UserText } from "@schulhof/core";

/** What a person is at school; decides rights and which rooms they join. */
export type Role = "student" | "teacher" | "admin";

/** One valid row of a roster file. */
export interface RosterPerson {
  /** Physical line in the file where the row starts (the header is line 1). */
  line: number;
  /** Stable id from the school administration software, or null when the file has none. */
  externalId: string | null;
  role: Role;
  firstName: string;
  lastName: string;
  /**
   * Normalised class name (`5a`, `Q1`). Required for students; for teachers it names the class
   * they lead (Klassenleitung); null when empty.
   */
  className: string | null;
  /** Course names, trimmed and without duplicates, in file order. */
  courses: string[];
  email: string | null;
}

/** One problem in one row; `column` is the header as written in the file ("" for the whole row). */
export interface RosterRowError {
  line: number;
  column: string;
  message: UserText;
}

/** The result of `parseRoster`: valid people, row errors and what was detected about the file. */
export interface ParsedRoster {
  people: RosterPerson[];
  errors: RosterRowError[];
  encoding: "utf-8" | "windows-1252";
  delimiter: "," | ";";
}
