// One open room: its timeline as reactive items (edits, reactions, receipts applied), older history, typing, sending.
import {
  EventStatus,
  EventType,
  KnownMembership,
  NotificationCountType,
  RelationType,
  RoomEvent,
  RoomMemberEvent,
  type MatrixClient,
  type MatrixEvent,
  type Room,
  type RoomMember,
} from "matrix-js-sdk";
import { log } from "../../lib/log.ts";
import { isShownEvent } from "./chat-list.svelte.ts";
import { editContent, reactionContent, replyContent, textContent, type TextContent } from "./message-content.ts";

/** Messages of one sender within this time are drawn as one group. */
const GROUP_MS = 5 * 60_000;
/** Events asked for per page of older history. */
const PAGE_SIZE = 30;
/** How long a "typing" notice lasts at the other clients unless renewed. */
const TYPING_TIMEOUT_MS = 6_000;

/** A reaction key on a message: how many, who, and the user's own reaction event (to take it back). */
export interface ReactionGroup {
  key: string;
  senders: string[];
  mine: MatrixEvent | null;
}

/** One entry of the timeline. Snapshots: a change of the room replaces the array. */
export interface TimelineItem {
  /** Event id, or the transaction id of an own message still being sent. */
  id: string;
  event: MatrixEvent;
  kind: "message" | "encrypted" | "redacted";
  /** A bot's notice (`m.notice`): drawn apart from people's messages. */
  notice: boolean;
  sender: string;
  own: boolean;
  ts: number;
  /** The first item of a calendar day (a date line goes above it). */
  newDay: boolean;
  /** Same sender as the item before, shortly after: the name is not repeated. */
  continued: boolean;
  edited: boolean;
  /** The event this one replies to. */
  replyTo: string | null;
  /** Own messages on their way, or refused by the server. */
  sendState: "sending" | "failed" | null;
  reactions: ReactionGroup[];
  /** Users (besides the sender and the user) whose read receipt is at this item. */
  readBy: string[];
}

/** What the composer is doing besides writing a new message. */
export type ComposerMode = { kind: "reply"; item: TimelineItem } | { kind: "edit"; item: TimelineItem } | null;

function sameDay(a: number, b: number): boolean {
  const x = new Date(a);
  const y = new Date(b);
  return x.getFullYear() === y.getFullYear() && x.getMonth() === y.getMonth() && x.getDate() === y.getDate();
}

/** The timeline of an open room. Made when the room is shown; `dispose()` when it goes. */
export class RoomTimeline {
  items = $state.raw<TimelineItem[]>([]);
  /** Whether older history may exist on the server. */
  canLoadOlder = $state(true);
  loadingOlder = $state(false);
  /** An error while loading older history (for a retry button). */
  olderError = $state.raw<unknown>(null);
  /** Who is typing now (user ids, without the user). */
  typing = $state.raw<string[]>([]);
  /** The event up to which the user had read when the room was opened: the "new messages" line goes below it. */
  readonly readUpToAtOpen: string | null;
  /** Increases when member names may have changed (lazy-loaded members arrived). */
  namesVersion = $state(0);

  readonly room: Room;
  private readonly client: MatrixClient;
  private readonly userId: string;
  private queued = false;
  private lastMarked: string | null = null;
  private typingSentAt = 0;
  private readonly onChange = (): void => this.queueRebuild();
  /**
   * The SDK hands `m.typing` on per member whose state changed (the event itself carries no room id), so the
   * members are loaded when the room opens; the event's `user_ids` is the whole list.
   */
  private readonly onTyping = (event: MatrixEvent, member: RoomMember): void => {
    if (member.roomId !== this.room.roomId || event.getType() !== EventType.Typing) return;
    const ids = event.getContent().user_ids;
    this.typing = Array.isArray(ids) ? ids.filter((id): id is string => typeof id === "string" && id !== this.userId) : [];
  };
  private readonly onMember = (): void => {
    this.namesVersion++;
  };

