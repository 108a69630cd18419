// A real SMTP client from outside Node (swaks, Debian's "Swiss Army Knife for SMTP") against the inbound server.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { closeSharedDb, inboundCount, startTestServer, type TestServer } from "./helpers.ts";

const run = promisify(execFile);
const SWAKS = "/usr/bin/swaks";

/** Runs swaks (asynchronously: the server lives in this process) and returns its exit code and transcript. */
async function swaks(args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(SWAKS, [...args, "--timeout", "20"], { timeout: 30_000 });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, out: (e.stdout ?? "") + (e.stderr ?? "") };
  }
}

after(closeSharedDb);

describe("swaks", { skip: existsSync(SWAKS) ? false : "swaks is not installed" }, () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(() => s.stop());

  it("delivers a message and it is stored", async () => {
    const { code, out } = await swaks([
      "--server", "127.0.0.1", "--port", String(s.port),
      "--from", "a@outside.test", "--to", "lena.koehler@schule.test",
      "--header", "Subject: Hallo", "--body", "Hallo Lena, bis morgen!",
    ]);
    assert.equal(code, 0, out);
    assert.match(out, /<- {2}250 2\.0\.0 Ok: queued as \S+/);
    const r = await s.db.query<{ raw: Uint8Array; mail_from: string; rcpt_to: string[]; auth: { spf: string } }>("SELECT raw, mail_from, rcpt_to, auth FROM inbound");
    assert.equal(r.rows.length, 1);
    const row = r.rows[0];
    assert.ok(row);
    assert.equal(row.mail_from, "a@outside.test");
    assert.deepEqual(row.rcpt_to, ["lena.koehler@schule.test"]);
    assert.equal(row.auth.spf, "pass");
    const raw = Buffer.from(row.raw).toString("utf8");
    assert.match(raw, /^Subject: Hallo\r$/m);
    assert.match(raw, /Hallo Lena, bis morgen!/);
  });

  it("sees 550 5.1.1 for an unknown recipient and nothing is stored", async () => {
    const count = await inboundCount(s.db);
    const { code, out } = await swaks(["--server", "127.0.0.1", "--port", String(s.port), "--from", "a@outside.test", "--to", "niemand@schule.test"]);
    assert.notEqual(code, 0);
    assert.match(out, /<\*\* 550 5\.1\.1 No such user here/);
    assert.equal(await inboundCount(s.db), count);
  });
});
