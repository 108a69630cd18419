/**
 * Test helpers for the inbound server: a raw line-based SMTP client on loopback, a PGlite store
 * with the mail migrations, DNS tables for the static resolver, and keys/certificates made at
 * test time.
 */
import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger, migrate, openPglite, type Db } from "@schulhof/core";
import { DEFAULT_MAIL_POLICY, dmarcDecision, type MailPolicy } from "../../src/policy/index.ts";
import { MAIL_MIGRATIONS } from "../../src/store/migrations.ts";
import { staticResolver, type DnsRecords } from "../../src/inbound/auth.ts";
import { startInboundServer, type InboundOptions, type RunningInbound } from "../../src/inbound/server.ts";
import { storeInbound } from "../../src/inbound/queue.ts";
import { verdictOf } from "../../src/inbound/types.ts";

/** A logger that writes nothing. */
export const silentLog = createLogger("inbound-test", "silent");

/** The school's addresses the test servers know. */
export const KNOWN = new Set(["lena.koehler@schule.test", "postmaster@schule.test"]);

/** An SMTP reply: code, the text lines (without the code), the whole text. */
export interface Reply {
  code: number;
  lines: string[];
  text: string;
}

/** A raw SMTP client: write command lines, read replies one at a time (multi-line aware). */
export interface RawSmtp {
  socket: Socket;
  read(): Promise<Reply>;
  write(data: string | Buffer): void;
  command(line: string): Promise<Reply>;
  /** Resolves when the server closed the connection. */
  closed: Promise<void>;
  end(): void;
}

/** Connects to the server on loopback and reads the greeting into `greeting`. */
export async function rawSmtp(port: number): Promise<RawSmtp & { greeting: Reply }> {
  const socket = connect({ host: "127.0.0.1", port });
  socket.setNoDelay(true);
  let buffer = "";
  const replies: Reply[] = [];
  const waiting: ((r: Reply) => void)[] = [];
  let current: string[] = [];
  let isClosed = false;
  const closed = new Promise<void>((resolve) =>
    socket.on("close", () => {
      isClosed = true;
      resolve();
      for (const w of waiting.splice(0)) w({ code: 0, lines: ["<closed>"], text: "<closed>" });
    }),
  );
  socket.on("error", () => undefined);
  socket.on("data", (chunk: Buffer) => {
    buffer += chunk.toString("latin1");
    let nl: number;
    while ((nl = buffer.indexOf("\r\n")) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 2);
      current.push(line.slice(4));
      if (line.charAt(3) !== "-") {
        const reply = { code: Number(line.slice(0, 3)), lines: current, text: current.join("\n") };
        current = [];
        const w = waiting.shift();
        if (w) w(reply);
        else replies.push(reply);
      }
    }
  });
  const read = (): Promise<Reply> => {
    const r = replies.shift();
    if (r) return Promise.resolve(r);
    if (isClosed) return Promise.resolve({ code: 0, lines: ["<closed>"], text: "<closed>" });
    return new Promise((resolve) => waiting.push(resolve));
  };
  const write = (data: string | Buffer): void => {
    if (!socket.destroyed) socket.write(data);
  };
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("error", reject);
  });
  const greeting = await read();
  return {
    socket,
    greeting,
    read,
    write,
    command: (line) => {
      write(`${line}\r\n`);
      return read();
    },
    closed,
    end: () => socket.end(),
  };
}

/** A message with headers and a CRLF body, dot-stuffed for DATA and terminated by `.`. */
export function dataOf(message: string): string {
  const crlf = message.replace(/\r?\n/g, "\r\n");
  const stuffed = crlf.replace(/^\./gm, "..");
  return `${stuffed}${stuffed.endsWith("\r\n") ? "" : "\r\n"}.\r\n`;
}

/** A simple message from a@outside.test to lena. */
export function simpleMessage(subject = "Hallo", body = "Guten Tag!"): string {
  return [
    "From: Anna Außen <a@outside.test>",
    "To: lena.koehler@schule.test",
    `Subject: ${subject}`,
    "Date: Tue, 05 Mar 2024 10:00:00 +0000",
    "Message-ID: <m1@outside.test>",
    "",
    body,
    "",
  ].join("\r\n");
}

