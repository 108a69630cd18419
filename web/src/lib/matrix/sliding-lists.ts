// What the web client asks of simplified sliding sync (MSC4186): the one room list, the subscription of an open room
// and the extensions, as plain JSON. No runtime imports, so that bench/src/morning-client.ts can import this file
// and send exactly what the web client sends (docs/web.md, "How the web client syncs").
//
// Exported names:
// - SLIDING_SYNC_PATH            the endpoint (POST, `pos` and `timeout` in the query)
// - SLIDING_SYNC_FEATURE         the `unstable_features` key of `/_matrix/client/versions` that announces it
// - LONG_POLL_TIMEOUT_MS         `timeout` of a request that has a `pos`
// - ROOM_LIST_KEY                the key of the one list ("all")
// - ROOM_LIST_RANGE_END          the end (inclusive) of the list's first range: [[0, 999]]
// - rangeEndFor(count)           the range end once the server says the list holds `count` rooms (grows, never shrinks)
// - REQUIRED_STATE               the state the pages read, for list entries and open rooms alike
// - LIST_TIMELINE_LIMIT          timeline events per list entry (the preview and the time of the last message)
// - ROOM_TIMELINE_LIMIT          timeline events of an open room (its first page, receipts for it)
// - roomList(rangeEnd)           the list "all" as sent
// - roomSubscription()           the subscription of one open room as sent
// - slidingSyncExtensions(o)     the `extensions` as sent, for the open rooms and the mail rooms of the moment
// - slidingSyncBody(o)           the whole request body (without `pos` and `timeout`, which go into the query)
// and the types SlidingSyncBody, SlidingSyncList, SlidingSyncRoomSubscription, SlidingSyncExtensions, SlidingSyncRooms.

/** The simplified sliding sync endpoint, which Synapse serves itself (no proxy). */
export const SLIDING_SYNC_PATH = "/_matrix/client/unstable/org.matrix.simplified_msc3575/sync";

/** The `unstable_features` flag of `/versions`: `false` means the server lacks it (absent: the first request tells). */
export const SLIDING_SYNC_FEATURE = "org.matrix.simplified_msc3575";

/** How long the server may hold a request that has a `pos` (the long-poll), in milliseconds. */
export const LONG_POLL_TIMEOUT_MS = 30_000;

/** The key of the one list. */
export const ROOM_LIST_KEY = "all";

/**
 * The end of the list's range (inclusive) at start: every room of a person fits (a teacher is in about 250), and a range
 * that covers the whole list spares the server the sorting. A person in more rooms gets a wider range, see {@link rangeEndFor}.
 */
export const ROOM_LIST_RANGE_END = 999;

/** The range end for a list of `count` rooms: the first range, or the count and some room to grow in steps of 500. */
export function rangeEndFor(count: number): number {
  if (count <= ROOM_LIST_RANGE_END + 1) return ROOM_LIST_RANGE_END;
  return Math.ceil((count + 1) / 500) * 500 - 1;
}

/**
 * The state the web client reads (grep for `getStateEvents`, `currentState` and what the SDK derives from state):
 * - `m.room.create` (spaces, room types), `m.room.name`, `m.room.topic` (the room's header), `m.room.power_levels`
 *   (who may write, teachers in a course), `m.room.encryption` (encrypted rooms show a note instead of text);
 * - own membership (`$ME`: joined, invited, left; a direct chat's `is_direct`) and the members who sent the
 *   timeline's events (`$LAZY`: their names); an open room loads its other members itself (`/members`);
 * - `m.space.child` (the chat list groups rooms under their spaces);
 * - the markers of the appservices that say what a room is (docs/protocol.md): `de.schulhof.room`,
 *   `de.schulhof.calendar`, `de.schulhof.exam.cohort`, `de.schulhof.homework.submission_room`,
 *   `de.schulhof.mail.conversation`, and the homework section's `de.schulhof.course` and assignments;
 * - `org.matrix.msc3401.call.member` (calls going on, who is in a call).
 * Not asked for because nothing shows them: avatars, aliases, join rules, `m.space.parent`, history visibility.
 */
