// The address book: resolving people, groups and reserved names, and refusing everything ambiguous.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AddressBook, MailAddressError, type AddressBookInput, type BookPerson } from "../../src/addresses/index.ts";

const person = (localpart: string, role: BookPerson["role"] = "student", active = true): BookPerson => ({
  userId: `@${localpart}:schule.de`,
  localpart,
  displayName: localpart,
  role,
  active,
});

function input(over: Partial<AddressBookInput> = {}): AddressBookInput {
  return {
    domain: "Schule.de",
    people: [
      person("lena.koehler"),
      person("lena.koehler2"),
      person("juergen.weiss", "teacher"),
      person("anna.admin", "admin"),
      person("max.weg", "student", false),
    ],
    groups: [
      { kind: "class", name: "Klasse 7a", roomId: "!7a:schule.de", members: ["@lena.koehler:schule.de", "@juergen.weiss:schule.de", "@max.weg:schule.de"] },
      { kind: "course", name: "Mathematik 7a", roomId: "!m7a:schule.de", members: ["@lena.koehler:schule.de"], senders: "school" },
      { kind: "teachers", name: "Lehrerzimmer", roomId: "!lz:schule.de", members: ["@juergen.weiss:schule.de", "@anna.admin:schule.de"] },
    ],
    ...over,
  };
}

