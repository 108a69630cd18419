// A roster import from file to homeserver: parse, diff, accounts, rooms, memberships, letters.
import { Method } from "matrix-js-sdk";
import type { AppserviceMatrix, Db, Logger, SynapseAdmin } from "@schulhof/core";
import { localUserId, localpartOf, SynapseAdminError } from "@schulhof/core";
import {
  diffRoster,
  diffRosterSkipping,
  displayNameOf,
  formatDiff,
  guardImport,
  initialPassword,
  localpartFor,
  parseRoster,
  personKey,
  refuseUnconfirmed,
  type ImportGuard,
  type LetterPerson,
  type RosterDiff,
  type RosterPerson,
  type RosterRowError,
} from "../roster/index.ts";
import { allPeople, asCurrent, markInitialPassword, savePerson, type PersonRow } from "../store/people.ts";
import { allMemberships, removeMembership } from "../store/rooms.ts";
import { applyPlan, type ApplyResult, type Progress } from "./apply.ts";
import { planSchool, type SchoolInfo } from "./plan.ts";
import { runPool } from "./pool.ts";

export interface ImportDeps {
  db: Db;
  matrix: AppserviceMatrix;
  admin: SynapseAdmin;
  log: Logger;
  serverName: string;
  school: SchoolInfo;
  /** Bots of feature appservices that join every course room at power 50. */
  courseBots?: readonly string[];
  calendarBot?: string | null;
  examBot?: string | null;
  /** Parallel account requests; each costs one bcrypt hash on the homeserver. */
  userConcurrency?: number;
  /** Parallel room and membership requests. */
  concurrency?: number;
}

export interface ImportOptions {
  dryRun?: boolean;
  skipInvalid?: boolean;
  fileName?: string;
  lang?: "de" | "en";
  /** Deactivate admins the file does not list (by default they are kept; the last active admin always is). */
  adminsFromRoster?: boolean;
  /** Confirms an import that deactivates more than `maxDeactivateShare` of the school. */
  force?: boolean;
  /** 0–1, default 0.2 (the school appservice's `maxDeactivateShare`). */
  maxDeactivateShare?: number;
}

/** What an import did; `letters` holds the new initial passwords and must go only into the PDF. */
export interface ImportReport {
  dryRun: boolean;
  diff: RosterDiff;
  diffText: string;
  /** Admins kept, and whether the import deactivates more than the allowed share (then it needs `force`). */
  guard: ImportGuard;
  skippedRows: RosterRowError[];
  letters: LetterPerson[];
  deactivated: string[];
  apply: ApplyResult | null;
  failures: { what: string; reason: string }[];
  seconds: { accounts: number; rooms: number; total: number };
}

const ACCOUNT_DATA_INDEX = "de.schulhof.people";

function rowOf(p: RosterPerson, userId: string, active: boolean): PersonRow {
  return {
    key: personKey(p),
    userId,
    role: p.role,
    firstName: p.firstName,
    lastName: p.lastName,
    className: p.className,
    courses: p.courses,
    email: p.email,
    active,
  };
}

/**
 * Imports a roster file. Without `dryRun` it creates accounts for new people (with initial
 * passwords), deactivates people who left (never deletes), reactivates returning people with a new
 * password, then reconciles rooms and memberships with the plan. Progress is reported per phase.
 * Throws RosterInvalidError (every bad row with line and column), or RosterImportRefusedError (a deactivation of more
 * than the allowed share, unconfirmed), before changing anything. Admins missing from the file are kept unless
 * `adminsFromRoster`; the last active admin always is.
 */
