// The chat list's rules: which rooms belong to other sections (the appservices' markers), grouping under spaces, search.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { groupRooms, focusTarget, foldForSearch, searchRooms, type ChatRoom, type ChatSpace } from "../src/features/chats/room-list.ts";
import { isFeatureRoom, MARKERS, type StateLookup } from "../src/features/chats/room-rules.ts";

/** A room's state as the SDK would answer it: type → content of the event with state key "". */
function state(events: Record<string, Record<string, unknown>>): StateLookup {
  return (type) => events[type];
}

describe("isFeatureRoom", () => {
  it("keeps ordinary rooms and direct chats", () => {
    assert.equal(isFeatureRoom(state({})), false);
    assert.equal(isFeatureRoom(state({ "m.room.name": { name: "Theater-AG" } })), false);
  });

  it("keeps the school's chats, also those that carry a calendar (course rooms, Lehrerzimmer)", () => {
    for (const kind of ["classchat", "course", "teachers"]) {
      const withCalendar = state({ [MARKERS.room]: { kind, key: `${kind}:x`, parent: null }, [MARKERS.calendar]: { name: "x", colour: "#1f6feb", scope: "course" } });
      assert.equal(isFeatureRoom(withCalendar), false, kind);
    }
    assert.equal(isFeatureRoom(state({ [MARKERS.room]: { kind: "course" }, "de.schulhof.course": { name: "Mathe 7a" } })), false);
  });

  it("keeps the school's spaces (school, year group, class), though they carry calendars", () => {
    for (const kind of ["school", "yeargroup", "class"]) {
      assert.equal(isFeatureRoom(state({ [MARKERS.room]: { kind }, [MARKERS.calendar]: { scope: "class" } })), false, kind);
    }
  });

  it("hides submission rooms (homework) and the space of a course's submissions", () => {
    assert.equal(isFeatureRoom(state({ [MARKERS.submissionRoom]: { course_room: "!c:x", students: ["@s:x"], assignment_id: null } })), true);
    assert.equal(isFeatureRoom(state({ [MARKERS.room]: { kind: "submissions", key: "submissions:Mathe 7a", course_room: "!c:x" } })), true);
  });

  it("hides exam-planning rooms by their cohort marker or their kind", () => {
    assert.equal(isFeatureRoom(state({ [MARKERS.examCohort]: { kind: "class", name: "7a", stage: "sek1", grade: 7 } })), true);
    assert.equal(isFeatureRoom(state({ [MARKERS.room]: { kind: "exams", key: "exams:7a" } })), true);
  });

  it("hides calendar rooms that are no chat, and personal calendar rooms", () => {
    assert.equal(isFeatureRoom(state({ [MARKERS.calendar]: { name: "Fachschaft Mathe", scope: "teachers" } })), true);
    assert.equal(isFeatureRoom(state({ [MARKERS.calendar]: { scope: "personal", owner: "@a:x" }, [MARKERS.room]: { kind: "personal-calendar", owner: "@a:x" } })), true);
    assert.equal(isFeatureRoom(state({ [MARKERS.room]: { kind: "personal-calendar" } })), true);
  });

  it("hides mail conversation rooms", () => {
    assert.equal(isFeatureRoom(state({ [MARKERS.mailConversation]: { local_user: "@a:x", external: ["eltern@example.org"] } })), true);
  });

  it("treats removed markers (empty content) as absent", () => {
    assert.equal(isFeatureRoom(state({ [MARKERS.calendar]: {} })), false);
    assert.equal(isFeatureRoom(state({ [MARKERS.submissionRoom]: {}, [MARKERS.mailConversation]: {} })), false);
  });

  it("keeps rooms of unknown kinds without a feature marker", () => {
    assert.equal(isFeatureRoom(state({ [MARKERS.room]: { kind: "club" } })), false);
    assert.equal(isFeatureRoom(state({ [MARKERS.room]: { kind: 7 } })), false);
  });
});

function room(roomId: string, name: string, extra: Partial<ChatRoom> = {}): ChatRoom {
  return { roomId, name, direct: false, membership: "join", unread: 0, highlight: 0, lastActiveTs: 0, preview: null, encrypted: false, inviter: null, ...extra };
}

