// Header work on raw messages: the header-section check, forged Authentication-Results, trace fields.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { hasHeaderSection, receivedField, rfc5322Date, stripForgedAuthResults, withTraceFields } from "../../src/inbound/trace.ts";
import { verdictOf } from "../../src/inbound/types.ts";
import { DEFAULT_MAIL_POLICY, MailPolicySchema, dmarcDecision } from "../../src/policy/index.ts";

describe("hasHeaderSection", () => {
  it("wants a header field first", () => {
    assert.equal(hasHeaderSection(Buffer.from("From: a@outside.test\r\n\r\nx")), true);
    assert.equal(hasHeaderSection(Buffer.from("X-Weird_Name : v\r\n")), true);
    assert.equal(hasHeaderSection(Buffer.from("\r\nbody only")), false);
    assert.equal(hasHeaderSection(Buffer.from("Hello there\r\n")), false);
    assert.equal(hasHeaderSection(Buffer.from([0, 1, 2, 58, 13, 10])), false);
    assert.equal(hasHeaderSection(Buffer.alloc(0)), false);
  });
});

describe("stripForgedAuthResults", () => {
  const host = "mx.schule.test";

  it("removes results in the server's name (folded ones included) and keeps everything else byte for byte", () => {
    const raw = Buffer.concat([
      Buffer.from(
        "Authentication-Results: MX.Schule.Test;\r\n dkim=pass;\r\n dmarc=pass\r\n" +
          "Authentication-Results: mx.outside.test; spf=pass\r\n" +
          "authentication-results : (comment) mx.schule.test; spf=pass\r\n" +
          "From: a@outside.test\r\nSubject: x\r\n\r\n" +
          "Authentication-Results: mx.schule.test; in the body stays\r\n",
        "latin1",
      ),
      Buffer.from([0xff, 0x00]),
    ]);
    const out = stripForgedAuthResults(raw, host).toString("latin1");
    assert.equal(
      out,
      "Authentication-Results: mx.outside.test; spf=pass\r\nFrom: a@outside.test\r\nSubject: x\r\n\r\nAuthentication-Results: mx.schule.test; in the body stays\r\n\xff\x00",
    );
  });

  it("returns the very same buffer when there is nothing to remove", () => {
    const raw = Buffer.from("From: a@outside.test\n\nAuthentication-Results: mx.schule.test; x\n");
    assert.equal(stripForgedAuthResults(raw, host), raw);
  });
});

describe("trace fields", () => {
  const date = new Date(Date.UTC(2024, 2, 5, 9, 4, 7));

  it("formats RFC 5322 dates", () => {
    assert.equal(rfc5322Date(date), "Tue, 05 Mar 2024 09:04:07 +0000");
  });

  it("builds a Received field without recipients and with harmless tokens only", () => {
    const f = receivedField({ helo: "evil\r\nBcc: x (y)", remoteIp: "::1", hostname: "mx.schule.test", protocol: "ESMTPS", id: "abc", date });
    assert.equal(f, "Received: from evil??Bcc:?x??y? ([IPv6:::1])\r\n\tby mx.schule.test (Schulhof) with ESMTPS id abc;\r\n\tTue, 05 Mar 2024 09:04:07 +0000\r\n");
  });

  it("puts mailauth's fields and Received on top of the received message", () => {
    const out = withTraceFields(Buffer.from("From: a@outside.test\r\n\r\nHi\r\n"), "Authentication-Results: mx.schule.test; spf=pass smtp.mailfrom=ü@outside.test\r\n", {
      helo: "client.outside.test",
      remoteIp: "127.0.0.1",
      hostname: "mx.schule.test",
      protocol: "ESMTP",
      id: "abc",
      date,
    });
    assert.equal(
      out.toString("utf8"),
      "Authentication-Results: mx.schule.test; spf=pass smtp.mailfrom=ü@outside.test\r\n" +
        "Received: from client.outside.test ([127.0.0.1])\r\n\tby mx.schule.test (Schulhof) with ESMTP id abc;\r\n\tTue, 05 Mar 2024 09:04:07 +0000\r\n" +
        "From: a@outside.test\r\n\r\nHi\r\n",
    );
  });
});

describe("verdictOf", () => {
  it("turns policy decisions into server verdicts", () => {
    assert.deepEqual(verdictOf(dmarcDecision("fail", DEFAULT_MAIL_POLICY)), { ok: true });
    assert.deepEqual(verdictOf(dmarcDecision("fail", MailPolicySchema.parse({ dmarc_fail: "reject" }))), {
      ok: false,
      code: 550,
      enhanced: "5.7.1",
      message: "Message rejected due to DMARC policy",
    });
    assert.deepEqual(verdictOf(dmarcDecision("temperror", DEFAULT_MAIL_POLICY)), {
      ok: false,
      code: 451,
      enhanced: "4.7.1",
      message: "DMARC check failed temporarily, try again later",
    });
  });
});