export async function importRoster(
  input: Buffer,
  opts: ImportOptions,
  deps: ImportDeps,
  onProgress: (p: Progress) => void = () => undefined,
): Promise<ImportReport> {
  const t0 = performance.now();
  const parsed = parseRoster(input, { skipInvalid: opts.skipInvalid ?? false, ...(opts.fileName === undefined ? {} : { fileName: opts.fileName }) });
  const current = await allPeople(deps.db);
  const known = current.map(asCurrent);
  // Skipping invalid rows skips the rows of names that cannot be told apart too; otherwise they refuse the file.
  const compared = opts.skipInvalid === true ? diffRosterSkipping(known, parsed.people) : { diff: diffRoster(known, parsed.people, opts.fileName), skipped: [] };
  const { diff, guard } = guardImport(compared.diff, known, {
    adminsFromRoster: opts.adminsFromRoster === true,
    force: opts.force === true,
    ...(opts.maxDeactivateShare === undefined ? {} : { maxDeactivateShare: opts.maxDeactivateShare }),
  });
  const report: ImportReport = {
    dryRun: opts.dryRun === true,
    diff,
    diffText: formatDiff(diff, opts.lang ?? "de", guard),
    guard,
    skippedRows: [...parsed.errors, ...compared.skipped].sort((a, b) => a.line - b.line),
    letters: [],
    deactivated: [],
    apply: null,
    failures: [],
    seconds: { accounts: 0, rooms: 0, total: 0 },
  };
  if (opts.dryRun === true) return report;
  // Before anything changes: a mass deactivation needs the admin's confirmation.
  refuseUnconfirmed(guard);

  // Accounts first get their user ids (a localpart may exist on the homeserver without being ours).
  const taken = new Set(current.map((p) => localpartOf(p.userId)));
  const newIds = new Map<RosterPerson, string>();
  for (const p of diff.added) newIds.set(p, localUserId(localpartFor(p.firstName, p.lastName, taken), deps.serverName));
  await runPool(diff.added, 16, async (p) => {
    while ((await deps.admin.getUser(newIds.get(p) ?? "")) !== null) {
      newIds.set(p, localUserId(localpartFor(p.firstName, p.lastName, taken), deps.serverName));
    }
  });

  // The people as they will be; rooms are planned from them while the accounts are being made.
  const future = new Map(current.map((p) => [p.key, { ...p }]));
  for (const gone of diff.removed) future.set(gone.key, { ...(future.get(gone.key) as PersonRow), active: false });
  for (const { person, before } of diff.reactivated) future.set(before.key, rowOf(person, before.userId, true));
  for (const c of diff.changed) {
    future.delete(c.before.key);
    future.set(personKey(c.person), rowOf(c.person, c.before.userId, true));
  }
  for (const p of diff.added) future.set(personKey(p), rowOf(p, newIds.get(p) ?? "", true));

  const failedAccounts = new Set<string>();
  const accountsDone = makeAccounts(diff, current, newIds, deps, report, failedAccounts, onProgress).then(() => {
    report.seconds.accounts = (performance.now() - t0) / 1000;
    return failedAccounts;
  });

  const people = [...future.values()].filter((p) => p.active);
  const plan = planSchool(people, deps.school, { courseBots: deps.courseBots ?? [], calendarBot: deps.calendarBot ?? null, examBot: deps.examBot ?? null });
  const admins = people.filter((p) => p.role === "admin").map((p) => p.userId);
  const t1 = performance.now();
  // Bots of other appservices are only invited: they join by themselves.
  const inviteOnly = [...(deps.courseBots ?? []), ...[deps.calendarBot, deps.examBot].filter((b): b is string => typeof b === "string")];
  report.apply = await applyPlan(plan, admins, { ...deps, courseBots: inviteOnly }, onProgress, accountsDone);
  await accountsDone;
  report.failures.push(...report.apply.failures);
  await savePeopleSnapshot(deps, await allPeople(deps.db));
  report.seconds.rooms = (performance.now() - t1) / 1000;
  report.seconds.total = (performance.now() - t0) / 1000;
  deps.log.info(
    { added: diff.added.length, removed: diff.removed.length, changed: diff.changed.length, failures: report.failures.length, seconds: report.seconds },
    "roster import finished",
  );
  return report;
}

/**
 * Creates, reactivates, renames and deactivates accounts (each a bcrypt hash on the homeserver, so
 * bounded by `userConcurrency`), storing each person once their account is done. Failed accounts
 * are collected in `failed`: their memberships wait for the next import.
 */
