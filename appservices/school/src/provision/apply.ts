// Brings the homeserver to the planned state: creates rooms, joins and removes members, sets power levels.
import { MatrixError, type ICreateRoomOpts, Preset, Visibility } from "matrix-js-sdk";
import type { AppserviceMatrix, Db, Logger } from "@schulhof/core";
import { addMembership, allMemberships, allRooms, removeMembership, saveJoinRule, saveRoom, savePowerUsers, type RoomRow } from "../store/rooms.ts";
import { interleaveByRoom, runPool } from "./pool.ts";
import { powerUsersFor, type RoomSpec } from "./plan.ts";

/** Progress of a long step, for a progress bar. */
export interface Progress {
  phase: "users" | "rooms" | "memberships" | "power" | "removals";
  done: number;
  total: number;
}

export interface ApplyDeps {
  db: Db;
  matrix: AppserviceMatrix;
  log: Logger;
  serverName: string;
  /** Requests in flight at once against the homeserver. */
  concurrency?: number;
  /** Bots of other appservices: invited only; they join by themselves (another appservice cannot act as them). */
  courseBots?: readonly string[];
}

/** What applying did, and what failed (with the reason), so that a re-run can finish it. */
export interface ApplyResult {
  roomsCreated: number;
  joins: number;
  removals: number;
  powerUpdates: number;
  failures: { what: string; reason: string }[];
}

/** The `m.room.join_rules` content for `spec`. */
function joinRulesContent(spec: RoomSpec, rooms: Map<string, RoomRow>): Record<string, unknown> {
  if (spec.join.rule === "invite") return { join_rule: "invite" };
  const via = rooms.get(spec.join.viaKey);
  if (via === undefined) throw new Error(`room ${spec.key} needs ${spec.join.viaKey} first`);
  return { join_rule: "restricted", allow: [{ type: "m.room_membership", room_id: via.roomId }] };
}

/**
 * Whether two power-level `users` maps say the same, whatever their keys' order (PostgreSQL's JSONB keeps its own
 * order, so comparing them as text sent every room's power levels again on every import).
 */
export function samePowerUsers(a: Record<string, number>, b: Record<string, number>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && b[k] === a[k]);
}

/** Room state a room of `spec` starts with. */
function initialState(spec: RoomSpec, rooms: Map<string, RoomRow>, serverName: string): ICreateRoomOpts["initial_state"] {
  const state: NonNullable<ICreateRoomOpts["initial_state"]> = [
    { type: "m.room.history_visibility", state_key: "", content: { history_visibility: spec.historyVisibility ?? "shared" } },
    { type: "m.room.guest_access", state_key: "", content: { guest_access: "forbidden" } },
    { type: "de.schulhof.room", state_key: "", content: { kind: spec.kind, key: spec.key, parent: spec.parentKey } },
    ...spec.state,
  ];
  state.push({ type: "m.room.join_rules", state_key: "", content: joinRulesContent(spec, rooms) });
  const parent = spec.parentKey === null ? undefined : rooms.get(spec.parentKey);
  if (parent !== undefined) state.push({ type: "m.space.parent", state_key: parent.roomId, content: { via: [serverName], canonical: true } });
  return state;
}

/** Power levels for a new room: teachers may do what moderators do; feature events need 50. */
export function powerLevelsFor(spec: RoomSpec, users: Record<string, number>): Record<string, unknown> {
  return {
    users,
    users_default: 0,
    events_default: spec.eventsDefault,
    state_default: 50,
    invite: 50,
    kick: 50,
    ban: 50,
    redact: 50,
    events: {
      "m.room.name": 50,
      "m.room.topic": 50,
      "m.room.avatar": 50,
      "m.room.power_levels": 100,
      "m.room.join_rules": 100,
      "m.room.history_visibility": 100,
      "m.room.encryption": 100,
      "m.room.server_acl": 100,
      "m.room.tombstone": 100,
      "m.space.child": 100,
      "m.space.parent": 100,
      "de.schulhof.room": 100,
      "de.schulhof.course": 100,
      "de.schulhof.school": 100,
      "de.schulhof.calendar": 100,
      "de.schulhof.exam": 100,
      "de.schulhof.exam.rules": 100,
      "de.schulhof.exam.cohort": 100,
      // MatrixRTC: everyone in the room may announce that they are in its call (docs/video.md).
      "org.matrix.msc3401.call.member": 0,
      ...spec.eventLevels,
    },
    notifications: { room: 50 },
  };
}

