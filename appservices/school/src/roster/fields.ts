// The columns of a roster file with their German and English names, and how each cell is read.

import type { Role } from "./types.ts";

/** The columns Schulhof understands; any other column of an export is ignored. */
export type ColumnKey = "role" | "firstName" | "lastName" | "className" | "courses" | "email" | "externalId";

/** Per column: the German name used in messages, whether it is required, and accepted headers. */
export const COLUMNS: Record<ColumnKey, { de: string; required: boolean; names: string[] }> = {
  role: { de: "Rolle", required: true, names: ["Rolle", "Typ", "Role"] },
  firstName: { de: "Vorname", required: true, names: ["Vorname", "First name", "firstname"] },
  lastName: { de: "Nachname", required: true, names: ["Nachname", "Name", "Familienname", "Last name", "lastname"] },
  className: { de: "Klasse", required: false, names: ["Klasse", "Class"] },
  courses: { de: "Kurse", required: false, names: ["Kurse", "Kurs", "Courses", "Fächer", "Faecher"] },
  email: { de: "E-Mail", required: false, names: ["E-Mail", "Email", "Mail"] },
  externalId: {
    de: "ID",
    required: false,
    names: ["ID", "Kennung", "Schüler-ID", "Schueler-ID", "Personen-ID", "External ID"],
  },
};

/** Header text compared case-insensitively and without spaces, `-`, `_` and `.`. */
function headerKey(name: string): string {
  return name.normalize("NFC").toLowerCase().replace(/[\s\-_.]/g, "");
}

/** Where each known column is in a header row, and its header as written in the file. */
export type ColumnMap = Partial<Record<ColumnKey, { index: number; header: string }>>;

/** Maps a header row to column positions; the first matching header wins when two mean the same. */
export function mapHeaders(header: string[]): ColumnMap {
  const map: ColumnMap = {};
  header.forEach((raw, index) => {
    const key = headerKey(raw);
    for (const [column, spec] of Object.entries(COLUMNS) as [ColumnKey, (typeof COLUMNS)[ColumnKey]][]) {
      if (map[column] === undefined && spec.names.some((n) => headerKey(n) === key)) {
        map[column] = { index, header: raw.trim() };
      }
    }
  });
  return map;
}

const ROLE_VALUES: Record<string, Role> = {};
for (const v of ["schüler", "schülerin", "schüler/in", "schueler", "schuelerin", "sus", "s", "student"]) {
  ROLE_VALUES[v] = "student";
}
for (const v of ["lehrer", "lehrerin", "lehrer/in", "lehrkraft", "l", "teacher"]) ROLE_VALUES[v] = "teacher";
for (const v of ["admin", "schuladmin", "administrator"]) ROLE_VALUES[v] = "admin";

/** Reads a role cell (`Schüler`, `SuS`, `L`, `teacher`, …), case-insensitively; null when unknown. */
export function parseRole(value: string): Role | null {
  return ROLE_VALUES[value.normalize("NFC").trim().toLowerCase()] ?? null;
}

const CLASS_PATTERN = /^(?:0?([5-9])|(1[0-3])|(EF|E[12]?|Q[1-4]|J[12]))([a-z])?$/i;

/**
 * Normalises a class name or returns null when it is not one. Accepted: grades 5–13 (a leading
 * zero as in SchILD's `05a` is dropped), the upper-school year groups `E`, `EF`, `E1`, `E2`,
 * `Q1`–`Q4` and `J1`, `J2` (Baden-Württemberg), each optionally followed by one letter.
 * Year groups are written in capitals, the letter in lower case: `05A` → `5a`, `q1b` → `Q1b`.
 */
export function normalizeClassName(value: string): string | null {
  const m = CLASS_PATTERN.exec(value.trim());
  if (m === null) return null;
  const stem = m[1] ?? m[2] ?? (m[3] ?? "").toUpperCase();
  return stem + (m[4] ?? "").toLowerCase();
}

/**
 * Splits a course cell into course names. Separators are `|` and `,`, and also `;` when the file
 * itself is separated by commas. Names are trimmed, inner spaces collapsed, duplicates dropped.
 */
export function splitCourses(value: string, delimiter: "," | ";"): string[] {
  const separators = delimiter === "," ? /[|,;]/ : /[|,]/;
  const courses: string[] = [];
  for (const part of value.split(separators)) {
    const name = normalizeName(part);
    if (name !== "" && !courses.includes(name)) courses.push(name);
  }
  return courses;
}

/** Trims a name, collapses inner whitespace and composes umlauts (NFC), as macOS may export NFD. */
export function normalizeName(value: string): string {
  return value.normalize("NFC").trim().replace(/\s+/g, " ");
}

/** A plausible e-mail address: one `@`, no spaces, a dot in the domain. */
export function isValidEmail(value: string): boolean {
  return /^[^\s@]+@[^\s@]+\.[^\s@.]+$/.test(value);
}
