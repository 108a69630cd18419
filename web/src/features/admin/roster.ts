// Pure helpers for the roster import: its NDJSON lines read one by one, and the diff put the way the office reads it.
import type { components } from "../../lib/api/generated/school.ts";

export type ImportReport = components["schemas"]["ImportReport"];
export type ImportProgress = components["schemas"]["Progress"];
export type RowError = components["schemas"]["RosterRowError"];

/** The error line of an import: a refused roster (with `rows`) or a failed import. */
export interface ImportFailure {
  errcode: string;
  error: string;
  rows: RowError[];
}

/** One line of the stream, as far as this client understands it. */
export type ImportLine = { kind: "progress"; progress: ImportProgress } | { kind: "report"; report: ImportReport } | { kind: "error"; error: ImportFailure };

/** Cuts a text stream into lines; call `push` with each chunk and `end` once. Answers the complete lines. */
export class LineSplitter {
  private rest = "";

  push(chunk: string): string[] {
    const text = this.rest + chunk;
    const lines = text.split("\n");
    this.rest = lines.pop() ?? "";
    return lines.filter((l) => l.trim() !== "");
  }

  end(): string[] {
    const last = this.rest.trim();
    this.rest = "";
    return last === "" ? [] : [last];
  }
}

const record = (v: unknown): Record<string, unknown> | null => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null);

function rowErrors(v: unknown): RowError[] {
  if (!Array.isArray(v)) return [];
  return v.flatMap((r) => {
    const row = record(r);
    const message = record(row?.message);
    if (row === null || typeof row.line !== "number") return [];
    return [{ line: row.line, column: typeof row.column === "string" ? row.column : "", message: { de: String(message?.de ?? ""), en: String(message?.en ?? "") } }];
  });
}

/** Reads one NDJSON line; null for a line that is not JSON or not one of the three kinds. */
export function parseImportLine(line: string): ImportLine | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  const obj = record(value);
  if (obj === null) return null;
  const progress = record(obj.progress);
  if (progress !== null && typeof progress.done === "number" && typeof progress.total === "number") return { kind: "progress", progress: progress as unknown as ImportProgress };
  const report = record(obj.report);
  if (report !== null && record(report.diff) !== null) return { kind: "report", report: report as unknown as ImportReport };
  const error = record(obj.error);
  if (error !== null) {
    return { kind: "error", error: { errcode: typeof error.errcode === "string" ? error.errcode : "M_UNKNOWN", error: typeof error.error === "string" ? error.error : "", rows: rowErrors(error.rows) } };
  }
  return null;
}

/** A person of the diff, ready to list. Names and classes are from the file or the school's records (text). */
export interface DiffPerson {
  name: string;
  role: string;
  className: string | null;
  line: number | null;
}

/** A person whose class changes. */
export interface ClassChange {
  name: string;
  from: string | null;
  to: string | null;
  line: number;
}

/** A person with other changes (courses, role, name). */
export interface OtherChange {
  name: string;
  line: number;
  coursesAdded: string[];
  coursesRemoved: string[];
  roleChanged: { from: string; to: string } | null;
  nameChanged: { from: string; to: string } | null;
}

/** The diff of an import as the preview shows it. */
export interface DiffSummary {
  added: DiffPerson[];
  leaving: DiffPerson[];
  returning: DiffPerson[];
  classChanges: ClassChange[];
  otherChanges: OtherChange[];
  unchanged: number;
  skipped: RowError[];
}

const fullName = (first: string, last: string): string => `${first} ${last}`.trim();

/** Sorts people for a list: by class, then name (German collation). */
const byClassAndName = <T extends { name: string; className?: string | null }>(a: T, b: T): number =>
  (a.className ?? "").localeCompare(b.className ?? "", "de", { numeric: true }) || a.name.localeCompare(b.name, "de");

/** Puts a report's diff in the preview's terms: new, leaving, back again, class changes, other changes, skipped rows. */
export function summarizeDiff(report: ImportReport): DiffSummary {
  const d = report.diff;
  const classChanges: ClassChange[] = [];
  const otherChanges: OtherChange[] = [];
  for (const c of d.changed) {
    const name = c.after.displayName || fullName(c.person.firstName, c.person.lastName);
    if (c.classChanged) classChanges.push({ name, from: c.before.className, to: c.after.className, line: c.person.line });
    const other: OtherChange = {
      name,
      line: c.person.line,
      coursesAdded: c.coursesAdded,
      coursesRemoved: c.coursesRemoved,
      roleChanged: c.roleChanged ? { from: c.before.role, to: c.after.role } : null,
      nameChanged: c.nameChanged ? { from: c.before.displayName, to: c.after.displayName } : null,
    };
    if (other.coursesAdded.length > 0 || other.coursesRemoved.length > 0 || other.roleChanged !== null || other.nameChanged !== null) otherChanges.push(other);
  }
  return {
    added: d.added.map((p) => ({ name: fullName(p.firstName, p.lastName), role: p.role, className: p.className, line: p.line })).sort(byClassAndName),
    leaving: d.removed.map((p) => ({ name: p.displayName, role: p.role, className: p.className, line: null })).sort(byClassAndName),
    returning: d.reactivated.map((r) => ({ name: fullName(r.person.firstName, r.person.lastName), role: r.person.role, className: r.person.className, line: r.person.line })).sort(byClassAndName),
    classChanges: classChanges.sort((a, b) => a.name.localeCompare(b.name, "de")),
    otherChanges: otherChanges.sort((a, b) => a.name.localeCompare(b.name, "de")),
    unchanged: d.unchanged,
    skipped: report.skippedRows,
  };
}

/** Whether the import would change anything at all. */
export function hasChanges(s: DiffSummary): boolean {
  return s.added.length + s.leaving.length + s.returning.length + s.classChanges.length + s.otherChanges.length > 0;
}

/** The id of the letters from the report's `letters_url` (`…/admin/letters/<id>`), or null. */
export function lettersId(lettersUrl: string | undefined): string | null {
  if (lettersUrl === undefined) return null;
  const m = /\/admin\/letters\/([A-Za-z0-9_-]+)$/.exec(lettersUrl);
  return m?.[1] ?? null;
}

/** What protects the school in an import, as the preview tells it: admins kept, and a deactivation that needs a second question. */
export interface GuardNotes {
  keptAdmins: { name: string; lastAdmin: boolean }[];
  /** Set when the import deactivates more than the allowed share: the Verwaltung asks a second time and sends `force`. */
  mass: { count: number; active: number; percent: number; max: number } | null;
}

/** The guard of a report (absent in reports of older servers: nothing kept, no second question). */
export function guardNotes(report: ImportReport): GuardNotes {
  const g = report.guard;
  if (g === undefined) return { keptAdmins: [], mass: null };
  return {
    keptAdmins: g.keptAdmins.map((k) => ({ name: k.displayName, lastAdmin: k.reason === "last_admin" })),
    mass: g.needsForce ? { count: g.deactivating, active: g.activeBefore, percent: Math.round((g.deactivating / Math.max(g.activeBefore, 1)) * 100), max: Math.round(g.maxShare * 100) } : null,
  };
}
