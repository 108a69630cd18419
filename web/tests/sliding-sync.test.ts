// The web client's sliding sync request (sliding-lists.ts, which the morning benchmark sends too) and the connection's
// pure rules (sliding-rules.ts): the fallback's test of a missing endpoint, own membership, gaps; and login's device reuse.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { namesUser } from "../src/lib/matrix/identifiers.ts";
import {
  LIST_TIMELINE_LIMIT,
  rangeEndFor,
  REQUIRED_STATE,
  ROOM_LIST_KEY,
  ROOM_LIST_RANGE_END,
  ROOM_TIMELINE_LIMIT,
  slidingSyncBody,
  slidingSyncExtensions,
} from "../src/lib/matrix/sliding-lists.ts";
import { countUnread, lacksSlidingSync, ownMembershipIn, timelineHasGap } from "../src/lib/matrix/sliding-rules.ts";

describe("the sliding sync request", () => {
  it("asks for one list of every room with the state the pages read, and nothing for encryption", () => {
    const body = slidingSyncBody();
    assert.deepEqual(Object.keys(body.lists), [ROOM_LIST_KEY]);
    const list = body.lists[ROOM_LIST_KEY]!;
    assert.deepEqual(list.ranges, [[0, ROOM_LIST_RANGE_END]]);
    assert.equal(list.timeline_limit, LIST_TIMELINE_LIMIT);
    assert.deepEqual(list.required_state, REQUIRED_STATE.map(([t, k]) => [t, k]));
    assert.deepEqual(body.room_subscriptions, {});
    assert.deepEqual(Object.keys(body.extensions).sort(), ["account_data", "receipts", "typing"]);
    assert.equal(body.extensions.receipts.enabled, false);
    assert.equal(body.extensions.typing.enabled, false);
    // JSON as sent: no functions, no undefined.
    assert.deepEqual(JSON.parse(JSON.stringify(body)), body);
  });

  it("asks for no state with a wildcard type, and for members only as $ME and $LAZY", () => {
    for (const [type, key] of REQUIRED_STATE) {
      assert.notEqual(type, "*");
      if (type === "m.room.member") assert.ok(key === "$ME" || key === "$LAZY", key);
    }
    const types = new Set(REQUIRED_STATE.map(([t]) => t));
    for (const needed of ["m.room.create", "m.room.name", "m.room.power_levels", "m.room.encryption", "m.space.child", "de.schulhof.room", "de.schulhof.mail.conversation", "org.matrix.msc3401.call.member"]) {
      assert.ok(types.has(needed), needed);
    }
  });

  it("subscribes open rooms with a longer timeline, and limits receipts and typing to named rooms", () => {
    const body = slidingSyncBody({ openRooms: ["!b:x", "!a:x", "!a:x"], mailRooms: ["!m:x", "!a:x"] });
    assert.deepEqual(Object.keys(body.room_subscriptions), ["!a:x", "!b:x"]);
    assert.equal(body.room_subscriptions["!a:x"]!.timeline_limit, ROOM_TIMELINE_LIMIT);
    assert.deepEqual(body.room_subscriptions["!a:x"]!.required_state, body.lists[ROOM_LIST_KEY]!.required_state);
    assert.deepEqual(body.extensions.typing, { enabled: true, lists: [], rooms: ["!a:x", "!b:x"] });
    assert.deepEqual(body.extensions.receipts, { enabled: true, lists: [], rooms: ["!a:x", "!b:x", "!m:x"] });
    assert.deepEqual(slidingSyncExtensions({ mailRooms: ["!m:x"] }).typing, { enabled: false, lists: [], rooms: [] });
  });

  it("widens the range when a person is in more rooms than it covers, never narrows it", () => {
    assert.equal(rangeEndFor(0), ROOM_LIST_RANGE_END);
    assert.equal(rangeEndFor(ROOM_LIST_RANGE_END + 1), ROOM_LIST_RANGE_END);
    assert.equal(rangeEndFor(ROOM_LIST_RANGE_END + 2), 1499);
    assert.equal(rangeEndFor(1499), 1499);
    assert.equal(rangeEndFor(1500), 1999);
    assert.deepEqual(slidingSyncBody({ rangeEnd: 1499 }).lists[ROOM_LIST_KEY]!.ranges, [[0, 1499]]);
  });
});

