// The mail API in-process against PGlite and a stand-in homeserver: a new mail with attachments leaves as one
// MIME message (and the refusals: too large, another server's media, missing media, school rules), the policy for
// admins only, and the conversations with their last activity a page at a time. Answers match the OpenAPI file.
import assert from "node:assert/strict";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import type { Server } from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, beforeEach, describe, it } from "node:test";
import express from "express";
import { parse } from "yaml";
import { simpleParser } from "mailparser";
import { issueSession, type Db, type OutboxAction } from "@schulhof/core";
import { mailApi, MAIL_API_PREFIX, SENT_KEY } from "../src/api.ts";
import type { MailBridgeConfig } from "../src/config.ts";
import { saveConversation } from "../src/conversations.ts";
import type { OutgoingEnv } from "../src/outgoing.ts";
import { MailPolicySchema } from "../src/policy/index.ts";
import { AS_TOKEN, fakeContext, fakeDirectory, SERVER, startFakeHomeserver, type FakeHomeserver } from "./fake-homeserver.ts";
import { freshDb } from "./outbound/support.ts";

const SECRET = "s".repeat(40);
const TEACHER = `@juergen.mueller:${SERVER}`;
const STUDENT = `@lena.koehler:${SERVER}`;
const ADMIN = `@birgit.schaefer:${SERVER}`;
const LIMIT = 64 * 1024;

const spec = parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), "..", "openapi.yaml"), "utf8")) as {
  components: { schemas: Record<string, { required?: string[]; properties?: Record<string, unknown> }> };
};
/** The object carries every required field of the schema and no undocumented one. */
function assertShape(value: unknown, schema: string): void {
  const s = spec.components.schemas[schema];
  assert.ok(s !== undefined, `no schema ${schema}`);
  const keys = Object.keys(value as object);
  for (const k of s.required ?? []) assert.ok(keys.includes(k), `${schema}: ${k} missing in ${JSON.stringify(value)}`);
  for (const k of keys) assert.ok(Object.keys(s.properties ?? {}).includes(k), `${schema}: ${k} is not documented`);
}

let db: Db;
let hs: FakeHomeserver;
let base = "";
let server: Server;
const sent: OutboxAction[] = [];
let roomsMade: () => number = () => 0;

type Json = Record<string, unknown>;
async function call(user: string | null, method: string, path: string, body?: unknown, lang = "de"): Promise<{ status: number; json: Json }> {
  const headers: Record<string, string> = { "accept-language": lang };
  if (user !== null) headers.authorization = `Bearer ${issueSession(user, SECRET).token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${base}${MAIL_API_PREFIX}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: res.status, json: (await res.json()) as Json };
}

const outboundRows = async (): Promise<{ raw: Buffer; rcpt_to: unknown; room_id: string }[]> =>
  (await db.query<{ raw: Buffer; rcpt_to: unknown; room_id: string }>(`SELECT raw, rcpt_to, room_id FROM outbound ORDER BY id`)).rows.map((r) => ({ ...r, raw: Buffer.from(r.raw) }));

before(async () => {
  db = await freshDb();
  hs = await startFakeHomeserver([
    { localpart: "juergen.mueller", role: "teacher" },
    { localpart: "lena.koehler", role: "student" },
    { localpart: "birgit.schaefer", role: "admin" },
    { localpart: "alt.admin", role: "admin", active: false },
  ]);
  const ctx = fakeContext(db, hs, sent);
  roomsMade = ctx.roomsMade;
  const policy = MailPolicySchema.parse({ max_message_mb: LIMIT / (1024 * 1024), outbound_allowlist: ["*.bildung.example"] });
  const config = { sessionSecret: SECRET, trustedHomeservers: { [SERVER]: hs.url }, mailDomain: SERVER } as unknown as MailBridgeConfig;
  const outEnv: OutgoingEnv = { serverName: SERVER, mailDomain: SERVER, lang: "de", policy, verpSecret: "v".repeat(20), botUserId: `@mail:${SERVER}`, maxAttachmentBytes: LIMIT };
  const app = express();
  mailApi(app, ctx, { config, directory: fakeDirectory(hs), outEnv, kick: () => undefined });
  server = app.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`;
});

