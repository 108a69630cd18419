// Typed, opaque Matrix identifiers used at package boundaries.

export type UserId = string & { readonly __brand: "UserId" };
export type RoomId = string & { readonly __brand: "RoomId" };
export type EventId = string & { readonly __brand: "EventId" };

const USER_ID = /^@[a-z0-9._=\-/+]+:[A-Za-z0-9.\-:[\]]+$/;

/** Checks and brands a user id (`@localpart:server`). */
export function userId(raw: string): UserId {
  if (!USER_ID.test(raw)) throw new Error(`not a Matrix user id: ${raw}`);
  return raw as UserId;
}

/** Builds the user id of a local user. */
export function localUserId(localpart: string, serverName: string): UserId {
  return userId(`@${localpart}:${serverName}`);
}

/** Brands a room id (`!opaque:server`). */
export function roomId(raw: string): RoomId {
  if (!raw.startsWith("!")) throw new Error(`not a Matrix room id: ${raw}`);
  return raw as RoomId;
}

/** The localpart of a user id. */
export function localpartOf(id: string): string {
  return id.slice(1, id.indexOf(":"));
}

/** The server name of a user or room id. */
export function serverOf(id: string): string {
  return id.slice(id.indexOf(":") + 1);
}

/**
 * Whether a room was made at another server: all its creators (room version 12 records them) are elsewhere. A district
 * school's bots only read such rooms (a shared course hosted by another school); no creators known: not elsewhere.
 */
export function hostedElsewhere(creators: readonly string[], ownServer: string): boolean {
  return creators.length > 0 && creators.every((c) => serverOf(c) !== ownServer);
}