  constructor(client: MatrixClient, room: Room) {
    this.client = client;
    this.room = room;
    this.userId = client.getSafeUserId();
    const fullyRead = room.getAccountData(EventType.FullyRead)?.getContent().event_id;
    this.readUpToAtOpen = typeof fullyRead === "string" ? fullyRead : null;
    room.on(RoomEvent.Timeline, this.onChange);
    room.on(RoomEvent.TimelineReset, this.onChange);
    room.on(RoomEvent.LocalEchoUpdated, this.onChange);
    room.on(RoomEvent.Redaction, this.onChange);
    room.on(RoomEvent.Receipt, this.onChange);
    client.on(RoomMemberEvent.Typing, this.onTyping);
    client.on(RoomMemberEvent.Name, this.onMember);
    void room.loadMembersIfNeeded().then(this.onMember, (e: unknown) => log.warn("could not load the members of a room", e));
    this.canLoadOlder = room.oldState.paginationToken !== null;
    this.rebuild();
  }

  dispose(): void {
    this.room.off(RoomEvent.Timeline, this.onChange);
    this.room.off(RoomEvent.TimelineReset, this.onChange);
    this.room.off(RoomEvent.LocalEchoUpdated, this.onChange);
    this.room.off(RoomEvent.Redaction, this.onChange);
    this.room.off(RoomEvent.Receipt, this.onChange);
    this.client.off(RoomMemberEvent.Typing, this.onTyping);
    this.client.off(RoomMemberEvent.Name, this.onMember);
    if (this.typingSentAt > 0) void this.client.sendTyping(this.room.roomId, false, 0).catch(() => undefined);
  }

  /** Whether the user may write here (power levels), and the room is not encrypted (this client cannot encrypt). */
  get canWrite(): boolean {
    // Read the items, so that templates ask again after every change of the room (power levels arrive as events).
    void this.items;
    return !this.encrypted && this.room.getMyMembership() === KnownMembership.Join && this.room.currentState.maySendMessage(this.userId);
  }

  /** True for a room with `m.room.encryption`: the client shows a note instead of the messages. */
  get encrypted(): boolean {
    void this.items;
    return this.room.hasEncryptionStateEvent();
  }

  /** Loads a page of older history; resolves when it is in (or failed: see `olderError`). */
  async loadOlder(): Promise<void> {
    if (this.loadingOlder || !this.canLoadOlder) return;
    this.loadingOlder = true;
    this.olderError = null;
    try {
      await this.client.scrollback(this.room, PAGE_SIZE);
      this.canLoadOlder = this.room.oldState.paginationToken !== null;
    } catch (e) {
      log.warn("could not load older messages", e);
      this.olderError = e;
    } finally {
      this.loadingOlder = false;
      this.rebuild();
    }
  }

  /**
   * Marks everything up to the newest event as read (read receipt and read marker), and clears the unread count at
   * once. Called while the room is shown and scrolled to its end; does nothing when nothing new came.
   */
  markRead(): void {
    const events = this.room.getLiveTimeline().getEvents();
    let last: MatrixEvent | undefined;
    for (let i = events.length - 1; i >= 0; i--) {
      const event = events[i]!;
      if (event.status === null && event.getId()?.startsWith("$") === true) {
        last = event;
        break;
      }
    }
    const id = last?.getId();
    if (last === undefined || id === undefined || id === this.lastMarked) return;
    this.lastMarked = id;
    this.room.setUnreadNotificationCount(NotificationCountType.Total, 0);
    this.room.setUnreadNotificationCount(NotificationCountType.Highlight, 0);
    void this.client.setRoomReadMarkers(this.room.roomId, id, last).catch((e: unknown) => {
      log.warn("could not send the read marker", e);
      this.lastMarked = null;
    });
  }

  /** Sends a text: new, as a reply, or as the edit of an own message. Failures show at the message (retry there). */
  send(text: string, mode: ComposerMode): void {
    let content: TextContent;
    if (mode?.kind === "reply") content = replyContent(text, { eventId: mode.item.id, sender: mode.item.sender }, this.userId);
    else if (mode?.kind === "edit") content = editContent(text, mode.item.id);
    else content = textContent(text);
    this.stopTyping();
    this.sendContent(EventType.RoomMessage, content as unknown as Record<string, unknown>);
  }

  /** Sends a message content (a file message, …); failures show at the message. */
  sendContent(type: string, content: Record<string, unknown>): void {
    void (this.client.sendEvent(this.room.roomId, type as never, content as never) as Promise<unknown>).catch((e: unknown) =>
      log.warn("a message was not sent", e),
    );
  }

