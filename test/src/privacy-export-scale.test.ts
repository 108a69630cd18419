// The size target of #17 for `schulhof person export`: a student's school year (here 40 rooms, 2,270 messages, one
// room past the 1,000-event page, 30 files of 100 KB) exported in under 30 s, against a real Synapse on PostgreSQL.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { unzipSync, strFromU8 } from "fflate";
import { REPO_ROOT } from "@schulhof/homeserver-config";
import { startPrivacySchool, type PrivacySchool } from "./harness/privacy-school.ts";

const ROSTER = `Rolle;Vorname;Nachname;Klasse;Kurse
Lehrer;Jürgen;Müller;7a;Mathematik 7a
Schüler;Anna;Alpha;7a;Mathematik 7a
`;
const ROOMS = 40;
const BIG_ROOM = 1_100;
const PER_ROOM = 30;
const FILES = 30;
const enc = encodeURIComponent;

async function pool<T>(items: T[], n: number, fn: (x: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (i < items.length) await fn(items[i++] as T);
  }));
}

describe("schulhof person export of a school year", { concurrency: false }, () => {
  let s: PrivacySchool;
  let anna = "";
  let token = "";
  let expected = 0;

  before(async () => {
    s = await startPrivacySchool(`pscale${randomBytes(3).toString("hex")}`, ROSTER, { synapseOnPostgres: true });
    anna = await s.userOf("Anna");
    // Filled as Anna through the school appservice's token (its namespace holds every person; appservices are not rate
    // limited): a year of a person's messages written in a minute instead of Synapse's limits for one client.
    token = s.gen.secrets.appservices.school?.as_token ?? "";
    assert.ok(token !== "");
  });
  after(async () => {
    await s?.stop();
  });

  it(`fills a year: ${ROOMS} rooms, ${BIG_ROOM + (ROOMS - 1) * PER_ROOM} messages, ${FILES} files`, async () => {
    const t0 = performance.now();
    const rooms: string[] = [];
    for (let r = 0; r < ROOMS; r++) rooms.push((await s.call<{ room_id: string }>(token, "POST", `/_matrix/client/v3/createRoom?user_id=${enc(anna)}`, { name: `Raum ${r}`, preset: "private_chat" })).room_id);
    const sends: { room: string; n: number }[] = [];
    rooms.forEach((room, r) => {
      for (let n = 0; n < (r === 0 ? BIG_ROOM : PER_ROOM); n++) sends.push({ room, n });
    });
    await pool(sends, 6, async ({ room, n }) => {
      await s.call(token, "PUT", `/_matrix/client/v3/rooms/${enc(room)}/send/m.room.message/y${n}-${randomBytes(4).toString("hex")}?user_id=${enc(anna)}`, { msgtype: "m.text", body: `Nachricht ${n} im Schuljahr` });
    });
    const files = Array.from({ length: FILES }, (_, i) => i);
    await pool(files, 3, async (i) => {
      const up = await s.call<{ content_uri: string }>(token, "POST", `/_matrix/media/v3/upload?filename=blatt-${i}.bin&user_id=${enc(anna)}`, randomBytes(100 * 1024), "application/octet-stream");
      await s.call(token, "PUT", `/_matrix/client/v3/rooms/${enc(rooms[i % ROOMS] ?? "")}/send/m.room.message/f${i}?user_id=${enc(anna)}`, { msgtype: "m.file", body: `blatt-${i}.bin`, url: up.content_uri });
    });
    expected = sends.length + FILES;
    process.stderr.write(`year filled in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  });

  it("exports it in under 30 s with every message and file", () => {
    const file = join(s.dataDir, "jahr.zip");
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [join(REPO_ROOT, "cli", "src", "main.ts"), "person", "export", anna, file, "--data", s.dataDir], { encoding: "utf8", timeout: 120_000 });
    const seconds = (performance.now() - t0) / 1000;
    assert.equal(r.status, 0, r.stderr);
    process.stderr.write(`export of a year: ${seconds.toFixed(1)} s (CLI process); ${r.stdout}`);
    const zip = unzipSync(new Uint8Array(readFileSync(file)));
    const data = JSON.parse(strFromU8(zip["data.json"] ?? new Uint8Array())) as { messages: { type: string; room_name: string }[]; media: { file: string | null }[]; timings_ms: Record<string, number> };
    process.stderr.write(`timings: ${JSON.stringify(data.timings_ms)}\n`);
    const sent = data.messages.filter((m) => m.type === "m.room.message");
    assert.equal(sent.length, expected, "every message, also past the first page of the big room");
    assert.equal(sent.filter((m) => m.room_name === "Raum 0").length, BIG_ROOM + 1);
    assert.equal(data.media.filter((m) => m.file !== null).length, FILES);
    assert.ok(seconds < 30, `export took ${seconds.toFixed(1)} s`);
  });
});
