// One video lesson from this client's side: token, LiveKit connection (loaded on demand), lobby, own media, moderation.
// Pages render its state and call its methods; they never touch LiveKit or the token service themselves.
import type { MatrixClient } from "matrix-js-sdk";
import { ClientError } from "../errors.ts";
import { log } from "../log.ts";
import type { RtcPresence } from "./rtc-presence.svelte.ts";
import { moderateCall, requestCallToken, type CallToken, type ModerationAction, type VideoClient } from "./token-service.ts";
import type { CallEndReason, CallEvents, LiveCall, MediaSource, ParticipantSnapshot, VideoRole } from "./types.ts";

/** Where the call stands for this client. */
export type CallPhase = "idle" | "connecting" | "waiting" | "in-call" | "ended";

/** How often a waiting student asks whether they were let in (besides listening for the permission change). */
const LOBBY_POLL_MS = 5_000;

export interface CallDeps {
  roomId: string;
  livekitServiceUrl: string;
  /** The token service's typed client (`apiClients().video`). */
  video: VideoClient;
  client: MatrixClient;
  presence: RtcPresence;
}

/** A call in one room. Create one per call page; `dispose()` when the page goes. */
export class CallController {
  phase = $state<CallPhase>("idle");
  role = $state<VideoRole | null>(null);
  participants = $state.raw<ParticipantSnapshot[]>([]);
  endReason = $state<CallEndReason | null>(null);
  /** The last failure to show (joining, media, moderation); null when there is none. */
  error = $state.raw<unknown>(null);
  /** Set when a teacher stopped one of our sources; shown until we switch it on again. */
  stoppedByTeacher = $state<MediaSource | null>(null);
  /** Whether our camera or microphone could not be started (permission refused, no device). */
  mediaUnavailable = $state(false);
  /** Bumped when permissions change, so `canPublish` is re-read. */
  private permissionsVersion = $state(0);

  /** Our own participant, once connected. */
  readonly local = $derived(this.participants.find((p) => p.isLocal) ?? null);
  readonly remotes = $derived(this.participants.filter((p) => !p.isLocal));

  private readonly deps: CallDeps;
  private live: LiveCall | null = null;
  private lobbyTimer: ReturnType<typeof setInterval> | null = null;
  /** Counts connections; events of an older connection (left for a fresh token after admission) are ignored. */
  private generation = 0;
  /** True while we move from the lobby connection to an admitted one. */
  private entering = false;
  private disposed = false;

  constructor(deps: CallDeps) {
    this.deps = deps;
  }

  /** Whether we may send this source now (token grant and later permission changes). */
  canPublish(source: MediaSource): boolean {
    void this.permissionsVersion;
    return this.live?.canPublish(source) ?? false;
  }

  /** Joins: token, connection, then camera and microphone (or the lobby for a waiting student). */
  async join(): Promise<void> {
    if (this.phase === "connecting" || this.phase === "waiting" || this.phase === "in-call") return;
    this.phase = "connecting";
    this.error = null;
    this.endReason = null;
    this.stoppedByTeacher = null;
    try {
      const token = await requestCallToken(this.deps.video, this.deps.client, this.deps.roomId);
      await this.connectWith(token);
    } catch (e) {
      log.warn("could not join the call", e);
      this.error = e;
      this.phase = "idle";
      await this.dropConnection();
    }
  }

  /** Leaves the call; the page then offers to join again. */
  async leave(): Promise<void> {
    this.stopLobbyPolling();
    const live = this.live;
    if (live === null) {
      this.phase = "idle";
      return;
    }
    await live.disconnect();
  }

  async toggle(source: MediaSource): Promise<void> {
    const live = this.live;
    const local = this.local;
    if (live === null || local === null) return;
    const on = !(source === "microphone" ? local.microphoneOn : source === "camera" ? local.cameraOn : local.screenShareOn);
    if (on && this.stoppedByTeacher === source) this.stoppedByTeacher = null;
    try {
      await live.setSource(source, on);
    } catch (e) {
      // Cancelling the screen picker is no error worth showing.
      if (source === "screen_share" && e instanceof DOMException && e.name === "NotAllowedError") return;
      log.warn(`could not switch ${source}`, e);
      this.error = new ClientError(source === "screen_share" ? "call_failed" : "media_denied", `switching ${source} failed`, e);
    }
  }