/** Creates the room of `spec`, or adopts it when its alias exists already (a crash after creation). */
async function createOrAdopt(spec: RoomSpec, deps: ApplyDeps, rooms: Map<string, RoomRow>, admins: readonly string[]): Promise<RoomRow> {
  const bot = deps.matrix.bot;
  const alias = `#${spec.aliasLocalpart}:${deps.serverName}`;
  const powerUsers = powerUsersFor(spec, admins);
  let roomId: string;
  try {
    const opts: ICreateRoomOpts = {
      name: spec.name,
      topic: spec.topic,
      room_alias_name: spec.aliasLocalpart,
      visibility: Visibility.Private,
      preset: Preset.PrivateChat,
      initial_state: initialState(spec, rooms, deps.serverName),
      power_level_content_override: powerLevelsFor(spec, powerUsers),
      ...(spec.isSpace ? { creation_content: { type: "m.space" } } : {}),
    };
    roomId = (await bot.createRoom(opts)).room_id;
  } catch (e) {
    if (!(e instanceof MatrixError && e.errcode === "M_ROOM_IN_USE")) throw e;
    roomId = (await bot.getRoomIdForAlias(alias)).room_id;
    deps.log.info({ alias, roomId }, "adopting existing room");
  }
  const parent = spec.parentKey === null ? undefined : rooms.get(spec.parentKey);
  if (parent !== undefined) {
    await bot.sendStateEvent(parent.roomId, "m.space.child" as never, { via: [deps.serverName], suggested: true } as never, roomId);
  }
  const row: RoomRow = { key: spec.key, roomId, kind: spec.kind, name: spec.name, parentKey: spec.parentKey, powerUsers, join: spec.join };
  await saveRoom(deps.db, row);
  return row;
}

/**
 * Applies `plan`. Safe to run again at any point: rooms are found by alias, memberships by the
 * store, and what failed is retried on the next run. Rooms are made while `accountsReady` (the
 * account work running beside) is pending; joins wait for it and skip the accounts it says failed.
 */
