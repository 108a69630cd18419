// parseMail: plain/HTML mails, charsets, 8-bit headers, malformed MIME, part and size limits, attachments.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MailParseError, parseMail } from "../../src/content/parse.ts";
import { baseHeaders, multipart, rawMail } from "./fixtures.ts";

describe("parseMail: ordinary mails", () => {
  it("reads a plain text mail with its headers", async () => {
    const mail = await parseMail(
      rawMail(
        baseHeaders(["Cc: a@schule.example, Gruppe: b@schule.example, c@schule.example;", "Reply-To: sekretariat@schule.example", "Content-Type: text/plain; charset=utf-8"]),
        "Liebe Eltern,\nmorgen fällt der Unterricht aus.\n",
      ),
    );
    assert.equal(mail.messageId, "<test-1@schule.example>");
    assert.equal(mail.subject, "Test");
    assert.deepEqual(mail.from, { address: "mueller@schule.example", name: "Frau Müller" });
    assert.deepEqual(mail.to, [{ address: "klasse5a@schulhof.example", name: "Klasse 5a" }]);
    assert.deepEqual(mail.cc.map((a) => a.address), ["a@schule.example", "b@schule.example", "c@schule.example"]);
    assert.deepEqual(mail.replyTo, [{ address: "sekretariat@schule.example", name: "" }]);
    assert.equal(mail.date?.toISOString(), "2026-03-03T09:15:00.000Z");
    assert.equal(mail.text.trim(), "Liebe Eltern,\nmorgen fällt der Unterricht aus.");
    assert.equal(mail.html, null);
    assert.deepEqual(mail.attachments, []);
    assert.deepEqual(mail.truncated, { parts: false, attachments: false });
    assert.deepEqual(mail.warnings, []);
  });

  it("keeps the raw HTML of an HTML-only mail and derives the text from it", async () => {
    const html = "<html><head><style>p{color:red}</style><script>alert('x')</script></head><body><p>Hallo <b>Welt</b></p><p>Zeile 2</p></body></html>";
    const mail = await parseMail(rawMail(baseHeaders(["Content-Type: text/html; charset=utf-8"]), html));
    assert.equal(mail.html?.trim(), html);
    assert.match(mail.text, /Hallo Welt/);
    assert.match(mail.text, /Zeile 2/);
    assert.doesNotMatch(mail.text, /alert|color:red/);
  });

  it("reads text and HTML of multipart/alternative", async () => {
    const body = multipart("alt", [
      [["Content-Type: text/plain; charset=utf-8"], "Nur Text"],
      [["Content-Type: text/html; charset=utf-8"], "<p>Mit <i>HTML</i></p>"],
    ]);
    const mail = await parseMail(rawMail(baseHeaders(['Content-Type: multipart/alternative; boundary="alt"']), body));
    assert.equal(mail.text.trim(), "Nur Text");
    assert.equal(mail.html?.trim(), "<p>Mit <i>HTML</i></p>");
    assert.deepEqual(mail.attachments, []);
  });

  it("normalises In-Reply-To and References", async () => {
    const mail = await parseMail(
      rawMail(
        [
          "Subject: Re: Ausflug",
          "Message-ID: <Reply-2@Eltern.example> (comment)",
          "In-Reply-To: <Root-1@schule.example> <other@x.example>",
          "References: <Root-1@schule.example>\r\n  <mid-5@schule.example>\r\n\t<Root-1@schule.example> bare@id.example",
        ],
        "ok",
      ),
    );
    assert.equal(mail.messageId, "<Reply-2@Eltern.example>");
    assert.equal(mail.inReplyTo, "<Root-1@schule.example>");
    assert.deepEqual(mail.references, ["<Root-1@schule.example>", "<mid-5@schule.example>", "<bare@id.example>"]);
  });

  it("synthesises a stable Message-ID from the raw bytes when it is missing", async () => {
    const raw = rawMail(["Subject: ohne ID"], "Text");
    const a = await parseMail(raw);
    const b = await parseMail(Buffer.from(raw));
    const c = await parseMail(rawMail(["Subject: ohne ID"], "Anderer Text"));
    assert.match(a.messageId, /^<sha256\.[0-9a-f]{64}@schulhof\.invalid>$/);
    assert.equal(a.messageId, b.messageId);
    assert.notEqual(a.messageId, c.messageId);
    assert.ok(a.warnings.some((w) => /Message-ID fehlt/.test(w) && /Message-ID missing/.test(w)));
  });

  it("returns null for a missing date and null plus a warning for an unreadable one", async () => {
    const missing = await parseMail(rawMail(["Subject: x", "Message-ID: <a@b>"], "x"));
    assert.equal(missing.date, null);
    assert.deepEqual(missing.warnings, []);
    const broken = await parseMail(rawMail(["Subject: x", "Message-ID: <a@b>", "Date: am Dienstag"], "x"));
    assert.equal(broken.date, null);
    assert.ok(broken.warnings.some((w) => /Datum unlesbar/.test(w)));
  });
});

