// What the mail pages read from a conversation room in matrix-js-sdk: its events, whether it is unread, a preview.
import { ClientEvent, EventStatus, KnownMembership, RoomEvent, type MatrixClient, type MatrixEvent, type Room } from "matrix-js-sdk";
import { isUnread, type RawEvent } from "./items.ts";
import { previewOf } from "./text.ts";

/** The state event the bridge puts in each conversation room: the local user and the outside addresses. */
export const CONVERSATION_STATE = "de.schulhof.mail.conversation";

/** The SDK event as the pure item mapping reads it. */
export function rawEvent(e: MatrixEvent): RawEvent {
  const status = e.status;
  return {
    eventId: e.getId() ?? e.getTxnId() ?? "",
    sender: e.getSender() ?? "",
    type: e.getType(),
    ts: e.getTs(),
    content: e.getContent(),
    pending: status !== null && status !== EventStatus.SENT && status !== EventStatus.NOT_SENT && status !== EventStatus.CANCELLED,
    failed: status === EventStatus.NOT_SENT,
  };
}

/** The room's events the client holds, oldest first (local echoes are in the live timeline: chronological ordering). */
export function roomEvents(room: Room): MatrixEvent[] {
  return room.getLiveTimeline().getEvents();
}

/** Whether the event is a mail from the other side (not the user's own, not one of the bridge's notices). */
function isIncomingMail(e: MatrixEvent, me: string): boolean {
  return e.getType() === "m.room.message" && e.getSender() !== me && e.getContent().msgtype !== "m.notice" && !e.isRedacted();
}

/** The newest mail from the other side that the client holds, or null. */
export function lastIncoming(room: Room, me: string): MatrixEvent | null {
  const events = room.getLiveTimeline().getEvents();
  for (let i = events.length - 1; i >= 0; i--) if (isIncomingMail(events[i]!, me)) return events[i]!;
  return null;
}

/** What the inbox and the start page show of a conversation room. */
export interface RoomMailInfo {
  membership: string;
  unread: boolean;
  /** When something last happened (ms since 1970), or null when unknown. */
  lastTs: number | null;
  /** The start of the newest mail's text (untrusted; rendered as text). */
  preview: string;
}

/** The inbox's view of one room. */
export function roomMailInfo(room: Room, me: string): RoomMailInfo {
  const membership = room.getMyMembership();
  const incoming = lastIncoming(room, me);
  const ts = room.getLastActiveTimestamp();
  const newest = [...room.getLiveTimeline().getEvents()].reverse().find((e) => e.getType() === "m.room.message" && e.getContent().msgtype !== "m.notice");
  const body = newest?.getContent().body;
  return {
    membership,
    unread: isUnread(membership, incoming?.getId() ?? null, (id) => room.hasUserReadEvent(me, id)),
    lastTs: ts > 0 ? ts : null,
    preview: typeof body === "string" ? previewOf(body) : "",
  };
}

/** The outside addresses of the conversation, from the bridge's state event (empty when the client has none). */
export function conversationAddresses(room: Room): string[] {
  const content = room.currentState.getStateEvents(CONVERSATION_STATE, "")?.getContent();
  const external = content?.external;
  return Array.isArray(external) ? external.filter((a): a is string => typeof a === "string") : [];
}

/** The bridge that made the conversation (the sender of its state event), or null when the client does not know it. */
export function conversationBridge(room: Room): string | null {
  return room.currentState.getStateEvents(CONVERSATION_STATE, "")?.getSender() ?? null;
}

/** Whether the user is (or was invited) in the room: the mail page joins invitations when they are opened. */
export function isMember(room: Room | null): boolean {
  const m = room?.getMyMembership();
  return m === KnownMembership.Join || m === KnownMembership.Invite;
}

/**
 * Joins the room (accepting the bridge's invitation) unless already joined, and answers the client's own Room once
 * the sync has brought the join: `joinRoom` itself answers a detached copy that the sync never fills.
 */
export async function joinAndWait(client: MatrixClient, roomId: string, timeoutMs = 30_000): Promise<Room> {
  const joined = (): Room | null => {
    const room = client.getRoom(roomId);
    return room !== null && room.getMyMembership() === KnownMembership.Join ? room : null;
  };
  const now = joined();
  if (now !== null) return now;
  await client.joinRoom(roomId);
  return new Promise<Room>((resolve, reject) => {
    const check = (): void => {
      const room = joined();
      if (room === null) return;
      done();
      resolve(room);
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`the join of ${roomId} did not arrive in the sync`));
    }, timeoutMs);
    const done = (): void => {
      clearTimeout(timer);
      client.off(ClientEvent.Room, check);
      client.off(RoomEvent.MyMembership, check);
      client.off(ClientEvent.Sync, check);
    };
    client.on(ClientEvent.Room, check);
    client.on(RoomEvent.MyMembership, check);
    client.on(ClientEvent.Sync, check);
    check();
  });
}
