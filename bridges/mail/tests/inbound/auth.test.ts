// Sender authentication end to end: DKIM signed by nodemailer with a key made here and published in
// the static resolver, a tampered body, SPF, DMARC reject/mark, temporary DNS failures, the static
// resolver's answers, and the stored trace fields.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createTransport } from "nodemailer";
import { MailPolicySchema } from "../../src/policy/index.ts";
import { staticResolver } from "../../src/inbound/auth.ts";
import type { AuthSummary } from "../../src/inbound/types.ts";
import { closeSharedDb, dataOf, dkimKeys, inboundCount, outsideDns, rawSmtp, simpleMessage, startTestServer, type TestServer } from "./helpers.ts";

after(closeSharedDb);

const keys = dkimKeys();
const dkim = { domainName: "outside.test", keySelector: "sel", privateKey: keys.privateKey };
const rejectPolicy = MailPolicySchema.parse({ dmarc_fail: "reject" });
/**
 * Envelope sender of the tampered messages: a forwarder without SPF record, so that DMARC rests
 * on DKIM alone (with MAIL FROM at outside.test the aligned SPF pass would let DMARC pass).
 */
const FORWARDER = "list@forwarder.test";

function smtpClient(port: number, withDkim: boolean) {
  return createTransport({
    host: "127.0.0.1",
    port,
    secure: false,
    ignoreTLS: true,
    name: "client.outside.test",
    ...(withDkim ? { dkim } : {}),
  });
}

/** A DKIM-signed message as bytes (not sent). */
async function signedMessage(text: string): Promise<Buffer> {
  const t = createTransport({ streamTransport: true, buffer: true, dkim });
  const info = await t.sendMail({ from: "Anna <a@outside.test>", to: "lena.koehler@schule.test", subject: "Signiert", text });
  return info.message as Buffer;
}

async function lastAuth(s: TestServer): Promise<AuthSummary | undefined> {
  const r = await s.db.query<{ auth: AuthSummary }>("SELECT auth FROM inbound ORDER BY id DESC LIMIT 1");
  return r.rows[0]?.auth;
}

