// Letters from a web import: a real PDF, only for the admin who imported, gone after a quarter of an hour.
import assert from "node:assert/strict";
import { describe, it, mock } from "node:test";
import { LetterStore, lettersPdf } from "../../src/api/web.ts";

describe("credential letters for the web admin", () => {
  it("renders one page per person and hands it only to its owner", async () => {
    const pdf = await lettersPdf(
      [
        { userId: "@lena.koehler:s.test", localpart: "lena.koehler", displayName: "Lena Köhler", role: "student", className: "7a", password: "geheim-1" },
        { userId: "@j.weiss:s.test", localpart: "j.weiss", displayName: "Jürgen Weiß", role: "teacher", className: null, password: "geheim-2" },
      ],
      { name: "Testschule", loginUrl: "http://127.0.0.1:8080", homeserver: "s.test" },
      "de",
    );
    assert.equal(pdf.subarray(0, 5).toString(), "%PDF-");
    assert.equal((pdf.toString("latin1").match(/\/Type \/Page\b/g) ?? []).length, 2);
    const store = new LetterStore();
    const id = store.put(pdf, "@admin:s.test");
    assert.ok(/^[A-Za-z0-9_-]{24}$/.test(id));
    assert.equal(store.get(id, "@admin:s.test"), pdf);
    assert.equal(store.get(id, "@other-admin:s.test"), null);
    assert.equal(store.get(id, "cli"), null);
    assert.equal(store.get("x", "@admin:s.test"), null);
  });

  it("forgets letters after 15 minutes", () => {
    mock.timers.enable({ apis: ["Date"], now: 1_000_000 });
    try {
      const store = new LetterStore();
      const id = store.put(Buffer.from("%PDF-"), "@admin:s.test");
      mock.timers.tick(14 * 60_000);
      assert.notEqual(store.get(id, "@admin:s.test"), null);
      mock.timers.tick(2 * 60_000);
      assert.equal(store.get(id, "@admin:s.test"), null);
    } finally {
      mock.timers.reset();
    }
  });
});
