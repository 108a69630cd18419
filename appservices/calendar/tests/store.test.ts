// The projection: the change counter (part of every feed ETag) moves only on real changes; who reads the school calendar.
import assert from "node:assert/strict";
import { it } from "node:test";
import { migrate, openPglite } from "@schulhof/core";
import { CALENDAR_MIGRATIONS } from "../src/store/migrations.ts";
import { calendarsOf, getRoom, mayReadCalendar, saveMember, setRoomField } from "../src/store/rooms.ts";
import { saveEvent } from "../src/store/events.ts";
import type { EventContent } from "../src/model/index.ts";

it("keeps a room's version when a room is read again unchanged, and moves it on a change", async () => {
  const db = await openPglite(null);
  await migrate(db, "calendar", CALENDAR_MIGRATIONS);
  const content = { summary: "Mathe", start: "2026-12-03T08:00", end: "2026-12-03T08:45", all_day: false, tzid: "Europe/Berlin", category: "lesson" } as EventContent;
  const version = async (): Promise<number> => (await getRoom(db, "!r:s"))?.version ?? -1;
  await db.transaction(async (tx) => {
    await setRoomField(tx, "!r:s", "calendar", { name: "Kurs", scope: "course" });
    await setRoomField(tx, "!r:s", "name", "Kurs");
    await saveEvent(tx, { roomId: "!r:s", uid: "u1", content, sender: "@t:s", eventId: "$1", originTs: 1 });
  });
  const v1 = await version();
  await db.transaction(async (tx) => {
    await setRoomField(tx, "!r:s", "calendar", { name: "Kurs", scope: "course" });
    await setRoomField(tx, "!r:s", "name", "Kurs");
    await saveEvent(tx, { roomId: "!r:s", uid: "u1", content, sender: "@t:s", eventId: "$1", originTs: 1 });
  });
  assert.equal(await version(), v1, "unchanged");
  await db.transaction((tx) => saveEvent(tx, { roomId: "!r:s", uid: "u1", content: { ...content, summary: "Mathe (Raum 12)" }, sender: "@t:s", eventId: "$2", originTs: 2 }));
  assert.ok((await version()) > v1, "changed event");
  const v2 = await version();
  await db.transaction((tx) => setRoomField(tx, "!r:s", "calendar", { name: "Kurs Mathe", scope: "course" }));
  assert.ok((await version()) > v2, "renamed calendar");
  await db.close();
});

it("lists the school calendar for the school's own people who belong to one of its rooms, and for nobody else", async () => {
  const db = await openPglite(null);
  await migrate(db, "calendar", CALENDAR_MIGRATIONS);
  await db.transaction(async (tx) => {
    await setRoomField(tx, "!space:schule.test", "school", { name: "Schule" });
    await setRoomField(tx, "!space:schule.test", "calendar", { name: "Schulkalender", scope: "school" });
    await setRoomField(tx, "!kurs:schule.test", "calendar", { name: "Mathe 7a", scope: "course" });
    await saveMember(tx, "!kurs:schule.test", "@anna:schule.test", true);
    await saveMember(tx, "!kurs:schule.test", "@gast:andere.test", true);
    await saveMember(tx, "!kurs:schule.test", "@mia:schule.test", false);
  });
  const ids = async (user: string): Promise<string[]> => (await calendarsOf(db, user)).map((r) => r.roomId);
  assert.deepEqual(await ids("@anna:schule.test"), ["!kurs:schule.test", "!space:schule.test"], "a student of the school reads it without being a member");
  assert.deepEqual(await ids("@gast:andere.test"), ["!kurs:schule.test"], "a guest of a shared course from another school does not");
  assert.deepEqual(await ids("@mia:schule.test"), [], "someone who left every room (deactivated) does not");
  assert.deepEqual(await ids("@fremd:schule.test"), [], "an account in no room does not");
  assert.equal(await mayReadCalendar(db, "!space:schule.test", "@anna:schule.test"), true);
  assert.equal(await mayReadCalendar(db, "!space:schule.test", "@gast:andere.test"), false);
  await db.close();
});
