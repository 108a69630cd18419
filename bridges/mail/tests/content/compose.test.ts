// composeMail (MailComposer, header injection) and validateAddressList.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { simpleParser } from "mailparser";
import { composeMail, MailComposeError, validateAddressList, type ComposeInput } from "../../src/content/compose.ts";
import { parseMail } from "../../src/content/parse.ts";

const base: ComposeInput = {
  from: { address: "klasse5a@schulhof.example", name: "Klasse 5a" },
  to: ["eltern@familie.example"],
  subject: "Wandertag",
  text: "Liebe Eltern,\nbitte Brotzeit mitgeben.",
  messageId: "<out-1@schulhof.example>",
  date: new Date("2026-03-03T09:15:00Z"),
};

/** The header section of a raw message as lines (unfolded). */
function headerLines(raw: Buffer): string[] {
  const text = raw.toString("latin1");
  return text.slice(0, text.indexOf("\r\n\r\n")).replace(/\r\n[ \t]/g, " ").split("\r\n");
}

describe("composeMail", () => {
  it("cannot be used for header injection through the subject or the sender name", async () => {
    const raw = await composeMail({
      ...base,
      from: { address: "klasse5a@schulhof.example", name: "Klasse\r\nBcc: victim2@example.org" },
      subject: "Hallo\r\nBcc: victim@example.org",
    });
    const lines = headerLines(raw);
    assert.ok(!lines.some((l) => /^bcc:/i.test(l)), lines.join("\n"));
    assert.equal(lines.filter((l) => /^subject:/i.test(l)).length, 1);
    const parsed = await simpleParser(raw);
    assert.equal(parsed.headers.has("bcc"), false);
    assert.equal(parsed.subject, "Hallo Bcc: victim@example.org");
    assert.equal(parsed.from?.value[0]?.name, "Klasse Bcc: victim2@example.org");
    assert.deepEqual(parsed.to && !Array.isArray(parsed.to) ? parsed.to.value.map((a) => a.address) : [], ["eltern@familie.example"]);
    assert.ok(!/victim/.test(raw.toString("latin1").slice(raw.indexOf("\r\n\r\n"))));
  });

  it("neutralises other control characters and a bare LF", async () => {
    const raw = await composeMail({ ...base, subject: "A\nX-Evil: 1\u0000\u0007\u001b[0m B\u202E" });
    assert.ok(!headerLines(raw).some((l) => /^x-evil/i.test(l)));
    assert.equal((await simpleParser(raw)).subject, "A X-Evil: 1[0m B");
  });

  it("encodes umlauts and writes threading headers, attachments and HTML", async () => {
    const raw = await composeMail({
      ...base,
      from: { address: "klasse5a@schulhof.example", name: "Jürgen Weiß" },
      cc: ["Lehrer@Schule.example"],
      subject: "Grüße zum Schulfest – Anmeldung",
      text: "Schöne Grüße\nÄpfel",
      html: "<p>Schöne <b>Grüße</b></p>",
      inReplyTo: "<orig-1@familie.example>",
      references: ["<root@schule.example>", "bogus id with spaces", "<orig-1@familie.example>"],
      attachments: [{ filename: "../../Einladung\r\n.pdf", contentType: "application/pdf", content: Buffer.from("%PDF-1.4\n") }],
    });
    assert.ok(!/[\x80-\xff]/.test(headerLines(raw).join("\n")), "headers must be 7-bit");
    const mail = await parseMail(raw);
    assert.equal(mail.subject, "Grüße zum Schulfest – Anmeldung");
    assert.deepEqual(mail.from, { address: "klasse5a@schulhof.example", name: "Jürgen Weiß" });
    assert.deepEqual(mail.cc.map((a) => a.address), ["Lehrer@schule.example"]);
    assert.equal(mail.messageId, "<out-1@schulhof.example>");
    assert.equal(mail.inReplyTo, "<orig-1@familie.example>");
    assert.deepEqual(mail.references, ["<root@schule.example>", "<bogus>", "<orig-1@familie.example>"]);
    assert.equal(mail.date?.toISOString(), "2026-03-03T09:15:00.000Z");
    assert.equal(mail.text.trim(), "Schöne Grüße\nÄpfel");
    assert.match(mail.html ?? "", /Schöne <b>Grüße<\/b>/);
    assert.equal(mail.attachments.length, 1);
    assert.equal(mail.attachments[0]?.filename, "Einladung.pdf");
    assert.equal(mail.attachments[0]?.content.toString(), "%PDF-1.4\n");
    assert.ok(raw.includes("\r\n"));
    assert.ok(!/[^\r]\n/.test(raw.toString("latin1")), "only CRLF line endings");
  });

  it("keeps attachment names with punctuation and Unicode through composing and parsing, in 7-bit headers", async () => {
    const names = ['Plan <img src=x onerror="window.__pwned=1">.txt', "Zeugnis „Müller“ (2026): 1/2?*.pdf", "a;b=c, 'd'.txt", "日本語 ✓.png"];
    const raw = await composeMail({ ...base, attachments: names.map((filename) => ({ filename, contentType: "text/plain", content: Buffer.from(filename) })) });
    assert.ok(!/[\x80-\xff]/.test(headerLines(raw).join("\n")), "headers must be 7-bit");
    const mail = await parseMail(raw);
    // A slash is a path separator: only the part after it stays.
    assert.deepEqual(mail.attachments.map((a) => a.filename), [names[0], "2?*.pdf", names[2], names[3]]);
    const parsed = await simpleParser(raw);
    assert.deepEqual(parsed.attachments.map((a) => a.filename), [names[0], "2?*.pdf", names[2], names[3]]);
  });

  it("refuses invalid senders, recipients, Message-IDs and dates with bilingual errors", async () => {
    const cases: Array<[Partial<ComposeInput>, RegExp]> = [
      [{ to: ["Eltern <eltern@familie.example>"] }, /Ungültige Adresse.*invalid address/],
      [{ to: [] }, /Keine Empfänger.*no recipients/],
      [{ cc: ["nicht-gueltig"] }, /Ungültige Adresse/],
      [{ to: Array.from({ length: 60 }, (_, i) => `a${i}@x.example`), cc: Array.from({ length: 60 }, (_, i) => `b${i}@x.example`) }, /Zu viele Empfänger.*too many recipients/],
      [{ from: { address: "kein absender", name: "x" } }, /Ungültige Absenderadresse.*invalid sender address/],
      [{ messageId: "" }, /Ungültige Message-ID/],
      [{ date: new Date("kaputt") }, /Ungültiges Datum/],
    ];
    for (const [patch, message] of cases) {
      await assert.rejects(composeMail({ ...base, ...patch }), (err: unknown) => {
        assert.ok(err instanceof MailComposeError);
        assert.match(err.message, message);
        assert.ok(err.reason.de && err.reason.en);
        return true;
      });
    }
  });
});

