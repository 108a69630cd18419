// The room's MatrixRTC session: who is in the call according to the room (any Matrix client sees the same), and our
// own call membership (`org.matrix.msc3401.call.member`), written while we are in the call.
import type { MatrixClient, Room } from "matrix-js-sdk";
import { MatrixRTCSessionEvent, type MatrixRTCSession } from "matrix-js-sdk/lib/matrixrtc/index.js";
import { log } from "../log.ts";
import { memberIdOf } from "./token-service.ts";

/** Watches one room's call session; `dispose()` when the page goes. */
export class RtcPresence {
  /** Matrix users in the call (each once), oldest membership first. */
  userIds = $state.raw<string[]>([]);
  private readonly client: MatrixClient;
  private readonly session: MatrixRTCSession;
  private readonly update = (): void => {
    this.userIds = [...new Set(this.session.memberships.map((m) => m.userId))];
  };
  private readonly reportError = (error: unknown): void => {
    log.warn("could not write the call membership to the room; the call goes on without it", error);
  };

  constructor(client: MatrixClient, room: Room) {
    this.client = client;
    this.session = client.matrixRTC.getRoomSession(room);
    this.session.on(MatrixRTCSessionEvent.MembershipsChanged, this.update);
    this.session.on(MatrixRTCSessionEvent.MembershipManagerError, this.reportError);
    this.update();
  }

  /**
   * Announces our membership with the LiveKit focus. Never throws: a room where we may not send the event (power
   * levels) only loses the announcement, not the call.
   */
  join(livekitServiceUrl: string, roomId: string): void {
    if (this.session.isJoined()) return;
    const userId = this.client.getUserId();
    const deviceId = this.client.getDeviceId();
    if (userId === null || deviceId === null) return;
    try {
      const focus = { type: "livekit", livekit_service_url: livekitServiceUrl, livekit_alias: roomId };
      this.session.joinRTCSession({ userId, deviceId, memberId: memberIdOf(this.client) }, [focus], undefined, { manageMediaKeys: false });
    } catch (e) {
      this.reportError(e);
    }
  }

  /** Withdraws our membership (best effort, bounded in time). */
  async leave(): Promise<void> {
    if (!this.session.isJoined()) return;
    try {
      await this.session.leaveRoomSession(5_000);
    } catch (e) {
      log.warn("could not withdraw the call membership", e);
    }
  }

  /** Stops listening; leaves first if still joined. */
  dispose(): void {
    void this.leave();
    this.session.off(MatrixRTCSessionEvent.MembershipsChanged, this.update);
    this.session.off(MatrixRTCSessionEvent.MembershipManagerError, this.reportError);
  }
}
