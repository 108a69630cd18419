// The LiveKit adapter: the only module that imports livekit-client. Loaded with import() when a call starts, so the
// initial bundle stays without it. Turns the Room's events into CallEvents and snapshots the participants.
import {
  DisconnectReason,
  type LocalTrackPublication,
  type Participant,
  type RemoteParticipant,
  Room,
  RoomEvent,
  Track,
  type TrackPublication,
} from "livekit-client";
import { log } from "../log.ts";
import type { AttachableTrack, CallEndReason, CallEvents, LiveCall, MediaSource, ParticipantSnapshot, VideoRole } from "./types.ts";

/** The data-message topic of raised hands: `{"raised": true|false}` (students may send data, not set attributes). */
const HAND_TOPIC = "de.schulhof.hand";

const SOURCES: Record<MediaSource, Track.Source> = {
  microphone: Track.Source.Microphone,
  camera: Track.Source.Camera,
  screen_share: Track.Source.ScreenShare,
};

/** Connects to LiveKit with a token; resolves once connected (nothing is published yet). */
export async function connectCall(url: string, jwt: string, events: CallEvents): Promise<LiveCall> {
  const room = new Room({ adaptiveStream: true, dynacast: true, stopLocalTrackOnUnpublish: true });
  const call = new LivekitCall(room, events);
  await room.connect(url, jwt, { autoSubscribe: true });
  return call;
}

function metadataOf(p: Participant): { userId: string | null; role: VideoRole | null } {
  try {
    const meta = JSON.parse(p.metadata ?? "{}") as { user_id?: unknown; role?: unknown };
    const role = meta.role === "teacher" || meta.role === "student" || meta.role === "waiting" ? meta.role : null;
    return { userId: typeof meta.user_id === "string" ? meta.user_id : null, role };
  } catch {
    return { userId: null, role: null };
  }
}

function sourceOf(publication: TrackPublication): MediaSource | null {
  if (publication.source === Track.Source.Microphone) return "microphone";
  if (publication.source === Track.Source.Camera) return "camera";
  if (publication.source === Track.Source.ScreenShare) return "screen_share";
  return null;
}

class LivekitCall implements LiveCall {
  private readonly room: Room;
  private readonly events: CallEvents;
  /** Sources we are switching ourselves right now: their mute and unpublish events are not a teacher's doing. */
  private readonly switchingOurselves = new Set<MediaSource>();
  private readonly raisedHands = new Set<string>();
  private leaving = false;

  constructor(room: Room, events: CallEvents) {
    this.room = room;
    this.events = events;
    const changed = (): void => events.changed();
    room
      .on(RoomEvent.ParticipantConnected, (p: RemoteParticipant) => {
        // A newcomer learns about hands that are already up.
        if (this.raisedHands.has(room.localParticipant.identity)) void this.sendHand(true, [p.identity]);
        changed();
      })
      .on(RoomEvent.ParticipantDisconnected, (p: RemoteParticipant) => {
        this.raisedHands.delete(p.identity);
        changed();
      })
      .on(RoomEvent.TrackSubscribed, changed)
      .on(RoomEvent.TrackUnsubscribed, changed)
      .on(RoomEvent.TrackPublished, changed)
      .on(RoomEvent.TrackUnpublished, changed)
      .on(RoomEvent.LocalTrackPublished, changed)
      .on(RoomEvent.TrackUnmuted, changed)
      .on(RoomEvent.ActiveSpeakersChanged, changed)
      .on(RoomEvent.ParticipantMetadataChanged, changed)
      .on(RoomEvent.TrackMuted, (publication: TrackPublication, participant: Participant) => {
        this.reportIfModerated(publication, participant);
        changed();
      })
      .on(RoomEvent.LocalTrackUnpublished, (publication: LocalTrackPublication, participant: Participant) => {
        this.reportIfModerated(publication, participant);
        changed();
      })
      .on(RoomEvent.ParticipantPermissionsChanged, (_previous, participant: Participant) => {
        if (participant === room.localParticipant) events.permissionsChanged();
        changed();
      })
      .on(RoomEvent.DataReceived, (payload: Uint8Array, participant?: RemoteParticipant, _kind?: unknown, topic?: string) => {
        if (topic !== HAND_TOPIC || participant === undefined) return;
        try {
          const raised = (JSON.parse(new TextDecoder().decode(payload)) as { raised?: unknown }).raised === true;
          if (raised) this.raisedHands.add(participant.identity);
          else this.raisedHands.delete(participant.identity);
          changed();
        } catch {
          log.warn("ignored a malformed hand message");
        }
      })
      .on(RoomEvent.MediaDevicesError, (e: Error) => log.warn("camera or microphone not available", e))
      .on(RoomEvent.Disconnected, (reason?: DisconnectReason) => events.disconnected(this.leaving ? "left" : endReasonOf(reason)));
  }

