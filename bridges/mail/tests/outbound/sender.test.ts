// The outbound sender against a real capturing SMTP peer and PGlite: DKIM, retries, rejections, expiry, crash re-send.
import assert from "node:assert/strict";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import { authenticate } from "mailauth";
import type { Db, Queryable } from "@schulhof/core";
import { parseBounceAddress, startOutboundSender, type OutboundSender, type OutboundSenderOptions } from "../../src/outbound/index.ts";
import { startSmtpPeer, type SmtpPeer } from "./peer.ts";
import { closedPort, DKIM, DOMAIN, freshDb, outcomeRecorder, queueMail, rowState, SECRET, silentLog, staticResolver, waitFor } from "./support.ts";

let db: Db;
let peer: SmtpPeer | null = null;
const senders: OutboundSender[] = [];

before(async () => {
  db = await freshDb();
});

after(async () => {
  await db.close();
});

beforeEach(async () => {
  await db.query("TRUNCATE outbound RESTART IDENTITY");
});

afterEach(async () => {
  for (const s of senders.splice(0)) await s.stop();
  await peer?.close();
  peer = null;
});

function start(port: number, hook: OutboundSenderOptions["onOutcome"], extra: Partial<OutboundSenderOptions> = {}, database: Db = db): OutboundSender {
  const sender = startOutboundSender({
    db: database,
    log: silentLog,
    relay: { host: "127.0.0.1", port, secure: false },
    dkim: DKIM,
    hostname: "bridge.schulhof.example",
    onOutcome: hook,
    backoffBaseMs: 20,
    backoffMaxMs: 200,
    timeouts: { connectionMs: 2000, greetingMs: 2000, socketMs: 5000 },
    ...extra,
  });
  senders.push(sender);
  return sender;
}

