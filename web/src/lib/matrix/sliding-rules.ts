// Pure rules of the sliding sync connection (connection.svelte.ts), unit-tested in web/tests/sliding-sync.test.ts:
// when a homeserver lacks the endpoint, what an answer says about one's own membership, when a timeline has a gap.

/** What the rules read of a room in an answer (a part of matrix-js-sdk's MSC3575RoomData). */
export interface SlidingRoomData {
  required_state?: readonly SlidingEvent[];
  timeline?: readonly SlidingEvent[];
  limited?: boolean;
  initial?: boolean;
  /** Synapse: the room is sent again with a longer timeline than before (its subscription asked for more). */
  unstable_expanded_timeline?: boolean;
}

/** What the rules read of an event in an answer. */
export interface SlidingEvent {
  type?: unknown;
  state_key?: unknown;
  event_id?: unknown;
  content?: unknown;
}

/**
 * True when a sliding sync request failed because the homeserver does not serve the endpoint: 404 or 405 (an unknown
 * path or method), or the errcode `M_UNRECOGNIZED` (Synapse answers so when the feature is off). Anything else — 5xx, 429,
 * a lost connection, a refused token — is an outage or a logout, and sliding sync stays.
 */
export function lacksSlidingSync(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const { httpStatus, errcode } = error as { httpStatus?: unknown; errcode?: unknown };
  if (errcode === "M_UNKNOWN_TOKEN" || errcode === "M_LIMIT_EXCEEDED") return false;
  return errcode === "M_UNRECOGNIZED" || httpStatus === 404 || httpStatus === 405;
}

function ownMembershipOf(event: SlidingEvent, userId: string): string | null {
  if (event.type !== "m.room.member" || event.state_key !== userId) return null;
  const membership = (event.content as { membership?: unknown } | undefined)?.membership;
  return typeof membership === "string" ? membership : null;
}

/**
 * The user's own membership as a room's answer states it: the `m.room.member` event of the user in the required state
 * (the state at the end of the timeline), else the last one in the timeline; null when the answer does not say.
 */
export function ownMembershipIn(data: SlidingRoomData, userId: string): string | null {
  for (const event of data.required_state ?? []) {
    const membership = ownMembershipOf(event, userId);
    if (membership !== null) return membership;
  }
  const timeline = data.timeline ?? [];
  for (let i = timeline.length - 1; i >= 0; i--) {
    const membership = ownMembershipOf(timeline[i]!, userId);
    if (membership !== null) return membership;
  }
  return null;
}

/**
 * True when a room's answer leaves a gap after the events the client holds (`held` of them). Only a `limited` answer
 * can: the server left events out before its first one. An update (neither `initial` nor an expanded timeline) starts
 * where the last answer ended, so `limited` there is a gap; a room sent afresh (`initial`, or Synapse's
 * `unstable_expanded_timeline` when an open room asks for more) starts at the newest events and meets the client's
 * events unless none of them is known. The client then starts the room's timeline afresh from the answer.
 */
export function timelineHasGap(data: SlidingRoomData, held: number, isKnown: (eventId: string) => boolean): boolean {
  if (held === 0 || data.limited !== true) return false;
  const timeline = data.timeline ?? [];
  if (timeline.length === 0) return false;
  if (data.initial !== true && data.unstable_expanded_timeline !== true) return true;
  return !timeline.some((event) => typeof event.event_id === "string" && isKnown(event.event_id));
}

/** What the unread count reads of a timeline event. */
export interface UnreadEvent {
  id: string | null;
  sender: string | null;
  /** The user's push rules say it notifies (`notify`), and whether it highlights (a mention). */
  notify: boolean;
  highlight: boolean;
}

/**
 * Unread notifications of a room as the client counts them (Synapse's sliding sync sends no counts): the events that
 * notify by the user's push rules, newer than where the user has read (`readIds`: the read marker and the user's own
 * receipt) and newer than the user's own last event; the events come newest first, and only those up to the read
 * point are looked at. Counts only what the client holds: a room whose read point lies
 * before the loaded events counts those (at least that many are unread).
 */
export function countUnread(newestFirst: Iterable<UnreadEvent>, readIds: ReadonlySet<string>, userId: string): { total: number; highlight: number } {
  let total = 0;
  let highlight = 0;
  for (const event of newestFirst) {
    if ((event.id !== null && readIds.has(event.id)) || event.sender === userId) break;
    if (!event.notify) continue;
    total++;
    if (event.highlight) highlight++;
  }
  return { total, highlight };
}