async function makeAccounts(
  diff: RosterDiff,
  current: PersonRow[],
  newIds: Map<RosterPerson, string>,
  deps: ImportDeps,
  report: ImportReport,
  failed: Set<string>,
  onProgress: (p: Progress) => void,
): Promise<void> {
  const work: { userId: string; run: () => Promise<void> }[] = [];
  const total = diff.added.length + diff.reactivated.length + diff.removed.length + diff.changed.length;
  let done = 0;
  const progress = (): void => onProgress({ phase: "users", done: ++done, total });
  for (const p of diff.added) {
    const userId = newIds.get(p) ?? "";
    work.push({
      userId,
      run: async () => {
        const password = initialPassword();
        await deps.admin.upsertUser(userId, { password, displayname: displayNameOf(p) });
        await savePerson(deps.db, rowOf(p, userId, true));
        await markInitialPassword(deps.db, userId);
        report.letters.push(letterOf(p, userId, password));
      },
    });
  }
  for (const { person, before } of diff.reactivated) {
    work.push({
      userId: before.userId,
      run: async () => {
        const password = initialPassword();
        await deps.admin.upsertUser(before.userId, { deactivated: false, password, displayname: displayNameOf(person) });
        await savePerson(deps.db, rowOf(person, before.userId, true));
        await markInitialPassword(deps.db, before.userId);
        report.letters.push(letterOf(person, before.userId, password));
      },
    });
  }
  const reactivated = new Set(diff.reactivated.map((r) => r.before.userId));
  for (const change of diff.changed) {
    if (reactivated.has(change.before.userId)) continue;
    work.push({
      userId: change.before.userId,
      run: async () => {
        if (change.nameChanged) await deps.admin.upsertUser(change.before.userId, { displayname: change.after.displayName });
        await savePerson(deps.db, rowOf(change.person, change.before.userId, true));
      },
    });
  }
  const memberships = await allMemberships(deps.db);
  for (const gone of diff.removed) {
    work.push({
      userId: gone.userId,
      run: async () => {
        await deps.admin.upsertUser(gone.userId, { deactivated: true });
        const row = current.find((c) => c.key === gone.key);
        if (row !== undefined) await savePerson(deps.db, { ...row, active: false });
        // Deactivation makes the homeserver part them from every room.
        for (const [roomKey, users] of memberships) if (users.has(gone.userId)) await removeMembership(deps.db, roomKey, gone.userId);
        report.deactivated.push(gone.userId);
      },
    });
  }
  const errors = await runPool(work, deps.userConcurrency ?? 6, async (w) => {
    await w.run();
    progress();
  });
  for (const [i, e] of errors) {
    const w = work[i];
    if (w !== undefined) failed.add(w.userId);
    report.failures.push({ what: `account ${w?.userId}`, reason: e instanceof SynapseAdminError ? e.message : String((e as Error).message ?? e) });
  }
}

function letterOf(p: RosterPerson, userId: string, password: string): LetterPerson {
  return {
    displayName: displayNameOf(p),
    firstName: p.firstName,
    lastName: p.lastName,
    role: p.role,
    className: p.className,
    userId,
    localpart: localpartOf(userId),
    password,
  };
}

/**
 * Keeps the people list in the bot's account data (readable by the appservice only), so that
 * `reindex` can rebuild the table from the homeserver. One entry per class keeps each small.
 */
export async function savePeopleSnapshot(deps: Pick<ImportDeps, "matrix">, people: PersonRow[]): Promise<void> {
  const groups = new Map<string, PersonRow[]>();
  for (const p of people) {
    const g = p.className ?? `_${p.role}`;
    groups.set(g, [...(groups.get(g) ?? []), p]);
  }
  const names = [...groups.keys()].sort();
  await runPool(names, 4, async (g) => {
    await putAccountData(deps.matrix, `${ACCOUNT_DATA_INDEX}.${g}`, { people: groups.get(g) });
  });
  await putAccountData(deps.matrix, ACCOUNT_DATA_INDEX, { groups: names });
}

async function putAccountData(matrix: AppserviceMatrix, type: string, content: Record<string, unknown>): Promise<void> {
  const path = `/user/${encodeURIComponent(matrix.botUserId)}/account_data/${encodeURIComponent(type)}`;
  await matrix.bot.http.authedRequest(Method.Put, path, undefined, content);
}

/** Reads the people snapshot back (reindex). */
export async function loadPeopleSnapshot(matrix: AppserviceMatrix): Promise<PersonRow[]> {
  const index = await matrix.bot.getAccountDataFromServer(ACCOUNT_DATA_INDEX as never);
  const groups = ((index as { groups?: string[] } | null)?.groups ?? []) as string[];
  const out: PersonRow[] = [];
  for (const g of groups) {
    const data = await matrix.bot.getAccountDataFromServer(`${ACCOUNT_DATA_INDEX}.${g}` as never);
    out.push(...(((data as { people?: PersonRow[] } | null)?.people ?? []) as PersonRow[]));
  }
  return out;
}
