// Which rooms have a call going on right now, from the rooms' MatrixRTC memberships (what any Matrix client writes).
import type { MatrixClient } from "matrix-js-sdk";
import { MatrixRTCSessionManagerEvents } from "matrix-js-sdk/lib/matrixrtc/index.js";

/** Follows the client's MatrixRTC sessions; `dispose()` when the page goes. */
export class ActiveCalls {
  /** Room ids with at least one call member. */
  roomIds = $state.raw<ReadonlySet<string>>(new Set());
  private readonly client: MatrixClient;
  private readonly update = (): void => {
    const active = new Set<string>();
    for (const room of this.client.getRooms()) {
      // The manager keeps sessions that ended (and empty ones pages asked for): only members make a call.
      if ((this.client.matrixRTC.getActiveRoomSession(room)?.memberships.length ?? 0) > 0) active.add(room.roomId);
    }
    this.roomIds = active;
  };

  constructor(client: MatrixClient) {
    this.client = client;
    client.matrixRTC.on(MatrixRTCSessionManagerEvents.SessionStarted, this.update);
    client.matrixRTC.on(MatrixRTCSessionManagerEvents.SessionEnded, this.update);
    this.update();
  }

  /** Recomputes (e.g. after the room list changed). */
  refresh(): void {
    this.update();
  }

  dispose(): void {
    this.client.matrixRTC.off(MatrixRTCSessionManagerEvents.SessionStarted, this.update);
    this.client.matrixRTC.off(MatrixRTCSessionManagerEvents.SessionEnded, this.update);
  }
}