describe("AddressBook", () => {
  const book = new AddressBook(input());

  it("resolves people case-insensitively, with plus-addressing", () => {
    for (const a of ["lena.koehler@schule.de", "Lena.Koehler@SCHULE.DE", "lena.koehler+ag@schule.de", "LENA.KOEHLER+Tag+More@schule.de"]) {
      const r = book.resolve(a);
      assert.equal(r?.kind, "person", a);
      assert.equal(r?.kind === "person" ? r.userId : null, "@lena.koehler:schule.de", a);
    }
    const r2 = book.resolve("lena.koehler2@schule.de");
    assert.equal(r2?.kind === "person" ? r2.userId : null, "@lena.koehler2:schule.de");
    assert.deepEqual(book.resolve("juergen.weiss@schule.de"), {
      kind: "person", userId: "@juergen.weiss:schule.de", role: "teacher", displayName: "juergen.weiss", address: "juergen.weiss@schule.de",
    });
  });

  it("refuses crafted and foreign addresses", () => {
    for (const a of [
      "lena.koehler@schule.de@evil.org", "lena.koehler@evil.org", "lena.koehler@sub.schule.de", "lena.koehler@schule.de.evil.org",
      "\"lena.koehler\"@schule.de", "Lena <lena.koehler@schule.de>", "+ag@schule.de", "lena.koehler3@schule.de", "lena@schule.de",
      `${"a".repeat(300)}@schule.de`, "lena.koehler@schule.de ", "",
    ]) {
      assert.equal(book.resolve(a), null, a);
    }
  });

  it("resolves nobody for inactive people, but keeps their address", () => {
    assert.equal(book.resolve("max.weg@schule.de"), null);
    assert.equal(book.addressOfUser("@max.weg:schule.de"), "max.weg@schule.de");
  });

  it("resolves groups with their senders, active members and whether students are in it", () => {
    const c = book.resolve("Klasse-7A@schule.de");
    assert.ok(c?.kind === "group");
    assert.equal(c.roomId, "!7a:schule.de");
    assert.equal(c.senders, "teachers", "default for classes");
    assert.deepEqual(c.members, ["@lena.koehler:schule.de", "@juergen.weiss:schule.de"], "inactive members dropped");
    assert.equal(c.hasStudents, true);
    assert.equal(c.address, "klasse-7a@schule.de");
    const m = book.resolve("kurs-mathematik-7a+hausaufgaben@schule.de");
    assert.ok(m?.kind === "group");
    assert.equal(m.senders, "school", "the group's own setting wins");
    const k = book.resolve("kollegium@schule.de");
    assert.ok(k?.kind === "group");
    assert.equal(k.groupKind, "teachers");
    assert.equal(k.senders, "teachers");
    assert.equal(k.hasStudents, false);
    assert.equal(book.addressOfRoom("!lz:schule.de"), "kollegium@schule.de");
    assert.equal(book.addressOfRoom("!nope:schule.de"), null);
    assert.throws(() => (c.members as string[]).push("@evil:x"), TypeError, "frozen");
  });

  it("takes default senders from the policy when given", () => {
    const b = new AddressBook(input({ groupSenders: { class: "members" } }));
    const c = b.resolve("klasse-7a@schule.de");
    assert.equal(c?.kind === "group" ? c.senders : null, "members");
    const m = b.resolve("kurs-mathematik-7a@schule.de");
    assert.equal(m?.kind === "group" ? m.senders : null, "school");
  });

  it("resolves reserved names, also bare postmaster, and kollegium only as reserved without a Lehrerzimmer", () => {
    assert.deepEqual(book.resolve("Postmaster@schule.de"), { kind: "reserved", name: "postmaster" });
    assert.deepEqual(book.resolve("postmaster"), { kind: "reserved", name: "postmaster" });
    assert.deepEqual(book.resolve("abuse+x@schule.de"), { kind: "reserved", name: "abuse" });
    assert.deepEqual(book.resolve("noreply@schule.de"), { kind: "reserved", name: "noreply" });
    assert.equal(book.resolve("postmaster@evil.org"), null);
    const noTeachers = new AddressBook(input({ groups: [] }));
    assert.deepEqual(noTeachers.resolve("kollegium@schule.de"), { kind: "reserved", name: "kollegium" });
    assert.equal(noTeachers.resolve("klasse-7a@schule.de"), null, "unknown group");
  });

  it("never gives a person a reserved name or a group's address; reports them instead", () => {
    // Names without Latin first names give one-word localparts (`Дмитрий Postmaster` → `postmaster`).
    const b = new AddressBook(input({ people: [person("postmaster", "teacher"), person("kollegium", "teacher"), person("klasse-7a"), person("Bad_Name")] }));
    assert.deepEqual(b.resolve("postmaster@schule.de"), { kind: "reserved", name: "postmaster" });
    assert.equal(b.resolve("kollegium@schule.de")?.kind, "group");
    assert.equal(b.resolve("klasse-7a@schule.de")?.kind, "group");
    assert.equal(b.addressOfUser("@postmaster:schule.de"), null);
    assert.deepEqual(
      b.problems.map((p) => [p.kind, p.id, p.reason]),
      [["person", "@postmaster:schule.de", "reserved"], ["person", "@kollegium:schule.de", "reserved"], ["person", "@klasse-7a:schule.de", "reserved"], ["person", "@Bad_Name:schule.de", "invalid"]],
    );
    for (const p of b.problems) assert.ok(p.user.de.length > 0 && p.user.en.length > 0);
  });

  it("gives an address that two rooms would share to neither, and reports both", () => {
    const b = new AddressBook(input({
      groups: [
        { kind: "course", name: "Französisch 7a", roomId: "!a:x", members: [] },
        { kind: "course", name: "Franzoesisch 7a", roomId: "!b:x", members: [] },
        { kind: "course", name: "Franzoesisch-7A", roomId: "!c:x", members: [] },
        { kind: "course", name: "数学", roomId: "!d:x", members: [] },
      ],
    }));
    assert.equal(b.resolve("kurs-franzoesisch-7a@schule.de"), null);
    assert.equal(b.addressOfRoom("!a:x"), null);
    assert.deepEqual(b.problems.map((p) => [p.id, p.reason]), [["!a:x", "duplicate"], ["!b:x", "duplicate"], ["!c:x", "duplicate"], ["!d:x", "invalid"]]);
  });

  it("gives a localpart that two people would share to neither", () => {
    const b = new AddressBook(input({ people: [person("lena.koehler"), { ...person("lena.koehler"), userId: "@other:schule.de" }] }));
    assert.equal(b.resolve("lena.koehler@schule.de"), null);
    assert.equal(b.problems.length, 2);
  });

  it("checks locality exactly", () => {
    assert.equal(book.isLocal("x@SCHULE.de"), true);
    assert.equal(book.isLocal("x@sub.schule.de"), false);
    assert.equal(book.isLocal("x@schule.de@evil.org"), false);
    assert.equal(book.domain, "schule.de");
  });

  it("refuses an invalid domain", () => {
    assert.throws(() => new AddressBook(input({ domain: "schule" })), MailAddressError);
  });
});