  get localIdentity(): string {
    return this.room.localParticipant.identity;
  }

  participants(): ParticipantSnapshot[] {
    const local = this.room.localParticipant;
    return [this.snapshot(local, true), ...[...this.room.remoteParticipants.values()].map((p) => this.snapshot(p, false))];
  }

  canPublish(source: MediaSource): boolean {
    const permissions = this.room.localParticipant.permissions;
    if (permissions === undefined || !permissions.canPublish) return false;
    // An empty list means every source (LiveKit's convention).
    if (permissions.canPublishSources.length === 0) return true;
    return permissions.canPublishSources.map((s) => Track.sourceFromProto(s)).includes(SOURCES[source]);
  }

  canSubscribe(): boolean {
    return this.room.localParticipant.permissions?.canSubscribe ?? false;
  }

  async setSource(source: MediaSource, on: boolean): Promise<void> {
    const local = this.room.localParticipant;
    this.switchingOurselves.add(source);
    try {
      if (source === "microphone") await local.setMicrophoneEnabled(on);
      else if (source === "camera") await local.setCameraEnabled(on);
      else await local.setScreenShareEnabled(on, { audio: true });
    } finally {
      this.switchingOurselves.delete(source);
      this.events.changed();
    }
  }

  async setHandRaised(raised: boolean): Promise<void> {
    const me = this.room.localParticipant.identity;
    if (raised) this.raisedHands.add(me);
    else this.raisedHands.delete(me);
    this.events.changed();
    await this.sendHand(raised);
  }

  async disconnect(): Promise<void> {
    this.leaving = true;
    await this.room.disconnect(true);
  }

  private async sendHand(raised: boolean, to?: string[]): Promise<void> {
    try {
      const payload = new TextEncoder().encode(JSON.stringify({ raised }));
      await this.room.localParticipant.publishData(payload, { reliable: true, topic: HAND_TOPIC, ...(to === undefined ? {} : { destinationIdentities: to }) });
    } catch (e) {
      log.warn("could not send the raised hand", e);
    }
  }

  private reportIfModerated(publication: TrackPublication, participant: Participant): void {
    if (participant !== this.room.localParticipant || this.leaving) return;
    const source = sourceOf(publication);
    if (source !== null && !this.switchingOurselves.has(source)) this.events.stoppedByModerator(source);
  }

  private snapshot(p: Participant, isLocal: boolean): ParticipantSnapshot {
    const { userId, role } = metadataOf(p);
    const publication = (source: Track.Source): TrackPublication | undefined => p.getTrackPublication(source);
    const visible = (source: Track.Source): AttachableTrack | null => {
      const pub = publication(source);
      return pub?.track !== undefined && !pub.isMuted ? pub.track : null;
    };
    const audioTracks: AttachableTrack[] = [];
    if (!isLocal) {
      for (const source of [Track.Source.Microphone, Track.Source.ScreenShareAudio]) {
        const track = publication(source)?.track;
        if (track !== undefined) audioTracks.push(track);
      }
    }
    return {
      identity: p.identity,
      userId,
      role,
      isLocal,
      microphoneOn: p.isMicrophoneEnabled,
      cameraOn: p.isCameraEnabled,
      screenShareOn: p.isScreenShareEnabled,
      speaking: p.isSpeaking,
      handRaised: this.raisedHands.has(p.identity),
      cameraTrack: visible(Track.Source.Camera),
      screenTrack: visible(Track.Source.ScreenShare),
      audioTracks,
    };
  }
}

function endReasonOf(reason: DisconnectReason | undefined): CallEndReason {
  switch (reason) {
    case DisconnectReason.CLIENT_INITIATED:
      return "left";
    case DisconnectReason.PARTICIPANT_REMOVED:
      return "removed";
    case DisconnectReason.ROOM_DELETED:
      return "ended";
    case DisconnectReason.DUPLICATE_IDENTITY:
      return "duplicate";
    default:
      return "lost";
  }
}
