// The inbound SMTP server in real conversations on loopback: recipients, durable store before 250,
// size limits, recipient limits, the null sender, abuse (junk, long lines, disconnects), connection limits.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { createTransport } from "nodemailer";
import { storeInbound } from "../../src/inbound/queue.ts";
import type { InboundMessage } from "../../src/inbound/types.ts";
import { closeSharedDb, dataOf, inboundCount, rawSmtp, simpleMessage, startTestServer, type TestServer } from "./helpers.ts";

after(closeSharedDb);

function client(port: number) {
  return createTransport({ host: "127.0.0.1", port, secure: false, ignoreTLS: true, name: "client.outside.test", connectionTimeout: 5000 });
}

async function rcptToRows(s: TestServer): Promise<string[][]> {
  const r = await s.db.query<{ rcpt_to: string[] }>("SELECT rcpt_to FROM inbound ORDER BY id");
  return r.rows.map((x) => x.rcpt_to);
}

/** One message through a raw session: EHLO, MAIL, RCPT…, DATA; returns the final reply. */
async function deliver(port: number, message: string, rcpts = ["lena.koehler@schule.test"], from = "a@outside.test") {
  const c = await rawSmtp(port);
  await c.command("EHLO client.outside.test");
  assert.equal((await c.command(`MAIL FROM:<${from}>`)).code, 250);
  for (const r of rcpts) await c.command(`RCPT TO:<${r}>`);
  assert.equal((await c.command("DATA")).code, 354);
  c.write(dataOf(message));
  const reply = await c.read();
  await c.command("QUIT");
  return reply;
}

describe("recipients", () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(() => s.stop());

  it("refuses an unknown recipient at RCPT TO with 550 5.1.1 (nodemailer sees the rejection)", async () => {
    const t = client(s.port);
    await assert.rejects(
      t.sendMail({ from: "a@outside.test", to: "nobody@schule.test", subject: "Hallo", text: "x" }),
      (err: Error & { responseCode?: number }) => {
        assert.equal(err.responseCode, 550);
        assert.match(err.message, /550 5\.1\.1 No such user here/);
        return true;
      },
    );
    t.close();
    assert.ok(s.checked.includes("nobody@schule.test"));
    assert.equal(await inboundCount(s.db), 0);
  });

  it("stores a message for the known recipients only and answers 250", async () => {
    const t = client(s.port);
    const info = await t.sendMail({ from: "a@outside.test", to: ["lena.koehler@schule.test", "nobody@schule.test"], subject: "Hallo", text: "Guten Tag" });
    t.close();
    assert.deepEqual(info.accepted, ["lena.koehler@schule.test"]);
    assert.deepEqual(info.rejected, ["nobody@schule.test"]);
    assert.match(info.response, /^250 2\.0\.0 Ok: queued as \S+$/);
    assert.deepEqual(await rcptToRows(s), [["lena.koehler@schule.test"]]);
    const row = (await s.db.query<{ mail_from: string; remote_ip: string; helo: string; state: string; dmarc: string }>("SELECT * FROM inbound")).rows[0];
    assert.deepEqual(
      { from: row?.mail_from, ip: row?.remote_ip, helo: row?.helo, state: row?.state, dmarc: row?.dmarc },
      { from: "a@outside.test", ip: "127.0.0.1", helo: "client.outside.test", state: "queued", dmarc: "pass" },
    );
  });

  it("accepts the null sender (bounces)", async () => {
    const earlier = await inboundCount(s.db);
    const reply = await deliver(s.port, simpleMessage("Undeliverable"), ["postmaster@schule.test"], "");
    assert.equal(reply.code, 250);
    const r = await s.db.query<{ mail_from: string }>("SELECT mail_from FROM inbound ORDER BY id DESC LIMIT 1");
    assert.equal(r.rows[0]?.mail_from, "");
    assert.equal(await inboundCount(s.db), earlier + 1);
  });

  it("refuses RCPT TO without MAIL FROM and a malformed address without asking checkRecipient", async () => {
    const c = await rawSmtp(s.port);
    await c.command("EHLO client.outside.test");
    assert.equal((await c.command("RCPT TO:<lena.koehler@schule.test>")).code, 503);
    await c.command("MAIL FROM:<a@outside.test>");
    const bad = await c.command("RCPT TO:<not an address>");
    assert.ok(bad.code >= 500 && bad.code < 600, bad.text);
    await c.command("QUIT");
  });
});