describe("parseMail: charsets and headers", () => {
  it("decodes an RFC 2047 subject and an ISO-8859-1 body", async () => {
    const raw = rawMail(
      [
        "From: =?ISO-8859-1?Q?J=FCrgen_Wei=DF?= <jw@schule.example>",
        "Subject: =?UTF-8?B?R3LDvMOfZSBhdXMgS8O2bG4=?= =?ISO-8859-1?Q?_und_=C4rger?=",
        "Message-ID: <x@y>",
        "Content-Type: text/plain; charset=ISO-8859-1",
        "Content-Transfer-Encoding: 8bit",
      ],
      "Sch\xf6ne Gr\xfc\xdfe, \xc4pfel und \xd6l",
      "latin1",
    );
    const mail = await parseMail(raw);
    assert.equal(mail.subject, "Grüße aus Köln und Ärger");
    assert.equal(mail.from?.name, "Jürgen Weiß");
    assert.equal(mail.text.trim(), "Schöne Grüße, Äpfel und Öl");
    assert.deepEqual(mail.warnings, []);
  });

  it("decodes a quoted-printable ISO-8859-1 body", async () => {
    const raw = rawMail(
      ["Subject: qp", "Message-ID: <x@y>", "Content-Type: text/plain; charset=iso-8859-1", "Content-Transfer-Encoding: quoted-printable"],
      "Stra=DFe und Br=FCcke=\nn",
    );
    assert.equal((await parseMail(raw)).text.trim(), "Straße und Brücken");
  });

  it("reads raw 8-bit headers: UTF-8 as is, other bytes as Windows-1252 with a warning", async () => {
    const utf8 = await parseMail(rawMail(["From: Jürgen <j@schule.example>", "Subject: Grüße aus Köln", "Message-ID: <x@y>"], "x"));
    assert.equal(utf8.subject, "Grüße aus Köln");
    assert.equal(utf8.from?.name, "Jürgen");
    assert.deepEqual(utf8.warnings, []);

    const latin = await parseMail(rawMail(["From: J\xfcrgen <j@schule.example>", "Subject: Gr\xfc\xdfe aus K\xf6ln \x80", "Message-ID: <x@y>"], "x", "latin1"));
    assert.equal(latin.subject, "Grüße aus Köln €");
    assert.deepEqual(latin.from, { address: "j@schule.example", name: "Jürgen" });
    assert.ok(latin.warnings.some((w) => /Betreff als Windows-1252/.test(w)));
  });

  it("reads a body in an unknown charset as UTF-8 and warns", async () => {
    const mail = await parseMail(
      rawMail(["Subject: x", "Message-ID: <x@y>", "Content-Type: text/plain; charset=x-klingonisch"], "Hallo Welt \xe4\xf6", "latin1"),
    );
    assert.match(mail.text, /^Hallo Welt /);
    assert.ok(mail.warnings.some((w) => /Unbekannter Zeichensatz „x-klingonisch“/.test(w) && /unknown charset/.test(w)));
    assert.ok(mail.warnings.some((w) => /Zeichenkodierung/.test(w)));
  });

  it("never decodes UTF-7 (which could smuggle markup)", async () => {
    const mail = await parseMail(rawMail(["Subject: x", "Content-Type: text/plain; charset=utf-7"], "+ADw-script+AD4-alert(1)+ADw-/script+AD4-"));
    assert.doesNotMatch(mail.text, /<script/);
  });

  it("removes control characters and line breaks from the subject and caps it at 998 characters", async () => {
    const injected = await parseMail(rawMail(["Subject: =?UTF-8?Q?Hallo=0D=0ABcc:_x@y.example=07=1B[31m?=", "Message-ID: <x@y>"], "x"));
    assert.equal(injected.subject, "Hallo Bcc: x@y.example[31m");
    const long = await parseMail(rawMail([`Subject: ${"ä".repeat(3000)}`, "Message-ID: <x@y>"], "x"));
    assert.equal([...long.subject].length, 998);
  });
});

