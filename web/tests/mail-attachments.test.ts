// The mail pages' helpers for one mail with its files, the bridge's notice of an API mail, the inbox's activity and pages, and the limits.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { inboxEntries, joinPages } from "../src/features/mail/inbox.ts";
import { ATTACHMENTS_KEY, mailItems, SENT_KEY, type RawEvent } from "../src/features/mail/items.ts";
import { limitProblem } from "../src/features/mail/limits.ts";
import { formatLimit } from "../src/features/mail/text.ts";

const ME = "@me:s";
const BRIDGE = "@mail:s";
let n = 0;
const ev = (sender: string, content: Record<string, unknown>): RawEvent => ({ eventId: `$e${++n}`, sender, type: "m.room.message", ts: n, pending: false, failed: false, content });

describe("one mail with its files", () => {
  it("shows the files a reply lists as its attachments, leaving out entries without an mxc URI", () => {
    const [mail] = mailItems(
      [
        ev(ME, {
          msgtype: "m.text",
          body: "Anbei",
          [ATTACHMENTS_KEY]: [{ mxc: "mxc://s/a", name: "Plan <img src=x>.txt", type: "text/plain", size: 12 }, { mxc: "https://evil.example/x", name: "x" }, "kaputt", { mxc: "mxc://s/b", name: "b.png" }],
        }),
      ],
      ME,
      BRIDGE,
    );
    assert.ok(mail?.kind === "mail");
    assert.equal(mail.own, true);
    assert.equal(mail.body, "Anbei");
    assert.deepEqual(mail.attachments.map((a) => [a.name, a.mxc, a.size, a.mimetype]), [["Plan <img src=x>.txt", "mxc://s/a", 12, "text/plain"], ["b.png", "mxc://s/b", null, null]]);
    assert.equal(new Set(mail.attachments.map((a) => a.eventId)).size, 2, "each attachment has its own key");
  });

  it("shows the bridge's notice of a mail written through the API as the user's own mail, and only that", () => {
    const sent = { by: ME, text: "Liebe Frau Schmidt", attachments: [{ mxc: "mxc://s/f", name: "formular.txt", type: "text/plain", size: 15 }] };
    const items = mailItems(
      [
        ev(BRIDGE, { msgtype: "m.notice", body: "✉️ Liebe Frau Schmidt\n📎 formular.txt", [SENT_KEY]: sent }),
        // Someone else claiming the notice, or the bridge's notice for another user, stay notices.
        ev("@_mail_erna=40outside.test:s", { msgtype: "m.notice", body: "gefälscht", [SENT_KEY]: sent }),
        ev(BRIDGE, { msgtype: "m.notice", body: "fremd", [SENT_KEY]: { ...sent, by: "@other:s" } }),
        ev(BRIDGE, { msgtype: "m.notice", body: "Neue E-Mail an erna@outside.test" }),
      ],
      ME,
      BRIDGE,
    );
    assert.deepEqual(items.map((i) => i.kind), ["mail", "notice", "notice", "notice"]);
    const mail = items[0];
    assert.ok(mail?.kind === "mail");
    assert.equal(mail.own, true);
    assert.equal(mail.sender, ME);
    assert.equal(mail.body, "Liebe Frau Schmidt");
    assert.equal(mail.html, null);
    assert.deepEqual(mail.attachments.map((a) => a.name), ["formular.txt"]);
    // Without knowing the bridge, the client trusts no such notice.
    assert.equal(mailItems([ev(BRIDGE, { msgtype: "m.notice", body: "x", [SENT_KEY]: sent })], ME).at(0)?.kind, "notice");
  });
});

describe("the inbox with the bridge's activity and pages", () => {
  it("orders by the later of the room's and the bridge's activity", () => {
    const convs = [
      { room_id: "!a", subject: "A", with: [], last_activity: 50 },
      { room_id: "!b", subject: "B", with: [], last_activity: 20 },
      { room_id: "!c", subject: "C", with: [], last_activity: 0 },
    ];
    const facts: Record<string, { unread: boolean; lastTs: number | null; preview: string }> = { "!b": { unread: false, lastTs: 90, preview: "" }, "!a": { unread: false, lastTs: 10, preview: "" } };
    const entries = inboxEntries(convs, (id) => facts[id] ?? null);
    assert.deepEqual(entries.map((e) => [e.roomId, e.lastTs]), [["!b", 90], ["!a", 50], ["!c", null]]);
  });

  it("joins pages, each conversation once", () => {
    assert.deepEqual(joinPages([[{ room_id: "!a" }, { room_id: "!b" }], [{ room_id: "!b" }, { room_id: "!c" }]]).map((c) => c.room_id), ["!a", "!b", "!c"]);
  });
});

describe("the limits of one mail", () => {
  it("refuses too many files and too many bytes together, before uploading", () => {
    const limits = { maxAttachmentBytes: 1000, maxAttachments: 2 };
    assert.equal(limitProblem([], limits), null);
    assert.equal(limitProblem([400, 600], limits), null);
    assert.deepEqual(limitProblem([400, 601], limits), { kind: "too_large", maxBytes: 1000 });
    assert.deepEqual(limitProblem([1, 1, 1], limits), { kind: "too_many", max: 2 });
  });

  it("writes a limit in the school's megabytes", () => {
    assert.equal(formatLimit(25 * 1_048_576, "de"), "25 MB");
    assert.equal(formatLimit(1_572_864, "en"), "1.5 MB");
  });
});
