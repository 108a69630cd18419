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

/**
 * The inbox, newest first: by the room's last activity where the client knows it, else in the bridge's order (newest
 * conversation first) after those. Rooms the client does not know count as unread: they are fresh invitations that the
 * sync has not brought yet.
 */
export function inboxEntries(conversations: readonly { room_id: string; subject: string; with: string[] }[], facts: (roomId: string) => RoomFacts | null): InboxEntry[] {
  const entries = conversations.map((c, index) => {
    const f = facts(c.room_id);
    return { index, entry: { roomId: c.room_id, subject: c.subject, with: c.with, unread: f?.unread ?? true, lastTs: f?.lastTs ?? null, preview: f?.preview ?? "" } };
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
