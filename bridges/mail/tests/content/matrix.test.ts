// toMatrixMessage: body/formatted_body layout, escaping, DMARC warning, cid images, size budget, metadata.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { toMatrixMessage, MAIL_CONTENT_KEY, type MailContentMeta } from "../../src/content/matrix.ts";
import { parseMail, type ParsedMail } from "../../src/content/parse.ts";
import { baseHeaders, multipart, rawMail } from "./fixtures.ts";

function mailWith(overrides: Partial<ParsedMail>): ParsedMail {
  return {
    messageId: "<m1@schule.example>",
    inReplyTo: null,
    references: [],
    subject: "Elternabend",
    from: { address: "mueller@schule.example", name: "Frau Müller" },
    to: [{ address: "klasse5a@schulhof.example", name: "" }],
    cc: [],
    replyTo: [],
    date: new Date("2026-03-03T09:15:00Z"),
    text: "Liebe Eltern,\nder Elternabend ist am Montag.",
    html: null,
    attachments: [],
    truncated: { parts: false, attachments: false },
    warnings: [],
    ...overrides,
  };
}

const opts = { lang: "de" as const, cidMap: {}, dmarc: "pass" as const };

describe("toMatrixMessage", () => {
  it("builds an m.text with subject line, text and metadata", () => {
    const { content } = toMatrixMessage(mailWith({ references: ["<r1@x>"], inReplyTo: "<r1@x>" }), opts);
    assert.equal(content.msgtype, "m.text");
    assert.equal(content.body, "Betreff: Elternabend\n\nLiebe Eltern,\nder Elternabend ist am Montag.");
    assert.equal(content.format, "org.matrix.custom.html");
    assert.equal(content.formatted_body, "<p><strong>Betreff: Elternabend</strong></p>\nLiebe Eltern,<br>der Elternabend ist am Montag.");
    const meta = content[MAIL_CONTENT_KEY] as MailContentMeta;
    assert.deepEqual(meta, {
      message_id: "<m1@schule.example>",
      in_reply_to: "<r1@x>",
      references: ["<r1@x>"],
      subject: "Elternabend",
      from: { address: "mueller@schule.example", name: "Frau Müller" },
      to: [{ address: "klasse5a@schulhof.example", name: "" }],
      cc: [],
      date: "2026-03-03T09:15:00.000Z",
      dmarc: "pass",
    });
    assert.equal(MAIL_CONTENT_KEY, "de.schulhof.mail");
  });

  it("names the other recipients (To, Cc) when a mail went to more than one address, escaped in HTML", () => {
    const { content } = toMatrixMessage(
      mailWith({
        to: [{ address: "lena.koehler@schulhof.example", name: "Lena Köhler" }, { address: "jonas@schulhof.example", name: "" }],
        cc: [{ address: "eltern@example.org", name: "<b>Eltern</b>" }],
      }),
      opts,
    );
    assert.equal(
      content.body,
      "Betreff: Elternabend\nAn: Lena Köhler <lena.koehler@schulhof.example>, jonas@schulhof.example\nCc: <b>Eltern</b> <eltern@example.org>\n\nLiebe Eltern,\nder Elternabend ist am Montag.",
    );
    assert.equal(
      content.formatted_body,
      "<p><strong>Betreff: Elternabend</strong></p>\n<p>An: Lena Köhler &lt;lena.koehler@schulhof.example&gt;, jonas@schulhof.example<br>Cc: &lt;b&gt;Eltern&lt;/b&gt; &lt;eltern@example.org&gt;</p>\nLiebe Eltern,<br>der Elternabend ist am Montag.",
    );
    const many = Array.from({ length: 13 }, (_, i) => ({ address: `p${i}@example.org`, name: "" }));
    const { content: big } = toMatrixMessage(mailWith({ to: many }), { ...opts, lang: "en" });
    assert.match(String(big.body), /^Subject: Elternabend\nTo: p0@example\.org, .*p9@example\.org, and 3 more\n\n/);
  });

  it("uses English labels for lang en and placeholders for empty mails", () => {
    const { content } = toMatrixMessage(mailWith({ subject: "", text: "  " }), { ...opts, lang: "en" });
    assert.equal(content.body, "Subject: (no subject)\n\n(no text)");
    assert.match(String(content.formatted_body), /<strong>Subject: \(no subject\)<\/strong>/);
  });

  it("shows a DMARC warning first in body and formatted_body only when DMARC failed", () => {
    const failed = toMatrixMessage(mailWith({}), { ...opts, dmarc: "fail" }).content;
    const firstLine = String(failed.body).split("\n")[0];
    assert.equal(firstLine, "⚠️ Absender nicht bestätigt (DMARC fehlgeschlagen) / sender not verified (DMARC failed)");
    assert.match(String(failed.formatted_body), /^<p><strong>⚠️ Absender nicht bestätigt \(DMARC fehlgeschlagen\) \/ sender not verified \(DMARC failed\)<\/strong><\/p>/);
    assert.equal((failed[MAIL_CONTENT_KEY] as MailContentMeta).dmarc, "fail");
    for (const dmarc of ["pass", "none", "unknown"] as const) {
      const { content } = toMatrixMessage(mailWith({}), { ...opts, dmarc });
      assert.doesNotMatch(String(content.body) + String(content.formatted_body), /DMARC/);
    }
    const bogus = toMatrixMessage(mailWith({}), { ...opts, dmarc: "yes" as never }).content;
    assert.equal((bogus[MAIL_CONTENT_KEY] as MailContentMeta).dmarc, "unknown");
  });

  it("escapes every string from the mail in formatted_body", () => {
    const { content } = toMatrixMessage(
      mailWith({ subject: '<img src=x onerror=alert(1)> & "q"', text: "<script>alert(1)</script>\n<b>fett</b> & 'so'" }),
      opts,
    );
    const html = String(content.formatted_body);
    assert.equal(
      html,
      "<p><strong>Betreff: &lt;img src=x onerror=alert(1)&gt; &amp; &quot;q&quot;</strong></p>\n&lt;script&gt;alert(1)&lt;/script&gt;<br>&lt;b&gt;fett&lt;/b&gt; &amp; &#39;so&#39;",
    );
    assert.match(String(content.body), /^Betreff: <img src=x onerror=alert\(1\)> & "q"\n/);
  });

  it("renders sanitised HTML with cid images as mxc and without tracking pixels", async () => {
    const png = Buffer.from("89504e470d0a1a0a", "hex").toString("base64");
    const body = multipart("rel", [
      [
        ["Content-Type: text/html; charset=utf-8"],
        '<p>Hallo</p><img src="cid:foto@schule.example" width="300"><img src="https://t.example/p.gif" width=1 height=1><script>x()</script>',
      ],
      [["Content-Type: image/png", "Content-ID: <foto@schule.example>", "Content-Transfer-Encoding: base64"], png],
    ]);
    const mail = await parseMail(rawMail(baseHeaders(["Content-Type: multipart/related; boundary=rel"]), body));
    const cidMap = Object.fromEntries(mail.attachments.filter((a) => a.contentId).map((a) => [a.contentId as string, "mxc://schulhof.example/Foto1"]));
    const { content } = toMatrixMessage(mail, { ...opts, cidMap });
    assert.equal(
      content.formatted_body,
      '<p><strong>Betreff: Test</strong></p>\n<p>Hallo</p><img src="mxc://schulhof.example/Foto1" width="300" />',
    );
    assert.match(String(content.body), /^Betreff: Test\n\nHallo/);
  });

  it("falls back to the escaped text when the HTML sanitises to nothing", () => {
    const { content } = toMatrixMessage(mailWith({ html: "<script>alert(1)</script><img src='https://t.example/p.gif'>", text: "Nur <Text>" }), opts);
    assert.equal(content.formatted_body, "<p><strong>Betreff: Elternabend</strong></p>\nNur &lt;Text&gt;");
  });

  it("shortens long bodies and keeps the serialised content within the byte budget", () => {
    const short = toMatrixMessage(mailWith({ text: "a".repeat(500) }), { ...opts, maxBodyChars: 100 }).content;
    assert.equal(short.body, `Betreff: Elternabend\n\n${"a".repeat(100)}\n\n[…] gekürzt`);

    const many = Array.from({ length: 500 }, (_, i) => ({ address: `eltern${i}@familie.example`, name: `Familie Nummer ${i}` }));
    const huge = mailWith({
      text: "Grüße ".repeat(50_000),
      html: `<p>${"Schöne Grüße <b>aus</b> Köln. ".repeat(20_000)}</p>`,
      to: many,
      cc: many,
      references: Array.from({ length: 100 }, (_, i) => `<ref${i}@schule.example>`),
    });
    const { content } = toMatrixMessage(huge, opts);
    const bytes = Buffer.byteLength(JSON.stringify(content));
    assert.ok(bytes <= 40_000, `${bytes} bytes`);
    const meta = content[MAIL_CONTENT_KEY] as MailContentMeta;
    assert.equal(meta.references[0], "<ref0@schule.example>");
    assert.equal(meta.references.at(-1), "<ref99@schule.example>");
    assert.match(String(content.formatted_body), /message truncated/);
    const small = toMatrixMessage(huge, { ...opts, maxContentBytes: 10_000 }).content;
    assert.ok(Buffer.byteLength(JSON.stringify(small)) <= 10_000);
  });
});
