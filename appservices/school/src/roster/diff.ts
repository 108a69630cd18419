// What an import would change: people to add, deactivate, reactivate or update, and its dry-run text.

import { RosterInvalidError } from "./errors.ts";
import { normalizeName } from "./fields.ts";
import type { ImportGuard } from "./safety.ts";
import type { Role, RosterPerson, RosterRowError } from "./types.ts";

/** A person as the school knows them now (from the store); `key` is what `personKey` gave at import. */
export interface CurrentPerson {
  key: string;
  userId: string;
  role: Role;
  className: string | null;
  courses: string[];
  active: boolean;
  displayName: string;
}

/** The part of a person an import can change. */
export interface PersonState {
  role: Role;
  className: string | null;
  courses: string[];
  displayName: string;
}

/** One person whose class, courses, role, name or key differ between the store and the roster. */
export interface PersonChange {
  person: RosterPerson;
  before: CurrentPerson;
  after: PersonState;
  classChanged: boolean;
  coursesAdded: string[];
  coursesRemoved: string[];
  roleChanged: boolean;
  /** The display name differs from `displayNameOf(person)` (e.g. after a marriage, with a stable ID). */
  nameChanged: boolean;
  /** Matched by name although the roster now has an ID: store `personKey(person)` as the new key. */
  keyChanged: boolean;
}

/** The result of `diffRoster`. Reactivated people whose data also changed are in `changed` too. */
export interface RosterDiff {
  added: RosterPerson[];
  /** Active people missing from the roster: deactivate them (never delete: their work stays). */
  removed: CurrentPerson[];
  reactivated: { person: RosterPerson; before: CurrentPerson }[];
  changed: PersonChange[];
  unchanged: number;
}

/**
 * The key that identifies a person across imports: the external ID when the file has one, else
 * `vorname|nachname` in lower case with whitespace collapsed. Without IDs two people with the same
 * name cannot be told apart; `diffRoster` rejects that and asks for an ID column.
 */
export function personKey(p: Pick<RosterPerson, "externalId" | "firstName" | "lastName">): string {
  if (p.externalId !== null && p.externalId.trim() !== "") return p.externalId.trim();
  return nameKey(p);
}

function nameKey(p: Pick<RosterPerson, "firstName" | "lastName">): string {
  return `${normalizeName(p.firstName).toLowerCase()}|${normalizeName(p.lastName).toLowerCase()}`;
}

/** The display name an import gives a person: `Vorname Nachname`. */
export function displayNameOf(p: Pick<RosterPerson, "firstName" | "lastName">): string {
  return `${p.firstName} ${p.lastName}`;
}

/**
 * Rows that share a key with another row (two `Anna Schmidt` in different classes, no ID column): they cannot be told
 * apart, so none of them can be matched. Answers the other rows, one error per ambiguous row (naming the other line;
 * `later` only: just the second and later rows of each group, as the refusal names them) and the ambiguous keys. Pure.
 */
export function ambiguousRows(roster: RosterPerson[], which: "all" | "later" = "all"): { people: RosterPerson[]; errors: RosterRowError[]; keys: Set<string> } {
  const groups = new Map<string, RosterPerson[]>();
  for (const p of roster) groups.set(personKey(p), [...(groups.get(personKey(p)) ?? []), p]);
  const errors: RosterRowError[] = [];
  const keys = new Set<string>();
  for (const [key, rows] of groups) {
    if (rows.length < 2) continue;
    keys.add(key);
    for (const [i, p] of rows.entries()) {
      if (i === 0 && which === "later") continue;
      const other = i === 0 ? rows[1] : rows[0];
      errors.push({
        line: p.line,
        column: "ID",
        message: {
          de: `${displayNameOf(p)} ist ohne ID nicht von Zeile ${other?.line ?? "?"} zu unterscheiden; bitte eine Spalte „ID“ ergänzen.`,
          en: `${displayNameOf(p)} cannot be told apart from line ${other?.line ?? "?"} without an id; please add an "ID" column.`,
        },
      });
    }
  }
  errors.sort((a, b) => a.line - b.line);
  return { people: roster.filter((p) => !keys.has(personKey(p))), errors, keys };
}

/**
 * Compares the people in the store with a new roster. Matching is by `personKey`; a person with
 * an ID whose ID is not yet known is matched once by name (the school added an ID column), then
 * flagged `keyChanged`. Throws `RosterInvalidError` when two roster rows share a key. Pure.
 */