describe("parseMail: malformed MIME never throws", () => {
  it("reads the parts of a multipart without closing delimiter", async () => {
    const body = multipart(
      "b1",
      [
        [["Content-Type: text/plain"], "erster Teil"],
        [["Content-Type: application/pdf", 'Content-Disposition: attachment; filename="zeugnis.pdf"', "Content-Transfer-Encoding: base64"], "JVBERi0xLjQK"],
      ],
      false,
    );
    const mail = await parseMail(rawMail(baseHeaders(["Content-Type: multipart/mixed; boundary=b1"]), body));
    assert.equal(mail.text.trim(), "erster Teil");
    assert.equal(mail.attachments.length, 1);
    assert.equal(mail.attachments[0]?.filename, "zeugnis.pdf");
    assert.equal(mail.attachments[0]?.content.toString("latin1"), "%PDF-1.4\n");
  });

  it("survives broken base64 in text and attachment parts", async () => {
    const body = multipart("b", [
      [["Content-Type: text/plain", "Content-Transfer-Encoding: base64"], "SGFsbG8gV2VsdA=!!@@#\r\n***"],
      [["Content-Type: application/octet-stream; name=a.bin", "Content-Transfer-Encoding: base64"], "%%%%===="],
    ]);
    const mail = await parseMail(rawMail(baseHeaders(["Content-Type: multipart/mixed; boundary=b"]), body));
    assert.match(mail.text, /^Hallo Welt/);
    assert.equal(mail.attachments.length, 1);
  });

  it("survives a multipart without boundary, garbage bytes and an empty message", async () => {
    const noBoundary = await parseMail(rawMail(baseHeaders(["Content-Type: multipart/mixed"]), "--x\r\nwhatever\r\n--x--"));
    assert.equal(noBoundary.subject, "Test");
    const garbage = await parseMail(Buffer.from([0, 1, 2, 0xff, 0xfe, 0x0a, 0x0d, 0x0a, 0x00, 0x80, 0x81]));
    assert.equal(typeof garbage.text, "string");
    assert.doesNotMatch(garbage.text, /\p{Cc}/u);
    const empty = await parseMail(Buffer.alloc(0));
    assert.equal(empty.subject, "");
    assert.equal(empty.from, null);
  });

  it("truncates a message with 10,000 parts quickly, with a warning", async () => {
    const parts: Array<[string[], string]> = [[["Content-Type: text/plain"], "Der eigentliche Text"]];
    for (let i = 0; i < 10_000; i++) parts.push([[`Content-Type: application/octet-stream; name=f${i}.bin`], `part ${i}`]);
    const raw = rawMail(baseHeaders(["Content-Type: multipart/mixed; boundary=many"]), multipart("many", parts));
    const started = performance.now();
    const mail = await parseMail(raw);
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 5000, `took ${elapsed} ms`);
    assert.equal(mail.truncated.parts, true);
    assert.ok(mail.warnings.some((w) => /mehr als 1000 MIME-Teile/.test(w) && /more than 1000 MIME parts/.test(w)));
    assert.ok(mail.attachments.length < 1000);
    assert.equal(mail.subject, "Test");
    assert.equal(mail.messageId, "<test-1@schule.example>");
  });

  it("respects a lower maxParts limit", async () => {
    const parts: Array<[string[], string]> = [];
    for (let i = 0; i < 30; i++) parts.push([[`Content-Type: application/octet-stream; name=f${i}.bin`], `part ${i}`]);
    const raw = rawMail(baseHeaders(["Content-Type: multipart/mixed; boundary=b"]), multipart("b", parts));
    const mail = await parseMail(raw, { maxParts: 10 });
    assert.equal(mail.truncated.parts, true);
    assert.ok(mail.attachments.length < 10);
    const all = await parseMail(raw, { maxParts: 100 });
    assert.equal(all.truncated.parts, false);
    assert.equal(all.attachments.length, 30);
  });

  it("rejects only an unreadable message, with a bilingual MailParseError", async () => {
    const hugeHeader = rawMail([`X-Filler: ${"a".repeat(1_200_000)}`, "Subject: x"], "x");
    await assert.rejects(parseMail(hugeHeader), (err: unknown) => {
      assert.ok(err instanceof MailParseError);
      assert.equal(err.reason.de, "Nachricht ist nicht lesbar");
      assert.equal(err.reason.en, "message is unreadable");
      return true;
    });
    await assert.rejects(parseMail("kein Buffer" as unknown as Buffer), MailParseError);
  });
});

