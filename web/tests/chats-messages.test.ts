// What the chat client sends (reply, edit, reaction, file) and how it cleans what it receives (reply fallbacks).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  editContent,
  fileContent,
  formatSize,
  isMxcUrl,
  isSendKey,
  messageKind,
  reactionContent,
  replyContent,
  shortText,
  stripHtmlReplyFallback,
  stripReplyFallback,
} from "../src/features/chats/message-content.ts";

describe("contents the client sends", () => {
  it("replies with a relation and a mention of the original's sender (not of oneself)", () => {
    assert.deepEqual(replyContent("Ja!", { eventId: "$e", sender: "@lena:x" }, "@tom:x"), {
      msgtype: "m.text",
      body: "Ja!",
      "m.relates_to": { "m.in_reply_to": { event_id: "$e" } },
      "m.mentions": { user_ids: ["@lena:x"] },
    });
    assert.deepEqual(replyContent("Ja", { eventId: "$e", sender: "@tom:x" }, "@tom:x")["m.mentions"], { user_ids: [] });
  });

  it("edits with m.new_content and a readable fallback", () => {
    assert.deepEqual(editContent("neu", "$e"), {
      msgtype: "m.text",
      body: "* neu",
      "m.new_content": { msgtype: "m.text", body: "neu" },
      "m.relates_to": { rel_type: "m.replace", event_id: "$e" },
    });
  });

  it("reacts with an annotation", () => {
    assert.deepEqual(reactionContent("$e", "👍"), { "m.relates_to": { rel_type: "m.annotation", event_id: "$e", key: "👍" } });
  });

  it("sends images as m.image with their size, other files as m.file", () => {
    assert.deepEqual(fileContent({ name: "tafel.png", mimetype: "image/png", size: 1234, mxcUrl: "mxc://s/abc", width: 640, height: 480 }), {
      msgtype: "m.image",
      body: "tafel.png",
      filename: "tafel.png",
      url: "mxc://s/abc",
      info: { mimetype: "image/png", size: 1234, w: 640, h: 480 },
    });
    assert.equal(fileContent({ name: "a.pdf", mimetype: "application/pdf", size: 1, mxcUrl: "mxc://s/x" }).msgtype, "m.file");
  });
});

describe("received contents", () => {
  it("strips the quote older clients put before replies", () => {
    assert.equal(stripReplyFallback("> <@a:x> Hallo\n> zweite Zeile\n\nAntwort"), "Antwort");
    assert.equal(stripReplyFallback("Keine Antwort"), "Keine Antwort");
  });

  it("strips the mx-reply block of formatted replies", () => {
    assert.equal(stripHtmlReplyFallback("<mx-reply><blockquote>alt</blockquote></mx-reply>neu"), "neu");
  });

  it("accepts only mxc URLs for media", () => {
    assert.equal(isMxcUrl("mxc://schule.test/AbC_1-2"), true);
    assert.equal(isMxcUrl("https://evil.example/x.png"), false);
    assert.equal(isMxcUrl("mxc://schule.test/../x"), false);
    assert.equal(isMxcUrl(42), false);
  });

  it("sorts message types into the kinds the timeline draws", () => {
    assert.equal(messageKind("m.room.message", "m.notice"), "notice");
    assert.equal(messageKind("m.room.message", "m.image"), "image");
    assert.equal(messageKind("m.room.message", "m.video"), "file");
    assert.equal(messageKind("m.sticker", undefined), "image");
    assert.equal(messageKind("m.room.message", "org.example.custom"), "text");
  });

  it("shortens text to one line", () => {
    assert.equal(shortText("a\n  b"), "a b");
    assert.equal(shortText("x".repeat(10), 5), "xxxx…");
  });
});

describe("keys and sizes", () => {
  const key = (over: Partial<Parameters<typeof isSendKey>[0]>): boolean =>
    isSendKey({ key: "Enter", shiftKey: false, isComposing: false, altKey: false, ctrlKey: false, metaKey: false, ...over });

  it("sends on Enter, not on Shift+Enter or while composing", () => {
    assert.equal(key({}), true);
    assert.equal(key({ shiftKey: true }), false);
    assert.equal(key({ isComposing: true }), false);
    assert.equal(key({ key: "a" }), false);
  });

  it("formats sizes in the locale", () => {
    assert.equal(formatSize(512, "de"), "512 B");
    assert.equal(formatSize(3_400_000, "de"), "3,4 MB");
    assert.equal(formatSize(25_000_000, "en"), "25 MB");
  });
});
