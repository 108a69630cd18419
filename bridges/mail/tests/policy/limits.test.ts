// DMARC outcomes, message size, rate limits and SMTP-safe texts, each at its boundary.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  DEFAULT_MAIL_POLICY,
  MailPolicySchema,
  RATE_WINDOW_MS,
  dmarcDecision,
  maxMessageBytes,
  rateLimit,
  rateLimitFor,
  rateLimitRefusal,
  refusal,
  sizeDecision,
  smtpSafe,
} from "../../src/policy/index.ts";

const reject = MailPolicySchema.parse({ dmarc_fail: "reject" });

describe("dmarcDecision", () => {
  it("accepts pass, none and permerror under both settings", () => {
    for (const p of [DEFAULT_MAIL_POLICY, reject]) {
      for (const r of ["pass", "none", "permerror"] as const) assert.deepEqual(dmarcDecision(r, p), { ok: true, action: "accept" }, r);
    }
  });

  it("marks a failure by default, with a bilingual warning", () => {
    const d = dmarcDecision("fail", DEFAULT_MAIL_POLICY);
    assert.ok(d.ok && d.action === "mark");
    assert.match(d.user.de, /nicht bestätigt/);
    assert.match(d.user.en, /could not be verified/);
  });

  it("rejects a failure with 550 5.7.1 when configured", () => {
    const d = dmarcDecision("fail", reject);
    assert.ok(!d.ok);
    assert.deepEqual([d.smtp.code, d.smtp.enhanced], [550, "5.7.1"]);
    assert.match(d.smtp.message, /DMARC/);
  });

  it("defers a temporary error with 451 4.7.1 under both settings", () => {
    for (const p of [DEFAULT_MAIL_POLICY, reject]) {
      const d = dmarcDecision("temperror", p);
      assert.ok(!d.ok);
      assert.deepEqual([d.smtp.code, d.smtp.enhanced], [451, "4.7.1"]);
    }
  });
});

describe("sizeDecision", () => {
  it("accepts exactly max_message_mb MiB and refuses one byte more with 552 5.3.4", () => {
    assert.equal(maxMessageBytes(DEFAULT_MAIL_POLICY), 25 * 1024 * 1024);
    assert.deepEqual(sizeDecision(25 * 1024 * 1024, DEFAULT_MAIL_POLICY), { ok: true });
    const d = sizeDecision(25 * 1024 * 1024 + 1, DEFAULT_MAIL_POLICY);
    assert.ok(!d.ok);
    assert.deepEqual([d.smtp.code, d.smtp.enhanced], [552, "5.3.4"]);
    assert.equal(maxMessageBytes(MailPolicySchema.parse({ max_message_mb: 0.5 })), 524288);
  });
});

describe("rateLimit", () => {
  const H = RATE_WINDOW_MS;

  it("allows exactly the limit within a window and refuses the next", () => {
    let state = null as ReturnType<typeof rateLimit>["state"];
    const t0 = 1_000_000;
    for (let i = 1; i <= 30; i++) {
      const res = rateLimit(state, t0 + i, 30, H);
      assert.equal(res.allowed, true, `message ${i}`);
      assert.equal(res.retryAfterMs, 0);
      state = res.state;
    }
    assert.deepEqual(state, { windowStart: t0 + 1, count: 30 });
    const over = rateLimit(state, t0 + 1000, 30, H);
    assert.equal(over.allowed, false);
    assert.deepEqual(over.state, state, "refused attempts do not count");
    assert.equal(over.retryAfterMs, t0 + 1 + H - (t0 + 1000));
  });

  it("opens a new window exactly when the old one ends, not a millisecond before", () => {
    const full = { windowStart: 0, count: 30 };
    const before = rateLimit(full, H - 1, 30, H);
    assert.equal(before.allowed, false);
    assert.equal(before.retryAfterMs, 1);
    const at = rateLimit(full, H, 30, H);
    assert.equal(at.allowed, true);
    assert.deepEqual(at.state, { windowStart: H, count: 1 });
    assert.deepEqual(rateLimit(full, 5 * H, 30, H).state, { windowStart: 5 * H, count: 1 });
  });

  it("starts a window with the first message", () => {
    assert.deepEqual(rateLimit(null, 42, 30, H), { allowed: true, state: { windowStart: 42, count: 1 }, retryAfterMs: 0 });
  });

  it("does not open a new window when the clock goes back", () => {
    const res = rateLimit({ windowStart: 10_000, count: 30 }, 5_000, 30, H);
    assert.equal(res.allowed, false);
    assert.equal(res.retryAfterMs, H);
  });

  it("limit 1 and limit 0", () => {
    const first = rateLimit(null, 0, 1, H);
    assert.equal(first.allowed, true);
    assert.equal(rateLimit(first.state, 1, 1, H).allowed, false);
    assert.equal(rateLimit(null, 0, 0, H).allowed, false);
  });

  it("uses the role's number from the policy", () => {
    assert.equal(rateLimitFor("student", DEFAULT_MAIL_POLICY), 30);
    assert.equal(rateLimitFor("teacher", DEFAULT_MAIL_POLICY), 200);
    assert.equal(rateLimitFor("admin", DEFAULT_MAIL_POLICY), 200);
  });

  it("refuses with 451 4.7.1 and the wait in minutes", () => {
    const d = rateLimitRefusal(61_000);
    assert.deepEqual([d.smtp.code, d.smtp.enhanced], [451, "4.7.1"]);
    assert.match(d.smtp.message, /2 minutes/);
    assert.match(d.user.de, /2 Minuten/);
    assert.match(rateLimitRefusal(0).user.de, /1 Minute\b/);
  });
});

describe("smtpSafe", () => {
  it("keeps printable ASCII and spells umlauts", () => {
    assert.equal(smtpSafe("Jürgen Weiß: Größe „Öl“ – ok"), "Juergen Weiss: Groesse \"Oel\" - ok");
    assert.equal(smtpSafe("Françoise Ñandú"), "Francoise Nandu");
  });

  it("removes line breaks (no reply injection) and other non-ASCII", () => {
    assert.equal(smtpSafe("bad\r\n250 OK\r\nmore"), "bad 250 OK more");
    assert.equal(smtpSafe("a\u0000b\u007fc 李 😀 \u2028d"), "a?b?c ? ? ?d");
    assert.match(smtpSafe("x\u00a0y"), /^[\x20-\x7e]*$/);
  });

  it("cuts at 200 characters", () => {
    assert.equal(smtpSafe("a".repeat(200)), "a".repeat(200));
    const cut = smtpSafe("a".repeat(201));
    assert.equal(cut.length, 200);
    assert.ok(cut.endsWith("..."));
    assert.ok(smtpSafe("ü".repeat(150)).length <= 200);
  });

  it("refusal passes its SMTP text through smtpSafe", () => {
    const r = refusal(550, "5.7.1", "nope\r\nfor jürgen", { de: "nein", en: "no" }, ["a@b.de"]);
    assert.deepEqual(r, { ok: false, smtp: { code: 550, enhanced: "5.7.1", message: "nope for juergen" }, user: { de: "nein", en: "no" }, addresses: ["a@b.de"] });
  });
});