describe("validateAddressList", () => {
  it("accepts bare addresses, deduplicates and converts Unicode domains", () => {
    const r = validateAddressList([" eltern@familie.example ", "ELTERN@Familie.Example", "", "o'neil+schule@sub.schule.example", "anna@müller.example"], 100);
    assert.deepEqual(r, {
      ok: true,
      valid: ["eltern@familie.example", "o'neil+schule@sub.schule.example", "anna@xn--mller-kva.example"],
      invalid: [],
      tooMany: false,
      reason: null,
    });
  });

  it("rejects display names, malformed addresses and injection attempts", () => {
    const bad = [
      "Eltern <eltern@familie.example>",
      "eltern@familie",
      "a@@familie.example",
      "a b@familie.example",
      "eltern@familie.example\r\nBcc: x@y.example",
      '"quoted"@familie.example',
      "eltern@[127.0.0.1]",
      ".eltern@familie.example",
      "eltern@-familie.example",
      "eltern@familie..example",
      "eltern@familie.example,b@c.example",
      `${"a".repeat(65)}@familie.example`,
    ];
    const r = validateAddressList(["ok@familie.example", ...bad], 100);
    assert.equal(r.ok, false);
    assert.deepEqual(r.valid, ["ok@familie.example"]);
    assert.equal(r.invalid.length, bad.length);
    assert.ok(r.invalid.every((s) => !/[\r\n]/.test(s)));
    assert.match(r.reason ?? "", /^Ungültige Adresse\(n\): .* \/ invalid address\(es\): /);
  });

  it("reports too many and no recipients", () => {
    const many = validateAddressList(Array.from({ length: 101 }, (_, i) => `p${i}@schule.example`), 100);
    assert.equal(many.ok, false);
    assert.equal(many.tooMany, true);
    assert.equal(many.reason, "Zu viele Empfänger (höchstens 100) / too many recipients (at most 100)");
    assert.equal(validateAddressList(Array.from({ length: 100 }, (_, i) => `p${i}@schule.example`)).ok, true);
    const none = validateAddressList(["  "], 100);
    assert.equal(none.ok, false);
    assert.equal(none.reason, "Keine Empfänger angegeben / no recipients given");
  });
});
