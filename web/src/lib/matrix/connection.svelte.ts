// The signed-in Matrix client: created from a stored session, syncing with simplified sliding sync (MSC4186) or, on a
// homeserver that lacks it, classic /sync with lazy-loaded members; its rooms as reactive snapshots (docs/web.md).
import {
  ClientEvent,
  ConnectionError,
  createClient,
  Filter,
  HttpApiEvent,
  EventType,
  KnownMembership,
  NotificationCountType,
  RoomEvent,
  SyncState,
  type MatrixClient,
  type MatrixError,
  type MatrixEvent,
  type Membership,
  type Room,
} from "matrix-js-sdk";
import { logger as sdkLogger } from "matrix-js-sdk/lib/logger.js";
import {
  SlidingSync,
  SlidingSyncEvent,
  SlidingSyncState,
  type MSC3575RoomData,
  type MSC3575SlidingSyncRequest,
  type MSC3575SlidingSyncResponse,
} from "matrix-js-sdk/lib/sliding-sync.js";
import { log } from "../log.ts";
import type { StoredSession } from "../session.ts";
import { directRoomIds, summarizeRoom, type RoomSummary } from "./rooms.ts";
import { LONG_POLL_TIMEOUT_MS, rangeEndFor, ROOM_LIST_KEY, ROOM_LIST_RANGE_END, roomList, roomSubscription, SLIDING_SYNC_FEATURE, slidingSyncBody } from "./sliding-lists.ts";
import { countUnread, lacksSlidingSync, ownMembershipIn, timelineHasGap, type SlidingRoomData, type UnreadEvent } from "./sliding-rules.ts";

// The SDK logs every sync at debug level; warnings are enough in a browser console.
(sdkLogger as unknown as { setLevel?: (level: string) => void }).setLevel?.("warn");

/** Timeline events per room in a classic sync: lists need the last few, pages load more on demand. */
const CLASSIC_TIMELINE_LIMIT = 20;

/** The marker of a mail conversation room, whose own read receipts the inbox needs (docs/protocol.md). */
const MAIL_CONVERSATION = "de.schulhof.mail.conversation";

/** Where the sync stands, for the UI. */
export type SyncStatus = "starting" | "ready" | "reconnecting" | "stopped";

/** Which sync the connection uses: simplified sliding sync, or classic /sync on a homeserver that lacks it. */
export type SyncMode = "sliding" | "classic";

/** Why the homeserver ended the session: `soft` when it keeps the device (an expired token), so a new login may reuse it. */
export interface LoggedOut {
  soft: boolean;
}

/** One signed-in user's Matrix connection. Created after login or from a stored session; stopped at logout. */
export class MatrixConnection {
  readonly client: MatrixClient;
  readonly session: StoredSession;
  /** Every room the client knows, as snapshots; replaced as a whole when something changes. */
  rooms = $state.raw<RoomSummary[]>([]);
  status = $state<SyncStatus>("starting");
  /** The sync in use; null until the start has chosen. */
  mode = $state<SyncMode | null>(null);
  private refreshQueued = false;
  private stopped = false;
  /** Set while a sliding sync that the homeserver refused is replaced by classic /sync: its sync states are not the UI's. */
  private switching = false;
  private sliding: SlidingSync | null = null;
  /** Whether the homeserver has answered a sliding sync request: after that, an error is an outage, not a missing feature. */
  private slidingAnswered = false;
  private rangeEnd = ROOM_LIST_RANGE_END;
  /** Rooms open on the screen (with how many pages hold them): subscribed, with receipts and typing. */
  private readonly openRooms = new Map<string, number>();
  private resendQueued = false;
  /** Rooms whose unread counts the client counts again (sliding sync: Synapse sends none). */
  private readonly unreadDirty = new Set<string>();
  private unreadQueued = false;

  constructor(session: StoredSession) {
    this.session = session;
    this.client = createClient({
      baseUrl: session.homeserverUrl,
      accessToken: session.accessToken,
      userId: session.userId,
      deviceId: session.deviceId,
      useAuthorizationHeader: true,
      timelineSupport: false,
      // Calls are MatrixRTC with LiveKit (lib/video/); the SDK's legacy VoIP would only fetch TURN servers, and its
      // call handler cannot start a second time, which the fallback to classic /sync needs.
      disableVoip: true,
    });
  }

