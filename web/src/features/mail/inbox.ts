// Pure ordering of the inbox: the bridge's conversations with what the Matrix client knows of their rooms.

/** One line of the inbox. Subject, addresses and preview are untrusted text. */
export interface InboxEntry {
  roomId: string;
  subject: string;
  with: string[];
  unread: boolean;
  lastTs: number | null;
  preview: string;
}

/** What the Matrix client knows of a conversation's room (null when it does not know the room). */
export interface RoomFacts {
  unread: boolean;
  lastTs: number | null;
  preview: string;
}

/** The later of two times, either of which may be unknown. */
function later(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.max(a, b);
}

/**
 * The inbox, newest first: by the later of the room's last activity (where the client knows the room) and the bridge's
 * `last_activity` (the newest mail in or out), else in the bridge's order after those. Unread is the client's to
 * decide (the bridge sees no read receipts): rooms the client does not know count as unread, they are fresh
 * invitations that the sync has not brought yet.
 */
export function inboxEntries(conversations: readonly { room_id: string; subject: string; with: string[]; last_activity?: number }[], facts: (roomId: string) => RoomFacts | null): InboxEntry[] {
  const entries = conversations.map((c, index) => {
    const f = facts(c.room_id);
    const lastTs = later(f?.lastTs ?? null, typeof c.last_activity === "number" && c.last_activity > 0 ? c.last_activity : null);
    return { index, entry: { roomId: c.room_id, subject: c.subject, with: c.with, unread: f?.unread ?? true, lastTs, preview: f?.preview ?? "" } };
  });
  entries.sort((a, b) => {
    const ta = a.entry.lastTs;
    const tb = b.entry.lastTs;
    if (ta !== null && tb !== null && ta !== tb) return tb - ta;
    if (ta !== null && tb === null) return -1;
    if (ta === null && tb !== null) return 1;
    return a.index - b.index;
  });
  return entries.map((e) => e.entry);
}

/** The pages of the bridge's list joined, each conversation once (a first page read again may repeat a later one). */
export function joinPages<T extends { room_id: string }>(pages: readonly (readonly T[])[]): T[] {
  const seen = new Set<string>();
  const out: T[] = [];
  for (const page of pages) {
    for (const c of page) {
      if (seen.has(c.room_id)) continue;
      seen.add(c.room_id);
      out.push(c);
    }
  }
  return out;
}
