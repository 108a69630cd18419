// Shared shapes of the video call, free of livekit-client values so the UI can use them without loading LiveKit.

/** The role the token service gave (LiveKit participant metadata `role`). */
export type VideoRole = "teacher" | "student" | "waiting";

/** What a participant can send. */
export type MediaSource = "microphone" | "camera" | "screen_share";

/** Why a call ended for this client. */
export type CallEndReason = "left" | "removed" | "ended" | "duplicate" | "lost";

/** A track the UI can show: LiveKit's attach/detach, nothing else. */
export interface AttachableTrack {
  attach(element: HTMLMediaElement): HTMLMediaElement;
  detach(element: HTMLMediaElement): HTMLMediaElement;
}

/** One participant as the UI sees it; a fresh object after every change. */
export interface ParticipantSnapshot {
  /** The LiveKit identity (the moderation API's `identity`). */
  identity: string;
  /** The Matrix user (metadata `user_id`), or null for a participant the token service did not describe. */
  userId: string | null;
  role: VideoRole | null;
  isLocal: boolean;
  microphoneOn: boolean;
  cameraOn: boolean;
  screenShareOn: boolean;
  speaking: boolean;
  handRaised: boolean;
  cameraTrack: AttachableTrack | null;
  screenTrack: AttachableTrack | null;
  /** Remote audio to play (microphone and screen-share audio); empty for the local participant. */
  audioTracks: AttachableTrack[];
}

/** What the LiveKit adapter tells the call controller. */
export interface CallEvents {
  /** Participants, tracks, mute states, hands or speakers changed: take a new snapshot. */
  changed(): void;
  /** A teacher (through the server) muted or stopped one of our sources. */
  stoppedByModerator(source: MediaSource): void;
  /** Our permissions changed (e.g. admitted from the lobby, or screen sharing taken away). */
  permissionsChanged(): void;
  /** The connection ended and will not come back by itself. */
  disconnected(reason: CallEndReason): void;
}

/** The connected call, as the adapter in `livekit-call.ts` provides it. */
export interface LiveCall {
  readonly localIdentity: string;
  participants(): ParticipantSnapshot[];
  /** Whether the token and later permission updates allow sending this source. */
  canPublish(source: MediaSource): boolean;
  /** Whether we may see and hear the others (false while waiting in the lobby). */
  canSubscribe(): boolean;
  setSource(source: MediaSource, on: boolean): Promise<void>;
  setHandRaised(raised: boolean): Promise<void>;
  /** Leaves; `disconnected("left")` follows. */
  disconnect(): Promise<void>;
}