describe("outbound sender", () => {
  it("delivers a queued message once, DKIM-signed for the school domain (mailauth: dkim and dmarc pass)", async () => {
    peer = await startSmtpPeer();
    const rec = outcomeRecorder();
    const sender = start(peer.port, rec.hook);
    const mail = await queueMail(db, { to: ["eltern@familie.example", "oma@andere.example"] });
    sender.kick();
    await peer.waitForMessages(1);
    await waitFor(async () => (await rowState(db, mail.id)).state === "sent", 5000, "state sent");

    assert.equal(peer.deliveries.length, 1);
    const got = peer.messages[0];
    assert.ok(got);
    assert.equal(got.messageId, mail.messageId);
    assert.equal(parseBounceAddress(got.mailFrom, DOMAIN, SECRET), mail.id, "envelope sender is the row's VERP address");
    assert.deepEqual(got.rcptTo, ["eltern@familie.example", "oma@andere.example"]);
    // The raw message is sent unchanged behind the added DKIM-Signature header.
    const text = got.raw.toString("latin1");
    assert.match(text, /^DKIM-Signature: /);
    assert.ok(got.raw.includes(mail.raw), "raw message kept byte for byte");

    const { resolver, queries } = staticResolver();
    const auth = await authenticate(got.raw, {
      resolver,
      ip: "127.0.0.1",
      helo: "bridge.schulhof.example",
      sender: got.mailFrom,
      mta: "peer.test",
      disableArc: true,
      disableBimi: true,
    });
    const dkim = auth.dkim.results[0];
    assert.ok(dkim);
    assert.equal(dkim.status.result, "pass", dkim.status.comment);
    assert.equal(dkim.signingDomain, DOMAIN);
    assert.ok(auth.dmarc, "DMARC evaluated");
    assert.equal(auth.dmarc.status.result, "pass");
    assert.ok(queries.includes(`TXT mail2026._domainkey.${DOMAIN}`));

    const row = await rowState(db, mail.id);
    assert.equal(row.attempts, 1);
    assert.ok(row.sent_at instanceof Date);
    assert.match(row.relay_response ?? "", /^250 /);
    assert.deepEqual(
      rec.calls.map((c) => c.outcome.kind),
      ["sent"],
    );
    assert.equal(rec.calls[0]?.row.state, "sent");
    assert.equal(rec.calls[0]?.row.id, mail.id);
  });

  it("retries after 451 twice and a dropped connection, then delivers once; only 'sent' is reported", async () => {
    peer = await startSmtpPeer({ answers: ["451", "drop", "451"] });
    const rec = outcomeRecorder();
    const sender = start(peer.port, rec.hook);
    const mail = await queueMail(db);
    sender.kick();
    await waitFor(async () => (await rowState(db, mail.id)).state === "sent", 5000, "state sent");
    const row = await rowState(db, mail.id);
    assert.equal(row.attempts, 4);
    assert.equal(row.last_error, null);
    assert.equal(peer.connections, 4);
    assert.equal(peer.deliveries.length, 1);
    assert.equal(peer.messages.length, 1);
    assert.deepEqual(
      rec.calls.map((c) => c.outcome.kind),
      ["sent"],
    );
  });

  it("451 twice then accept → exactly 3 attempts", async () => {
    peer = await startSmtpPeer({ answers: ["451", "451"] });
    const rec = outcomeRecorder();
    const sender = start(peer.port, rec.hook);
    const mail = await queueMail(db);
    sender.kick();
    await waitFor(async () => (await rowState(db, mail.id)).state === "sent", 5000, "state sent");
    assert.equal((await rowState(db, mail.id)).attempts, 3);
    assert.equal(peer.deliveries.length, 1);
    assert.deepEqual(
      rec.calls.map((c) => c.outcome.kind),
      ["sent"],
    );
  });

  it("a 550 after DATA fails the row and reports 'rejected' with the code", async () => {
    peer = await startSmtpPeer({ answers: ["550"] });
    const rec = outcomeRecorder();
    const sender = start(peer.port, rec.hook);
    const mail = await queueMail(db);
    sender.kick();
    await waitFor(() => rec.calls.length === 1, 5000, "outcome");
    const outcome = rec.calls[0]?.outcome;
    assert.equal(outcome?.kind, "rejected");
    assert.ok(outcome?.kind === "rejected");
    assert.equal(outcome.code, 550);
    assert.match(outcome.response, /^550 5\.7\.1 Message refused/);
    const row = await rowState(db, mail.id);
    assert.equal(row.state, "failed");
    assert.equal(row.attempts, 1);
    assert.match(row.last_error ?? "", /550/);
    assert.equal(rec.calls[0]?.row.state, "failed");
    assert.equal(peer.messages.length, 0);
    // No further attempts.
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(peer.connections, 1);
  });

  it("a 550 to every RCPT TO is a rejection too", async () => {
    peer = await startSmtpPeer({ answers: ["rcpt:550"] });
    const rec = outcomeRecorder();
    const sender = start(peer.port, rec.hook);
    const mail = await queueMail(db);
    sender.kick();
    await waitFor(() => rec.calls.length === 1, 5000, "outcome");
    const outcome = rec.calls[0]?.outcome;
    assert.ok(outcome?.kind === "rejected");
    assert.equal(outcome.code, 550);
    assert.equal((await rowState(db, mail.id)).state, "failed");
  });

  it("a 451 to every RCPT TO is retried", async () => {
    peer = await startSmtpPeer({ answers: ["rcpt:451"] });
    const rec = outcomeRecorder();
    const sender = start(peer.port, rec.hook);
    const mail = await queueMail(db);
    sender.kick();
    await waitFor(async () => (await rowState(db, mail.id)).state === "sent", 5000, "state sent");
    assert.equal((await rowState(db, mail.id)).attempts, 2);
    assert.deepEqual(
      rec.calls.map((c) => c.outcome.kind),
      ["sent"],
    );
  });

  it("a recipient refused while others are accepted: 'sent' naming the refused one", async () => {
    peer = await startSmtpPeer({ refuse: ["gibtsnicht@familie.example"] });
    const rec = outcomeRecorder();
    const sender = start(peer.port, rec.hook);
    const mail = await queueMail(db, { to: ["eltern@familie.example", "gibtsnicht@familie.example"] });
    sender.kick();
    await waitFor(() => rec.calls.length === 1, 5000, "outcome");
    const outcome = rec.calls[0]?.outcome;
    assert.ok(outcome?.kind === "sent");
    assert.deepEqual(outcome.refused.map((r) => [r.address, r.code]), [["gibtsnicht@familie.example", 550]]);
    assert.match(outcome.refused[0]?.response ?? "", /No such user/);
    assert.deepEqual(peer.messages[0]?.rcptTo, ["eltern@familie.example"]);
    assert.equal((await rowState(db, mail.id)).state, "sent");
  });

  it("relay down: retried with backoff without notification; delivered once the relay is up", async () => {
    const port = await closedPort();
    const rec = outcomeRecorder();
    const sender = start(port, rec.hook);
    const mail = await queueMail(db);
    sender.kick();
    await waitFor(async () => (await rowState(db, mail.id)).attempts >= 3, 5000, "three failed attempts");
    const row = await rowState(db, mail.id);
    assert.equal(row.state, "queued");
    assert.match(row.last_error ?? "", /ECONNREFUSED|ECONNECTION|ESOCKET/);
    assert.equal(rec.calls.length, 0);
    const next = await db.query<{ later: boolean }>("SELECT next_attempt_at > created_at AS later FROM outbound WHERE id = $1", [mail.id]);
    assert.equal(next.rows[0]?.later, true);

    peer = await startSmtpPeer({ port });
    await peer.waitForMessages(1);
    await waitFor(async () => (await rowState(db, mail.id)).state === "sent", 5000, "state sent");
    assert.equal(peer.deliveries.length, 1);
    assert.deepEqual(
      rec.calls.map((c) => c.outcome.kind),
      ["sent"],
    );
  });

  it("relay down for longer than maxAgeMs: 'failed' and 'expired' with the last error", async () => {
    const port = await closedPort();
    const rec = outcomeRecorder();
    const sender = start(port, rec.hook, { maxAgeMs: 50 });
    const mail = await queueMail(db);
    sender.kick();
    await waitFor(() => rec.calls.length === 1, 5000, "expiry");
    const outcome = rec.calls[0]?.outcome;
    assert.ok(outcome?.kind === "expired");
    assert.match(outcome.lastError, /ECONNREFUSED|ECONNECTION|ESOCKET/);
    const row = await rowState(db, mail.id);
    assert.equal(row.state, "failed");
    assert.ok(row.attempts >= 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(rec.calls.length, 1, "expired once");
  });

  it("crash after the peer's 250 but before the commit: re-sent after restart, the peer keeps one copy", async () => {
    peer = await startSmtpPeer();
    const rec = outcomeRecorder();
    // First process: the outcome can never be committed (the database "dies" after the send).
    const broken: Db = {
      kind: db.kind,
      query: (sql, params) => db.query(sql, params),
      transaction: async () => {
        throw new Error("simulated crash before commit");
      },
      close: async () => undefined,
    };
    const first = start(peer.port, rec.hook, {}, broken);
    const mail = await queueMail(db);
    first.kick();
    await peer.waitForMessages(1);
    await waitFor(() => peer !== null && peer.deliveries.length === 1, 5000, "first delivery");
    await first.stop();
    assert.equal((await rowState(db, mail.id)).state, "queued");
    assert.equal(rec.calls.length, 0);

    // Restart: the message goes out again with the same Message-ID.
    const second = start(peer.port, rec.hook);
    second.kick();
    await waitFor(async () => (await rowState(db, mail.id)).state === "sent", 5000, "state sent");
    assert.equal(peer.deliveries.length, 2, "sent twice");
    assert.equal(peer.deliveries[0]?.messageId, peer.deliveries[1]?.messageId);
    assert.equal(peer.messages.length, 1, "the peer de-duplicated by Message-ID");
    assert.deepEqual(
      rec.calls.map((c) => c.outcome.kind),
      ["sent"],
    );
  });

  it("an outcome that fails to commit once is recorded later without sending again", async () => {
    peer = await startSmtpPeer();
    let failures = 1;
    const calls: string[] = [];
    const hook = async (_tx: Queryable, _row: unknown, outcome: { kind: string }): Promise<void> => {
      calls.push(outcome.kind);
      if (failures-- > 0) throw new Error("notification queue unavailable");
    };
    const sender = start(peer.port, hook);
    const mail = await queueMail(db);
    sender.kick();
    await waitFor(async () => (await rowState(db, mail.id)).state === "sent", 5000, "state sent");
    assert.deepEqual(calls, ["sent", "sent"], "hook retried (first call rolled back)");
    assert.equal(peer.deliveries.length, 1, "not sent again");
    assert.equal((await rowState(db, mail.id)).attempts, 1);
  });

  it("sends in parallel but one at a time per recipient domain", async () => {
    peer = await startSmtpPeer({ delayMs: 60 });
    const rec = outcomeRecorder();
    const sender = start(peer.port, rec.hook, { concurrency: 4 });
    const queued: { domain: string; messageId: string }[] = [];
    for (const domain of ["a.example", "a.example", "b.example", "b.example", "c.example", "c.example"]) {
      queued.push({ domain, messageId: (await queueMail(db, { to: [`x@${domain}`] })).messageId });
    }
    sender.kick();
    await waitFor(() => rec.calls.length === 6, 10_000, "six outcomes");
    assert.ok(peer.maxParallel >= 2, `parallel sends (max ${peer.maxParallel})`);
    for (const d of ["a.example", "b.example", "c.example"]) assert.equal(peer.maxParallelPerDomain.get(d), 1, d);
    // Messages to the same domain go out in id order.
    const arrived = peer.messages.map((m) => m.messageId);
    for (const d of ["a.example", "b.example", "c.example"]) {
      const [firstId, secondId] = queued.filter((q) => q.domain === d).map((q) => q.messageId);
      assert.ok(arrived.indexOf(firstId ?? "") < arrived.indexOf(secondId ?? ""), d);
    }
  });

  it("stop() waits for a send in flight", async () => {
    peer = await startSmtpPeer({ delayMs: 200 });
    const rec = outcomeRecorder();
    const sender = start(peer.port, rec.hook);
    const mail = await queueMail(db);
    sender.kick();
    await waitFor(() => peer !== null && peer.connections === 1, 5000, "connection");
    await sender.stop();
    assert.equal((await rowState(db, mail.id)).state, "sent");
    assert.equal(rec.calls.length, 1);
  });

  it("kick() wakes an idle loop at once (poll interval one minute)", async () => {
    peer = await startSmtpPeer();
    const rec = outcomeRecorder();
    const sender = start(peer.port, rec.hook, { pollMs: 60_000 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const mail = await queueMail(db);
    const t0 = Date.now();
    sender.kick();
    await waitFor(async () => (await rowState(db, mail.id)).state === "sent", 5000, "state sent");
    assert.ok(Date.now() - t0 < 3000);
  });

  it("authenticates over STARTTLS when the relay requires it", async () => {
    peer = await startSmtpPeer({ auth: { user: "bridge", pass: "geheim" } });
    const rec = outcomeRecorder();
    const sender = start(peer.port, rec.hook, {
      relay: { host: "127.0.0.1", port: peer.port, secure: false, requireTLS: true, auth: { user: "bridge", pass: "geheim" }, tls: { rejectUnauthorized: false } },
    });
    const mail = await queueMail(db);
    sender.kick();
    await waitFor(async () => (await rowState(db, mail.id)).state === "sent", 5000, "state sent");
    assert.equal(peer.messages[0]?.user, "bridge");
    assert.equal(peer.messages[0]?.secure, true);
  });

  it("wrong relay credentials are retried (a configuration problem, not a rejection of the mail)", async () => {
    peer = await startSmtpPeer({ auth: { user: "bridge", pass: "geheim" } });
    const rec = outcomeRecorder();
    const sender = start(peer.port, rec.hook, {
      relay: { host: "127.0.0.1", port: peer.port, secure: false, requireTLS: true, auth: { user: "bridge", pass: "falsch" }, tls: { rejectUnauthorized: false } },
    });
    const mail = await queueMail(db);
    sender.kick();
    await waitFor(async () => (await rowState(db, mail.id)).attempts >= 2, 5000, "two attempts");
    const row = await rowState(db, mail.id);
    assert.equal(row.state, "queued");
    assert.match(row.last_error ?? "", /EAUTH/);
    assert.equal(rec.calls.length, 0);
  });

  it("refuses to start with an unreadable DKIM key", () => {
    assert.throws(() =>
      startOutboundSender({
        db,
        log: silentLog,
        relay: { host: "127.0.0.1", port: 1, secure: false },
        dkim: { ...DKIM, privateKey: "not a key" },
        onOutcome: async () => undefined,
      }),
    );
  });
});
