// One conversation room as the mail page shows it: joins an invitation, loads the whole thread, follows new events, marks read.
import { ClientEvent, EventType, RoomEvent, type MatrixClient, type MatrixEvent, type Room } from "matrix-js-sdk";
import { log } from "../../lib/log.ts";
import { mailItems, type MailItem } from "./items.ts";
import { conversationBridge, joinAndWait, lastIncoming, rawEvent, roomEvents } from "./rooms.ts";

/** A thread longer than this is loaded on request ("Ältere laden"), not at once. */
const LOAD_AT_OPEN = 200;

/** Whether the server holds older events of the room than the client: not once the room's creation is loaded. */
function hasOlderEvents(room: Room): boolean {
  if (room.oldState.paginationToken === null) return false;
  return !room.getLiveTimeline().getEvents().some((e) => e.getType() === EventType.RoomCreate);
}

export type TimelinePhase = "opening" | "ready" | "failed";

/** Created by the conversation page for one room id; `dispose()` when the page goes. */
export class ConversationTimeline {
  phase = $state<TimelinePhase>("opening");
  /** Why opening failed (shown with userMessage). */
  error = $state.raw<unknown>(null);
  items = $state.raw<MailItem[]>([]);
  /** Whether older events exist on the server that are not loaded. */
  hasOlder = $state(false);
  loadingOlder = $state(false);
  room = $state.raw<Room | null>(null);

  private readonly client: MatrixClient;
  private readonly roomId: string;
  private readonly me: string;
  private disposed = false;
  private refreshQueued = false;

  constructor(client: MatrixClient, roomId: string) {
    this.client = client;
    this.roomId = roomId;
    this.me = client.getSafeUserId();
    client.on(RoomEvent.Timeline, this.onTimeline);
    client.on(RoomEvent.LocalEchoUpdated, this.onTimeline);
    client.on(ClientEvent.Room, this.onRoom);
  }

  /** Joins the room when the user is invited (opening a new mail accepts it), then loads the thread. */
  async open(): Promise<void> {
    try {
      const room = await joinAndWait(this.client, this.roomId);
      if (this.disposed) return;
      this.room = room;
      await this.loadOlder(LOAD_AT_OPEN);
      this.phase = "ready";
      this.refresh();
    } catch (e) {
      log.warn("could not open the mail conversation", e);
      this.error = e;
      this.phase = "failed";
    }
  }

  /** Loads up to `count` older events (or until the room's start). */
  async loadOlder(count = 100): Promise<void> {
    const room = this.room;
    if (room === null || this.loadingOlder) return;
    this.loadingOlder = true;
    try {
      let loaded = 0;
      while (hasOlderEvents(room) && loaded < count && !this.disposed) {
        const before = room.getLiveTimeline().getEvents().length;
        await this.client.scrollback(room, 50);
        const added = room.getLiveTimeline().getEvents().length - before;
        if (added <= 0) break;
        loaded += added;
      }
    } finally {
      this.loadingOlder = false;
      this.refresh();
    }
  }

  /** Sends a read receipt for the newest mail from the other side, so the inbox stops marking it. */
  markRead(): void {
    const room = this.room;
    if (room === null || this.phase !== "ready") return;
    const last = lastIncoming(room, this.me);
    if (last === null || room.hasUserReadEvent(this.me, last.getId() ?? "")) return;
    this.client.sendReadReceipt(last).catch((e: unknown) => log.warn("read receipt failed", e));
  }

  dispose(): void {
    this.disposed = true;
    this.client.off(RoomEvent.Timeline, this.onTimeline);
    this.client.off(RoomEvent.LocalEchoUpdated, this.onTimeline);
    this.client.off(ClientEvent.Room, this.onRoom);
  }

  private readonly onTimeline = (_event: MatrixEvent, room: Room | undefined): void => {
    if (room?.roomId === this.roomId) this.refresh();
  };

  private readonly onRoom = (room: Room): void => {
    if (room.roomId === this.roomId && this.room !== null && this.room !== room) {
      this.room = room;
      this.refresh();
    }
  };

  /** Rebuilds the items once per burst of SDK events. */
  private refresh(): void {
    if (this.refreshQueued || this.disposed) return;
    this.refreshQueued = true;
    queueMicrotask(() => {
      this.refreshQueued = false;
      const room = this.room;
      if (room === null || this.disposed) return;
      this.items = mailItems(roomEvents(room).map(rawEvent), this.me, conversationBridge(room));
      this.hasOlder = hasOlderEvents(room);
      if (this.phase === "ready") this.markRead();
    });
  }
}
