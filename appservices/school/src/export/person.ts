// Auskunft (DSGVO Art. 15): what the school appservice holds about one person, from its own database only:
// the roster entry (name, role, class, courses, address) and the rooms provisioning put them in.
import type { Queryable } from "@schulhof/core";

export interface SchoolPersonExport {
  roster: { key: string; role: string; first_name: string; last_name: string; class_name: string | null; courses: unknown; email: string | null; active: boolean; updated_at: string } | null;
  rooms: { room_id: string; name: string; kind: string }[];
  /** Whether the password from the credential letter is still to be changed, and since when. */
  initial_password_issued_at: string | null;
}

const isoTs = (v: unknown): string => (v instanceof Date ? v.toISOString() : String(v));

/** The person's rows of the school database (one schema), as plain JSON; `roster` is null for a person the roster does not know. */
export async function exportSchoolPerson(db: Queryable, userId: string): Promise<SchoolPersonExport> {
  const q = async <T>(sql: string): Promise<T[]> => (await db.query<T>(sql, [userId])).rows;
  const p = (await q<{ key: string; role: string; first_name: string; last_name: string; class_name: string | null; courses: unknown; email: string | null; active: boolean; updated_at: unknown }>(
    `SELECT key, role, first_name, last_name, class_name, courses, email, active, updated_at FROM people WHERE user_id = $1`,
  ))[0];
  const pw = (await q<{ issued_at: unknown }>(`SELECT issued_at FROM initial_passwords WHERE user_id = $1`))[0];
  return {
    roster: p === undefined ? null : { ...p, updated_at: isoTs(p.updated_at) },
    rooms: await q(`SELECT r.room_id, r.name, r.kind FROM memberships m JOIN rooms r ON r.key = m.room_key WHERE m.user_id = $1 ORDER BY r.kind, r.name`),
    initial_password_issued_at: pw === undefined ? null : isoTs(pw.issued_at),
  };
}
