// handleBounce: a DSN at a valid VERP address marks its outbound row 'bounced' and calls onBounce in the same transaction; anything else is ignored.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import type { Db } from "@schulhof/core";
import type { BounceInfo } from "../../src/content/dsn.ts";
import { bounceAddress, handleBounce, type OutboundRow } from "../../src/outbound/index.ts";
import { DOMAIN, freshDb, queueMail, rowState, SECRET } from "./support.ts";

let db: Db;
before(async () => {
  db = await freshDb();
});
after(async () => {
  await db.close();
});
beforeEach(async () => {
  await db.query("TRUNCATE outbound RESTART IDENTITY");
});

const CRLF = "\r\n";

/** A DSN as Postfix writes it: multipart/report with a delivery-status part and the original headers. */
function dsn(originalMessageId: string, blocks: { rcpt: string; action: string; status: string; diagnostic?: string }[], verp: string): Buffer {
  const status = [
    "Reporting-MTA: dns; mx.familie.example",
    "",
    ...blocks.flatMap((b) => [
      `Final-Recipient: rfc822; ${b.rcpt}`,
      `Action: ${b.action}`,
      `Status: ${b.status}`,
      ...(b.diagnostic ? [`Diagnostic-Code: smtp; ${b.diagnostic}`] : []),
      "",
    ]),
  ].join(CRLF);
  return Buffer.from(
    [
      "From: MAILER-DAEMON@mx.familie.example (Mail Delivery System)",
      `To: ${verp}`,
      "Subject: Undelivered Mail Returned to Sender",
      "Date: Tue, 03 Mar 2026 10:20:00 +0100",
      "Message-ID: <dsn-1@mx.familie.example>",
      "MIME-Version: 1.0",
      'Content-Type: multipart/report; report-type=delivery-status; boundary="b0und"',
      "",
      "--b0und",
      "Content-Type: text/plain; charset=us-ascii",
      "",
      "Your message could not be delivered.",
      "--b0und",
      "Content-Type: message/delivery-status",
      "",
      status,
      "--b0und",
      "Content-Type: text/rfc822-headers",
      "",
      `From: Frau Mueller <frau.mueller@${DOMAIN}>`,
      "To: gibtsnicht@familie.example",
      "Subject: Wandertag",
      `Message-ID: ${originalMessageId}`,
      "",
      "--b0und--",
      "",
    ].join(CRLF),
    "latin1",
  );
}

function recorder(): { calls: { row: OutboundRow; info: BounceInfo }[]; hook: (tx: unknown, row: OutboundRow, info: BounceInfo) => Promise<void> } {
  const calls: { row: OutboundRow; info: BounceInfo }[] = [];
  return {
    calls,
    hook: async (_tx, row, info) => {
      calls.push({ row, info });
    },
  };
}

async function sentMail(): Promise<{ id: number; messageId: string; verp: string }> {
  const m = await queueMail(db, { to: ["gibtsnicht@familie.example"] });
  await db.query("UPDATE outbound SET state = 'sent', sent_at = now() WHERE id = $1", [m.id]);
  return { id: m.id, messageId: m.messageId, verp: bounceAddress(m.id, DOMAIN, SECRET) };
}

const FAILED = { rcpt: "gibtsnicht@familie.example", action: "failed", status: "5.1.1", diagnostic: "550 5.1.1 User unknown" };

