// Plain snapshots of the SDK's rooms for the UI, and member names: the only room logic pages should need.
import { EventType, KnownMembership, type MatrixClient, type Room } from "matrix-js-sdk";

/** What lists show of a room. Built from the SDK's Room; untrusted strings (name) are rendered as text. */
export interface RoomSummary {
  roomId: string;
  name: string;
  /** A direct chat (listed in the user's `m.direct`, or joined from a DM invite). */
  isDirect: boolean;
  isSpace: boolean;
  joined: boolean;
  /** Milliseconds since 1970 of the last event the client knows. */
  lastActiveTs: number;
}

/** The ids of the user's direct chats, from the `m.direct` account data. */
export function directRoomIds(client: Pick<MatrixClient, "getAccountData">): Set<string> {
  const content = client.getAccountData(EventType.Direct)?.getContent<Record<string, unknown>>() ?? {};
  const ids = new Set<string>();
  for (const rooms of Object.values(content)) if (Array.isArray(rooms)) for (const id of rooms) if (typeof id === "string") ids.add(id);
  return ids;
}

/** The snapshot of one room. */
export function summarizeRoom(room: Room, direct: ReadonlySet<string>): RoomSummary {
  return {
    roomId: room.roomId,
    name: room.name,
    isDirect: direct.has(room.roomId) || room.getDMInviter() !== undefined,
    isSpace: room.isSpaceRoom(),
    joined: room.getMyMembership() === KnownMembership.Join,
    lastActiveTs: room.getLastActiveTimestamp(),
  };
}

/** Rooms that can hold a video lesson: joined, neither a direct chat nor a space. Sorted by name. */
export function callableRooms(rooms: readonly RoomSummary[]): RoomSummary[] {
  return rooms.filter((r) => r.joined && !r.isDirect && !r.isSpace).sort((a, b) => a.name.localeCompare(b.name));
}

/** The localpart of a user id (`@lena.koehler:server` → `lena.koehler`), for when no display name is known. */
export function localpartOf(userId: string): string {
  return /^@([^:]+)/.exec(userId)?.[1] ?? userId;
}

/** A member's display name in a room, else the localpart. The result is untrusted text. */
export function memberName(room: Room | null, userId: string): string {
  return room?.getMember(userId)?.name ?? localpartOf(userId);
}