describe("the sliding sync rules", () => {
  it("takes 404, 405 and M_UNRECOGNIZED for a missing endpoint, and nothing else", () => {
    assert.equal(lacksSlidingSync({ httpStatus: 404, errcode: "M_UNRECOGNIZED" }), true);
    assert.equal(lacksSlidingSync({ httpStatus: 400, errcode: "M_UNRECOGNIZED" }), true);
    assert.equal(lacksSlidingSync({ httpStatus: 405 }), true);
    assert.equal(lacksSlidingSync({ httpStatus: 404 }), true);
    assert.equal(lacksSlidingSync({ httpStatus: 401, errcode: "M_UNKNOWN_TOKEN" }), false);
    assert.equal(lacksSlidingSync({ httpStatus: 429, errcode: "M_LIMIT_EXCEEDED" }), false);
    assert.equal(lacksSlidingSync({ httpStatus: 502 }), false);
    assert.equal(lacksSlidingSync(new TypeError("Failed to fetch")), false);
    assert.equal(lacksSlidingSync(null), false);
  });

  it("reads one's own membership from the required state first, then from the timeline's last member event", () => {
    const me = "@ich:x";
    const member = (user: string, membership: string): Record<string, unknown> => ({ type: "m.room.member", state_key: user, content: { membership } });
    assert.equal(ownMembershipIn({ required_state: [member("@du:x", "join"), member(me, "join")], timeline: [member(me, "leave")] }, me), "join");
    assert.equal(ownMembershipIn({ required_state: [], timeline: [member(me, "invite"), member("@du:x", "join"), member(me, "leave")] }, me), "leave");
    assert.equal(ownMembershipIn({ required_state: [member("@du:x", "join")], timeline: [{ type: "m.room.message", content: { body: "x" } }] }, me), null);
    assert.equal(ownMembershipIn({}, me), null);
  });

  it("sees a gap after a limited update, and after a room sent afresh only when nothing of it is known", () => {
    const known = new Set(["$a", "$b"]);
    const isKnown = (id: string): boolean => known.has(id);
    const events = (...ids: string[]): { event_id: string }[] => ids.map((event_id) => ({ event_id }));
    assert.equal(timelineHasGap({ limited: true, timeline: events("$x", "$y") }, 2, isKnown), true);
    assert.equal(timelineHasGap({ limited: false, timeline: events("$x", "$y") }, 2, isKnown), false);
    assert.equal(timelineHasGap({ limited: true, timeline: events("$x") }, 0, isKnown), false, "an empty timeline has no gap");
    assert.equal(timelineHasGap({ limited: true, initial: true, timeline: events("$b", "$x") }, 2, isKnown), false);
    assert.equal(timelineHasGap({ limited: true, initial: true, timeline: events("$x", "$y") }, 2, isKnown), true);
    assert.equal(timelineHasGap({ limited: true, unstable_expanded_timeline: true, timeline: events("$0", "$a", "$b") }, 2, isKnown), false);
    assert.equal(timelineHasGap({ limited: true, unstable_expanded_timeline: true, timeline: events("$x", "$y") }, 2, isKnown), true);
  });
});

describe("login with a kept device", () => {
  it("reuses the device only for the user it belongs to", () => {
    assert.equal(namesUser("lena.koehler", "@lena.koehler:schule.de"), true);
    assert.equal(namesUser(" Lena.Koehler ", "@lena.koehler:schule.de"), true);
    assert.equal(namesUser("@lena.koehler:schule.de", "@lena.koehler:schule.de"), true);
    assert.equal(namesUser("lena", "@lena.koehler:schule.de"), false);
    assert.equal(namesUser("lena.koehler2", "@lena.koehler:schule.de"), false);
    assert.equal(namesUser("@lena.koehler:andere.de", "@lena.koehler:schule.de"), false);
  });
});

describe("unread counts under sliding sync", () => {
  const me = "@ich:x";
  const ev = (id: string, sender: string, notify = true, highlight = false): { id: string; sender: string; notify: boolean; highlight: boolean } => ({ id, sender, notify, highlight });

  it("counts notifying events of others after the read point", () => {
    const events = [ev("$1", "@du:x"), ev("$2", "@du:x"), ev("$3", "@du:x", true, true), ev("$4", "@du:x", false)];
    assert.deepEqual(countUnread([...events].reverse(), new Set(["$1"]), me), { total: 2, highlight: 1 });
    assert.deepEqual(countUnread([...events].reverse(), new Set(["$3"]), me), { total: 0, highlight: 0 });
    assert.deepEqual(countUnread([...events].reverse(), new Set(), me), { total: 3, highlight: 1 }, "no read point loaded: all that the client holds");
  });

  it("stops at the user's own last event, which the user has seen", () => {
    const events = [ev("$1", "@du:x"), ev("$2", me), ev("$3", "@du:x")];
    assert.deepEqual(countUnread([...events].reverse(), new Set(), me), { total: 1, highlight: 0 });
    assert.deepEqual(countUnread([], new Set(["$x"]), me), { total: 0, highlight: 0 });
  });
});