/** An in-memory database with the mail schema. */
export async function testDb(): Promise<Db> {
  const db = await openPglite(null);
  await migrate(db, "mail", MAIL_MIGRATIONS);
  return db;
}

let shared: Promise<Db> | null = null;

/**
 * One database per test file (PGlite takes seconds to start): `inbound` is emptied each time a
 * test server starts. Close it with `closeSharedDb` in the file's `after`.
 */
export function sharedDb(): Promise<Db> {
  shared ??= testDb();
  return shared;
}

/** Closes the database of `sharedDb`, if one was opened. */
export async function closeSharedDb(): Promise<void> {
  const db = shared;
  shared = null;
  if (db !== null) await (await db).close();
}

/** Number of rows in `inbound`. */
export async function inboundCount(db: Db): Promise<number> {
  const r = await db.query<{ n: number | string }>("SELECT count(*)::int AS n FROM inbound");
  return Number(r.rows[0]?.n ?? 0);
}

/** The DNS of outside.test: SPF for 127.0.0.1, DMARC `p`, and DKIM keys by selector. */
export function outsideDns(opts: { dmarc?: string; dkim?: Record<string, string> } = {}): DnsRecords {
  const records: DnsRecords = {
    "outside.test": { TXT: [["v=spf1 ip4:127.0.0.1 -all"]], A: ["127.0.0.1"] },
    "_dmarc.outside.test": { TXT: [[opts.dmarc ?? "v=DMARC1; p=reject"]] },
  };
  for (const [selector, publicKey] of Object.entries(opts.dkim ?? {})) {
    records[`${selector}._domainkey.outside.test`] = { TXT: [[`v=DKIM1; k=rsa; p=${publicKey}`]] };
  }
  return records;
}

/** A fresh RSA key pair for DKIM: the private key (PEM) and the public key for the DNS record (base64 SPKI). */
export function dkimKeys(): { privateKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return {
    privateKey: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    publicKey: publicKey.export({ type: "spki", format: "der" }).toString("base64"),
  };
}

/** A self-signed certificate for `name` (and 127.0.0.1), made with the openssl CLI. */
export function selfSignedCert(name: string): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), "inbound-tls-"));
  try {
    execFileSync(
      "openssl",
      [
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        "-subj", `/CN=${name}`, "-addext", `subjectAltName=DNS:${name},IP:127.0.0.1`,
        "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"),
      ],
      { stdio: "ignore" },
    );
    return { key: readFileSync(join(dir, "key.pem"), "utf8"), cert: readFileSync(join(dir, "cert.pem"), "utf8") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A running test server with its (shared) database and the recipients it was asked about. */
export interface TestServer extends RunningInbound {
  db: Db;
  checked: string[];
  stop(): Promise<void>;
}

/**
 * Starts an inbound server on 127.0.0.1:0 with a PGlite store, the school's recipients in `KNOWN`,
 * outside.test's DNS (static), and `decide` = the policy's DMARC decision. `overrides` replace any option.
 */
export async function startTestServer(
  overrides: Partial<InboundOptions> & { policy?: MailPolicy; dns?: DnsRecords } = {},
): Promise<TestServer> {
  const db = await sharedDb();
  await db.query("TRUNCATE inbound RESTART IDENTITY");
  const checked: string[] = [];
  const policy = overrides.policy ?? DEFAULT_MAIL_POLICY;
  const { policy: _p, dns, ...rest } = overrides;
  const server = await startInboundServer({
    bind: "127.0.0.1",
    port: 0,
    hostname: "mx.schule.test",
    maxBytes: 64 * 1024,
    maxRecipients: 5,
    log: silentLog,
    resolver: staticResolver(dns ?? outsideDns()),
    closeTimeoutMs: 2000,
    async checkRecipient(rcpt) {
      checked.push(rcpt);
      if (KNOWN.has(rcpt.toLowerCase())) return { ok: true };
      return { ok: false, code: 550, enhanced: "5.1.1", message: "No such user here" };
    },
    decide: (auth) => verdictOf(dmarcDecision(auth.dmarc, policy)),
    store: async (msg) => ({ id: await storeInbound(db, msg) }),
    ...rest,
  });
  return {
    ...server,
    db,
    checked,
    stop: () => server.close(),
  };
}