describe("callbacks", () => {
  it("answers 250 only after store has resolved", async () => {
    let resolvedAt = 0;
    let stored = 0;
    const s = await startTestServer({
      store: async (msg) => {
        await sleep(300);
        const id = await storeInbound(s.db, msg);
        stored++;
        resolvedAt = performance.now();
        return { id };
      },
    });
    try {
      const c = await rawSmtp(s.port);
      await c.command("EHLO client.outside.test");
      await c.command("MAIL FROM:<a@outside.test>");
      await c.command("RCPT TO:<lena.koehler@schule.test>");
      await c.command("DATA");
      const sentAt = performance.now();
      c.write(dataOf(simpleMessage()));
      const reply = await c.read();
      const repliedAt = performance.now();
      assert.equal(reply.code, 250);
      assert.equal(stored, 1, "stored before the reply");
      assert.ok(resolvedAt > 0 && resolvedAt <= repliedAt, "store resolved before 250 arrived");
      assert.ok(repliedAt - sentAt >= 280, "the reply waited for the slow store");
      assert.equal(await inboundCount(s.db), 1);
      await c.command("QUIT");
    } finally {
      await s.stop();
    }
  });

  it("finishes storing when the client hangs up after the final dot (the message is durable, the server fine)", async () => {
    let done = 0;
    const s = await startTestServer({
      store: async (msg) => {
        await sleep(200);
        const id = await storeInbound(s.db, msg);
        done++;
        return { id };
      },
    });
    try {
      const c = await rawSmtp(s.port);
      await c.command("EHLO client.outside.test");
      await c.command("MAIL FROM:<a@outside.test>");
      await c.command("RCPT TO:<lena.koehler@schule.test>");
      await c.command("DATA");
      c.write(dataOf(simpleMessage()));
      await sleep(20);
      c.socket.destroy();
      await sleep(400);
      assert.equal(done, 1);
      assert.equal(await inboundCount(s.db), 1);
      assert.equal((await deliver(s.port, simpleMessage())).code, 250);
    } finally {
      await s.stop();
    }
  });

  it("answers 451 4.3.0 when store throws, stores nothing, and the session goes on", async () => {
    let calls = 0;
    const s = await startTestServer({
      store: async () => {
        calls++;
        throw new Error("disk full");
      },
    });
    try {
      const c = await rawSmtp(s.port);
      await c.command("EHLO client.outside.test");
      await c.command("MAIL FROM:<a@outside.test>");
      await c.command("RCPT TO:<lena.koehler@schule.test>");
      await c.command("DATA");
      c.write(dataOf(simpleMessage()));
      const reply = await c.read();
      assert.equal(reply.code, 451);
      assert.match(reply.text, /^4\.3\.0 /);
      assert.equal(calls, 1);
      assert.equal(await inboundCount(s.db), 0);
      assert.equal((await c.command("MAIL FROM:<a@outside.test>")).code, 250, "a new transaction may start");
      await c.command("QUIT");
    } finally {
      await s.stop();
    }
  });

  it("answers 451 4.3.0 when checkRecipient fails, and passes MAIL FROM and the client address to it", async () => {
    const seen: { rcpt: string; mailFrom: string; remoteAddress: string }[] = [];
    const s = await startTestServer({
      async checkRecipient(rcpt, ctx) {
        seen.push({ rcpt, ...ctx });
        if (rcpt.startsWith("broken")) throw new Error("directory down");
        return { ok: true };
      },
    });
    try {
      const c = await rawSmtp(s.port);
      await c.command("EHLO client.outside.test");
      await c.command("MAIL FROM:<a@outside.test>");
      const r = await c.command("RCPT TO:<broken@schule.test>");
      assert.equal(r.code, 451);
      assert.match(r.text, /^4\.3\.0 /);
      assert.equal((await c.command("RCPT TO:<ok@schule.test>")).code, 250);
      assert.deepEqual(seen[0], { rcpt: "broken@schule.test", mailFrom: "a@outside.test", remoteAddress: "127.0.0.1" });
      await c.command("QUIT");
    } finally {
      await s.stop();
    }
  });

  it("sends a policy refusal with its own enhanced code and makes callback text SMTP-safe", async () => {
    const s = await startTestServer({
      async checkRecipient(rcpt) {
        if (rcpt.startsWith("student")) return { ok: false, code: 550, enhanced: "5.7.1", message: "Schüler\r\nnimmt keine Mail an" };
        return { ok: false, code: 550, enhanced: "9.9.9", message: "bogus code" };
      },
    });
    try {
      const c = await rawSmtp(s.port);
      await c.command("EHLO client.outside.test");
      await c.command("MAIL FROM:<a@outside.test>");
      const policy = await c.command("RCPT TO:<student@schule.test>");
      assert.equal(policy.code, 550);
      assert.equal(policy.text, "5.7.1 Schueler nimmt keine Mail an");
      const bogus = await c.command("RCPT TO:<x@schule.test>");
      assert.equal(bogus.code, 550);
      assert.equal(bogus.text, "5.0.0 bogus code");
      await c.command("QUIT");
    } finally {
      await s.stop();
    }
  });

  it("answers 451 4.3.0 when decide throws", async () => {
    const s = await startTestServer({
      decide: () => {
        throw new Error("bug");
      },
    });
    try {
      const reply = await deliver(s.port, simpleMessage());
      assert.equal(reply.code, 451);
      assert.match(reply.text, /^4\.3\.0 /);
      assert.equal(await inboundCount(s.db), 0);
    } finally {
      await s.stop();
    }
  });
});