describe("DKIM, SPF and DMARC", () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ dns: outsideDns({ dkim: { sel: keys.publicKey } }), policy: rejectPolicy });
  });
  after(() => s.stop());

  it("passes DKIM, SPF (127.0.0.1 per the record) and DMARC for a signed message", async () => {
    const t = smtpClient(s.port, true);
    const info = await t.sendMail({ from: "Anna <a@outside.test>", to: "lena.koehler@schule.test", subject: "Signiert", text: "Hallo Lena" });
    t.close();
    assert.match(info.response, /^250 /);
    const auth = await lastAuth(s);
    assert.ok(auth);
    assert.deepEqual(auth.dkim, [{ domain: "outside.test", result: "pass", selector: "sel", aligned: "outside.test" }]);
    assert.equal(auth.spf, "pass");
    assert.equal(auth.dmarc, "pass");
    assert.equal(auth.dmarcPolicy, "reject");
    assert.equal(auth.dmarcDomain, "outside.test");
    assert.equal(auth.arc, "none");
    assert.match(auth.headers, /^Authentication-Results: mx\.schule\.test;/);
    assert.match(auth.headers, /dkim=pass header\.d=outside\.test header\.i=@outside\.test header\.s=sel/);
  });

  it("stores the trace fields on top of the message as received", async () => {
    const r = await s.db.query<{ raw: Uint8Array; size: number; auth: AuthSummary }>("SELECT raw, size, auth FROM inbound ORDER BY id DESC LIMIT 1");
    const row = r.rows[0];
    assert.ok(row);
    const raw = Buffer.from(row.raw).toString("utf8");
    assert.ok(raw.startsWith(row.auth.headers), "mailauth's fields first");
    const rest = raw.slice(row.auth.headers.length);
    assert.match(rest, /^Received: from client\.outside\.test \(\[127\.0\.0\.1\]\)\r\n\tby mx\.schule\.test \(Schulhof\) with ESMTP id \S+;\r\n\t\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d \+0000\r\n/);
    const original = rest.slice(rest.indexOf("+0000\r\n") + 7);
    assert.equal(Buffer.byteLength(original), row.size, "size counts the message as received");
    assert.match(original, /^DKIM-Signature: /m);
  });

  it("fails DKIM for a tampered body, so DMARC fails and p=reject with dmarc_fail: reject refuses with 550 5.7.1", async () => {
    const count = await inboundCount(s.db);
    const signed = (await signedMessage("Bitte 10 Euro überweisen")).toString("latin1");
    const tampered = Buffer.from(signed.replace(/Bitte 10 Euro/, "Bitte 99 Euro"), "latin1");
    assert.notEqual(tampered.toString("latin1"), signed);
    const t = smtpClient(s.port, false);
    await assert.rejects(
      t.sendMail({ envelope: { from: FORWARDER, to: ["lena.koehler@schule.test"] }, raw: tampered }),
      (err: Error & { responseCode?: number }) => {
        assert.equal(err.responseCode, 550);
        assert.match(err.message, /550 5\.7\.1 Message rejected due to DMARC policy/);
        return true;
      },
    );
    t.close();
    assert.equal(await inboundCount(s.db), count);
  });

  it("fails SPF for an address the record does not cover", async () => {
    const other = await startTestServer({
      dns: { ...outsideDns(), "outside.test": { TXT: [["v=spf1 ip4:192.0.2.1 -all"]] }, "_dmarc.outside.test": { TXT: [["v=DMARC1; p=none"]] } },
    });
    try {
      const c = await rawSmtp(other.port);
      await c.command("EHLO client.outside.test");
      await c.command("MAIL FROM:<a@outside.test>");
      await c.command("RCPT TO:<lena.koehler@schule.test>");
      await c.command("DATA");
      c.write(dataOf(simpleMessage()));
      assert.equal((await c.read()).code, 250, "DMARC fail is only marked by default");
      await c.command("QUIT");
      const auth = await lastAuth(other);
      assert.equal(auth?.spf, "fail");
      assert.deepEqual(auth?.dkim, []);
      assert.equal(auth?.dmarc, "fail");
      assert.equal(auth?.dmarcPolicy, "none");
      const d = await other.db.query<{ dmarc: string }>("SELECT dmarc FROM inbound");
      assert.equal(d.rows[0]?.dmarc, "fail");
    } finally {
      await other.stop();
    }
  });
});

