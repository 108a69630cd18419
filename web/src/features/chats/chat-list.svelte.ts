// The user's chats and spaces as reactive snapshots of the SDK's rooms, kept up to date from its events (one per connection).
import {
  ClientEvent,
  EventType,
  KnownMembership,
  NotificationCountType,
  RoomEvent,
  RoomStateEvent,
  RoomType,
  type MatrixClient,
  type MatrixEvent,
  type Room,
} from "matrix-js-sdk";
import type { MatrixConnection } from "../../lib/matrix/connection.svelte.ts";
import { directRoomIds, memberName } from "../../lib/matrix/rooms.ts";
import { shortText } from "./message-content.ts";
import type { ChatRoom, ChatSpace } from "./room-list.ts";
import { isFeatureRoom, type StateLookup } from "./room-rules.ts";

/** The state lookup of a room for {@link isFeatureRoom} (full state when joined, the shared part for invites). */
export function roomStateLookup(room: Room): StateLookup {
  return (type) => room.currentState.getStateEvents(type, "")?.getContent() ?? undefined;
}

/** True for an event the timeline shows as a message (not state, edits, reactions or redactions). */
export function isShownEvent(event: MatrixEvent): boolean {
  if (event.isState()) return false;
  const type = event.getType();
  if (type === EventType.Reaction || type === EventType.RoomRedaction) return false;
  if (event.isRelation("m.replace")) return false;
  if (type === EventType.RoomMessage || type === EventType.Sticker || type === EventType.RoomMessageEncrypted) return true;
  // Feature events that carry a readable body (docs/protocol.md) show it.
  return typeof event.getContent().body === "string";
}

/** The last shown message of a room as one line of text (a file's name), or null. */
function previewOf(room: Room): string | null {
  const events = room.getLiveTimeline().getEvents();
  for (let i = events.length - 1; i >= 0; i--) {
    const event = events[i]!;
    if (!isShownEvent(event) || event.isRedacted()) continue;
    if (event.getType() === EventType.RoomMessageEncrypted) return null;
    const body = event.getContent().body;
    return typeof body === "string" ? shortText(body, 80) : null;
  }
  return null;
}

/** The ordered, valid children of a space (`m.space.child` with a `via`; by `order`, then as stored). */
function spaceChildren(space: Room): string[] {
  const children = space.currentState
    .getStateEvents(EventType.SpaceChild)
    .map((event) => ({ id: event.getStateKey() ?? "", content: event.getContent() }))
    .filter(({ id, content }) => id !== "" && Array.isArray(content.via) && content.via.length > 0);
  const orderOf = (c: Record<string, unknown>): string | null =>
    typeof c.order === "string" && c.order.length <= 50 && /^[\x20-\x7E]*$/.test(c.order) ? c.order : null;
  return children
    .map((child, index) => ({ ...child, index, order: orderOf(child.content) }))
    .sort((a, b) => {
      if (a.order !== null && b.order !== null && a.order !== b.order) return a.order < b.order ? -1 : 1;
      if (a.order !== null && b.order === null) return -1;
      if (a.order === null && b.order !== null) return 1;
      return a.index - b.index;
    })
    .map(({ id }) => id);
}

/** Keeps the list of chats and spaces of one client. Get it with {@link chatListFor}; it lives as long as the connection. */
export class ChatList {
  /** Joined and invited chats, without spaces and the rooms of other sections. */
  rooms = $state.raw<ChatRoom[]>([]);
  /** Joined spaces, for grouping. */
  spaces = $state.raw<ChatSpace[]>([]);
  private readonly client: MatrixClient;
  private queued = false;
  /** Rooms whose unread counts are watched (the client does not pass that event on). */
  private readonly watched = new WeakSet<Room>();
  private readonly refreshSoon = (): void => this.queueRefresh();

  constructor(client: MatrixClient) {
    this.client = client;
    const refresh = (): void => this.queueRefresh();
    client.on(ClientEvent.Room, refresh);
    client.on(ClientEvent.DeleteRoom, refresh);
    client.on(ClientEvent.Sync, refresh);
    client.on(ClientEvent.AccountData, (event: MatrixEvent) => {
      if (event.getType() === EventType.Direct) refresh();
    });
    client.on(RoomEvent.Timeline, refresh);
    client.on(RoomEvent.Name, refresh);
    client.on(RoomEvent.MyMembership, refresh);
    client.on(RoomEvent.LocalEchoUpdated, refresh);
    client.on(RoomEvent.Redaction, refresh);
    client.on(RoomStateEvent.Events, refresh);
    this.refresh();
  }

  /** The snapshot of a room, as the list shows it. */
  private summarize(room: Room, direct: ReadonlySet<string>, membership: "join" | "invite"): ChatRoom {
    const inviterId = membership === "invite" ? (room.getDMInviter() ?? room.currentState.getMember(this.client.getSafeUserId())?.events.member?.getSender() ?? null) : null;
    return {
      roomId: room.roomId,
      name: room.name,
      direct: direct.has(room.roomId) || room.getDMInviter() !== undefined,
      membership,
      unread: room.getUnreadNotificationCount(NotificationCountType.Total),
      highlight: room.getUnreadNotificationCount(NotificationCountType.Highlight),
      lastActiveTs: room.getLastActiveTimestamp(),
      preview: membership === "join" ? previewOf(room) : null,
      encrypted: room.hasEncryptionStateEvent(),
      inviter: inviterId === null ? null : memberName(room, inviterId),
    };
  }

  private queueRefresh(): void {
    if (this.queued) return;
    this.queued = true;
    queueMicrotask(() => {
      this.queued = false;
      this.refresh();
    });
  }

  private refresh(): void {
    const direct = directRoomIds(this.client);
    const rooms: ChatRoom[] = [];
    const spaces: ChatSpace[] = [];
    for (const room of this.client.getRooms()) {
      if (!this.watched.has(room)) {
        this.watched.add(room);
        room.on(RoomEvent.UnreadNotifications, this.refreshSoon);
      }
      const membership = room.getMyMembership();
      if (membership !== KnownMembership.Join && membership !== KnownMembership.Invite) continue;
      if (isFeatureRoom(roomStateLookup(room))) continue;
      if (room.isSpaceRoom()) {
        if (membership === KnownMembership.Join) spaces.push({ roomId: room.roomId, name: room.name, childIds: spaceChildren(room) });
        continue;
      }
      // Rooms of other kinds (video rooms, …) are no chats.
      const type = room.getType();
      if (type !== undefined && type !== RoomType.Space) continue;
      rooms.push(this.summarize(room, direct, membership));
    }
    this.rooms = rooms;
    this.spaces = spaces;
  }
}

const lists = new WeakMap<MatrixConnection, ChatList>();

/** The chat list of a connection; made on first use, shared by every page that shows it. */
export function chatListFor(matrix: MatrixConnection): ChatList {
  let list = lists.get(matrix);
  if (list === undefined) {
    list = new ChatList(matrix.client);
    lists.set(matrix, list);
  }
  return list;
}