describe("handleBounce", () => {
  it("marks the row 'bounced' and calls onBounce with the row and the DSN", async () => {
    const m = await sentMail();
    const rec = recorder();
    const handled = await handleBounce(db, dsn(m.messageId, [FAILED], m.verp), m.verp, DOMAIN, SECRET, rec.hook);
    assert.equal(handled, true);
    const row = await rowState(db, m.id);
    assert.equal(row.state, "bounced");
    assert.match(row.last_error ?? "", /gibtsnicht@familie\.example 5\.1\.1 550 5\.1\.1 User unknown/);
    assert.equal(rec.calls.length, 1);
    const call = rec.calls[0];
    assert.ok(call);
    assert.equal(call.row.id, m.id);
    assert.equal(call.row.state, "bounced");
    assert.equal(call.row.roomId, "!raum:schulhof.example");
    assert.equal(call.info.originalMessageId, m.messageId);
    assert.deepEqual(call.info.recipients.map((r) => [r.address, r.action, r.status]), [["gibtsnicht@familie.example", "failed", "5.1.1"]]);
  });

  it("accepts the VERP address in angle brackets and any case", async () => {
    const m = await sentMail();
    const rec = recorder();
    assert.equal(await handleBounce(db, dsn(m.messageId, [FAILED], m.verp), `<${m.verp.toUpperCase()}>`, DOMAIN, SECRET, rec.hook), true);
    assert.equal(rec.calls.length, 1);
  });

  it("ignores a forged VERP address (wrong HMAC) and leaves the row alone", async () => {
    const m = await sentMail();
    const rec = recorder();
    const forged = m.verp.replace(/-([0-9a-f]{8})@/, (_all, h: string) => `-${h[0] === "0" ? "1" : "0"}${h.slice(1)}@`);
    assert.notEqual(forged, m.verp);
    assert.equal(await handleBounce(db, dsn(m.messageId, [FAILED], forged), forged, DOMAIN, SECRET, rec.hook), false);
    assert.equal(await handleBounce(db, dsn(m.messageId, [FAILED], m.verp), m.verp, DOMAIN, "wrong secret", rec.hook), false);
    assert.equal(await handleBounce(db, dsn(m.messageId, [FAILED], m.verp), `bounce+${m.id}@${DOMAIN}`, DOMAIN, SECRET, rec.hook), false);
    assert.equal((await rowState(db, m.id)).state, "sent");
    assert.equal(rec.calls.length, 0);
  });

  it("ignores a valid address of a row that does not exist", async () => {
    const rec = recorder();
    const verp = bounceAddress(999, DOMAIN, SECRET);
    assert.equal(await handleBounce(db, dsn("<x@schulhof.example>", [FAILED], verp), verp, DOMAIN, SECRET, rec.hook), false);
    assert.equal(rec.calls.length, 0);
  });

  it("ignores mail that is no DSN (an auto-reply to the envelope sender) and DSNs that only report delays", async () => {
    const m = await sentMail();
    const rec = recorder();
    const autoReply = Buffer.from(
      [`From: eltern@familie.example`, `To: ${m.verp}`, "Subject: Abwesend", "Message-ID: <auto@familie.example>", "", "Bin im Urlaub.", ""].join(CRLF),
    );
    assert.equal(await handleBounce(db, autoReply, m.verp, DOMAIN, SECRET, rec.hook), false);
    const delayed = dsn(m.messageId, [{ rcpt: "gibtsnicht@familie.example", action: "delayed", status: "4.4.1" }], m.verp);
    assert.equal(await handleBounce(db, delayed, m.verp, DOMAIN, SECRET, rec.hook), false);
    assert.equal(await handleBounce(db, Buffer.alloc(0), m.verp, DOMAIN, SECRET, rec.hook), false);
    assert.equal((await rowState(db, m.id)).state, "sent");
    assert.equal(rec.calls.length, 0);
  });

  it("rolls the mark back when onBounce throws", async () => {
    const m = await sentMail();
    await assert.rejects(
      handleBounce(db, dsn(m.messageId, [FAILED], m.verp), m.verp, DOMAIN, SECRET, async () => {
        throw new Error("outbox full");
      }),
      /outbox full/,
    );
    assert.equal((await rowState(db, m.id)).state, "sent");
  });

  it("calls onBounce for each DSN of a row (they may name different recipients)", async () => {
    const m = await sentMail();
    const rec = recorder();
    await handleBounce(db, dsn(m.messageId, [FAILED], m.verp), m.verp, DOMAIN, SECRET, rec.hook);
    const second = { rcpt: "voll@familie.example", action: "failed", status: "5.2.2" };
    assert.equal(await handleBounce(db, dsn(m.messageId, [second], m.verp), m.verp, DOMAIN, SECRET, rec.hook), true);
    assert.deepEqual(rec.calls.map((c) => c.info.recipients[0]?.address), ["gibtsnicht@familie.example", "voll@familie.example"]);
    assert.equal((await rowState(db, m.id)).state, "bounced");
  });
});
