// Direct chats: find one with a person, start one (an unencrypted room, recorded in `m.direct`), accept or decline invites.
import { ClientEvent, EventType, KnownMembership, Preset, RoomEvent, Visibility, type MatrixClient, type Room } from "matrix-js-sdk";

/** The people a directory search found (name untrusted). */
export interface PersonHit {
  userId: string;
  name: string;
}

/** Searches the homeserver's user directory (the whole school, as the school's server is set up); never lists oneself. */
export async function searchPeople(client: MatrixClient, term: string): Promise<PersonHit[]> {
  const { results } = await client.searchUserDirectory({ term, limit: 10 });
  const self = client.getUserId();
  return results
    .filter((r) => r.user_id !== self)
    .map((r) => ({ userId: r.user_id, name: typeof r.display_name === "string" && r.display_name.trim() !== "" ? r.display_name : r.user_id }));
}

function directMap(client: MatrixClient): Record<string, string[]> {
  const content = client.getAccountData(EventType.Direct)?.getContent<Record<string, unknown>>() ?? {};
  const map: Record<string, string[]> = {};
  for (const [user, rooms] of Object.entries(content)) if (Array.isArray(rooms)) map[user] = rooms.filter((r): r is string => typeof r === "string");
  return map;
}

/** A joined direct chat with `userId` where they are still in (joined or invited), or null. */
export function findDirectRoom(client: MatrixClient, userId: string): Room | null {
  for (const roomId of directMap(client)[userId] ?? []) {
    const room = client.getRoom(roomId);
    if (room === null || room.getMyMembership() !== KnownMembership.Join) continue;
    // Sliding sync loads only the members who wrote lately: without their member event, the room's counts say
    // whether the other one is still in (joined or invited).
    const theirs = room.getMember(userId)?.membership;
    if (theirs === undefined ? room.getInvitedAndJoinedMemberCount() >= 2 : theirs === KnownMembership.Join || theirs === KnownMembership.Invite) return room;
  }
  return null;
}

/** How long to wait for the sync to bring a room the user just made or joined. */
const SYNC_WAIT_MS = 15_000;

/**
 * Resolves once the client's sync shows the user joined to `roomId` (so the page can open it), or after a while
 * anyway (the page then says it is loading or not found).
 */
function joinedBySync(client: MatrixClient, roomId: string): Promise<void> {
  const joined = (): boolean => client.getRoom(roomId)?.getMyMembership() === KnownMembership.Join;
  if (joined()) return Promise.resolve();
  return new Promise((resolve) => {
    const check = (): void => {
      if (!joined()) return;
      done();
    };
    const done = (): void => {
      clearTimeout(timer);
      client.off(ClientEvent.Room, check);
      client.off(RoomEvent.MyMembership, check);
      resolve();
    };
    const timer = setTimeout(done, SYNC_WAIT_MS);
    client.on(ClientEvent.Room, check);
    client.on(RoomEvent.MyMembership, check);
  });
}

/** Records a room as the direct chat with `userId` in the user's `m.direct`. */
async function rememberDirect(client: MatrixClient, userId: string, roomId: string): Promise<void> {
  const map = directMap(client);
  const rooms = map[userId] ?? [];
  if (rooms.includes(roomId)) return;
  await client.setAccountData(EventType.Direct, { ...map, [userId]: [...rooms, roomId] });
}

/**
 * The direct chat with `userId`: the existing one, else a new room (invite only, history shared, not encrypted:
 * school chats must stay readable for the school's bots). Answers its room id.
 */
export async function openDirectChat(client: MatrixClient, userId: string): Promise<string> {
  const existing = findDirectRoom(client, userId);
  if (existing !== null) return existing.roomId;
  const { room_id: roomId } = await client.createRoom({
    is_direct: true,
    invite: [userId],
    preset: Preset.TrustedPrivateChat,
    visibility: Visibility.Private,
    initial_state: [{ type: "m.room.history_visibility", state_key: "", content: { history_visibility: "shared" } }],
  });
  await rememberDirect(client, userId, roomId);
  await joinedBySync(client, roomId);
  return roomId;
}

/** Accepts an invite; a direct chat's inviter is recorded in `m.direct`. */
export async function acceptInvite(client: MatrixClient, room: Room): Promise<void> {
  const inviter = room.getDMInviter();
  await client.joinRoom(room.roomId);
  if (inviter !== undefined) await rememberDirect(client, inviter, room.roomId);
  await joinedBySync(client, room.roomId);
}

/** Declines an invite (leaves the room). */
export async function declineInvite(client: MatrixClient, roomId: string): Promise<void> {
  await client.leave(roomId);
}
