// STARTTLS with a self-signed certificate made at test time (openssl CLI): offered, upgraded, delivered.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { connect as tlsConnect } from "node:tls";
import { createTransport } from "nodemailer";
import { closeSharedDb, rawSmtp, selfSignedCert, startTestServer, type TestServer } from "./helpers.ts";

after(closeSharedDb);

describe("STARTTLS", () => {
  const { key, cert } = selfSignedCert("mx.schule.test");
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ tls: { key, cert } });
  });
  after(() => s.stop());

  it("is offered in the EHLO reply", async () => {
    const c = await rawSmtp(s.port);
    const ehlo = await c.command("EHLO client.outside.test");
    assert.ok(ehlo.lines.includes("STARTTLS"), ehlo.text);
    await c.command("QUIT");
  });

  it("upgrades a nodemailer client that requires TLS and delivers over it", async () => {
    const t = createTransport({
      host: "127.0.0.1",
      port: s.port,
      secure: false,
      requireTLS: true,
      name: "client.outside.test",
      tls: { ca: [cert], servername: "mx.schule.test", minVersion: "TLSv1.2" },
    });
    const info = await t.sendMail({ from: "a@outside.test", to: "lena.koehler@schule.test", subject: "Verschlüsselt", text: "über TLS" });
    t.close();
    assert.match(info.response, /^250 /);
    const r = await s.db.query<{ raw: Uint8Array }>("SELECT raw FROM inbound ORDER BY id DESC LIMIT 1");
    const raw = Buffer.from(r.rows[0]?.raw ?? new Uint8Array()).toString("utf8");
    assert.match(raw, /^Received: from client\.outside\.test \(\[127\.0\.0\.1\]\)\r\n\tby mx\.schule\.test \(Schulhof\) with ESMTPS id /m);
  });

  it("presents the configured certificate after STARTTLS", async () => {
    const c = await rawSmtp(s.port);
    await c.command("EHLO client.outside.test");
    const r = await c.command("STARTTLS");
    assert.equal(r.code, 220);
    c.socket.removeAllListeners("data"); // the TLS socket reads from here on
    const secure = tlsConnect({ socket: c.socket, ca: [cert], servername: "mx.schule.test" });
    await new Promise<void>((resolve, reject) => {
      secure.once("secureConnect", () => resolve());
      secure.once("error", reject);
    });
    assert.equal(secure.authorized, true);
    assert.equal(String(secure.getPeerCertificate().subject.CN), "mx.schule.test");
    const reply = new Promise<string>((resolve) => secure.once("data", (d: Buffer) => resolve(d.toString())));
    secure.write("EHLO client.outside.test\r\n");
    const ehlo = await reply;
    assert.match(ehlo, /^250-mx\.schule\.test /);
    assert.doesNotMatch(ehlo, /STARTTLS/, "not offered again inside TLS");
    secure.destroy();
  });
});