  /** Starts the sync; resolves once started (not when the first sync is done: watch `status`). */
  async start(onLoggedOut: (why: LoggedOut) => void): Promise<void> {
    const client = this.client;
    client.on(HttpApiEvent.SessionLoggedOut, (error: MatrixError) => {
      const soft = error.data.soft_logout === true;
      log.warn(soft ? "the homeserver asks to sign in again (the device stays)" : "the homeserver ended this session");
      onLoggedOut({ soft });
    });
    client.on(ClientEvent.Sync, (state: SyncState) => {
      if (this.switching || this.stopped) return;
      if (state === SyncState.Prepared || state === SyncState.Syncing) this.status = "ready";
      else if (state === SyncState.Reconnecting || state === SyncState.Error) this.status = "reconnecting";
      else if (state === SyncState.Stopped) this.status = "stopped";
      this.queueRefresh();
    });
    client.on(ClientEvent.Room, () => this.queueRefresh());
    client.on(ClientEvent.DeleteRoom, () => this.queueRefresh());
    client.on(RoomEvent.Name, () => this.queueRefresh());
    client.on(RoomEvent.MyMembership, () => this.queueRefresh());
    client.on(ClientEvent.AccountData, (event: MatrixEvent) => {
      if (event.getType() === "m.direct") this.queueRefresh();
    });
    const classic = await this.serverRefusesSlidingSync();
    if (this.stopped) return;
    if (classic) await this.startClassic();
    else await this.startSliding();
  }

  /** Stops syncing (the session itself stays valid). */
  stop(): void {
    this.stopped = true;
    this.client.stopClient();
    this.status = "stopped";
  }

