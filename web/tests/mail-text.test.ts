// The mail pages' pure helpers: the bridge's header lines, quoted parts, address check, sizes, previews and the inbox order.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { inboxEntries } from "../src/features/mail/inbox.ts";
import { isUnread, mailItems, type RawEvent } from "../src/features/mail/items.ts";
import { formatBytes, looksLikeAddress, mailBodyText, previewOf, splitQuoted } from "../src/features/mail/text.ts";

describe("mail text", () => {
  it("drops the bridge's subject line, and a DMARC warning before it", () => {
    assert.equal(mailBodyText("Betreff: Elternabend\n\nGuten Tag,\nbis bald"), "Guten Tag,\nbis bald");
    assert.equal(mailBodyText("⚠️ Absender nicht bestätigt\nSubject: Hi\n\nText"), "Text");
    assert.equal(mailBodyText("Kein Betreff hier\nBetreff: x"), "Kein Betreff hier\nBetreff: x");
    // A mail to several people names them after the subject; the page shows them itself.
    assert.equal(mailBodyText("Betreff: Elternabend\nAn: a@x.de, b@x.de\nCc: c@x.de\n\nGuten Tag"), "Guten Tag");
    assert.equal(mailBodyText("Betreff: Elternabend\n\nAn: alle\nText"), "An: alle\nText", "a line of the text itself stays");
  });

  it("finds quoted parts with their introducing line and gives the text back when joined", () => {
    const text = "Ja, passt.\n\nAm 3. März 2026 um 10:00 schrieb Erna Schmidt <erna@outside.test>:\n> Passt 15 Uhr?\n> Gruß\n\nNachtrag";
    const parts = splitQuoted(text);
    assert.deepEqual(parts.map((p) => p.quoted), [false, true, false]);
    assert.match(parts[1]!.text, /^Am 3\. März .* schrieb .*:\n> Passt 15 Uhr\?\n> Gruß$/);
    assert.equal(parts.map((p) => p.text).join("\n"), text);
    assert.deepEqual(splitQuoted("nur Text"), [{ quoted: false, text: "nur Text" }]);
  });

  it("accepts plain addresses only", () => {
    assert.ok(looksLikeAddress("erna@outside.test"));
    assert.ok(looksLikeAddress(" lena.koehler+ag@schule.de "));
    for (const bad of ["erna", "erna@", "@x.de", "Erna <erna@x.de>", "a b@x.de", "a@b", "a@b@c.de", "a@-b.de"]) assert.ok(!looksLikeAddress(bad), bad);
  });

  it("writes sizes and previews for people", () => {
    assert.equal(formatBytes(820, "de"), "820 Byte");
    assert.equal(formatBytes(3_200_000, "de"), "3,2 MB");
    assert.equal(formatBytes(14_000, "en"), "14 kB");
    assert.equal(previewOf("Betreff: X\n\nHallo   Welt\n> alt"), "Hallo Welt");
    assert.equal(previewOf("a".repeat(200), 10), `${"a".repeat(9)}…`);
  });
});

const ev = (over: Partial<RawEvent> & { content: Record<string, unknown> }): RawEvent => ({ eventId: `$${Math.random()}`, sender: "@_mail_erna=40outside.test:s", type: "m.room.message", ts: 1, pending: false, failed: false, ...over });

describe("mail items", () => {
  it("makes mails, attaches the files that follow a mail of the same sender, and keeps notices apart", () => {
    const items = mailItems(
      [
        ev({ type: "m.room.member", content: {} }),
        ev({ content: { msgtype: "m.text", body: "Betreff: A\n\nHallo", format: "org.matrix.custom.html", formatted_body: "<p>Hallo</p>", "de.schulhof.mail": { from: { name: "Erna", address: "erna@outside.test" }, dmarc: "fail", to: [{ address: "x@y.de" }, 5] } } }),
        ev({ content: { msgtype: "m.file", body: "plan.pdf", url: "mxc://s/abc", info: { size: 1200, mimetype: "application/pdf" } } }),
        ev({ sender: "@mail:s", content: { msgtype: "m.notice", body: "Neue E-Mail" } }),
        ev({ sender: "@me:s", content: { msgtype: "m.file", body: "x.txt", url: "mxc://s/x" } }),
        ev({ sender: "@me:s", content: { msgtype: "m.file", body: "bad", url: "https://evil.example/x" } }),
      ],
      "@me:s",
    );
    assert.equal(items.length, 3);
    const [first, notice, own] = items;
    assert.ok(first?.kind === "mail" && notice?.kind === "notice" && own?.kind === "mail");
    assert.equal(first.html, "<p>Hallo</p>");
    assert.deepEqual(first.from, { name: "Erna", address: "erna@outside.test" });
    assert.deepEqual(first.to, [{ name: "", address: "x@y.de" }]);
    assert.equal(first.dmarcFailed, true);
    assert.deepEqual(first.attachments.map((a) => [a.name, a.size, a.mimetype]), [["plan.pdf", 1200, "application/pdf"]]);
    assert.equal(own.own, true);
    assert.equal(own.attachments.length, 1, "the file with a non-mxc URL is left out");
  });

  it("counts an invitation as unread, and a joined room by the read receipt of its newest incoming mail", () => {
    assert.equal(isUnread("invite", null, () => false), true);
    assert.equal(isUnread("join", "$a", () => false), true);
    assert.equal(isUnread("join", "$a", () => true), false);
    assert.equal(isUnread("join", null, () => false), false);
    assert.equal(isUnread("leave", "$a", () => false), false);
  });

  it("orders the inbox by last activity, then in the bridge's order, unknown rooms unread", () => {
    const convs = [
      { room_id: "!a", subject: "A", with: ["a@x.de"] },
      { room_id: "!b", subject: "B", with: ["b@x.de"] },
      { room_id: "!c", subject: "C", with: ["c@x.de"] },
      { room_id: "!d", subject: "D", with: ["d@x.de"] },
    ];
    const facts: Record<string, { unread: boolean; lastTs: number | null; preview: string }> = {
      "!a": { unread: false, lastTs: 10, preview: "" },
      "!b": { unread: true, lastTs: 30, preview: "neu" },
      "!c": { unread: false, lastTs: null, preview: "" },
    };
    const entries = inboxEntries(convs, (id) => facts[id] ?? null);
    assert.deepEqual(entries.map((e) => e.roomId), ["!b", "!a", "!c", "!d"]);
    assert.equal(entries.find((e) => e.roomId === "!d")?.unread, true);
  });
});
