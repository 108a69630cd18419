// Outcome and bounce texts in German and English; error classification and backoff of the sender.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bounceText, classifySendError, outcomeText, retryDelayMs } from "../../src/outbound/index.ts";

describe("outcomeText", () => {
  it("describes every outcome in German and English", () => {
    assert.equal(outcomeText({ kind: "sent", response: "250 ok", refused: [] }, "de"), "Die E-Mail wurde versendet.");
    assert.equal(outcomeText({ kind: "sent", response: "250 ok", refused: [] }, "en"), "The email was sent.");
    const partial = { kind: "sent" as const, response: "250 ok", refused: [{ address: "x@y.example", code: 550, response: "550 5.1.1 No such user" }] };
    assert.match(outcomeText(partial, "de"), /Nicht angenommen wurde sie für: x@y\.example \(550 5\.1\.1 No such user\)/);
    assert.match(outcomeText(partial, "en"), /not accepted for: x@y\.example/);
    const rejected = { kind: "rejected" as const, code: 550, response: "550 5.7.1 Message refused\r\nInjected: line" };
    assert.equal(outcomeText(rejected, "de"), "Die E-Mail wurde vom Mailserver abgelehnt (550): 550 5.7.1 Message refused Injected: line");
    assert.equal(outcomeText(rejected, "en"), "The email was rejected by the mail server (550): 550 5.7.1 Message refused Injected: line");
    assert.match(outcomeText({ kind: "rejected", code: 0, response: "Invalid recipient" }, "de"), /^Die E-Mail konnte nicht versendet werden: Invalid recipient$/);
    const expired = { kind: "expired" as const, lastError: "ECONNECTION: connect ECONNREFUSED 127.0.0.1:25" };
    assert.match(outcomeText(expired, "de"), /aufgegeben\. Letzter Fehler: ECONNECTION/);
    assert.match(outcomeText(expired, "en"), /given up\. Last error: ECONNECTION/);
  });
});

describe("bounceText", () => {
  const info = {
    isBounce: true,
    originalMessageId: "<a@b>",
    recipients: [
      { address: "weg@familie.example", action: "failed", status: "5.1.1", diagnostic: "550 User unknown" },
      { address: "voll@familie.example", action: "delayed", status: "4.2.2", diagnostic: null },
    ],
  };
  it("names the recipients that failed for good", () => {
    assert.equal(bounceText(info, "de"), "Die E-Mail konnte nicht zugestellt werden an: weg@familie.example (5.1.1 550 User unknown)");
    assert.equal(bounceText(info, "en"), "The email could not be delivered to: weg@familie.example (5.1.1 550 User unknown)");
  });
});

describe("classifySendError", () => {
  const err = (props: Record<string, unknown>): Error => Object.assign(new Error(String(props.message ?? "failed")), props);
  it("treats 5xx to envelope or message as final, everything else as temporary", () => {
    assert.deepEqual(classifySendError(err({ code: "EMESSAGE", responseCode: 550, response: "550 5.7.1 no" })), {
      kind: "final",
      outcome: { kind: "rejected", code: 550, response: "550 5.7.1 no" },
    });
    assert.equal(classifySendError(err({ code: "EENVELOPE", responseCode: 553, response: "553 bad" })).kind, "final");
    assert.equal(classifySendError(err({ code: "EENVELOPE", command: "API", message: "Invalid recipient" })).kind, "final");
    assert.equal(classifySendError(err({ code: "EENVELOPE", responseCode: 451, response: "451 later" })).kind, "retry");
    assert.equal(classifySendError(err({ code: "EENVELOPE", responseCode: 503, response: "503 sequence" })).kind, "retry");
    assert.equal(classifySendError(err({ code: "EAUTH", responseCode: 535, response: "535 auth" })).kind, "retry");
    assert.equal(classifySendError(err({ code: "EPROTOCOL", responseCode: 554, response: "554 go away" })).kind, "retry");
    assert.equal(classifySendError(err({ code: "ETIMEDOUT", message: "Greeting never received" })).kind, "retry");
    assert.equal(classifySendError("weird").kind, "retry");
  });
});

describe("retryDelayMs", () => {
  it("doubles from the base, is capped and jittered by ±25 %", () => {
    assert.equal(retryDelayMs(0, 30_000, 3_600_000, () => 0.5), 30_000);
    assert.equal(retryDelayMs(1, 30_000, 3_600_000, () => 0.5), 60_000);
    assert.equal(retryDelayMs(3, 30_000, 3_600_000, () => 0.5), 240_000);
    assert.equal(retryDelayMs(20, 30_000, 3_600_000, () => 0.5), 3_600_000);
    assert.equal(retryDelayMs(0, 30_000, 3_600_000, () => 0), 22_500);
    assert.equal(retryDelayMs(0, 30_000, 3_600_000, () => 1), 37_500);
    assert.equal(retryDelayMs(1000, 30_000, 3_600_000, () => 0.5), 3_600_000);
  });
});
