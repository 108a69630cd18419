// A reply written in a conversation room: its `de.schulhof.mail.attachments` go out with the text as one mail;
// refusals (another server's media, missing, too large, a malformed list) are answered in the room; a lone file of
// another Matrix client is still a mail of its own; a failing media repository makes the event wait for a retry.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { simpleParser } from "mailparser";
import { RetryableError, type Db, type MatrixEvent, type OutboxAction } from "@schulhof/core";
import type { AddressBook } from "../src/addresses/index.ts";
import { ATTACHMENTS_KEY } from "../src/attachments.ts";
import { saveConversation } from "../src/conversations.ts";
import { onConversationMessage, type OutgoingEnv } from "../src/outgoing.ts";
import { MailPolicySchema } from "../src/policy/index.ts";
import { fakeContext, fakeDirectory, SERVER, startFakeHomeserver, type FakeHomeserver } from "./fake-homeserver.ts";
import { freshDb } from "./outbound/support.ts";

const TEACHER = `@juergen.mueller:${SERVER}`;
const ROOM = `!gespraech:${SERVER}`;
const LIMIT = 32 * 1024;

let db: Db;
let hs: FakeHomeserver;
let book: AddressBook;
let ctx: ReturnType<typeof fakeContext>;
const sent: OutboxAction[] = [];
const env: OutgoingEnv = { serverName: SERVER, mailDomain: SERVER, lang: "de", policy: MailPolicySchema.parse({}), verpSecret: "v".repeat(20), botUserId: `@mail:${SERVER}`, maxAttachmentBytes: LIMIT };

let n = 0;
function event(content: Record<string, unknown>): MatrixEvent {
  return { event_id: `$e${++n}`, room_id: ROOM, sender: TEACHER, type: "m.room.message", origin_server_ts: 1_800_000_000_000 + n, content } as MatrixEvent;
}

async function handle(e: MatrixEvent): Promise<boolean> {
  return db.transaction((tx) => onConversationMessage(e, tx, async (a) => void sent.push(a), book, ctx.matrix, env));
}

const mailsOf = async (cause: string): Promise<Buffer[]> => (await db.query<{ raw: Buffer }>(`SELECT raw FROM outbound WHERE cause = $1`, [cause])).rows.map((r) => Buffer.from(r.raw));
const notices = (): string[] => sent.flatMap((a) => (a.kind === "message" ? [String((a.content as { body?: unknown }).body)] : []));

before(async () => {
  db = await freshDb();
  hs = await startFakeHomeserver([{ localpart: "juergen.mueller", role: "teacher" }]);
  ctx = fakeContext(db, hs, sent);
  book = await fakeDirectory(hs).get();
  await db.transaction((tx) => saveConversation(tx, { roomId: ROOM, localUser: TEACHER, external: ["erna@outside.test"], subject: "Elternsprechtag", lastMessageId: "<erste@outside.test>" }, 1_000));
  hs.media.set("formular", { body: Buffer.from("Formular-Inhalt"), type: "text/plain" });
  hs.media.set("foto", { body: Buffer.from("JPEGDATA"), type: "image/jpeg" });
  hs.media.set("riesig", { body: Buffer.alloc(LIMIT + 1), type: "application/pdf" });
});

after(async () => {
  await hs?.close();
  await db?.close();
});

beforeEach(() => {
  sent.length = 0;
});

describe("a reply with attachments in the room", () => {
  it("goes out as one mail with the text and every listed file, threaded", async () => {
    const e = event({
      msgtype: "m.text",
      body: "Anbei Formular und Foto.",
      [ATTACHMENTS_KEY]: [
        { mxc: `mxc://${SERVER}/formular`, name: "Formular: Wandertag?.txt", type: "text/plain", size: 15 },
        { mxc: `mxc://${SERVER}/foto`, name: "Foto.jpg", type: "image/jpeg" },
      ],
    });
    assert.equal(await handle(e), true);
    const [raw, ...more] = await mailsOf(e.event_id);
    assert.equal(more.length, 0);
    const mail = await simpleParser(raw!);
    assert.equal(mail.text?.trim(), "Anbei Formular und Foto.");
    assert.equal(mail.subject, "Re: Elternsprechtag");
    assert.equal(mail.inReplyTo, "<erste@outside.test>");
    assert.deepEqual(mail.attachments.map((a) => [a.filename, a.content.toString()]), [["Formular: Wandertag?.txt", "Formular-Inhalt"], ["Foto.jpg", "JPEGDATA"]]);
    assert.deepEqual(notices(), []);
    const activity = (await db.query<{ last_activity: string }>(`SELECT last_activity FROM conversations WHERE room_id = $1`, [ROOM])).rows[0]?.last_activity;
    assert.equal(Number(activity), e.origin_server_ts);
  });

  it("answers in the room instead when a file is another server's, missing, too large, or the list is malformed", async () => {
    const cases: [unknown, RegExp][] = [
      [[{ mxc: "mxc://evil.test/formular", name: "a.txt" }], /auf dem Server der Schule hochgeladen/],
      [[{ mxc: `mxc://${SERVER}/weg`, name: "a.txt" }], /nicht gefunden/],
      [[{ mxc: `mxc://${SERVER}/riesig`, name: "a.pdf" }], /größer als/],
      [[{ mxc: `mxc://${SERVER}/formular`, name: "a.txt" }, { mxc: `mxc://${SERVER}/riesig`, name: "b.pdf" }], /größer als/],
      ["kein Array", /ungültig/],
      [Array.from({ length: 21 }, () => ({ mxc: `mxc://${SERVER}/formular`, name: "a.txt" })), /Höchstens 20/],
    ];
    for (const [list, why] of cases) {
      sent.length = 0;
      const e = event({ msgtype: "m.text", body: "Mit Anhang", [ATTACHMENTS_KEY]: list });
      assert.equal(await handle(e), false);
      assert.deepEqual(await mailsOf(e.event_id), []);
      assert.equal(notices().length, 1, JSON.stringify(list).slice(0, 80));
      assert.match(notices()[0] ?? "", /^Diese Nachricht wurde nicht als E-Mail verschickt: /);
      assert.match(notices()[0] ?? "", why);
    }
  });

  it("waits for a retry when the media repository fails (the event is handled again, nothing is queued)", async () => {
    hs.fail = true;
    try {
      const e = event({ msgtype: "m.text", body: "x", [ATTACHMENTS_KEY]: [{ mxc: `mxc://${SERVER}/formular`, name: "a.txt" }] });
      await assert.rejects(handle(e), RetryableError);
      assert.deepEqual(await mailsOf(e.event_id), []);
    } finally {
      hs.fail = false;
    }
  });

  it("still mails a lone file of another Matrix client as a mail of its own, its name kept", async () => {
    const e = event({ msgtype: "m.file", body: 'Plan "1" <2>.txt', filename: 'Plan "1" <2>.txt', url: `mxc://${SERVER}/formular`, info: { mimetype: "text/plain" } });
    assert.equal(await handle(e), true);
    const mail = await simpleParser((await mailsOf(e.event_id))[0]!);
    assert.equal(mail.text?.trim(), 'Anhang: Plan "1" <2>.txt');
    assert.deepEqual(mail.attachments.map((a) => a.filename), ['Plan "1" <2>.txt']);
    const big = event({ msgtype: "m.file", body: "gross.pdf", url: `mxc://${SERVER}/riesig` });
    assert.equal(await handle(big), false);
    assert.match(notices().at(-1) ?? "", /größer als/);
  });
});
