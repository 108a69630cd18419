// The signed-in Matrix client: created from a stored session, syncing with lazy-loaded members, its rooms as reactive snapshots.
import { ClientEvent, createClient, Filter, HttpApiEvent, RoomEvent, SyncState, type MatrixClient, type MatrixEvent } from "matrix-js-sdk";
import { logger as sdkLogger } from "matrix-js-sdk/lib/logger.js";
import { log } from "../log.ts";
import type { StoredSession } from "../session.ts";
import { directRoomIds, summarizeRoom, type RoomSummary } from "./rooms.ts";

// The SDK logs every sync at debug level; warnings are enough in a browser console.
(sdkLogger as unknown as { setLevel?: (level: string) => void }).setLevel?.("warn");

/** Timeline events per room in a sync: lists need the last few, pages load more on demand. */
const TIMELINE_LIMIT = 20;

/** Where the sync stands, for the UI. */
export type SyncStatus = "starting" | "ready" | "reconnecting" | "stopped";

/** One signed-in user's Matrix connection. Created after login or from a stored session; stopped at logout. */
export class MatrixConnection {
  readonly client: MatrixClient;
  readonly session: StoredSession;
  /** Every room the client knows, as snapshots; replaced as a whole when something changes. */
  rooms = $state.raw<RoomSummary[]>([]);
  status = $state<SyncStatus>("starting");
  private refreshQueued = false;

  constructor(session: StoredSession) {
    this.session = session;
    this.client = createClient({
      baseUrl: session.homeserverUrl,
      accessToken: session.accessToken,
      userId: session.userId,
      deviceId: session.deviceId,
      useAuthorizationHeader: true,
      timelineSupport: false,
    });
  }

  /** Starts the sync; resolves once started (not when the first sync is done: watch `status`). */
  async start(onLoggedOut: () => void): Promise<void> {
    const client = this.client;
    client.on(HttpApiEvent.SessionLoggedOut, () => {
      log.warn("the homeserver ended this session");
      onLoggedOut();
    });
    client.on(ClientEvent.Sync, (state: SyncState) => {
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
    const filter = new Filter(this.session.userId);
    filter.setDefinition({ room: { timeline: { limit: TIMELINE_LIMIT }, state: { lazy_load_members: true } } });
    await client.startClient({ lazyLoadMembers: true, initialSyncLimit: TIMELINE_LIMIT, filter, threadSupport: false });
  }

  /** Stops syncing (the session itself stays valid). */
  stop(): void {
    this.client.stopClient();
    this.status = "stopped";
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
