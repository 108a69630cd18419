// parseAddress, addressOf, groupAddress and the reserved names, each tried at its boundary.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  MailAddressError,
  RESERVED_LOCALPARTS,
  addressOf,
  baseLocalpart,
  groupAddress,
  isReservedLocalpart,
  isValidDomain,
  parseAddress,
} from "../../src/addresses/index.ts";

describe("parseAddress", () => {
  it("parses a plain address and lower-cases only the domain", () => {
    assert.deepEqual(parseAddress("Lena.Koehler@Schule.DE"), { local: "Lena.Koehler", domain: "schule.de" });
    assert.deepEqual(parseAddress("a+tag@x.de"), { local: "a+tag", domain: "x.de" });
    assert.deepEqual(parseAddress("o'brien!#$%&*/=?^_`{|}~-@x.de")?.local, "o'brien!#$%&*/=?^_`{|}~-");
  });

  it("refuses a second @ (lena.koehler@schule.de@evil.org) and a missing part", () => {
    for (const s of ["lena.koehler@schule.de@evil.org", "@schule.de", "lena@", "lena", "", "lena@@schule.de"]) {
      assert.equal(parseAddress(s), null, s);
    }
  });

  it("refuses display names, angle brackets, comments, whitespace and quoted local parts", () => {
    for (const s of [
      "Lena <lena@schule.de>", "<lena@schule.de>", "lena@schule.de (Lena)", "(c)lena@schule.de", " lena@schule.de",
      "lena@schule.de ", "le na@schule.de", "\"lena\"@schule.de", "\"le@na\"@schule.de", "\"a b\"@x.de", "lena@schule.de\r\n",
      "lena\n@schule.de", "lena,anna@schule.de", "lena;@x.de", "lena:x@x.de", "lena\\@x.de", "lena[1]@x.de",
    ]) {
      assert.equal(parseAddress(s), null, JSON.stringify(s));
    }
  });

  it("refuses leading, trailing and double dots in the local part", () => {
    for (const s of [".lena@x.de", "lena.@x.de", "le..na@x.de"]) assert.equal(parseAddress(s), null, s);
  });

  it("refuses non-ASCII: UTF-8 local parts and Unicode domains (punycode only)", () => {
    assert.equal(parseAddress("jürgen@schule.de"), null);
    assert.equal(parseAddress("lena@münchen.de"), null);
    assert.deepEqual(parseAddress("lena@XN--MNCHEN-3YA.de"), { local: "lena", domain: "xn--mnchen-3ya.de" });
    assert.equal(parseAddress("lena@xn--zz.de"), null, "invalid punycode");
    assert.equal(parseAddress("lena@ab--cd.de"), null, "-- in positions 3-4 is reserved for xn--");
    assert.equal(parseAddress("lena@sch\u0075\u0308le.de"), null, "combining characters");
  });

  it("refuses IP literals, numeric TLDs, single labels, trailing dots and bad labels", () => {
    for (const s of ["a@[127.0.0.1]", "a@127.0.0.1", "a@localhost", "a@schule.de.", "a@-schule.de", "a@schule-.de", "a@sch_ule.de", "a@.de", "a@schule..de"]) {
      assert.equal(parseAddress(s), null, s);
    }
  });

  it("enforces 64 characters for the local part, 63 per label and 254 in all", () => {
    assert.notEqual(parseAddress(`${"a".repeat(64)}@x.de`), null);
    assert.equal(parseAddress(`${"a".repeat(65)}@x.de`), null);
    assert.notEqual(parseAddress(`a@${"b".repeat(63)}.de`), null);
    assert.equal(parseAddress(`a@${"b".repeat(64)}.de`), null);
    // 64 + 1 + 189 = 254
    const domain189 = `${"c".repeat(63)}.${"d".repeat(63)}.${"e".repeat(58)}.de`;
    assert.equal(domain189.length, 189);
    assert.notEqual(parseAddress(`${"a".repeat(64)}@${domain189}`), null);
    assert.equal(parseAddress(`${"a".repeat(64)}@x${domain189}`), null);
    assert.equal(parseAddress(`${"a".repeat(10_000)}@x.de`), null);
  });

  it("isValidDomain agrees", () => {
    assert.equal(isValidDomain("Schule.DE"), true);
    assert.equal(isValidDomain("gymnasium-musterstadt.schule.nrw.de"), true);
    assert.equal(isValidDomain("de"), false);
  });
});

