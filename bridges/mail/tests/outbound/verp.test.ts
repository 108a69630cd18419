// VERP bounce addresses: bounce+<id>-<hmac8>@domain round-trips; forged, foreign or malformed addresses answer null.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bounceAddress, parseBounceAddress } from "../../src/outbound/index.ts";

const DOMAIN = "schulhof.example";
const SECRET = "s3cret-for-verp";

describe("VERP bounce addresses", () => {
  it("has the form bounce+<id>-<8 hex>@domain and round-trips", () => {
    for (const id of [1, 42, 123456789, Number.MAX_SAFE_INTEGER]) {
      const a = bounceAddress(id, DOMAIN, SECRET);
      assert.match(a, new RegExp(`^bounce\\+${id}-[0-9a-f]{8}@schulhof\\.example$`));
      assert.equal(parseBounceAddress(a, DOMAIN, SECRET), id);
    }
  });

  it("is stable and depends on id, domain and secret", () => {
    assert.equal(bounceAddress(7, DOMAIN, SECRET), bounceAddress(7, DOMAIN, SECRET));
    const tag = (a: string): string => a.split("@")[0]?.split("-")[1] ?? "";
    assert.notEqual(tag(bounceAddress(7, DOMAIN, SECRET)), tag(bounceAddress(8, DOMAIN, SECRET)));
    assert.notEqual(tag(bounceAddress(7, DOMAIN, SECRET)), tag(bounceAddress(7, "andere.example", SECRET)));
    assert.notEqual(tag(bounceAddress(7, DOMAIN, SECRET)), tag(bounceAddress(7, DOMAIN, "other secret")));
  });

  it("reads addresses case-insensitively and with angle brackets", () => {
    const a = bounceAddress(42, DOMAIN, SECRET);
    assert.equal(parseBounceAddress(a.toUpperCase(), DOMAIN, SECRET), 42);
    assert.equal(parseBounceAddress(`<${a}>`, DOMAIN, SECRET), 42);
    assert.equal(parseBounceAddress(` ${a} `, "SchulHof.Example", SECRET), 42);
    assert.equal(bounceAddress(42, "SchulHof.Example", SECRET), a);
  });

  it("rejects forged, foreign and malformed addresses", () => {
    const a = bounceAddress(42, DOMAIN, SECRET);
    const [local = "", domain = ""] = a.split("@");
    const hmac = local.slice(-8);
    const flipped = (hmac[0] === "0" ? "1" : "0") + hmac.slice(1);
    assert.equal(parseBounceAddress(`bounce+42-${flipped}@${domain}`, DOMAIN, SECRET), null, "wrong HMAC");
    assert.equal(parseBounceAddress(`bounce+43-${hmac}@${domain}`, DOMAIN, SECRET), null, "HMAC of another id");
    assert.equal(parseBounceAddress(`bounce+042-${hmac}@${domain}`, DOMAIN, SECRET), null, "leading zero");
    assert.equal(parseBounceAddress(a, DOMAIN, "other secret"), null, "other secret");
    assert.equal(parseBounceAddress(`${local}@andere.example`, DOMAIN, SECRET), null, "other domain");
    assert.equal(parseBounceAddress(`${local}@sub.${DOMAIN}`, DOMAIN, SECRET), null, "subdomain");
    for (const bad of ["", "bounce@schulhof.example", "bounce+-abcdef12@schulhof.example", `bounce+42-${hmac}0@${domain}`, `x${a}`, `bounce+99999999999999999-${hmac}@${domain}`, `bounce+42-${hmac}`]) {
      assert.equal(parseBounceAddress(bad, DOMAIN, SECRET), null, bad);
    }
    assert.equal(parseBounceAddress(undefined as unknown as string, DOMAIN, SECRET), null);
  });

  it("refuses invalid ids, empty secrets and bad domains", () => {
    for (const id of [0, -1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1]) assert.throws(() => bounceAddress(id, DOMAIN, SECRET), TypeError);
    assert.throws(() => bounceAddress(1, DOMAIN, ""), TypeError);
    assert.throws(() => bounceAddress(1, "evil.example>\r\nRCPT TO:<x", SECRET), TypeError);
    assert.throws(() => parseBounceAddress("bounce+1-00000000@schulhof.example", DOMAIN, ""), TypeError);
  });
});
