// Guards of a roster import: admins missing from the file are kept, the last admin stays, a mass deactivation needs a confirmation.

import { RosterImportRefusedError } from "./errors.ts";
import type { CurrentPerson, RosterDiff } from "./diff.ts";

/** The share of the school's active people an import may deactivate without `force` (more than this is refused). */
export const DEFAULT_MAX_DEACTIVATE_SHARE = 0.2;

export interface ImportGuardOptions {
  /** Deactivate admins that the file does not list (school administration exports usually have no admin rows). */
  adminsFromRoster?: boolean;
  /** The admin confirmed a deactivation above `maxDeactivateShare`. */
  force?: boolean;
  /** 0–1; default {@link DEFAULT_MAX_DEACTIVATE_SHARE}. */
  maxDeactivateShare?: number;
}

/** What the guards decided; part of the import report, shown by the dry run. */
export interface ImportGuard {
  /** Active admins missing from the file who stay active (`not_in_roster`), or stay because no admin would be left (`last_admin`). */
  keptAdmins: { userId: string; displayName: string; reason: "not_in_roster" | "last_admin" }[];
  /** Active people before the import, and how many it deactivates (after the admins kept). */
  activeBefore: number;
  deactivating: number;
  maxShare: number;
  /** The import deactivates more than `maxShare`: without `force` it is refused. */
  needsForce: boolean;
  forced: boolean;
}

/**
 * Applies the guards to a diff: admins missing from the roster leave `removed` unless `adminsFromRoster`, and the last
 * active admin is never deactivated (an import must not lock the school out). Answers the diff as it will be applied
 * and what the guards did. Pure; {@link refuseUnconfirmed} throws for an unconfirmed mass deactivation.
 */
export function guardImport(diff: RosterDiff, current: CurrentPerson[], opts: ImportGuardOptions = {}): { diff: RosterDiff; guard: ImportGuard } {
  const maxShare = opts.maxDeactivateShare ?? DEFAULT_MAX_DEACTIVATE_SHARE;
  const removedAdmins = diff.removed.filter((p) => p.role === "admin");
  const kept: ImportGuard["keptAdmins"] = [];
  if (opts.adminsFromRoster !== true) {
    for (const p of removedAdmins) kept.push({ userId: p.userId, displayName: p.displayName, reason: "not_in_roster" });
  } else if (removedAdmins.length > 0) {
    const removed = new Set(diff.removed.map((p) => p.key));
    const demoted = new Set(diff.changed.filter((c) => c.roleChanged && c.after.role !== "admin").map((c) => c.before.key));
    const stay = current.filter((p) => p.active && p.role === "admin" && !removed.has(p.key) && !demoted.has(p.key)).length;
    const come =
      diff.added.filter((p) => p.role === "admin").length +
      diff.reactivated.filter((r) => r.person.role === "admin").length +
      diff.changed.filter((c) => c.after.role === "admin" && c.before.active && c.before.role !== "admin").length;
    if (stay + come === 0) for (const p of removedAdmins) kept.push({ userId: p.userId, displayName: p.displayName, reason: "last_admin" });
  }
  const keptIds = new Set(kept.map((k) => k.userId));
  const guarded: RosterDiff = { ...diff, removed: diff.removed.filter((p) => !keptIds.has(p.userId)) };
  const activeBefore = current.filter((p) => p.active).length;
  const deactivating = guarded.removed.length;
  const needsForce = activeBefore > 0 && deactivating / activeBefore > maxShare;
  return { diff: guarded, guard: { keptAdmins: kept, activeBefore, deactivating, maxShare, needsForce, forced: opts.force === true } };
}

/** Throws `RosterImportRefusedError` (count, share and how to confirm, German and English) for an unconfirmed mass deactivation. */
export function refuseUnconfirmed(guard: ImportGuard): void {
  if (!guard.needsForce || guard.forced) return;
  throw new RosterImportRefusedError(guard.deactivating, guard.activeBefore, guard.maxShare);
}