describe("size limits", () => {
  const maxBytes = 64 * 1024;
  let s: TestServer;
  let stores = 0;
  before(async () => {
    s = await startTestServer({
      maxBytes,
      store: async (msg: InboundMessage) => {
        stores++;
        return { id: await storeInbound(s.db, msg) };
      },
    });
  });
  after(() => s.stop());

  /** A message of exactly `bytes` bytes (CRLF line ends, final CRLF included). */
  function messageOf(bytes: number): string {
    const head = "From: a@outside.test\r\nTo: lena.koehler@schule.test\r\nSubject: big\r\n\r\n";
    const line = `${"x".repeat(98)}\r\n`;
    let body = "";
    while (head.length + body.length + line.length <= bytes - 2) body += line;
    body += `${"y".repeat(bytes - head.length - body.length - 2)}\r\n`;
    const m = head + body;
    assert.equal(m.length, bytes);
    return m;
  }

  it("advertises SIZE and refuses a bigger declared size at MAIL FROM with 552 5.3.4", async () => {
    const c = await rawSmtp(s.port);
    const ehlo = await c.command("EHLO client.outside.test");
    assert.ok(ehlo.lines.includes(`SIZE ${maxBytes}`), ehlo.text);
    const r = await c.command(`MAIL FROM:<a@outside.test> SIZE=${maxBytes + 1}`);
    assert.equal(r.code, 552);
    assert.match(r.text, /^5\.3\.4 /);
    assert.equal((await c.command(`MAIL FROM:<a@outside.test> SIZE=${maxBytes}`)).code, 250);
    await c.command("QUIT");
  });

  it("accepts a message of exactly maxBytes", async () => {
    const earlier = stores;
    const reply = await deliver(s.port, messageOf(maxBytes));
    assert.equal(reply.code, 250, reply.text);
    assert.equal(stores, earlier + 1);
    const r = await s.db.query<{ size: number }>("SELECT size FROM inbound ORDER BY id DESC LIMIT 1");
    assert.equal(r.rows[0]?.size, maxBytes);
  });

  it("refuses an undeclared message over the limit with 552 5.3.4 after DATA, stores nothing, and goes on", async () => {
    const earlier = stores;
    const count = await inboundCount(s.db);
    for (const bytes of [maxBytes + 1, maxBytes * 8]) {
      const c = await rawSmtp(s.port);
      await c.command("EHLO client.outside.test");
      await c.command("MAIL FROM:<a@outside.test>");
      await c.command("RCPT TO:<lena.koehler@schule.test>");
      await c.command("DATA");
      c.write(dataOf(messageOf(bytes)));
      const reply = await c.read();
      assert.equal(reply.code, 552, reply.text);
      assert.match(reply.text, /^5\.3\.4 /);
      // the same session can deliver a message that fits
      await c.command("MAIL FROM:<a@outside.test>");
      await c.command("RCPT TO:<lena.koehler@schule.test>");
      await c.command("DATA");
      c.write(dataOf(simpleMessage()));
      assert.equal((await c.read()).code, 250);
      await c.command("QUIT");
    }
    assert.equal(stores, earlier + 2, "only the small messages were stored");
    assert.equal(await inboundCount(s.db), count + 2);
  });
});

