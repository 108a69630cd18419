// The pure parts of `schulhof person`: id checks with their German/English texts, the grade record's date, the page's escaping.
import assert from "node:assert/strict";
import { it } from "node:test";
import { keptUntil } from "../../src/person/erase.ts";
import { renderIndex } from "../../src/person/html.ts";
import type { PersonExport } from "../../src/person/export.ts";
import { checkUserId, mapLimit, PersonError } from "../../src/person/synapse.ts";

it("checks a user id: malformed and foreign ids are named in German, then English", () => {
  assert.equal(checkUserId("@anna.alpha:schule.test", "schule.test"), "@anna.alpha:schule.test");
  assert.throws(() => checkUserId("anna", "schule.test"), (e: unknown) => e instanceof PersonError && /^Ungültige Matrix-ID „anna“ \(erwartet @name:schule.test\) \/ invalid Matrix user id "anna"/.test(e.message));
  assert.throws(() => checkUserId(undefined, "schule.test"), PersonError);
  assert.throws(() => checkUserId("@anna:andere.test", "schule.test"), (e: unknown) => e instanceof PersonError && e.user.de.includes("gehört nicht zu dieser Schule") && e.user.en.includes("is not of this school"));
});

it("keeps the grade record until 31 July of the school year's end plus the years", () => {
  assert.equal(keptUntil(new Date("2026-12-07T23:00:00Z"), 5), "2032-07-31");
  assert.equal(keptUntil(new Date("2027-03-01T00:00:00Z"), 5), "2032-07-31");
  assert.equal(keptUntil(new Date("2027-08-01T00:00:00Z"), 0), "2028-07-31");
});

it("escapes every value on the person's page", () => {
  const evil = `<script>alert("x")</script>`;
  const html = renderIndex({
    format: "schulhof-person-export/1", generated_at: "2026-12-07T00:00:00Z", school: { id: "s", name: evil, server_name: "s.test" }, user_id: "@a:s.test",
    account: { displayname: evil }, devices: [], sessions: null, pushers: [],
    rooms: [{ room_id: "!r", name: evil, membership: "join", kind: null, is_direct_or_private: true, joined_members: 2 }],
    messages: [{ room_id: "!r", room_name: evil, event_id: "$e", type: "m.room.message", sent_at: "2026-12-07T00:00:00Z", content: { body: evil }, redacted: false }],
    media: [{ mxc: "mxc://s.test/m", media_id: "m", upload_name: evil, media_type: "text/plain", media_length: 1, created_at: "", file: `media/m_"onclick=x` , quarantined: false }],
    school_roster: null, homework: null, calendar: null, mail: null, admin_actions: { logged: false, note: evil }, not_included: [evil], timings_ms: {},
  } satisfies PersonExport);
  assert.ok(!html.includes("<script>"), "no raw script tag");
  assert.ok(html.includes("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"));
  assert.ok(html.includes(`href="media/m_&quot;onclick=x"`));
});

it("runs at most n at a time and keeps the order", async () => {
  let running = 0;
  let most = 0;
  const out = await mapLimit([5, 1, 3, 2, 4], 2, async (x) => {
    most = Math.max(most, ++running);
    await new Promise((r) => setTimeout(r, x));
    running--;
    return x * 10;
  });
  assert.deepEqual(out, [50, 10, 30, 20, 40]);
  assert.equal(most, 2);
});
