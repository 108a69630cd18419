// The people table: who the school has, keyed by the roster's person key.
import type { Queryable } from "@schulhof/core";
import type { CurrentPerson, Role } from "../roster/index.ts";

/** A stored person. */
export interface PersonRow {
  key: string;
  userId: string;
  role: Role;
  firstName: string;
  lastName: string;
  className: string | null;
  courses: string[];
  email: string | null;
  active: boolean;
}

const SELECT_ALL = `SELECT key, user_id, role, first_name, last_name, class_name, courses, email, active FROM people`;
const SELECT_ACTIVE_BY_USER = `SELECT key, user_id, role, first_name, last_name, class_name, courses, email, active FROM people WHERE user_id = $1 AND active`;
const UPSERT = `
INSERT INTO people (key, user_id, role, first_name, last_name, class_name, courses, email, active, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now())
ON CONFLICT (key) DO UPDATE SET user_id = $2, role = $3, first_name = $4, last_name = $5, class_name = $6,
  courses = $7, email = $8, active = $9, updated_at = now()`;
const DELETE_BY_USER = `DELETE FROM people WHERE user_id = $1 AND key <> $2`;
const DELETE_ALL = `DELETE FROM people`;

interface Raw {
  key: string;
  user_id: string;
  role: Role;
  first_name: string;
  last_name: string;
  class_name: string | null;
  courses: string[] | string;
  email: string | null;
  active: boolean;
}

const toRow = (x: Raw): PersonRow => ({
    key: x.key,
    userId: x.user_id,
    role: x.role,
    firstName: x.first_name,
    lastName: x.last_name,
    className: x.class_name,
    courses: typeof x.courses === "string" ? (JSON.parse(x.courses) as string[]) : x.courses,
    email: x.email,
    active: x.active,
});

/** Every person, active or not. */
export async function allPeople(db: Queryable): Promise<PersonRow[]> {
  return (await db.query<Raw>(SELECT_ALL)).rows.map(toRow);
}

/** The active person with this user id, or null. */
export async function activePersonByUser(db: Queryable, userId: string): Promise<PersonRow | null> {
  const r = (await db.query<Raw>(SELECT_ACTIVE_BY_USER, [userId])).rows[0];
  return r === undefined ? null : toRow(r);
}

/** Stores a person (insert or update by key). */
export async function savePerson(db: Queryable, p: PersonRow): Promise<void> {
  await db.query(DELETE_BY_USER, [p.userId, p.key]);
  await db.query(UPSERT, [p.key, p.userId, p.role, p.firstName, p.lastName, p.className, JSON.stringify(p.courses), p.email, p.active]);
}

/** Empties the table (reindex). */
export async function clearPeople(db: Queryable): Promise<void> {
  await db.query(DELETE_ALL);
}

/** The people as the roster diff wants them. */
export function asCurrent(p: PersonRow): CurrentPerson {
  return {
    key: p.key,
    userId: p.userId,
    role: p.role,
    className: p.className,
    courses: p.courses,
    active: p.active,
    displayName: `${p.firstName} ${p.lastName}`,
  };
}

/** Notes that `userId` now has an initial password (from a letter) that they should change. */
export async function markInitialPassword(db: Queryable, userId: string): Promise<void> {
  await db.query(`INSERT INTO initial_passwords (user_id) VALUES ($1) ON CONFLICT (user_id) DO UPDATE SET issued_at = now()`, [userId]);
}

/** Whether `userId` still has the password of their letter. */
export async function hasInitialPassword(db: Queryable, userId: string): Promise<boolean> {
  return (await db.query(`SELECT 1 FROM initial_passwords WHERE user_id = $1`, [userId])).rows.length > 0;
}

/** The person changed their password. */
export async function clearInitialPassword(db: Queryable, userId: string): Promise<void> {
  await db.query(`DELETE FROM initial_passwords WHERE user_id = $1`, [userId]);
}