describe("groupRooms", () => {
  const school: ChatSpace = { roomId: "!school", name: "Käthe-Kollwitz-Schule", childIds: ["!teachers", "!yg7"] };
  const yearGroup: ChatSpace = { roomId: "!yg7", name: "7", childIds: ["!7b", "!7a"] };
  const class7a: ChatSpace = { roomId: "!7a", name: "Klasse 7a", childIds: ["!chat7a", "!math7a", "!exams7a"] };
  const class7b: ChatSpace = { roomId: "!7b", name: "Klasse 7b", childIds: ["!chat7b"] };

  it("puts invites first, then spaces depth first, other rooms, and direct chats by recency", () => {
    const rooms = [
      room("!dm-old", "Tom", { direct: true, lastActiveTs: 1 }),
      room("!dm-new", "Lena", { direct: true, lastActiveTs: 5 }),
      room("!math7a", "Mathematik 7a"),
      room("!chat7a", "7a Klassenchat"),
      room("!chat7b", "7b Klassenchat"),
      room("!teachers", "Lehrerzimmer"),
      room("!ag", "Theater-AG"),
      room("!inv", "Chor", { membership: "invite", inviter: "Frau Berg" }),
    ];
    const sections = groupRooms(rooms, [class7b, school, class7a, yearGroup]);
    assert.deepEqual(
      sections.map((s) => [s.kind, s.spaceName, s.rooms.map((r) => r.roomId)]),
      [
        ["invites", null, ["!inv"]],
        ["space", "Käthe-Kollwitz-Schule", ["!teachers"]],
        ["space", "Klasse 7a", ["!chat7a", "!math7a"]],
        ["space", "Klasse 7b", ["!chat7b"]],
        ["other", null, ["!ag"]],
        ["direct", null, ["!dm-new", "!dm-old"]],
      ],
    );
  });

  it("lists a room that two spaces hold once, and survives cycles of spaces", () => {
    const a: ChatSpace = { roomId: "!a", name: "A", childIds: ["!b", "!r"] };
    const b: ChatSpace = { roomId: "!b", name: "B", childIds: ["!a", "!r"] };
    const sections = groupRooms([room("!r", "Raum")], [a, b]);
    assert.deepEqual(sections.map((s) => s.rooms.map((r) => r.roomId)), [["!r"]]);
  });

  it("leaves out empty sections", () => {
    assert.deepEqual(groupRooms([], [school]), []);
  });
});

describe("searchRooms", () => {
  const rooms = [room("1", "Mathematik 7a"), room("2", "Physik 9c"), room("3", "Käthe-Kollwitz-Schule"), room("4", "AG Mathe-Olympiade")];

  it("finds by parts of the name, ignoring case and accents, prefix matches first", () => {
    assert.deepEqual(searchRooms(rooms, "mathe").map((r) => r.roomId), ["1", "4"]);
    assert.deepEqual(searchRooms(rooms, "kathe").map((r) => r.roomId), ["3"]);
    assert.deepEqual(searchRooms(rooms, "9C PHY").map((r) => r.roomId), ["2"]);
    assert.deepEqual(searchRooms(rooms, "  ").map((r) => r.roomId), ["1", "2", "3", "4"]);
    assert.deepEqual(searchRooms(rooms, "Chemie"), []);
  });

  it("folds ß and accents", () => {
    assert.equal(foldForSearch("Straße Ärger"), "strasse arger");
  });
});

describe("focusTarget", () => {
  it("moves with arrows, Home and End, and stops at the ends", () => {
    assert.equal(focusTarget("ArrowDown", -1, 3), 0);
    assert.equal(focusTarget("ArrowDown", 2, 3), 2);
    assert.equal(focusTarget("ArrowUp", 0, 3), 0);
    assert.equal(focusTarget("ArrowUp", 2, 3), 1);
    assert.equal(focusTarget("Home", 2, 3), 0);
    assert.equal(focusTarget("End", 0, 3), 2);
    assert.equal(focusTarget("Enter", 0, 3), null);
    assert.equal(focusTarget("ArrowDown", 0, 0), null);
  });
});