export async function applyPlan(
  plan: readonly RoomSpec[],
  admins: readonly string[],
  deps: ApplyDeps,
  onProgress: (p: Progress) => void = () => undefined,
  accountsReady: Promise<Set<string>> = Promise.resolve(new Set()),
): Promise<ApplyResult> {
  const result: ApplyResult = { roomsCreated: 0, joins: 0, removals: 0, powerUpdates: 0, failures: [] };
  const concurrency = deps.concurrency ?? 12;
  const bots = new Set(deps.courseBots ?? []);
  const rooms = await allRooms(deps.db);
  const members = await allMemberships(deps.db);
  const maxDepth = Math.max(0, ...plan.map((r) => r.depth));

  // Rooms, parents first.
  const missing = plan.filter((r) => !rooms.has(r.key));
  let created = 0;
  for (let depth = 0; depth <= maxDepth; depth++) {
    const level = missing.filter((r) => r.depth === depth);
    const errors = await runPool(level, Math.min(4, concurrency), async (spec) => {
      rooms.set(spec.key, await createOrAdopt(spec, deps, rooms, admins));
      onProgress({ phase: "rooms", done: ++created, total: missing.length });
    });
    for (const [i, e] of errors) result.failures.push({ what: `room ${level[i]?.key}`, reason: String((e as Error).message ?? e) });
  }
  result.roomsCreated = created;

  // Join rules that changed since the room was made (a course is no longer a whole class, or now is).
  const ruleChanges = plan.filter((spec) => {
    const room = rooms.get(spec.key);
    return room !== undefined && JSON.stringify(room.join) !== JSON.stringify(spec.join);
  });
  const ruleErrors = await runPool(ruleChanges, concurrency, async (spec) => {
    const room = rooms.get(spec.key);
    if (room === undefined) return;
    await deps.matrix.bot.sendStateEvent(room.roomId, "m.room.join_rules" as never, joinRulesContent(spec, rooms) as never, "");
    await saveJoinRule(deps.db, spec.key, spec.join);
    room.join = spec.join;
  });
  for (const [i, e] of ruleErrors) result.failures.push({ what: `join rule ${ruleChanges[i]?.key}`, reason: String((e as Error).message ?? e) });

  // History visibility where the plan asks for more than the default (a school provisioned before the school space
  // became world-readable gets it here, before its students leave the space).
  const visibilityErrors = await runPool(
    plan.filter((spec) => spec.historyVisibility !== undefined && rooms.has(spec.key)),
    concurrency,
    async (spec) => {
      const room = rooms.get(spec.key);
      if (room === undefined) return;
      const want = spec.historyVisibility ?? "shared";
      const have = (await deps.matrix.bot.getStateEvent(room.roomId, "m.room.history_visibility" as never, "")) as { history_visibility?: string };
      if (have.history_visibility !== want) {
        await deps.matrix.bot.sendStateEvent(room.roomId, "m.room.history_visibility" as never, { history_visibility: want } as never, "");
      }
    },
  );
  for (const [, e] of visibilityErrors) result.failures.push({ what: "history visibility", reason: String((e as Error).message ?? e) });

  // Joins need the accounts; people whose account failed wait for the next import.
  const failedAccounts = await accountsReady;
  // Joins, parents first; a restricted room needs the parent membership before the join.
  const joinsByDepth = plan.map((spec) => {
    const have = members.get(spec.key) ?? new Set<string>();
    return [...spec.members.keys()].filter((u) => !have.has(u) && !failedAccounts.has(u)).map((userId) => ({ roomKey: spec.key, userId }));
  });
  const totalJoins = joinsByDepth.reduce((n, l) => n + l.length, 0);
  let joined = 0;
  for (let depth = 0; depth <= maxDepth; depth++) {
    const work = interleaveByRoom(joinsByDepth.filter((_, i) => plan[i]?.depth === depth).flat());
    const errors = await runPool(work, concurrency, async ({ roomKey, userId }) => {
      const room = rooms.get(roomKey);
      if (room === undefined) throw new Error("room was not created");
      if (bots.has(userId)) {
        await deps.matrix.bot.invite(room.roomId, userId).catch((e: unknown) => {
          if (!(e instanceof MatrixError && e.errcode === "M_FORBIDDEN")) throw e;
        });
        await addMembership(deps.db, roomKey, userId);
        onProgress({ phase: "memberships", done: ++joined, total: totalJoins });
        return;
      }
      if (room.join.rule === "invite") {
        try {
          await deps.matrix.bot.invite(room.roomId, userId);
        } catch (e) {
          // Already invited or joined (a re-run after a crash): the join below settles it.
          if (!(e instanceof MatrixError && e.errcode === "M_FORBIDDEN" && /already/i.test(e.data.error ?? ""))) throw e;
        }
      }
      await deps.matrix.as(userId).joinRoom(room.roomId);
      await addMembership(deps.db, roomKey, userId);
      onProgress({ phase: "memberships", done: ++joined, total: totalJoins });
    });
    for (const [i, e] of errors) result.failures.push({ what: `join ${work[i]?.userId} → ${work[i]?.roomKey}`, reason: String((e as Error).message ?? e) });
  }
  result.joins = joined;

  // People who left a room (class change, course dropped): the bot removes them. People who stay at the school but
  // no longer need a space (students in the school space and year groups of a school provisioned before the lean
  // room graph) leave it themselves: their clients show "left", not "removed".
  const active = new Set(plan.flatMap((spec) => [...spec.members.keys()]));
  const kinds = new Map(plan.map((spec) => [spec.key, spec.kind]));
  const leavesItself = (roomKey: string, userId: string): boolean =>
    active.has(userId) && !bots.has(userId) && (kinds.get(roomKey) === "school" || kinds.get(roomKey) === "yeargroup");
  const removals: { roomKey: string; userId: string }[] = [];
  for (const spec of plan) {
    for (const u of members.get(spec.key) ?? []) if (!spec.members.has(u)) removals.push({ roomKey: spec.key, userId: u });
  }
  let removed = 0;
  const removalWork = interleaveByRoom(removals);
  const removalErrors = await runPool(removalWork, concurrency, async ({ roomKey, userId }) => {
    const room = rooms.get(roomKey);
    if (room === undefined) return;
    try {
      if (leavesItself(roomKey, userId)) await deps.matrix.as(userId).leave(room.roomId);
      else await deps.matrix.bot.kick(room.roomId, userId, "Nicht mehr Mitglied laut Schülerliste / no longer a member according to the roster");
    } catch (e) {
      if (!(e instanceof MatrixError && e.errcode === "M_FORBIDDEN")) throw e;
    }
    await removeMembership(deps.db, roomKey, userId);
    onProgress({ phase: "removals", done: ++removed, total: removals.length });
  });
  for (const [i, e] of removalErrors) {
    result.failures.push({ what: `remove ${removalWork[i]?.userId} → ${removalWork[i]?.roomKey}`, reason: String((e as Error).message ?? e) });
  }
  result.removals = removed;

  // Power levels where teachers or admins changed.
  const updates = plan
    .map((spec) => ({ spec, room: rooms.get(spec.key), want: powerUsersFor(spec, admins) }))
    .filter((x) => x.room !== undefined && !samePowerUsers(x.room.powerUsers, x.want));
  let updated = 0;
  const plErrors = await runPool(updates, concurrency, async ({ spec, room, want }) => {
    if (room === undefined) return;
    const current = (await deps.matrix.bot.getStateEvent(room.roomId, "m.room.power_levels" as never, "")) as Record<string, unknown>;
    await deps.matrix.bot.sendStateEvent(room.roomId, "m.room.power_levels" as never, { ...current, users: want } as never, "");
    await savePowerUsers(deps.db, spec.key, want);
    onProgress({ phase: "power", done: ++updated, total: updates.length });
  });
  for (const [i, e] of plErrors) result.failures.push({ what: `power levels ${updates[i]?.spec.key}`, reason: String((e as Error).message ?? e) });
  result.powerUpdates = updated;
  return result;
}

