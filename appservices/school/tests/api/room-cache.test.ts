// The school's cached view of rooms for the video service: right after a state change, never stale by a race.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RoomFactsCache } from "../../src/api/room-cache.ts";
import { videoMembership } from "../../src/api/video.ts";

const BOT = "@schule:s.test";
const ROOM = "!r:s.test";
type State = { type: string; state_key: string; sender: string; content: Record<string, unknown> }[];

function stateWith(members: Record<string, string>, users: Record<string, number> = {}): State {
  return [
    { type: "m.room.create", state_key: "", sender: "@admin:s.test", content: { room_version: "12" } },
    { type: "m.room.power_levels", state_key: "", sender: "@admin:s.test", content: { users } },
    ...Object.entries(members).map(([u, m]) => ({ type: "m.room.member", state_key: u, sender: u, content: { membership: m } })),
  ];
}

function homeserver(initial: State): { reads: number; state: State; admin: { roomState: (id: string) => Promise<State | null> }; gate?: Promise<void> } {
  const hs = {
    reads: 0,
    state: initial,
    gate: undefined as Promise<void> | undefined,
    admin: {
      roomState: async (id: string): Promise<State | null> => {
        hs.reads++;
        const snapshot = hs.state;
        if (hs.gate !== undefined) await hs.gate;
        return id === ROOM ? snapshot : null;
      },
    },
  };
  return hs;
}

describe("RoomFactsCache", () => {
  it("answers from memory for rooms the bot is in, until a state event of the room arrives", async () => {
    const hs = homeserver(stateWith({ [BOT]: "join", "@lena:s.test": "join" }));
    const cache = new RoomFactsCache({ admin: hs.admin, botUserId: BOT });
    assert.equal((await videoMembership(cache, ROOM, "@lena:s.test")).joined, true);
    assert.equal((await videoMembership(cache, ROOM, "@lena:s.test")).joined, true);
    assert.equal(hs.reads, 1);
    // Lena is banned: the homeserver tells the appservice, the entry goes.
    hs.state = stateWith({ [BOT]: "join", "@lena:s.test": "ban" });
    cache.observe({ room_id: ROOM, type: "m.room.member", state_key: "@lena:s.test" });
    const after = await videoMembership(cache, ROOM, "@lena:s.test");
    assert.deepEqual([after.joined, after.banned], [false, true]);
    assert.equal(hs.reads, 2);
    // Messages are no state: they keep the entry.
    cache.observe({ room_id: ROOM, type: "m.room.message" });
    await videoMembership(cache, ROOM, "@lena:s.test");
    assert.equal(hs.reads, 2);
  });

  it("never keeps rooms the bot is not in (nobody would tell it of changes)", async () => {
    const hs = homeserver(stateWith({ "@lena:s.test": "join" }));
    const cache = new RoomFactsCache({ admin: hs.admin, botUserId: BOT });
    await videoMembership(cache, ROOM, "@lena:s.test");
    await videoMembership(cache, ROOM, "@lena:s.test");
    assert.equal(hs.reads, 2);
  });

  it("does not keep a read that raced with a change", async () => {
    const hs = homeserver(stateWith({ [BOT]: "join", "@lena:s.test": "join" }, {}));
    const cache = new RoomFactsCache({ admin: hs.admin, botUserId: BOT });
    let open!: () => void;
    hs.gate = new Promise((r) => (open = r));
    const slow = cache.get(ROOM);
    // The promotion happens while the old state is on its way.
    hs.state = stateWith({ [BOT]: "join", "@lena:s.test": "join" }, { "@lena:s.test": 50 });
    cache.observe({ room_id: ROOM, type: "m.room.power_levels", state_key: "" });
    open();
    hs.gate = undefined;
    assert.equal((await slow)?.users["@lena:s.test"], undefined);
    assert.equal((await videoMembership(cache, ROOM, "@lena:s.test")).power, 50);
  });

  it("counts room creators (room version 12) above every power level and answers unknown rooms as unknown", async () => {
    const hs = homeserver(stateWith({ [BOT]: "join", "@admin:s.test": "join" }));
    const cache = new RoomFactsCache({ admin: hs.admin, botUserId: BOT });
    assert.equal((await videoMembership(cache, ROOM, "@admin:s.test")).power, 1_000_000);
    assert.equal((await videoMembership(cache, "!other:s.test", "@admin:s.test")).known, false);
  });

  it("shares one read between simultaneous questions and stays within its size", async () => {
    const hs = homeserver(stateWith({ [BOT]: "join" }));
    const cache = new RoomFactsCache({ admin: hs.admin, botUserId: BOT, maxRooms: 1 });
    await Promise.all([cache.get(ROOM), cache.get(ROOM), cache.get(ROOM)]);
    assert.equal(hs.reads, 1);
  });
});