describe("addressOf", () => {
  it("is the Matrix localpart at the mail domain", () => {
    assert.equal(addressOf("lena.koehler", "schule.de"), "lena.koehler@schule.de");
    assert.equal(addressOf("lena.koehler2", "Schule.DE"), "lena.koehler2@schule.de");
    assert.equal(addressOf("charlotte.von-der-heide", "schule.de"), "charlotte.von-der-heide@schule.de");
    assert.equal(addressOf("smith", "schule.de"), "smith@schule.de");
  });

  it("refuses what the roster never makes: upper case, +, _ prefix, puppets, =, too long", () => {
    for (const l of ["Lena.koehler", "lena+x", "_mail_a=40b.de", "_lena", "lena=x", "lena..k", ".lena", "lena.", "", "a".repeat(65), "lena@x", "jürgen"]) {
      assert.throws(() => addressOf(l, "schule.de"), MailAddressError, JSON.stringify(l));
    }
    assert.equal(addressOf("a".repeat(64), "schule.de"), `${"a".repeat(64)}@schule.de`);
  });

  it("never gives a person a reserved name or a group address", () => {
    for (const l of [...RESERVED_LOCALPARTS, "klasse-7a", "kurs-mathematik-7a", "kurs-meier", "klasse-x"]) {
      assert.throws(() => addressOf(l, "schule.de"), (e: unknown) => e instanceof MailAddressError && e.user.de.includes("reserviert"), l);
    }
    // A dot keeps a person out of the namespace only if it is not a prefix.
    assert.equal(addressOf("kurs.meier", "schule.de"), "kurs.meier@schule.de");
    assert.equal(addressOf("klasse.a", "schule.de"), "klasse.a@schule.de");
  });

  it("refuses an invalid domain", () => {
    for (const d of ["schule", "münchen.de", "schule.de.", "schule.de@evil.org", ""]) {
      assert.throws(() => addressOf("lena", d), MailAddressError, d);
    }
  });
});

describe("groupAddress", () => {
  it("makes class, course and Kollegium addresses", () => {
    assert.equal(groupAddress("class", "Klasse 7a", "schule.de"), "klasse-7a@schule.de");
    assert.equal(groupAddress("class", "7a", "schule.de"), "klasse-7a@schule.de");
    assert.equal(groupAddress("class", "Q1", "schule.de"), "klasse-q1@schule.de");
    assert.equal(groupAddress("course", "Mathematik 7a", "schule.de"), "kurs-mathematik-7a@schule.de");
    assert.equal(groupAddress("course", "Kurs Mathematik 7a", "schule.de"), "kurs-mathematik-7a@schule.de");
    assert.equal(groupAddress("teachers", "Lehrerzimmer", "Schule.de"), "kollegium@schule.de");
  });

  it("transliterates umlauts and slugs spaces and punctuation, collapsing dashes", () => {
    assert.equal(groupAddress("course", "Französisch 7a", "schule.de"), "kurs-franzoesisch-7a@schule.de");
    assert.equal(groupAddress("course", "Kunst & Musik -- Übung  Q1", "schule.de"), "kurs-kunst-musik-uebung-q1@schule.de");
    assert.equal(groupAddress("course", "Ev. Religion 7", "schule.de"), "kurs-ev-religion-7@schule.de");
    assert.equal(groupAddress("course", "Straßenbau/Öko", "schule.de"), "kurs-strassenbau-oeko@schule.de");
    assert.equal(groupAddress("course", "Kursbuch", "schule.de"), "kurs-kursbuch@schule.de", "only the word Kurs is dropped");
    assert.equal(groupAddress("class", "Klassenrat", "schule.de"), "klasse-klassenrat@schule.de");
  });

  it("always lies in the group namespace, which persons never get", () => {
    for (const [kind, name] of [["class", "7a"], ["course", "Postmaster"], ["course", "Lena Köhler"]] as const) {
      const local = groupAddress(kind, name, "schule.de").split("@")[0] ?? "";
      assert.ok(isReservedLocalpart(local), local);
      assert.doesNotMatch(local, /\./, "no dots, so never a vorname.nachname");
    }
  });

  it("cuts long names to 64 characters without a trailing dash", () => {
    const a = groupAddress("course", `${"x".repeat(58)} yz`, "schule.de");
    assert.equal(a, `kurs-${"x".repeat(58)}@schule.de`);
    const b = groupAddress("course", "y".repeat(200), "schule.de");
    assert.equal(b.split("@")[0]?.length, 64);
    assert.notEqual(parseAddress(b), null);
  });

  it("refuses names without Latin letters or digits", () => {
    assert.throws(() => groupAddress("course", "数学", "schule.de"), MailAddressError);
    assert.throws(() => groupAddress("class", "Klasse", "schule.de"), MailAddressError);
    assert.throws(() => groupAddress("course", "Kurs !!", "schule.de"), MailAddressError);
  });
});

describe("reserved names and subaddresses", () => {
  it("knows the role accounts", () => {
    for (const n of ["postmaster", "abuse", "noreply", "mailer-daemon", "admin", "root", "hostmaster", "webmaster", "kollegium"]) {
      assert.ok(isReservedLocalpart(n), n);
      assert.ok(isReservedLocalpart(n.toUpperCase()), n);
    }
    assert.equal(isReservedLocalpart("lena.koehler"), false);
  });

  it("baseLocalpart drops the subaddress and lower-cases", () => {
    assert.equal(baseLocalpart("Lena.Koehler+AG-Robotik"), "lena.koehler");
    assert.equal(baseLocalpart("lena.koehler+a+b"), "lena.koehler");
    assert.equal(baseLocalpart("+tag"), "");
  });
});