after(async () => {
  server?.closeAllConnections();
  await new Promise<void>((r) => (server === undefined ? r() : server.close(() => r())));
  await hs?.close();
  await db?.close();
});

beforeEach(() => {
  sent.length = 0;
  hs.downloads.length = 0;
});

describe("POST /mails with attachments", () => {
  it("sends the text and every attachment as one mail, downloaded with the bridge's token, and shows it in the room", async () => {
    hs.media.set("plan1", { body: Buffer.from("Hallo Anhang"), type: "text/plain" });
    hs.media.set("bild2", { body: Buffer.from([0x89, 0x50, 0x4e, 0x47]), type: "image/png" });
    const name = 'Plan <img src=x onerror="window.__pwned=1">.txt';
    const r = await call(TEACHER, "POST", "/mails", {
      to: "erna@outside.test",
      subject: "Wandertag\r\nBcc: evil@x.test",
      text: "Liebe Frau Schmidt, anbei zwei Dateien.",
      attachments: [
        { mxc: `mxc://${SERVER}/plan1`, name, type: "text/plain" },
        { mxc: `mxc://${SERVER}/bild2`, name: "../Bild ‹1›.png", type: "image/png; evil" },
      ],
    });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.match(String(r.json.room_id), /^!room-\d+:/);
    assert.deepEqual(hs.downloads.map((d) => d.auth), [`Bearer ${AS_TOKEN}`, `Bearer ${AS_TOKEN}`]);
    const rows = (await outboundRows()).filter((o) => o.room_id === r.json.room_id);
    assert.equal(rows.length, 1, "one mail");
    const mail = await simpleParser(rows[0]!.raw);
    assert.equal(mail.subject, "Wandertag Bcc: evil@x.test");
    assert.equal(mail.text?.trim(), "Liebe Frau Schmidt, anbei zwei Dateien.");
    assert.deepEqual(mail.attachments.map((a) => [a.filename, a.contentType, a.content.toString("latin1")]), [
      [name, "text/plain", "Hallo Anhang"],
      // A type that is no MIME type is not used (nodemailer takes the name's instead).
      ["Bild ‹1›.png", "image/png", "\x89PNG"],
    ]);
    assert.doesNotMatch(rows[0]!.raw.toString("latin1"), /png; evil/);
    // The room shows the mail as the user's, with its files.
    const notice = sent.find((a) => a.kind === "message" && SENT_KEY in (a.content as object));
    assert.ok(notice !== undefined && notice.kind === "message");
    const shown = (notice.content as Record<string, unknown>)[SENT_KEY] as { by: string; text: string; attachments: Json[] };
    assert.equal(shown.by, TEACHER);
    assert.equal(shown.text, "Liebe Frau Schmidt, anbei zwei Dateien.");
    assert.deepEqual(shown.attachments.map((a) => [a.mxc, a.name, a.size]), [[`mxc://${SERVER}/plan1`, name, 12], [`mxc://${SERVER}/bild2`, "Bild ‹1›.png", 4]]);
    for (const a of shown.attachments) assertShape(a, "SentAttachment");
    assert.match(String((notice.content as Json).body), /📎 Plan <img/);
  });

  it("still takes a mail without attachments", async () => {
    const r = await call(TEACHER, "POST", "/mails", { to: "erna@outside.test", subject: "Ohne Anhang", text: "Nur Text." });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const rows = (await outboundRows()).filter((o) => o.room_id === r.json.room_id);
    assert.equal((await simpleParser(rows[0]!.raw)).attachments.length, 0);
  });

  it("refuses attachments larger than the school's limit together (413), measured, before any room is made", async () => {
    hs.media.set("gross", { body: Buffer.alloc(LIMIT / 2 + 1, 1), type: "application/pdf" });
    const rooms = roomsMade();
    const before = (await outboundRows()).length;
    const twice = await call(TEACHER, "POST", "/mails", {
      to: "erna@outside.test",
      subject: "Zu groß",
      text: "x",
      attachments: [{ mxc: `mxc://${SERVER}/gross`, name: "a.pdf" }, { mxc: `mxc://${SERVER}/gross`, name: "b.pdf" }],
    });
    assert.equal(twice.status, 413);
    assert.equal(twice.json.errcode, "M_TOO_LARGE");
    assert.match(String(twice.json.error), /größer als/);
    // A size the client declares too large is refused without downloading.
    const declared = await call(TEACHER, "POST", "/mails", { to: "erna@outside.test", subject: "Zu groß", text: "x", attachments: [{ mxc: `mxc://${SERVER}/plan1`, name: "a.txt", size: LIMIT + 1 }] }, "en");
    assert.equal(declared.status, 413);
    assert.match(String(declared.json.error), /larger than/);
    assert.equal(hs.downloads.filter((d) => d.mediaId === "plan1").length, 0);
    assert.equal(roomsMade(), rooms, "no room for a refused mail");
    assert.equal((await outboundRows()).length, before);
  });

  it("refuses media of another server, missing media, no mxc, and more than 20 attachments", async () => {
    const send = (attachments: unknown[]) => call(TEACHER, "POST", "/mails", { to: "erna@outside.test", subject: "Refs", text: "x", attachments });
    const foreign = await send([{ mxc: "mxc://evil.test/plan1", name: "a.txt" }]);
    assert.equal(foreign.status, 400);
    assert.equal(foreign.json.errcode, "M_INVALID_PARAM");
    assert.equal(foreign.json.schulhof_code, "SCHULHOF_MAIL_ATTACHMENT_FOREIGN");
    const missing = await send([{ mxc: `mxc://${SERVER}/gibtsnicht`, name: "a.txt" }]);
    assert.equal(missing.status, 400);
    assert.equal(missing.json.errcode, "M_NOT_FOUND");
    assert.match(String(missing.json.error), /nicht gefunden/);
    const notMxc = await send([{ mxc: `https://${SERVER}/plan1`, name: "a.txt" }]);
    assert.equal(notMxc.status, 400);
    assert.equal(notMxc.json.schulhof_code, "SCHULHOF_MAIL_ATTACHMENT_INVALID");
    const traversal = await send([{ mxc: `mxc://${SERVER}/../../admin`, name: "a.txt" }]);
    assert.equal(traversal.status, 400);
    const many = await send(Array.from({ length: 21 }, (_, i) => ({ mxc: `mxc://${SERVER}/plan1`, name: `${i}.txt` })));
    assert.equal(many.status, 400);
    assert.match(String(many.json.error), /Höchstens 20/);
    const noName = await send([{ mxc: `mxc://${SERVER}/plan1`, name: "" }]);
    assert.equal(noName.status, 400);
    assert.equal(noName.json.errcode, "M_BAD_JSON");
    assert.equal(hs.downloads.filter((d) => d.mediaId !== "gibtsnicht").length, 0, "nothing but the missing one was asked for");
  });

  it("answers 502 when the media repository fails, and refuses a student's mail outside the school before downloading", async () => {
    hs.fail = true;
    try {
      const r = await call(TEACHER, "POST", "/mails", { to: "erna@outside.test", subject: "Fehler", text: "x", attachments: [{ mxc: `mxc://${SERVER}/plan1`, name: "a.txt" }] });
      assert.equal(r.status, 502);
    } finally {
      hs.fail = false;
    }
    hs.downloads.length = 0;
    const student = await call(STUDENT, "POST", "/mails", { to: "freundin@outside.test", subject: "Hallo", text: "x", attachments: [{ mxc: `mxc://${SERVER}/plan1`, name: "a.txt" }] });
    assert.equal(student.status, 403);
    assert.equal(student.json.schulhof_code, "SCHULHOF_MAIL_REFUSED");
    assert.equal(hs.downloads.length, 0);
    const allowed = await call(STUDENT, "POST", "/mails", { to: "lehrer@schule.bildung.example", subject: "Hallo", text: "x", attachments: [{ mxc: `mxc://${SERVER}/plan1`, name: "a.txt" }] });
    assert.equal(allowed.status, 200, JSON.stringify(allowed.json));
  });
});

