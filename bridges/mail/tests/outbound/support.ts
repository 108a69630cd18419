/**
 * Shared helpers of the outbound tests: a fresh PGlite with the mail schema, a DKIM test key with a
 * static DNS resolver for mailauth (never the system DNS), composed test mails, polling, free ports.
 */
import { generateKeyPairSync } from "node:crypto";
import { createServer } from "node:net";
import { once } from "node:events";
import { createLogger, migrate, openPglite, type Db, type Logger } from "@schulhof/core";
import { composeMail } from "../../src/content/compose.ts";
import { MAIL_MIGRATIONS } from "../../src/store/migrations.ts";
import { bounceAddress, enqueueOutbound, type OutboundOutcome, type OutboundRow } from "../../src/outbound/index.ts";

export const DOMAIN = "schulhof.example";
export const SECRET = "test-verp-secret-0123456789";
export const SELECTOR = "mail2026";

/** A logger that writes nothing. */
export const silentLog: Logger = createLogger("test", "silent");

/** An in-memory PGlite with the mail bridge's schema. */
export async function freshDb(): Promise<Db> {
  const db = await openPglite(null);
  await migrate(db, "mail", MAIL_MIGRATIONS);
  return db;
}

const keys = generateKeyPairSync("rsa", { modulusLength: 2048 });
/** The school's DKIM key pair (PEM private key, base64 SPKI public key for the DNS record). */
export const DKIM_KEY = {
  privateKey: keys.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
  publicKeyB64: keys.publicKey.export({ type: "spki", format: "der" }).toString("base64"),
};

/** The sender's DKIM configuration for the school domain. */
export const DKIM = { domainName: DOMAIN, keySelector: SELECTOR, privateKey: DKIM_KEY.privateKey };

/**
 * A static resolver for mailauth: publishes the DKIM key and a DMARC record of the school domain;
 * every other name is NXDOMAIN. Records every query in `queries`.
 */
export function staticResolver(): { resolver: (name: string, rrtype: string) => Promise<string[][]>; queries: string[] } {
  const txt = new Map<string, string>([
    [`${SELECTOR}._domainkey.${DOMAIN}`, `v=DKIM1; k=rsa; p=${DKIM_KEY.publicKeyB64}`],
    [`_dmarc.${DOMAIN}`, "v=DMARC1; p=reject; adkim=s"],
  ]);
  const queries: string[] = [];
  const resolver = async (name: string, rrtype: string): Promise<string[][]> => {
    queries.push(`${rrtype} ${name}`);
    const value = rrtype === "TXT" ? txt.get(name.toLowerCase()) : undefined;
    if (value === undefined) {
      const err = new Error(`queryTxt ENOTFOUND ${name}`) as Error & { code: string };
      err.code = "ENOTFOUND";
      throw err;
    }
    return [[value]];
  };
  return { resolver, queries };
}

/** A composed test mail from a teacher of the school. */
export async function testMail(messageId: string, to: string[] = ["eltern@familie.example"], subject = "Wandertag"): Promise<Buffer> {
  return composeMail({
    from: { address: `frau.mueller@${DOMAIN}`, name: "Frau Müller" },
    to,
    subject,
    text: "Liebe Eltern,\n\nam Freitag ist Wandertag.\n\nViele Grüße",
    messageId,
    date: new Date("2026-03-03T10:00:00Z"),
  });
}

let counter = 0;

/** Queues a test mail (VERP envelope sender); answers the row id. */
export async function queueMail(db: Db, opts: { to?: string[]; cause?: string; messageId?: string } = {}): Promise<{ id: number; messageId: string; raw: Buffer }> {
  counter++;
  const messageId = opts.messageId ?? `<out-${counter}-${Date.now()}@${DOMAIN}>`;
  const to = opts.to ?? ["eltern@familie.example"];
  const raw = await testMail(messageId, to);
  const { id } = await db.transaction((tx) =>
    enqueueOutbound(tx, {
      cause: opts.cause ?? `$event-${counter}-${Date.now()}`,
      roomId: "!raum:schulhof.example",
      senderUser: "@frau.mueller:schulhof.example",
      messageId,
      mailFrom: (rowId) => bounceAddress(rowId, DOMAIN, SECRET),
      rcptTo: to,
      raw,
    }),
  );
  return { id, messageId, raw };
}

/** Records every `onOutcome` call. */
export function outcomeRecorder(): { calls: { row: OutboundRow; outcome: OutboundOutcome }[]; hook: (tx: unknown, row: OutboundRow, outcome: OutboundOutcome) => Promise<void> } {
  const calls: { row: OutboundRow; outcome: OutboundOutcome }[] = [];
  return {
    calls,
    hook: async (_tx, row, outcome) => {
      calls.push({ row, outcome });
    },
  };
}

/** Polls `check` every 10 ms until it returns true; fails after `timeoutMs`. */
export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs = 10_000, what = "condition"): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A loopback port that nothing listens on (taken from the OS, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Reads state, attempts and last_error of an outbound row. */
export async function rowState(db: Db, id: number): Promise<{ state: string; attempts: number; last_error: string | null; sent_at: Date | null; relay_response: string | null; mail_from: string }> {
  const r = await db.query<{ state: string; attempts: number; last_error: string | null; sent_at: Date | null; relay_response: string | null; mail_from: string }>(
    "SELECT state, attempts, last_error, sent_at, relay_response, mail_from FROM outbound WHERE id = $1",
    [id],
  );
  const row = r.rows[0];
  if (row === undefined) throw new Error(`no outbound row ${id}`);
  return row;
}