describe("recipient limit", () => {
  it("accepts the first maxRecipients of 10,000 RCPT TO, answers 452 4.5.3 to the rest, and stays fine", async () => {
    const s = await startTestServer({ maxRecipients: 5, checkRecipient: async () => ({ ok: true }) });
    try {
      const c = await rawSmtp(s.port);
      await c.command("EHLO client.outside.test");
      await c.command("MAIL FROM:<a@outside.test>");
      const n = 10_000;
      let batch = "";
      for (let i = 0; i < n; i++) batch += `RCPT TO:<user${i}@schule.test>\r\n`;
      c.write(batch);
      const codes = new Map<number, number>();
      let firstRefusal = "";
      for (let i = 0; i < n; i++) {
        const r = await c.read();
        codes.set(r.code, (codes.get(r.code) ?? 0) + 1);
        if (i < 5) assert.equal(r.code, 250, `recipient ${i}`);
        if (i === 5) firstRefusal = r.text;
      }
      assert.deepEqual([...codes.entries()].sort(), [
        [250, 5],
        [452, n - 5],
      ]);
      assert.match(firstRefusal, /^4\.5\.3 /);
      await c.command("DATA");
      c.write(dataOf(simpleMessage()));
      assert.equal((await c.read()).code, 250);
      await c.command("QUIT");
      assert.deepEqual(await rcptToRows(s), [["user0@schule.test", "user1@schule.test", "user2@schule.test", "user3@schule.test", "user4@schule.test"]]);
      // the server still serves others
      assert.equal((await deliver(s.port, simpleMessage(), ["lena.koehler@schule.test"])).code, 250);
    } finally {
      await s.stop();
    }
  });
});