describe("GET /policy", () => {
  it("gives school admins the school's mail policy", async () => {
    const r = await call(ADMIN, "GET", "/policy");
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(r.json.mail_domain, SERVER);
    assertShape(r.json.policy, "MailPolicy");
    const p = r.json.policy as Json;
    assert.equal(p.students_outbound, "allowlist");
    assert.deepEqual(p.outbound_allowlist, ["*.bildung.example"]);
    assert.equal(p.inbound_external_to_students, false);
    assert.deepEqual(p.rate_limit, { students_per_hour: 30, teachers_per_hour: 200 });
    assert.deepEqual(p.group_senders, { class: "teachers", course: "members", teachers: "teachers" });
  });

  it("refuses everybody else: teachers, students, a former admin (403), no session (401)", async () => {
    for (const user of [TEACHER, STUDENT, `@alt.admin:${SERVER}`, `@birgit.schaefer:other.test`]) {
      const r = await call(user, "GET", "/policy");
      assert.equal(r.status, 403, user);
      assert.equal(r.json.errcode, "M_FORBIDDEN");
      assert.match(String(r.json.error), /Schulverwaltung/);
    }
    assert.equal((await call(null, "GET", "/policy")).status, 401);
  });
});

describe("GET /conversations", () => {
  it("lists by last activity, a page at a time with a cursor, past 500", async () => {
    const user = `@viele:${SERVER}`;
    await db.transaction(async (tx) => {
      for (let i = 0; i < 520; i++) {
        // Two conversations per millisecond: the room id breaks the tie.
        await saveConversation(tx, { roomId: `!c${String(i).padStart(4, "0")}:${SERVER}`, localUser: user, external: [`p${i}@outside.test`], subject: `Nr. ${i}`, lastMessageId: null }, 1_700_000_000_000 + Math.floor(i / 2));
      }
    });
    const first = await call(user, "GET", "/conversations");
    assert.equal((first.json.conversations as unknown[]).length, 500);
    assert.equal(typeof first.json.next_cursor, "string");
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r: { status: number; json: Json } = await call(user, "GET", `/conversations?limit=100${cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`}`);
      assert.equal(r.status, 200, JSON.stringify(r.json));
      const list = r.json.conversations as Json[];
      for (const c of list) assertShape(c, "Conversation");
      seen.push(...list.map((c) => String(c.room_id)));
      cursor = r.json.next_cursor as string | null;
      pages++;
    } while (cursor !== null);
    assert.equal(pages, 6);
    assert.equal(seen.length, 520);
    assert.equal(new Set(seen).size, 520);
    assert.equal(seen[0], `!c0519:${SERVER}`);
    assert.equal(seen.at(-1), `!c0000:${SERVER}`);
  });

  it("puts a conversation with a new mail first, with the mail's time", async () => {
    const r = await call(TEACHER, "POST", "/mails", { to: "erna@outside.test", subject: "Ganz neu", text: "x" });
    const list = (await call(TEACHER, "GET", "/conversations?limit=1")).json.conversations as Json[];
    assert.equal(list[0]?.room_id, r.json.room_id);
    assert.deepEqual(list[0]?.with, ["erna@outside.test"]);
    assert.ok(Math.abs(Number(list[0]?.last_activity) - Date.now()) < 60_000);
  });

  it("refuses a limit out of range and a cursor that is not the bridge's", async () => {
    for (const q of ["limit=0", "limit=501", "limit=x", "cursor=bogus", `cursor=${Buffer.from('["x","y"]').toString("base64url")}`]) {
      const r = await call(TEACHER, "GET", `/conversations?${q}`);
      assert.equal(r.status, 400, q);
      assert.equal(r.json.errcode, "M_INVALID_PARAM");
    }
  });
});

describe("GET /address", () => {
  it("tells the attachment limits with the address", async () => {
    const r = await call(TEACHER, "GET", "/address");
    assert.deepEqual(r.json, { address: `juergen.mueller@${SERVER}`, max_attachment_bytes: LIMIT, max_attachments: 20 });
  });
});
