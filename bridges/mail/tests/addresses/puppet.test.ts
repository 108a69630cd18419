// Puppet localparts for outside senders: valid Matrix localparts, readable, distinct, bounded in length.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { DEFAULT_MAX_PUPPET_LOCALPART, isPuppet, puppetAddress, puppetLocalpart } from "../../src/addresses/index.ts";

const MATRIX_LOCALPART = /^[a-z0-9._=\-/]+$/;

describe("puppetLocalpart", () => {
  it("is readable for ordinary addresses", () => {
    assert.equal(puppetLocalpart("lena@gmx.de"), "_mail_lena=40gmx.de");
    assert.equal(puppetLocalpart("Max.Mustermann+News@Web.DE"), "_mail_max.mustermann=2bnews=40web.de");
    assert.equal(puppetLocalpart("  a_b@x.de "), "_mail_a_b=40x.de");
  });

  it("escapes =, /, unicode and everything else as UTF-8 bytes", () => {
    assert.equal(puppetLocalpart("a=b@x.de"), "_mail_a=3db=40x.de");
    assert.equal(puppetLocalpart("a/b@x.de"), "_mail_a=2fb=40x.de");
    assert.equal(puppetLocalpart("jürgen@münchen.de"), "_mail_j=c3=bcrgen=40m=c3=bcnchen.de");
    assert.equal(puppetLocalpart("😀@x.de"), "_mail_=f0=9f=98=80=40x.de");
    assert.equal(puppetLocalpart("\"a b\"@x.de"), "_mail_=22a=20b=22=40x.de");
  });

  it("gives valid Matrix localparts and is decodable for odd addresses", () => {
    const odd = ["Lena@GMX.DE", "a+b+c@x.de", "JÜRGEN@x.de", "\"quoted@inner\"@x.de", "x@[127.0.0.1]", "ñ@ñ.es", "a\u0000b@x", "=40@x.de", "_mail_x@y.de"];
    for (const a of odd) {
      const l = puppetLocalpart(a);
      assert.match(l, MATRIX_LOCALPART, a);
      assert.ok(isPuppet(l), a);
      assert.equal(puppetAddress(l), a.trim().normalize("NFC").toLowerCase(), a);
    }
  });

  it("treats case variants and Unicode normal forms as one sender", () => {
    assert.equal(puppetLocalpart("LENA@GMX.DE"), puppetLocalpart("lena@gmx.de"));
    assert.equal(puppetLocalpart("ju\u0308rgen@x.de"), puppetLocalpart("jürgen@x.de"));
  });

  it("shortens long addresses with a hash, within 255 bytes for the user id", () => {
    const long = `${"a".repeat(300)}@x.de`;
    const l = puppetLocalpart(long);
    assert.equal(l.length, DEFAULT_MAX_PUPPET_LOCALPART);
    assert.match(l, /^_mail_a+==[0-9a-f]{32}$/);
    assert.ok(isPuppet(l));
    assert.equal(puppetAddress(l), null, "shortened: look it up in the store");
    const server = "matrix.gymnasium-musterstadt.de";
    const l2 = puppetLocalpart(long, server);
    assert.equal(`@${l2}:${server}`.length, 255);
    assert.notEqual(puppetLocalpart(`${"a".repeat(300)}@y.de`), l, "same prefix, other hash");
    assert.throws(() => puppetLocalpart("a@b.de", "s".repeat(250)));
  });

  it("is exactly at the limit unshortened and shortened one over", () => {
    const fits = `${"a".repeat(DEFAULT_MAX_PUPPET_LOCALPART - "_mail_".length - "=40x.de".length)}@x.de`;
    assert.equal(puppetLocalpart(fits).length, DEFAULT_MAX_PUPPET_LOCALPART);
    assert.equal(puppetAddress(puppetLocalpart(fits)), fits);
    const over = `a${fits}`;
    assert.match(puppetLocalpart(over), /==[0-9a-f]{32}$/);
    assert.equal(puppetLocalpart(over).length, DEFAULT_MAX_PUPPET_LOCALPART);
  });

  it("does not cut through an escape", () => {
    for (let n = 150; n < 200; n++) {
      const l = puppetLocalpart(`${"a".repeat(n)}${"ü".repeat(40)}@x.de`);
      assert.ok(isPuppet(l), l);
      assert.ok(l.length <= DEFAULT_MAX_PUPPET_LOCALPART);
    }
  });

  it("refuses an empty address", () => {
    assert.throws(() => puppetLocalpart("   "));
  });

  it("is distinct for distinct addresses (property)", () => {
    const addr = fc.string({ unit: "binary", minLength: 1, maxLength: 320 }).filter((s) => s.trim() !== "");
    fc.assert(
      fc.property(addr, addr, (a, b) => {
        const na = a.trim().normalize("NFC").toLowerCase();
        const nb = b.trim().normalize("NFC").toLowerCase();
        const la = puppetLocalpart(a);
        const lb = puppetLocalpart(b);
        assert.match(la, MATRIX_LOCALPART);
        assert.ok(la.length <= DEFAULT_MAX_PUPPET_LOCALPART);
        assert.equal(la === lb, na === nb);
        if (!la.includes("==")) assert.equal(puppetAddress(la), na);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("isPuppet and puppetAddress", () => {
  it("recognise only the canonical encoding", () => {
    assert.equal(isPuppet("lena.koehler"), false);
    assert.equal(isPuppet("_mail_"), false);
    assert.equal(isPuppet("_mail_A=40b.de"), false);
    assert.equal(isPuppet("_mail_a=4"), false);
    assert.equal(isPuppet("_mail_a=zz"), false);
    assert.equal(isPuppet("_mail_a@b"), false);
    assert.equal(isPuppet("_hausaufgaben"), false);
    assert.equal(puppetAddress("_mail_=61=40b.de"), null, "not canonical");
    assert.equal(puppetAddress("_mail_=ff"), null, "not UTF-8");
    assert.equal(puppetAddress("lena"), null);
  });
});
