// What the video membership question needs from a room's state, kept in memory for rooms the school bot is in: the
// homeserver sends the appservice every event of those rooms, so a state change empties the entry before the
// transaction is acknowledged. Rooms without the bot are read fresh each time.
import type { MatrixEvent, SynapseAdmin } from "@schulhof/core";

/** The parts of a room's state that decide who may take part in its call and how. */
export interface RoomFacts {
  membership: Map<string, string>;
  creators: string[];
  users: Record<string, number>;
  usersDefault: number;
  settings: Record<string, unknown>;
  name: string | null;
}

type StateEvent = { type: string; state_key: string; sender: string; content: Record<string, unknown> };

/** Reduces a room's full state to {@link RoomFacts}. */
export function roomFactsOf(state: readonly StateEvent[]): RoomFacts {
  const get = (type: string, key = ""): Record<string, unknown> | undefined => state.find((e) => e.type === type && e.state_key === key)?.content;
  const membership = new Map<string, string>();
  for (const e of state) if (e.type === "m.room.member" && typeof e.content.membership === "string") membership.set(e.state_key, e.content.membership);
  const create = state.find((e) => e.type === "m.room.create" && e.state_key === "");
  const version = Number(String(create?.content.room_version ?? "1"));
  // Room version 12: the creators stand above every power level.
  const creators = version >= 12 && create !== undefined ? [create.sender, ...((create.content.additional_creators as string[] | undefined) ?? [])] : [];
  const pl = get("m.room.power_levels") ?? {};
  const name = get("m.room.name")?.name;
  return {
    membership,
    creators,
    users: (pl.users ?? {}) as Record<string, number>,
    usersDefault: typeof pl.users_default === "number" ? pl.users_default : 0,
    settings: get("de.schulhof.video.settings") ?? {},
    name: typeof name === "string" ? name : null,
  };
}

/** A bounded cache of {@link RoomFacts}, emptied per room by the room's state events. */
export class RoomFactsCache {
  private readonly entries = new Map<string, { facts: RoomFacts; at: number }>();
  /** Bumped on every state change of a room, so a read that raced with a change is not stored. */
  private readonly generation = new Map<string, number>();
  private readonly inFlight = new Map<string, Promise<RoomFacts | null>>();
  private readonly admin: Pick<SynapseAdmin, "roomState">;
  private readonly botUserId: string;
  private readonly maxRooms: number;
  private readonly ttlMs: number;
  hits = 0;
  misses = 0;

  constructor(opts: { admin: Pick<SynapseAdmin, "roomState">; botUserId: string; maxRooms?: number; ttlMs?: number }) {
    this.admin = opts.admin;
    this.botUserId = opts.botUserId;
    this.maxRooms = opts.maxRooms ?? 5000;
    // A safety net only: invalidation by events is what keeps entries right.
    this.ttlMs = opts.ttlMs ?? 10 * 60_000;
  }

  /** Called for every event the homeserver sends: a state event (or a redaction) of a room drops its entry. */
  observe(event: Pick<MatrixEvent, "room_id" | "type" | "state_key">): void {
    if (event.state_key === undefined && event.type !== "m.room.redaction") return;
    this.entries.delete(event.room_id);
    this.generation.set(event.room_id, (this.generation.get(event.room_id) ?? 0) + 1);
  }

  /** The room's facts, or null when the homeserver does not know the room. */
  async get(roomId: string): Promise<RoomFacts | null> {
    const hit = this.entries.get(roomId);
    if (hit !== undefined && Date.now() - hit.at < this.ttlMs) {
      this.hits++;
      return hit.facts;
    }
    const pending = this.inFlight.get(roomId);
    if (pending !== undefined) return pending;
    this.misses++;
    const gen = this.generation.get(roomId) ?? 0;
    const read = this.admin
      .roomState(roomId)
      .then((state) => {
        if (state === null) return null;
        const facts = roomFactsOf(state);
        // Only rooms the bot is in send us their changes; others are never kept.
        if (facts.membership.get(this.botUserId) === "join" && (this.generation.get(roomId) ?? 0) === gen) this.store(roomId, facts);
        return facts;
      })
      .finally(() => this.inFlight.delete(roomId));
    this.inFlight.set(roomId, read);
    return read;
  }

  private store(roomId: string, facts: RoomFacts): void {
    this.entries.delete(roomId);
    this.entries.set(roomId, { facts, at: Date.now() });
    if (this.entries.size > this.maxRooms) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }
}
