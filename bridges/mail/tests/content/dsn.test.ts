// parseBounce: RFC 3464 delivery status notifications (multipart/report) with original Message-ID and status.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { composeMail } from "../../src/content/compose.ts";
import { parseBounce } from "../../src/content/dsn.ts";
import { parseMail } from "../../src/content/parse.ts";
import { baseHeaders, multipart, rawMail } from "./fixtures.ts";

const reportHeaders = [
  "From: MAILER-DAEMON@mx.schulhof.example (Mail Delivery System)",
  "To: klasse5a@schulhof.example",
  "Subject: Undelivered Mail Returned to Sender",
  "Date: Tue, 03 Mar 2026 10:20:00 +0100",
  "Message-ID: <20260303092000.ABC12@mx.schulhof.example>",
  "MIME-Version: 1.0",
  'Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary="DSN.b0und"',
];

const deliveryStatus = [
  "Reporting-MTA: dns; mx.schulhof.example",
  "X-Postfix-Queue-ID: ABC12",
  "Arrival-Date: Tue,  3 Mar 2026 10:19:58 +0100",
  "",
  "Final-Recipient: rfc822; gibtsnicht@familie.example",
  "Original-Recipient: rfc822;gibtsnicht@familie.example",
  "Action: failed",
  "Status: 5.1.1",
  "Remote-MTA: dns; mx.familie.example",
  "Diagnostic-Code: smtp; 550 5.1.1 <gibtsnicht@familie.example>: Recipient",
  "    address rejected: User unknown",
  "",
  "Final-Recipient: rfc822; voll@familie.example",
  "Action: delayed",
  "Status: 4.2.2 (mailbox full)",
  "",
].join("\r\n");

function bounce(original: [string[], string]): Buffer {
  return rawMail(
    reportHeaders,
    multipart("DSN.b0und", [
      [["Content-Type: text/plain; charset=us-ascii"], "This is the mail system at host mx.schulhof.example.\r\n\r\nI'm sorry to have to inform you that your message could not be delivered."],
      [["Content-Type: message/delivery-status"], deliveryStatus],
      original,
    ]),
  );
}

const originalHeaders = [
  "From: Klasse 5a <klasse5a@schulhof.example>",
  "To: gibtsnicht@familie.example",
  "Subject: Wandertag",
  "Message-ID: <out-42@schulhof.example>",
];

describe("parseBounce", () => {
  it("recognises a DSN with text/rfc822-headers: original Message-ID and per-recipient status", async () => {
    const raw = bounce([["Content-Type: text/rfc822-headers"], originalHeaders.join("\r\n")]);
    const mail = await parseMail(raw);
    const info = parseBounce(mail, raw);
    assert.equal(info.isBounce, true);
    assert.equal(info.originalMessageId, "<out-42@schulhof.example>");
    assert.deepEqual(info.recipients, [
      {
        address: "gibtsnicht@familie.example",
        action: "failed",
        status: "5.1.1",
        diagnostic: "550 5.1.1 <gibtsnicht@familie.example>: Recipient address rejected: User unknown",
      },
      { address: "voll@familie.example", action: "delayed", status: "4.2.2", diagnostic: null },
    ]);
    assert.match(mail.text, /could not be delivered/);
  });

  it("reads the original Message-ID from a returned message/rfc822 built by composeMail", async () => {
    const original = await composeMail({
      from: { address: "klasse5a@schulhof.example", name: "Klasse 5a" },
      to: ["gibtsnicht@familie.example"],
      subject: "Wandertag",
      text: "Hallo",
      messageId: "<out-43@schulhof.example>",
      date: new Date("2026-03-03T09:00:00Z"),
    });
    const raw = bounce([["Content-Type: message/rfc822"], original.toString()]);
    const info = parseBounce(await parseMail(raw), raw);
    assert.equal(info.isBounce, true);
    assert.equal(info.originalMessageId, "<out-43@schulhof.example>");
    assert.equal(info.recipients[0]?.status, "5.1.1");
  });

  it("falls back to the raw message when the returned part was dropped for size", async () => {
    const raw = bounce([["Content-Type: message/rfc822"], `${originalHeaders.join("\r\n")}\r\n\r\n${"x".repeat(5000)}`]);
    const mail = await parseMail(raw, { maxAttachmentBytes: 2000 });
    assert.ok(!mail.attachments.some((a) => a.contentType === "message/rfc822"));
    assert.equal(parseBounce(mail, raw).originalMessageId, "<out-42@schulhof.example>");
  });

  it("does not treat ordinary mails or a delivery-status outside multipart/report as a bounce", async () => {
    const plain = rawMail(baseHeaders(), "Hallo");
    assert.deepEqual(parseBounce(await parseMail(plain), plain), { isBounce: false, originalMessageId: null, recipients: [] });

    const mixed = rawMail(
      baseHeaders(["Content-Type: multipart/mixed; boundary=b"]),
      multipart("b", [
        [["Content-Type: text/plain"], "Schau mal"],
        [["Content-Type: message/delivery-status"], deliveryStatus],
      ]),
    );
    assert.equal(parseBounce(await parseMail(mixed), mixed).isBounce, false);

    const empty = rawMail(reportHeaders, multipart("DSN.b0und", [[["Content-Type: message/delivery-status"], "Reporting-MTA: dns; x\r\n"]]));
    assert.equal(parseBounce(await parseMail(empty), empty).isBounce, false);
  });
});