  /** Adds the user's reaction `key` to a message, or takes it back. */
  async toggleReaction(item: TimelineItem, key: string): Promise<void> {
    const mine = item.reactions.find((r) => r.key === key)?.mine ?? null;
    const mineId = mine?.getId();
    if (mine !== null && mineId !== undefined) {
      await this.client.redactEvent(this.room.roomId, mineId);
    } else {
      await this.client.sendEvent(this.room.roomId, EventType.Reaction, reactionContent(item.id, key) as never);
    }
  }

  /** Sends a refused message again. */
  retry(item: TimelineItem): void {
    void this.client.resendEvent(item.event, this.room).catch((e: unknown) => log.warn("a message was not sent again", e));
  }

  /** Drops a refused message. */
  discard(item: TimelineItem): void {
    this.client.cancelPendingEvent(item.event);
  }

  /** Tells the others that the user is typing (at most every few seconds), or stopped when `text` is empty. */
  typed(text: string): void {
    if (text.trim() === "") {
      this.stopTyping();
      return;
    }
    const now = Date.now();
    if (now - this.typingSentAt < TYPING_TIMEOUT_MS / 2) return;
    this.typingSentAt = now;
    void this.client.sendTyping(this.room.roomId, true, TYPING_TIMEOUT_MS).catch(() => undefined);
  }

  /** Withdraws the typing notice. */
  stopTyping(): void {
    if (this.typingSentAt === 0) return;
    this.typingSentAt = 0;
    void this.client.sendTyping(this.room.roomId, false, 0).catch(() => undefined);
  }

  /** The shown event `eventId` if it is loaded. */
  findItem(eventId: string): TimelineItem | undefined {
    return this.items.find((i) => i.id === eventId);
  }

  private queueRebuild(): void {
    if (this.queued) return;
    this.queued = true;
    queueMicrotask(() => {
      this.queued = false;
      this.rebuild();
    });
  }

  private reactionsOf(eventId: string): ReactionGroup[] {
    const relations = this.room.relations.getChildEventsForEvent(eventId, RelationType.Annotation, EventType.Reaction);
    const sorted = relations?.getSortedAnnotationsByKey() ?? [];
    return sorted
      .map(([key, events]) => {
        const list = [...events].filter((e) => !e.isRedacted());
        return {
          key,
          senders: [...new Set(list.map((e) => e.getSender() ?? ""))].filter((s) => s !== ""),
          mine: list.find((e) => e.getSender() === this.userId && e.status === null) ?? null,
        };
      })
      .filter((g) => g.senders.length > 0);
  }

  private rebuild(): void {
    // Own messages on their way are in the live timeline too (the SDK's default, chronological order).
    const events = this.room.getLiveTimeline().getEvents();
    const items: TimelineItem[] = [];
    // Who read up to an event, besides the user and the sender of the message it is shown at.
    const readers = (event: MatrixEvent, shownSender: string): string[] =>
      [...new Set(this.room.getUsersReadUpTo(event))].filter((u) => u !== this.userId && u !== shownSender);
    for (const event of events) {
      if (!isShownEvent(event)) {
        // Receipts on hidden events (reactions, edits) count for the message before them.
        const last = items.at(-1);
        if (last !== undefined && event.getId() !== undefined) last.readBy = [...new Set([...last.readBy, ...readers(event, last.sender)])];
        continue;
      }
      const id = event.getId() ?? event.getTxnId() ?? "";
      const sender = event.getSender() ?? "";
      const ts = event.getTs();
      const previous = items.at(-1);
      const newDay = previous === undefined || !sameDay(previous.ts, ts);
      const redacted = event.isRedacted();
      const kind = redacted ? "redacted" : event.getType() === EventType.RoomMessageEncrypted ? "encrypted" : "message";
      const status = event.status;
      const notice = kind === "message" && event.getContent().msgtype === "m.notice";
      items.push({
        id,
        event,
        kind,
        notice,
        sender,
        own: sender === this.userId,
        ts,
        newDay,
        continued: !newDay && previous !== undefined && previous.sender === sender && previous.kind === kind && previous.notice === notice && ts - previous.ts < GROUP_MS,
        edited: !redacted && event.replacingEvent() !== null,
        replyTo: redacted ? null : (event.replyEventId ?? null),
        sendState: status === EventStatus.NOT_SENT ? "failed" : status === null || status === EventStatus.SENT ? null : "sending",
        reactions: redacted || status !== null ? [] : this.reactionsOf(id),
        readBy: status === null ? readers(event, sender) : [],
      });
    }
    this.items = items;
  }
}