describe("DMARC edge cases", () => {
  it("stores a tampered message with dkim fail and dmarc fail under dmarc_fail: mark", async () => {
    const s = await startTestServer({ dns: outsideDns({ dkim: { sel: keys.publicKey } }) });
    try {
      const signed = (await signedMessage("Original")).toString("latin1");
      const tampered = Buffer.from(signed.replace("Original", "Changed!"), "latin1");
      const t = smtpClient(s.port, false);
      const info = await t.sendMail({ envelope: { from: FORWARDER, to: ["lena.koehler@schule.test"] }, raw: tampered });
      t.close();
      assert.match(info.response, /^250 /);
      const auth = await lastAuth(s);
      assert.deepEqual(auth?.dkim, [{ domain: "outside.test", result: "fail", selector: "sel" }]);
      assert.equal(auth?.spf, "none");
      assert.equal(auth?.dmarc, "fail");
      assert.match(auth?.headers ?? "", /dkim=fail \(body hash did not verify\)/);
    } finally {
      await s.stop();
    }
  });

  it("treats several From fields as a DMARC failure", async () => {
    const s = await startTestServer();
    try {
      const c = await rawSmtp(s.port);
      await c.command("EHLO client.outside.test");
      await c.command("MAIL FROM:<a@outside.test>");
      await c.command("RCPT TO:<lena.koehler@schule.test>");
      await c.command("DATA");
      c.write(dataOf("From: a@outside.test\r\nFrom: schulleitung@schule.test\r\nSubject: x\r\n\r\nx\r\n"));
      assert.equal((await c.read()).code, 250);
      await c.command("QUIT");
      const auth = await lastAuth(s);
      assert.equal(auth?.dmarc, "fail");
      assert.equal(auth?.dmarcSkipReason, "multiple-from-fields");
    } finally {
      await s.stop();
    }
  });

  it("answers 451 when DNS fails temporarily (dmarc temperror)", async () => {
    const table = staticResolver(outsideDns());
    const s = await startTestServer({
      resolver: async (name, type) => {
        if (name.startsWith("_dmarc.")) throw Object.assign(new Error(`queryTxt ESERVFAIL ${name}`), { code: "ESERVFAIL" });
        return table(name, type);
      },
    });
    try {
      const c = await rawSmtp(s.port);
      await c.command("EHLO client.outside.test");
      await c.command("MAIL FROM:<a@outside.test>");
      await c.command("RCPT TO:<lena.koehler@schule.test>");
      await c.command("DATA");
      c.write(dataOf(simpleMessage()));
      const r = await c.read();
      assert.equal(r.code, 451);
      assert.match(r.text, /^4\.7\.1 /);
      await c.command("QUIT");
      assert.equal(await inboundCount(s.db), 0);
    } finally {
      await s.stop();
    }
  });

  it("gives temperror (and 451) when the check does not finish in time", async () => {
    let decided: AuthSummary | undefined;
    const s = await startTestServer({
      authTimeoutMs: 200,
      resolver: () => new Promise(() => undefined), // DNS that never answers
      decide: (auth) => {
        decided = auth;
        return auth.dmarc === "temperror" ? { ok: false, code: 451, enhanced: "4.7.1", message: "try again later" } : { ok: true };
      },
    });
    try {
      const c = await rawSmtp(s.port);
      await c.command("EHLO client.outside.test");
      await c.command("MAIL FROM:<a@outside.test>");
      await c.command("RCPT TO:<lena.koehler@schule.test>");
      await c.command("DATA");
      const started = performance.now();
      c.write(dataOf(simpleMessage()));
      const r = await c.read();
      assert.equal(r.code, 451);
      assert.ok(performance.now() - started < 5000);
      await c.command("QUIT");
      assert.equal(decided?.dmarc, "temperror");
      assert.equal(decided?.spf, "temperror");
      assert.match(decided?.error ?? "", /timed out/);
      assert.match(decided?.headers ?? "", /^Authentication-Results: mx\.schule\.test;\r\n dmarc=temperror/);
      assert.equal(await inboundCount(s.db), 0);
    } finally {
      await s.stop();
    }
  });
});

describe("staticResolver", () => {
  const resolve = staticResolver({
    "Outside.Test": { TXT: [["v=spf1 ", "-all"]], mx: ["mx.outside.test"] },
  });

  it("answers known names case-insensitively, with or without a trailing dot", async () => {
    assert.deepEqual(await resolve("outside.test", "TXT"), [["v=spf1 ", "-all"]]);
    assert.deepEqual(await resolve("OUTSIDE.test.", "txt"), [["v=spf1 ", "-all"]]);
    assert.deepEqual(await resolve("outside.test", "MX"), ["mx.outside.test"]);
  });

  it("says ENODATA for a known name without records of the type and ENOTFOUND for unknown names", async () => {
    await assert.rejects(resolve("outside.test", "A"), { code: "ENODATA" });
    await assert.rejects(resolve("nowhere.test", "TXT"), { code: "ENOTFOUND", hostname: "nowhere.test" });
  });

  it("hands out copies", async () => {
    const a = (await resolve("outside.test", "TXT")) as string[][];
    a[0]?.push("changed");
    assert.deepEqual(await resolve("outside.test", "TXT"), [["v=spf1 ", "-all"]]);
  });
});
