// A reactive tick for the homework pages: bumps when room state, timelines or memberships change, so derived views re-read the SDK.
import { ClientEvent, RoomEvent, RoomStateEvent, type MatrixClient } from "matrix-js-sdk";

/** Made by a page for its lifetime; read `version` in a `$derived` to follow the rooms; call `dispose` on destroy. */
export class RoomWatch {
  version = $state(0);
  private queued = false;
  private readonly client: MatrixClient;
  private readonly bump = (): void => {
    if (this.queued) return;
    this.queued = true;
    queueMicrotask(() => {
      this.queued = false;
      this.version++;
    });
  };

  constructor(client: MatrixClient) {
    this.client = client;
    client.on(RoomStateEvent.Events, this.bump);
    client.on(RoomStateEvent.Members, this.bump);
    client.on(RoomEvent.Timeline, this.bump);
    client.on(RoomEvent.MyMembership, this.bump);
    client.on(ClientEvent.Room, this.bump);
    client.on(ClientEvent.Sync, this.bump);
  }

  dispose(): void {
    this.client.off(RoomStateEvent.Events, this.bump);
    this.client.off(RoomStateEvent.Members, this.bump);
    this.client.off(RoomEvent.Timeline, this.bump);
    this.client.off(RoomEvent.MyMembership, this.bump);
    this.client.off(ClientEvent.Room, this.bump);
    this.client.off(ClientEvent.Sync, this.bump);
  }
}
