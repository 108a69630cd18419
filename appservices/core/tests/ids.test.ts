// Typed Matrix ids: which user ids are accepted, and how localpart and server are taken apart.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { hostedElsewhere, localpartOf, localUserId, roomId, serverOf, userId } from "@schulhof/core";

describe("userId", () => {
  it("accepts valid user ids unchanged", () => {
    for (const id of ["@alice:schule.example.de", "@max.mustermann-2:schule.example.de", "@_bot=x/y+z:host:8448", "@a:[::1]:8448"]) {
      assert.equal(userId(id), id);
    }
  });

  it("rejects ids that are not user ids", () => {
    for (const id of ["alice:schule.example.de", "@Alice:schule.example.de", "@alice", "@:schule.example.de", "@alice:", "@al ice:x", "!room:x", ""]) {
      assert.throws(() => userId(id), { message: `not a Matrix user id: ${id}` }, id);
    }
  });

  it("builds local user ids and checks them", () => {
    assert.equal(localUserId("schule", "schule.example.de"), "@schule:schule.example.de");
    assert.throws(() => localUserId("Schule", "schule.example.de"), /not a Matrix user id/);
  });
});

describe("roomId", () => {
  it("accepts ids beginning with !", () => {
    assert.equal(roomId("!abc:x"), "!abc:x");
    assert.throws(() => roomId("#alias:x"), { message: "not a Matrix room id: #alias:x" });
  });
});

describe("localpartOf and serverOf", () => {
  it("split at the first colon", () => {
    assert.equal(localpartOf("@alice:schule.example.de"), "alice");
    assert.equal(serverOf("@alice:schule.example.de"), "schule.example.de");
  });

  it("keep a port and IPv6 literal in the server name", () => {
    assert.equal(localpartOf("@bob:schule.example.de:8448"), "bob");
    assert.equal(serverOf("@bob:schule.example.de:8448"), "schule.example.de:8448");
    assert.equal(serverOf("@bob:[::1]:8448"), "[::1]:8448");
  });

  it("take the server of room ids too", () => {
    assert.equal(serverOf("!opaque:schule.example.de"), "schule.example.de");
  });
});

describe("hostedElsewhere", () => {
  it("is true only when every creator of the room is at another server", () => {
    assert.equal(hostedElsewhere(["@lehrerin:schule-a.de"], "schule-b.de"), true);
    assert.equal(hostedElsewhere(["@lehrerin:schule-a.de", "@schule:schule-a.de"], "schule-b.de"), true);
    assert.equal(hostedElsewhere(["@lehrerin:schule-a.de", "@gast:schule-b.de"], "schule-b.de"), false);
    assert.equal(hostedElsewhere(["@schule:schule-b.de"], "schule-b.de"), false);
    // A port is part of the server name: schule-b.de:8448 is another server than schule-b.de.
    assert.equal(hostedElsewhere(["@x:schule-b.de:8448"], "schule-b.de"), true);
  });

  it("is false when no creator is known (an older room version): the room is treated as our own", () => {
    assert.equal(hostedElsewhere([], "schule-b.de"), false);
  });
});