export function diffRoster(current: CurrentPerson[], roster: RosterPerson[], fileName?: string): RosterDiff {
  const conflicts = ambiguousRows(roster, "later").errors;
  if (conflicts.length > 0) throw new RosterInvalidError(conflicts, fileName);
  return diffUnambiguous(current, roster, new Set());
}

/**
 * `diffRoster` for an import that skips invalid rows: every row of an ambiguous name is skipped like a bad row (and
 * listed in `skipped`), the rest is compared. A known person with such a name is neither changed nor deactivated: the
 * file does not say which row is theirs. Pure.
 */
export function diffRosterSkipping(current: CurrentPerson[], roster: RosterPerson[]): { diff: RosterDiff; skipped: RosterRowError[] } {
  const { people, errors, keys } = ambiguousRows(roster, "all");
  return { diff: diffUnambiguous(current, people, keys), skipped: errors };
}

function diffUnambiguous(current: CurrentPerson[], roster: RosterPerson[], held: ReadonlySet<string>): RosterDiff {
  const currentByKey = new Map(current.map((c) => [c.key, c]));
  const matches = new Map<RosterPerson, { before: CurrentPerson; keyChanged: boolean }>();
  for (const p of roster) {
    const before = currentByKey.get(personKey(p));
    if (before !== undefined) matches.set(p, { before, keyChanged: false });
  }
  const claimed = new Set([...matches.values()].map((m) => m.before.key));
  const fallbacks = new Map<string, RosterPerson[]>();
  for (const p of roster) {
    if (matches.has(p) || p.externalId === null) continue;
    fallbacks.set(nameKey(p), [...(fallbacks.get(nameKey(p)) ?? []), p]);
  }
  for (const [key, people] of fallbacks) {
    const before = currentByKey.get(key);
    const only = people[0];
    if (before !== undefined && !claimed.has(key) && people.length === 1 && only !== undefined) {
      matches.set(only, { before, keyChanged: true });
      claimed.add(key);
    }
  }

  const diff: RosterDiff = { added: [], removed: [], reactivated: [], changed: [], unchanged: 0 };
  for (const p of roster) {
    const match = matches.get(p);
    if (match === undefined) {
      diff.added.push(p);
      continue;
    }
    const change = compare(p, match.before, match.keyChanged);
    if (!match.before.active) diff.reactivated.push({ person: p, before: match.before });
    if (change !== null) diff.changed.push(change);
    else if (match.before.active) diff.unchanged++;
  }
  diff.removed = current
    .filter((c) => c.active && !claimed.has(c.key) && !held.has(c.key))
    .sort((a, b) => a.displayName.localeCompare(b.displayName, "de"));
  return diff;
}

function compare(person: RosterPerson, before: CurrentPerson, keyChanged: boolean): PersonChange | null {
  const after: PersonState = {
    role: person.role,
    className: person.className,
    courses: person.courses,
    displayName: displayNameOf(person),
  };
  const coursesAdded = after.courses.filter((c) => !before.courses.includes(c));
  const coursesRemoved = before.courses.filter((c) => !after.courses.includes(c));
  const classChanged = before.className !== after.className;
  const roleChanged = before.role !== after.role;
  const nameChanged = before.displayName !== after.displayName;
  const changed =
    classChanged || roleChanged || nameChanged || keyChanged || coursesAdded.length + coursesRemoved.length > 0;
  if (!changed) return null;
  return { person, before, after, classChanged, coursesAdded, coursesRemoved, roleChanged, nameChanged, keyChanged };
}