describe("parseMail: attachments", () => {
  const zip = Buffer.concat([Buffer.from("PK\x03\x04", "latin1"), Buffer.alloc(26, 0), Buffer.from("evil/../../x.txt"), Buffer.from("PK\x05\x06", "latin1"), Buffer.alloc(18, 0)]);

  it("keeps a zip as one opaque attachment and a nested message/rfc822 as an attachment", async () => {
    const inner = "From: x@evil.example\r\nSubject: Innere Nachricht\r\nContent-Type: text/plain\r\n\r\nInnerer Text\r\n";
    const body = multipart("b", [
      [["Content-Type: text/plain"], "Außen"],
      [["Content-Type: application/zip; name=archiv.zip", "Content-Transfer-Encoding: base64"], zip.toString("base64")],
      [["Content-Type: message/rfc822"], inner],
      [["Content-Type: message/rfc822", "Content-Disposition: inline"], inner],
    ]);
    const mail = await parseMail(rawMail(baseHeaders(["Content-Type: multipart/mixed; boundary=b"]), body));
    assert.equal(mail.text.trim(), "Außen");
    assert.equal(mail.subject, "Test");
    assert.deepEqual(mail.attachments.map((a) => a.contentType), ["application/zip", "message/rfc822", "message/rfc822"]);
    assert.deepEqual(mail.attachments[0]?.content, zip);
    assert.equal(mail.attachments[0]?.filename, "archiv.zip");
    assert.match(mail.attachments[1]?.content.toString() ?? "", /Subject: Innere Nachricht/);
    assert.doesNotMatch(mail.text, /Innerer Text/);
  });

  it("sanitises file names", async () => {
    const names = [
      'filename="../../etc/passwd"',
      'filename="C:\\\\Windows\\\\evil.exe"',
      "filename*=utf-8''a%0D%0Ab%07c%E2%80%AEgpj.exe",
      `filename="${"x".repeat(300)}.pdf"`,
      'filename=".."',
      'filename=""',
      'filename="Zeugnis: 1?*.pdf"',
      "filename*=utf-8''Plan%20%3Cimg%20src%3Dx%20onerror%3D%22window.__pwned%3D1%22%3E.txt",
      "filename*=utf-8''%E2%80%8B.%E2%80%8Bbashrc%20%F0%9F%91%A8%E2%80%8D%F0%9F%91%A9%20%C3%84rger%20%E2%80%B9%C2%AB%E2%80%BA.txt%20.",
    ];
    const body = multipart(
      "b",
      names.map((n, i): [string[], string] => [[`Content-Type: application/octet-stream`, `Content-Disposition: attachment; ${n}`], `data${i}`]),
    );
    const mail = await parseMail(rawMail(baseHeaders(["Content-Type: multipart/mixed; boundary=b"]), body));
    const got = mail.attachments.map((a) => a.filename);
    assert.equal(got.length, names.length);
    assert.equal(got[0], "passwd");
    assert.equal(got[1], "evil.exe");
    assert.equal(got[2], "abcgpj.exe");
    assert.equal(got[3]?.length, 200);
    assert.ok(got[3]?.endsWith(".pdf"));
    assert.equal(got[4], "anhang.bin");
    assert.equal(got[5], "anhang.bin");
    // Punctuation and Unicode stay: the name is as close to the original as is safe (docs/mail.md, "File names").
    assert.equal(got[6], "Zeugnis: 1?*.pdf");
    assert.equal(got[7], 'Plan <img src=x onerror="window.__pwned=1">.txt');
    // Zero-width characters go, a leading dot goes, the emoji joiner stays.
    assert.equal(got[8], "bashrc 👨\u200D👩 Ärger ‹«›.txt");
    for (const name of got) assert.doesNotMatch(name ?? "", /[/\\\p{Cc}\u202E]/u);
  });

  it("reports inline images with their Content-ID", async () => {
    const png = Buffer.from("89504e470d0a1a0a0000000d49484452", "hex");
    const body = multipart("rel", [
      [["Content-Type: text/html"], '<p>Logo: <img src="cid:logo.1@schule.example"></p>'],
      [["Content-Type: image/png", "Content-ID: <logo.1@schule.example>", "Content-Transfer-Encoding: base64"], png.toString("base64")],
    ]);
    const mail = await parseMail(rawMail(baseHeaders(['Content-Type: multipart/related; boundary="rel"']), body));
    assert.match(mail.html ?? "", /cid:logo\.1@schule\.example/);
    assert.equal(mail.attachments.length, 1);
    const [img] = mail.attachments;
    assert.equal(img?.contentId, "logo.1@schule.example");
    assert.equal(img?.inline, true);
    assert.equal(img?.contentType, "image/png");
    assert.deepEqual(img?.content, png);
    assert.equal(img?.size, png.length);
  });

  it("drops attachments beyond the size limits with warnings", async () => {
    const body = multipart("b", [
      [["Content-Type: text/plain"], "Text"],
      [["Content-Type: application/pdf; name=gross.pdf"], "x".repeat(2000)],
      [["Content-Type: application/pdf; name=a.pdf"], "a".repeat(600)],
      [["Content-Type: application/pdf; name=b.pdf"], "b".repeat(600)],
      [["Content-Type: application/pdf; name=c.pdf"], "c".repeat(100)],
    ]);
    const mail = await parseMail(rawMail(baseHeaders(["Content-Type: multipart/mixed; boundary=b"]), body), {
      maxAttachmentBytes: 1000,
      maxTotalAttachmentBytes: 1000,
    });
    assert.deepEqual(mail.attachments.map((a) => a.filename), ["a.pdf", "c.pdf"]);
    assert.equal(mail.truncated.attachments, true);
    assert.ok(mail.warnings.some((w) => /„gross\.pdf“ \(2000 Bytes\) ist zu groß/.test(w) && /is too large/.test(w)));
    assert.ok(mail.warnings.some((w) => /„b\.pdf“.*Gesamtgröße/.test(w)));
  });
});
