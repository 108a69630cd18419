// The chat list as plain data: rooms grouped under their spaces (school → classes → courses), direct chats, search by name.

/** One chat in the list. Built from the SDK's rooms; `name` and `preview` are untrusted text. */
export interface ChatRoom {
  roomId: string;
  name: string;
  /** A direct chat with one person. */
  direct: boolean;
  membership: "join" | "invite";
  /** Messages the homeserver counts as unread (its push rules: notices of bots do not count). */
  unread: number;
  /** Unread mentions of the user. */
  highlight: number;
  /** Milliseconds since 1970 of the last event the client knows. */
  lastActiveTs: number;
  /** The last message as text, for a preview; null when there is none. */
  preview: string | null;
  /** The room has `m.room.encryption`: this client cannot read it. */
  encrypted: boolean;
  /** For invites: who invited (a name, untrusted). */
  inviter: string | null;
}

/** A joined space with its children (`m.space.child`, in their order). */
export interface ChatSpace {
  roomId: string;
  name: string;
  childIds: readonly string[];
}

/** One heading of the list: a space and its chats, the invites, the direct chats, or the rooms outside any space. */
export interface RoomSection {
  key: string;
  kind: "invites" | "space" | "other" | "direct";
  /** The space's name for `space`; the others get their title from the dictionaries. */
  spaceName: string | null;
  rooms: ChatRoom[];
}

const byName = (a: { name: string }, b: { name: string }): number => a.name.localeCompare(b.name, undefined, { numeric: true, sensitivity: "base" });
const byRecent = (a: ChatRoom, b: ChatRoom): number => b.lastActiveTs - a.lastActiveTs;

/**
 * Groups the chats: invites first, then each joined space (depth first from the top spaces, e.g. the school, its
 * year groups and classes) with the rooms it lists as children, then rooms outside any space, then direct chats
 * (most recent first). A room listed by several spaces appears under the first. Spaces without chats are left out.
 */
export function groupRooms(rooms: readonly ChatRoom[], spaces: readonly ChatSpace[]): RoomSection[] {
  const sections: RoomSection[] = [];
  const invites = rooms.filter((r) => r.membership === "invite").sort(byRecent);
  if (invites.length > 0) sections.push({ key: "invites", kind: "invites", spaceName: null, rooms: invites });

  const groupRoomsById = new Map(rooms.filter((r) => r.membership === "join" && !r.direct).map((r) => [r.roomId, r]));
  const spacesById = new Map(spaces.map((s) => [s.roomId, s]));
  const childSpaceIds = new Set(spaces.flatMap((s) => s.childIds.filter((id) => spacesById.has(id) && id !== s.roomId)));
  const placed = new Set<string>();
  const visited = new Set<string>();
  const visit = (space: ChatSpace): void => {
    if (visited.has(space.roomId)) return;
    visited.add(space.roomId);
    const own: ChatRoom[] = [];
    for (const id of space.childIds) {
      const room = groupRoomsById.get(id);
      if (room === undefined || placed.has(id)) continue;
      placed.add(id);
      own.push(room);
    }
    if (own.length > 0) sections.push({ key: `space:${space.roomId}`, kind: "space", spaceName: space.name, rooms: own.sort(byName) });
    const children = space.childIds.map((id) => spacesById.get(id)).filter((s): s is ChatSpace => s !== undefined);
    for (const child of children.sort(byName)) visit(child);
  };
  for (const root of spaces.filter((s) => !childSpaceIds.has(s.roomId)).sort(byName)) visit(root);
  // Spaces only reachable through a cycle.
  for (const space of [...spaces].sort(byName)) visit(space);

  const other = [...groupRoomsById.values()].filter((r) => !placed.has(r.roomId)).sort(byName);
  if (other.length > 0) sections.push({ key: "other", kind: "other", spaceName: null, rooms: other });
  const direct = rooms.filter((r) => r.membership === "join" && r.direct).sort(byRecent);
  if (direct.length > 0) sections.push({ key: "direct", kind: "direct", spaceName: null, rooms: direct });
  return sections;
}

/** Lower case without accents, so that "kathe" finds "Käthe" and "strasse" finds "Straße". */
export function foldForSearch(text: string): string {
  return text.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase().replace(/ß/g, "ss");
}

/** The chats whose name contains every word of `query` (accents and case ignored); names that start with it first. */
export function searchRooms(rooms: readonly ChatRoom[], query: string): ChatRoom[] {
  const words = foldForSearch(query).split(/\s+/).filter((w) => w !== "");
  if (words.length === 0) return [...rooms];
  const first = words.join(" ");
  const scored = rooms
    .map((room) => ({ room, name: foldForSearch(room.name) }))
    .filter(({ name }) => words.every((w) => name.includes(w)));
  return scored
    .sort((a, b) => Number(b.name.startsWith(first)) - Number(a.name.startsWith(first)) || byName(a.room, b.room))
    .map(({ room }) => room);
}

/** Where focus goes in a list of `length` entries for a key (arrows, Home, End); null for other keys. */
export function focusTarget(key: string, current: number, length: number): number | null {
  if (length === 0) return null;
  switch (key) {
    case "ArrowDown":
      return current < 0 ? 0 : Math.min(current + 1, length - 1);
    case "ArrowUp":
      return current < 0 ? length - 1 : Math.max(current - 1, 0);
    case "Home":
      return 0;
    case "End":
      return length - 1;
    default:
      return null;
  }
}