const TEXT = {
  de: {
    summary: (d: RosterDiff) =>
      `${d.added.length} neu, ${d.removed.length} deaktivieren, ${d.reactivated.length} reaktivieren, ` +
      `${d.changed.length} ändern, ${d.unchanged} unverändert`,
    added: "Neu",
    removed: "Deaktivieren",
    reactivated: "Reaktivieren",
    changed: "Ändern",
    role: { student: "Schüler/in", teacher: "Lehrkraft", admin: "Admin" } as Record<Role, string>,
    klass: "Klasse",
    noClass: "keine Klasse",
    courses: "Kurse",
    roleWord: "Rolle",
    name: "Name",
    key: "neue ID",
    kept: "Bleiben aktiv (Admins)",
    keptWhy: { not_in_roster: "nicht in der Liste; Admins werden nur mit --admins-from-roster deaktiviert", last_admin: "der letzte aktive Admin der Schule wird nie deaktiviert" },
    mass: (n: number, of: number, pct: number, max: number, forced: boolean) =>
      `Achtung: ${n} von ${of} aktiven Personen würden deaktiviert (${pct} %, mehr als ${max} %). ` +
      (forced ? "Bestätigt (--force)." : "Der Import wird ohne Bestätigung abgelehnt (--force, in der Verwaltung: die Rückfrage)."),
  },
  en: {
    summary: (d: RosterDiff) =>
      `${d.added.length} new, ${d.removed.length} to deactivate, ${d.reactivated.length} to reactivate, ` +
      `${d.changed.length} to change, ${d.unchanged} unchanged`,
    added: "New",
    removed: "Deactivate",
    reactivated: "Reactivate",
    changed: "Change",
    role: { student: "student", teacher: "teacher", admin: "admin" } as Record<Role, string>,
    klass: "class",
    noClass: "no class",
    courses: "courses",
    roleWord: "role",
    name: "name",
    key: "new id",
    kept: "Stay active (admins)",
    keptWhy: { not_in_roster: "not in the file; admins are deactivated only with --admins-from-roster", last_admin: "the school's last active admin is never deactivated" },
    mass: (n: number, of: number, pct: number, max: number, forced: boolean) =>
      `Warning: ${n} of ${of} active people would be deactivated (${pct} %, more than ${max} %). ` +
      (forced ? "Confirmed (--force)." : "The import is refused without a confirmation (--force, in the Verwaltung: the second question)."),
  },
};

/**
 * The text `schulhof roster import --dry-run` prints: a summary line, then one line per person in
 * each non-empty section (with `guard`: the admins kept, and a warning when the import needs a confirmation). German
 * unless `lang` is `en`.
 */
export function formatDiff(diff: RosterDiff, lang: "de" | "en" = "de", guard?: ImportGuard): string {
  const t = TEXT[lang];
  const who = (p: RosterPerson): string =>
    `${displayNameOf(p)} (${t.role[p.role]}${p.className === null ? "" : `, ${t.klass} ${p.className}`})`;
  const lines = [t.summary(diff)];
  const section = (title: string, items: string[]): void => {
    if (items.length > 0) lines.push("", `${title} (${items.length}):`, ...items.map((i) => `  ${i}`));
  };
  section(t.added, diff.added.map((p) => `+ ${who(p)}`));
  section(t.removed, diff.removed.map((c) => `- ${c.displayName} (${c.userId})`));
  if (guard !== undefined) section(t.kept, guard.keptAdmins.map((k) => `= ${k.displayName} (${k.userId}): ${t.keptWhy[k.reason]}`));
  section(t.reactivated, diff.reactivated.map((r) => `* ${who(r.person)} (${r.before.userId})`));
  section(
    t.changed,
    diff.changed.map((c) => {
      const parts: string[] = [];
      if (c.nameChanged) parts.push(`${t.name} ${c.before.displayName} -> ${c.after.displayName}`);
      if (c.roleChanged) parts.push(`${t.roleWord} ${t.role[c.before.role]} -> ${t.role[c.after.role]}`);
      if (c.classChanged) {
        parts.push(`${t.klass} ${c.before.className ?? t.noClass} -> ${c.after.className ?? t.noClass}`);
      }
      if (c.coursesAdded.length > 0) parts.push(`${t.courses} + ${c.coursesAdded.join(", ")}`);
      if (c.coursesRemoved.length > 0) parts.push(`${t.courses} - ${c.coursesRemoved.join(", ")}`);
      if (c.keyChanged) parts.push(`${t.key} ${personKey(c.person)}`);
      return `~ ${displayNameOf(c.person)} (${c.before.userId}): ${parts.join("; ")}`;
    }),
  );
  if (guard?.needsForce === true) {
    const pct = Math.round((guard.deactivating / guard.activeBefore) * 100);
    lines.push("", t.mass(guard.deactivating, guard.activeBefore, pct, Math.round(guard.maxShare * 100), guard.forced));
  }
  return lines.join("\n");
}