  async toggleHand(): Promise<void> {
    const local = this.local;
    if (this.live === null || local === null) return;
    await this.live.setHandRaised(!local.handRaised);
  }

  /** A teacher's action on a participant (by LiveKit identity) or on the whole call; failures land in `error`. */
  async moderate(action: ModerationAction, identity?: string): Promise<void> {
    this.error = null;
    try {
      await moderateCall(this.deps.video, this.deps.roomId, action, identity);
    } catch (e) {
      log.warn(`moderation ${action} failed`, e);
      this.error = e;
    }
  }

  /** Ends everything this controller started; called when the page goes. */
  dispose(): void {
    this.disposed = true;
    this.stopLobbyPolling();
    void this.dropConnection();
    this.deps.presence.dispose();
  }

  private async connectWith(token: CallToken): Promise<void> {
    // livekit-client is large: it is loaded only now, in a chunk of its own.
    const { connectCall } = await import("./livekit-call.ts");
    const generation = ++this.generation;
    this.live = await connectCall(token.url, token.jwt, this.callEvents(generation));
    this.permissionsVersion++;
    if (this.disposed) {
      await this.dropConnection();
      return;
    }
    this.role = token.role;
    this.refresh();
    if (token.role === "waiting") {
      this.phase = "waiting";
      this.startLobbyPolling();
      return;
    }
    this.phase = "in-call";
    this.deps.presence.join(this.deps.livekitServiceUrl, this.deps.roomId);
    await this.startOwnMedia();
  }

  private async startOwnMedia(): Promise<void> {
    const live = this.live;
    if (live === null) return;
    this.mediaUnavailable = false;
    for (const source of ["camera", "microphone"] as const) {
      if (!live.canPublish(source)) continue;
      try {
        await live.setSource(source, true);
      } catch (e) {
        log.warn(`could not start the ${source}`, e);
        this.mediaUnavailable = true;
      }
    }
    this.refresh();
  }

  private callEvents(generation: number): CallEvents {
    const current = (): boolean => generation === this.generation;
    return {
      changed: () => {
        if (current()) this.refresh();
      },
      stoppedByModerator: (source) => {
        if (!current()) return;
        this.stoppedByTeacher = source;
        this.refresh();
      },
      permissionsChanged: () => {
        if (!current()) return;
        this.permissionsVersion++;
        if (this.phase === "waiting" && this.live?.canSubscribe() === true) void this.enterAfterAdmission();
      },
      disconnected: (reason) => {
        if (!current()) return;
        this.stopLobbyPolling();
        this.live = null;
        this.participants = [];
        void this.deps.presence.leave();
        this.endReason = reason;
        this.phase = reason === "left" ? "idle" : "ended";
      },
    };
  }

  private refresh(): void {
    this.participants = this.live?.participants() ?? [];
  }

  private startLobbyPolling(): void {
    this.stopLobbyPolling();
    this.lobbyTimer = setInterval(() => void this.checkAdmission(), LOBBY_POLL_MS);
  }

  private stopLobbyPolling(): void {
    if (this.lobbyTimer !== null) clearInterval(this.lobbyTimer);
    this.lobbyTimer = null;
  }

  /** Asks for a fresh token; when it is no longer a waiting one, we were let in. */
  private async checkAdmission(): Promise<void> {
    if (this.phase !== "waiting") return;
    try {
      const token = await requestCallToken(this.deps.video, this.deps.client, this.deps.roomId);
      if (token.role !== "waiting" && this.phase === "waiting") await this.enterAfterAdmission(token);
    } catch (e) {
      log.warn("lobby check failed; trying again", e);
    }
  }

  /** Reconnects with a fresh (admitted) token: the waiting connection may neither send nor receive. */
  private async enterAfterAdmission(fresh?: CallToken): Promise<void> {
    if (this.entering) return;
    this.entering = true;
    this.stopLobbyPolling();
    try {
      const token = fresh ?? (await requestCallToken(this.deps.video, this.deps.client, this.deps.roomId));
      await this.dropConnection();
      this.phase = "connecting";
      await this.connectWith(token);
    } catch (e) {
      log.warn("could not enter after admission", e);
      this.error = e;
      this.phase = "idle";
    } finally {
      this.entering = false;
    }
  }

  private async dropConnection(): Promise<void> {
    const live = this.live;
    this.live = null;
    this.generation++;
    if (live !== null) await live.disconnect().catch(() => undefined);
  }
}