export const REQUIRED_STATE: readonly (readonly [string, string])[] = [
  ["m.room.create", ""],
  ["m.room.name", ""],
  ["m.room.topic", ""],
  ["m.room.power_levels", ""],
  ["m.room.encryption", ""],
  ["m.room.member", "$ME"],
  ["m.room.member", "$LAZY"],
  ["m.space.child", "*"],
  ["de.schulhof.room", ""],
  ["de.schulhof.calendar", ""],
  ["de.schulhof.exam.cohort", ""],
  ["de.schulhof.homework.submission_room", ""],
  ["de.schulhof.mail.conversation", ""],
  ["de.schulhof.course", ""],
  ["de.schulhof.homework.assignment", "*"],
  ["org.matrix.msc3401.call.member", "*"],
];

/** Timeline events per list entry: enough for the last message's preview past a reaction or an edit. */
export const LIST_TIMELINE_LIMIT = 5;

/** Timeline events of an open room: its first page, and the read receipts of those events (as classic sync's 20). */
export const ROOM_TIMELINE_LIMIT = 20;

/** A list as sent (MSC4186). */
export interface SlidingSyncList {
  ranges: [number, number][];
  required_state: [string, string][];
  timeline_limit: number;
}

/** A room subscription as sent. */
export interface SlidingSyncRoomSubscription {
  required_state: [string, string][];
  timeline_limit: number;
}

/** An extension limited to some rooms: `lists: []` and the room ids, because Synapse reads `rooms: ["*"]` as every room of every list too. */
export interface SlidingSyncRooms {
  enabled: boolean;
  lists: string[];
  rooms: string[];
}

/** The extensions as sent: never `e2ee` or `to_device` (no encryption here: device lists would only wake the connection). */
export interface SlidingSyncExtensions {
  account_data: { enabled: boolean };
  receipts: SlidingSyncRooms;
  typing: SlidingSyncRooms;
}

/** A request body as sent (`pos` and `timeout` go into the query). */
export interface SlidingSyncBody {
  lists: Record<string, SlidingSyncList>;
  room_subscriptions: Record<string, SlidingSyncRoomSubscription>;
  extensions: SlidingSyncExtensions;
}

function requiredState(): [string, string][] {
  return REQUIRED_STATE.map(([type, key]) => [type, key]);
}

/** The one list: every room the person is in or invited to (or just left), newest first, with what the pages read. */
export function roomList(rangeEnd: number = ROOM_LIST_RANGE_END): SlidingSyncList {
  return { ranges: [[0, rangeEnd]], required_state: requiredState(), timeline_limit: LIST_TIMELINE_LIMIT };
}

/** The subscription of a room that is open on the screen: the same state, a longer timeline (the server sends the room again with it). */
export function roomSubscription(): SlidingSyncRoomSubscription {
  return { required_state: requiredState(), timeline_limit: ROOM_TIMELINE_LIMIT };
}

/**
 * The extensions: global and room account data (`m.direct`, read markers) for every room; read receipts only for the
 * open rooms (who read what) and the mail conversations (the inbox's unread marks); typing only for the open rooms.
 * A receipt or a typing notice in any other room then wakes the connection but gets no answer.
 */
export function slidingSyncExtensions(o: { openRooms?: readonly string[]; mailRooms?: readonly string[] } = {}): SlidingSyncExtensions {
  const open = [...new Set(o.openRooms ?? [])].sort();
  const receiptRooms = [...new Set([...open, ...(o.mailRooms ?? [])])].sort();
  return {
    account_data: { enabled: true },
    receipts: { enabled: receiptRooms.length > 0, lists: [], rooms: receiptRooms },
    typing: { enabled: open.length > 0, lists: [], rooms: open },
  };
}

/** The whole body of a request: the list, one subscription per open room, the extensions. */
export function slidingSyncBody(o: { rangeEnd?: number; openRooms?: readonly string[]; mailRooms?: readonly string[] } = {}): SlidingSyncBody {
  const subscriptions: Record<string, SlidingSyncRoomSubscription> = {};
  for (const roomId of [...new Set(o.openRooms ?? [])].sort()) subscriptions[roomId] = roomSubscription();
  return {
    lists: { [ROOM_LIST_KEY]: roomList(o.rangeEnd) },
    room_subscriptions: subscriptions,
    extensions: slidingSyncExtensions(o),
  };
}