describe("abuse", () => {
  let s: TestServer;
  let stores = 0;
  before(async () => {
    s = await startTestServer({
      maxBytes: 256 * 1024,
      maxClientsPerIp: 4,
      store: async (msg: InboundMessage) => {
        stores++;
        return { id: await storeInbound(s.db, msg) };
      },
    });
  });
  after(() => s.stop());

  async function stillServes(): Promise<void> {
    assert.equal((await deliver(s.port, simpleMessage())).code, 250);
  }

  it("survives binary junk instead of commands and drops the client after too many", async () => {
    const c = await rawSmtp(s.port);
    let junk = randomBytes(4096);
    junk = Buffer.concat([junk, Buffer.from("\r\n")]);
    for (let i = 0; i < 20; i++) c.write(junk);
    await c.closed;
    const earlier = stores;
    await stillServes();
    assert.equal(stores, earlier + 1);
  });

  it("closes a connection whose command line is too long", async () => {
    const c = await rawSmtp(s.port);
    await c.command("EHLO client.outside.test");
    c.write(`MAIL FROM:<${"a".repeat(100_000)}@outside.test>\r\n`);
    const r = await c.read();
    assert.equal(r.code, 421);
    await c.closed;
    await stillServes();
  });

  it("refuses binary junk as DATA (no header section) with 554 5.6.0 and stores nothing", async () => {
    const earlier = stores;
    const junk = randomBytes(30_000);
    for (let i = 0; i < junk.length; i++) if (junk[i] === 0x0a || junk[i] === 0x0d) junk[i] = 0x20;
    junk[0] = 0x00;
    const c = await rawSmtp(s.port);
    await c.command("EHLO client.outside.test");
    await c.command("MAIL FROM:<a@outside.test>");
    await c.command("RCPT TO:<lena.koehler@schule.test>");
    await c.command("DATA");
    c.write(Buffer.concat([junk, Buffer.from("\r\n.\r\n")]));
    const reply = await c.read();
    assert.equal(reply.code, 554);
    assert.match(reply.text, /^5\.6\.0 /);
    await c.command("QUIT");
    assert.equal(stores, earlier);
  });

  it("handles header and line length abuse inside the limit", async () => {
    const huge = `From: a@outside.test\r\nTo: lena.koehler@schule.test\r\nX-Long: ${"h".repeat(200_000)}\r\nSubject: long\r\n\r\n${"b".repeat(40_000)}\r\n`;
    const reply = await deliver(s.port, huge);
    assert.ok([250, 550].includes(reply.code), reply.text);
    await stillServes();
  });

  it("stores nothing when the client disconnects in the middle of DATA", async () => {
    const earlier = stores;
    const count = await inboundCount(s.db);
    for (const cut of [0, 10, 5000]) {
      const c = await rawSmtp(s.port);
      await c.command("EHLO client.outside.test");
      await c.command("MAIL FROM:<a@outside.test>");
      await c.command("RCPT TO:<lena.koehler@schule.test>");
      await c.command("DATA");
      const whole = dataOf(simpleMessage("cut", "z".repeat(10_000)));
      c.write(whole.slice(0, cut));
      await sleep(50);
      c.socket.destroy();
      await c.closed;
    }
    await sleep(100);
    assert.equal(stores, earlier);
    assert.equal(await inboundCount(s.db), count);
    await stillServes();
  });

  it("limits connections per client address with 421 4.7.0", async () => {
    const open = await Promise.all([1, 2, 3, 4].map(() => rawSmtp(s.port)));
    for (const c of open) assert.equal(c.greeting.code, 220);
    const extra = await rawSmtp(s.port);
    assert.equal(extra.greeting.code, 421);
    assert.match(extra.greeting.text, /^4\.7\.0 /);
    await extra.closed;
    for (const c of open) {
      c.end();
      await c.closed;
    }
    await sleep(50);
    await stillServes();
  });
});

describe("without TLS", () => {
  it("neither offers nor accepts STARTTLS", async () => {
    const s = await startTestServer();
    try {
      const c = await rawSmtp(s.port);
      const ehlo = await c.command("EHLO client.outside.test");
      assert.ok(!ehlo.lines.includes("STARTTLS"), ehlo.text);
      assert.ok(!ehlo.lines.some((l) => l.startsWith("AUTH")), "no AUTH on the MX");
      const r = await c.command("STARTTLS");
      assert.ok(r.code >= 500 && r.code < 600, r.text);
      assert.equal((await c.command("MAIL FROM:<a@outside.test>")).code, 250, "the session goes on in plain text");
      await c.command("QUIT");
    } finally {
      await s.stop();
    }
  });
});
