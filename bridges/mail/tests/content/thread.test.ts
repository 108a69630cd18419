// Threading keys of a reply and subject normalisation for display.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseMail } from "../../src/content/parse.ts";
import { normaliseSubject, threadKey, threadKeys } from "../../src/content/thread.ts";
import { rawMail } from "./fixtures.ts";

describe("threadKeys", () => {
  it("lists Message-ID, In-Reply-To and References of a reply, normalised and deduplicated", async () => {
    const reply = await parseMail(
      rawMail(
        [
          "From: eltern@familie.example",
          "Subject: AW: Wandertag",
          "Message-ID: <Antwort-7@Familie.Example>",
          "In-Reply-To:  <Msg-2@Schule.Example>",
          "References: <Root-1@Schule.Example>\r\n <msg-2@schule.example>",
        ],
        "Wir kommen mit.",
      ),
    );
    assert.deepEqual(threadKeys(reply), ["<antwort-7@familie.example>", "<msg-2@schule.example>", "<root-1@schule.example>"]);
  });

  it("works for a first mail without references", () => {
    assert.deepEqual(threadKeys({ messageId: "<A@B>", inReplyTo: null, references: [] }), ["<a@b>"]);
  });

  it("normalises single ids and rejects unusable ones", () => {
    assert.equal(threadKey("  x@Y "), "<x@y>");
    assert.equal(threadKey("<x@Y> (Kommentar)"), "<x@y>");
    assert.equal(threadKey(""), null);
    assert.equal(threadKey(null), null);
    assert.equal(threadKey(`<${"a".repeat(300)}@x>`), null);
  });
});

describe("normaliseSubject", () => {
  const cases: Array<[string, string]> = [
    ["Re: Ausflug", "Ausflug"],
    ["AW: AW: Re: Ausflug", "Ausflug"],
    ["aw:wg: fwd: FW: Antw: Ausflug", "Ausflug"],
    ["RE[2]: Ausflug", "Ausflug"],
    ["Re : Ausflug", "Ausflug"],
    ["[klasse-5a] AW: [klasse-5a] Re: Elternabend am Montag", "Elternabend am Montag"],
    ["WG: Re:   Zeugnisse\r\n 2026", "Zeugnisse 2026"],
    ["Regeln für den Wandertag", "Regeln für den Wandertag"],
    ["Aweh: kein Präfix", "Aweh: kein Präfix"],
    ["Re:", "Re:"],
    ["", ""],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} → ${JSON.stringify(expected)}`, () => {
      assert.equal(normaliseSubject(input), expected);
    });
  }
});