  /**
   * Marks a room as open on the screen until the answered function is called: with sliding sync it is subscribed
   * (a longer first page, the read receipts of those events) and gets receipts and typing notices; classic /sync
   * brings all of that for every room anyway.
   */
  watchRoom(roomId: string): () => void {
    this.openRooms.set(roomId, (this.openRooms.get(roomId) ?? 0) + 1);
    if (this.openRooms.get(roomId) === 1) this.queueResend();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const left = (this.openRooms.get(roomId) ?? 1) - 1;
      if (left > 0) {
        this.openRooms.set(roomId, left);
        return;
      }
      this.openRooms.delete(roomId);
      this.queueResend();
    };
  }

  /**
   * True when `/versions` says outright that the homeserver has no simplified sliding sync (most servers say nothing:
   * the first request tells). While the homeserver cannot be reached, asks again with growing pauses (the status says
   * so): the SDK's start would otherwise ask for the push rules again and again without a pause.
   */
  private async serverRefusesSlidingSync(): Promise<boolean> {
    for (let pause = 1000; !this.stopped; pause = Math.min(pause * 2, 30_000)) {
      try {
        const versions = await this.client.getVersions();
        return versions.unstable_features?.[SLIDING_SYNC_FEATURE] === false;
      } catch (e) {
        if (!(e instanceof ConnectionError) && !(e instanceof TypeError)) {
          log.warn("could not read the homeserver's versions", e);
          return false;
        }
        this.status = "reconnecting";
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    }
    return false;
  }

  private async startSliding(): Promise<void> {
    // SlidingSync needs of the client only its `slidingSync` request: this one builds every body from sliding-lists.ts
    // (the SDK would send its own extensions, to_device among them, and room subscriptions only once, while Synapse
    // forgets them after each request) and watches the answers.
    const transport: Pick<MatrixClient, "slidingSync"> = {
      slidingSync: (req, baseUrl, signal) => this.sendSlidingSync(req, baseUrl, signal),
    };
    const sliding = new SlidingSync(
      this.session.homeserverUrl,
      new Map([[ROOM_LIST_KEY, roomList(this.rangeEnd)]]),
      roomSubscription(),
      transport as MatrixClient,
      LONG_POLL_TIMEOUT_MS,
    );
    // Registered before the SDK's own listeners (startClient adds them), so these run first.
    sliding.on(SlidingSyncEvent.RoomData, (roomId, data) => this.beforeRoomData(roomId, data));
    sliding.on(SlidingSyncEvent.Lifecycle, (state, response) => {
      if (state === SlidingSyncState.Complete && response !== null) this.afterResponse(response);
    });
    this.sliding = sliding;
    this.mode = "sliding";
    // Synapse's sliding sync sends no unread counts (always 0): the client counts them from the timeline, the read
    // marker and its own receipts, and again whenever one of them changes.
    const recount = (_event: unknown, room: Room | undefined): void => {
      if (room !== undefined) this.queueUnreadCount(room.roomId);
    };
    this.client.on(RoomEvent.Timeline, recount);
    this.client.on(RoomEvent.Receipt, recount);
    this.client.on(RoomEvent.AccountData, recount);
    this.client.on(RoomEvent.LocalEchoUpdated, recount);
    this.client.on(RoomEvent.TimelineReset, (room: Room | undefined) => recount(null, room));
    await this.client.startClient({ slidingSync: sliding, lazyLoadMembers: true, threadSupport: false });
  }

  private async startClassic(): Promise<void> {
    this.mode = "classic";
    const filter = new Filter(this.session.userId);
    filter.setDefinition({ room: { timeline: { limit: CLASSIC_TIMELINE_LIMIT }, state: { lazy_load_members: true } } });
    await this.client.startClient({ lazyLoadMembers: true, initialSyncLimit: CLASSIC_TIMELINE_LIMIT, filter, threadSupport: false });
  }

  /** One sliding sync request: the body of sliding-lists.ts for the rooms open now; the SDK's `pos` and timeouts. */
  private async sendSlidingSync(req: MSC3575SlidingSyncRequest, baseUrl: string | undefined, signal: AbortSignal | undefined): Promise<MSC3575SlidingSyncResponse> {
    const body = slidingSyncBody({ rangeEnd: this.rangeEnd, openRooms: [...this.openRooms.keys()], mailRooms: this.mailRoomIds() });
    const request: MSC3575SlidingSyncRequest = { ...body, pos: req.pos, timeout: req.timeout, clientTimeout: req.clientTimeout };
    try {
      const response = await this.client.slidingSync(request, baseUrl, signal);
      this.slidingAnswered = true;
      return response;
    } catch (e) {
      if (!this.slidingAnswered && lacksSlidingSync(e)) this.fallBackToClassic();
      // The SDK reports only answers with an HTTP status; a lost connection is an outage too.
      else if (e instanceof ConnectionError && signal?.aborted !== true && !this.stopped && !this.switching) this.status = "reconnecting";
      throw e;
    }
  }

  /** The homeserver answered the first sliding sync request as an unknown endpoint: classic /sync from now on. */
  private fallBackToClassic(): void {
    if (this.mode !== "sliding" || this.switching || this.stopped) return;
    log.warn("the homeserver has no simplified sliding sync; using classic /sync");
    this.switching = true;
    // After the SDK has handled the refusal (it would retry in 5 s).
    setTimeout(() => {
      this.client.stopClient();
      this.sliding = null;
      this.switching = false;
      if (this.stopped) return;
      this.startClassic().catch((e: unknown) => log.error("could not start classic /sync", e));
    }, 0);
  }

  /**
   * Before the SDK takes a room's data: where the answer leaves a gap after what the client holds (more new events than
   * the timeline limit since the last answer), the room's timeline starts afresh from the answer, as classic /sync does
   * (the SDK would put the new events after the old ones and page back into the gap). A longer timeline for a newly
   * opened room (Synapse's `unstable_expanded_timeline`) is mostly older history: marked `limited` when it holds events
   * the client lacks, the SDK puts those before the ones it holds (and pages back from the answer's start).
   */
  private beforeRoomData(roomId: string, data: MSC3575RoomData & SlidingRoomData): void {
    // Synapse's counts are placeholders (0); the client's own count stays.
    delete data.notification_count;
    delete data.highlight_count;
    this.queueUnreadCount(roomId);
    const room = this.client.getRoom(roomId);
    if (room === null || data.invite_state !== undefined) return;
    const held = room.getLiveTimeline().getEvents().length;
    const isKnown = (eventId: string): boolean => room.findEventById(eventId) !== undefined;
    if (timelineHasGap(data, held, isKnown)) room.resetLiveTimeline(data.prev_batch ?? null, null);
    else if (data.unstable_expanded_timeline === true && held > 0 && data.timeline.some((e) => !isKnown(e.event_id))) data.limited = true;
  }

  /**
   * After the SDK took an answer: own memberships as the answer says them (the SDK calls every room without an invite
   * "joined" until its state says otherwise, and a declined invite's leave may come only in the timeline), and a wider
   * range when the list grew.
   */
  private afterResponse(response: MSC3575SlidingSyncResponse): void {
    const me = this.session.userId;
    for (const [roomId, data] of Object.entries(response.rooms)) {
      if (data.invite_state !== undefined) continue;
      const membership = ownMembershipIn(data, me) as Membership | null;
      const room = this.client.getRoom(roomId);
      if (membership !== null && room !== null && room.getMyMembership() !== membership) room.updateMyMembership(membership);
    }
    // The next request (sent right after this answer) asks for the wider range.
    const count = response.lists[ROOM_LIST_KEY]?.count;
    if (count !== undefined) this.rangeEnd = Math.max(this.rangeEnd, rangeEndFor(count));
  }

  /** Joined mail conversations: the inbox marks unread mail by the user's own read receipts. */
  private mailRoomIds(): string[] {
    return this.client
      .getRooms()
      .filter((room) => room.getMyMembership() === KnownMembership.Join && room.currentState.getStateEvents(MAIL_CONVERSATION, "") !== null)
      .map((room) => room.roomId);
  }

  private queueUnreadCount(roomId: string): void {
    if (this.mode !== "sliding") return;
    this.unreadDirty.add(roomId);
    if (this.unreadQueued) return;
    this.unreadQueued = true;
    queueMicrotask(() => {
      this.unreadQueued = false;
      const ids = [...this.unreadDirty];
      this.unreadDirty.clear();
      for (const id of ids) {
        const room = this.client.getRoom(id);
        if (room !== null) this.countUnreadNow(room);
      }
    });
  }

  /**
   * Counts a joined room's unread notifications as classic /sync's server would: the events of others that notify by
   * the user's push rules, after the read marker (`m.fully_read`, in every room's account data) or the user's own
   * receipt or message, among the events the client holds (sliding-rules.ts, `countUnread`).
   */
  private countUnreadNow(room: Room): void {
    if (room.getMyMembership() !== KnownMembership.Join) return;
    const me = this.session.userId;
    const readIds = new Set<string>();
    const marker = room.getAccountData(EventType.FullyRead)?.getContent<{ event_id?: unknown }>().event_id;
    if (typeof marker === "string") readIds.add(marker);
    const receipt = room.getEventReadUpTo(me);
    if (receipt !== null) readIds.add(receipt);
    const client = this.client;
    const events = room.getLiveTimeline().getEvents();
    function* newestFirst(): Generator<UnreadEvent> {
      for (let i = events.length - 1; i >= 0; i--) {
        const event = events[i]!;
        const actions = event.getSender() === me ? null : client.getPushActionsForEvent(event);
        yield { id: event.getId() ?? null, sender: event.getSender() ?? null, notify: actions?.notify === true, highlight: actions?.tweaks?.highlight === true };
      }
    }
    const { total, highlight } = countUnread(newestFirst(), readIds, me);
    if (room.getUnreadNotificationCount(NotificationCountType.Total) !== total) room.setUnreadNotificationCount(NotificationCountType.Total, total);
    if (room.getUnreadNotificationCount(NotificationCountType.Highlight) !== highlight) room.setUnreadNotificationCount(NotificationCountType.Highlight, highlight);
  }

  /** Sends the next sliding sync request now (the open rooms or the range changed), once per burst of changes. */
  private queueResend(): void {
    if (this.resendQueued || this.sliding === null) return;
    this.resendQueued = true;
    queueMicrotask(() => {
      this.resendQueued = false;
      if (!this.stopped) this.sliding?.resend();
    });
  }

  /** Recomputes the snapshots once per burst of SDK events. */
  private queueRefresh(): void {
    if (this.refreshQueued) return;
    this.refreshQueued = true;
    queueMicrotask(() => {
      this.refreshQueued = false;
      const direct = directRoomIds(this.client);
      this.rooms = this.client.getRooms().map((room) => summarizeRoom(room, direct));
    });
  }
}
