/**
 * The outbound sender: delivers queued rows of the `outbound` table to the configured relay
 * (smarthost) with nodemailer, DKIM-signed, and records every final outcome in ONE transaction
 * together with the caller's `onOutcome` hook (which queues the Matrix notice durably).
 *
 * Delivery is at least once. If the process dies between the relay's 250 and the commit of the
 * outcome, the row is still 'queued' and the message is sent again after the restart. That is
 * accepted: the raw message (and so its Message-ID) is the same bytes, and receivers de-duplicate
 * by Message-ID. Within one process an outcome that could not be recorded (database error, or
 * `onOutcome` threw) is kept in memory and recorded later without sending again.
 *
 * Run exactly one sender per database: rows are claimed in memory, not in the database.
 */
import { createPrivateKey } from "node:crypto";
import type { Db, Logger, Queryable } from "@schulhof/core";
import { createTransport, type SMTPTransportOptions } from "nodemailer";
import { cleanLine } from "../content/util.ts";
import { OUTBOUND_COLUMNS, toBuffer, toOutboundRow, type OutboundRow } from "./queue.ts";

/** Where outbound mail goes: the relay (smarthost) of the school. */
export interface RelayConfig {
  host: string;
  port: number;
  /** Implicit TLS (port 465). */
  secure: boolean;
  /** Insist on STARTTLS when `secure` is false. */
  requireTLS?: boolean;
  auth?: { user: string; pass: string };
  tls?: { rejectUnauthorized?: boolean; servername?: string };
}

/** DKIM key of the school domain (the selector's public key is published in DNS). */
export interface DkimConfig {
  domainName: string;
  keySelector: string;
  /** PEM private key (RSA ≥ 1024 bits or Ed25519). */
  privateKey: string;
}

/** A recipient the relay refused while accepting the others. */
export interface RefusedRecipient {
  address: string;
  code: number | null;
  response: string;
}

/** The final result of one outbound mail, handed to `onOutcome`. */
export type OutboundOutcome =
  | {
      kind: "sent";
      /** The relay's final answer ("250 2.0.0 Ok: queued as …"). */
      response: string;
      /** Recipients refused while the others were accepted (not retried); usually empty. */
      refused: RefusedRecipient[];
    }
  | {
      kind: "rejected";
      /** SMTP reply code (5xx), or 0 when the envelope was refused locally. */
      code: number;
      response: string;
    }
  | {
      kind: "expired";
      lastError: string;
    };

/** Called inside the transaction that records an outcome; throwing rolls the outcome back. */
export type OutcomeHook = (tx: Queryable, row: OutboundRow, outcome: OutboundOutcome) => Promise<void>;

/** Options of `startOutboundSender`. */
export interface OutboundSenderOptions {
  db: Db;
  log: Logger;
  relay: RelayConfig;
  /** Signing key; null sends unsigned (only for development: receivers will fail DMARC). */
  dkim: DkimConfig | null;
  onOutcome: OutcomeHook;
  /** Host name announced in EHLO (defaults to the machine's name). */
  hostname?: string;
  /** Messages sent at the same time (default 4); one at a time per recipient domain. */
  concurrency?: number;
  /** First retry delay after a temporary failure (default 30 s); doubles per attempt. */
  backoffBaseMs?: number;
  /** Longest retry delay (default 1 h). */
  backoffMaxMs?: number;
  /** A message still failing temporarily after this age is given up (default 2 days). */
  maxAgeMs?: number;
  /** Longest sleep of the loop when nothing is due (default 60 s); `kick()` wakes it earlier. */
  pollMs?: number;
  /** Relay timeouts in ms: connect (default 30 s), greeting (30 s), socket inactivity (60 s). */
  timeouts?: { connectionMs?: number; greetingMs?: number; socketMs?: number };
}

/** A running sender. */
export interface OutboundSender {
  /** Wakes the loop at once (call after an enqueue committed). */
  kick(): void;
  /** Stops fetching, waits for the sends in flight and closes the transport. */
  stop(): Promise<void>;
}

/** Default `maxAgeMs`: two days. */
export const DEFAULT_MAX_AGE_MS = 2 * 24 * 60 * 60 * 1000;
const DEFAULT_RETRY_BASE_MS = 30_000;
const DEFAULT_RETRY_MAX_MS = 60 * 60 * 1000;
const MAX_TIMER_MS = 2_147_483_647;
const RESPONSE_MAX = 500;

/** The result of one delivery attempt: final (sent or rejected) or to be retried. */
export type SendAttempt = { kind: "final"; outcome: Exclude<OutboundOutcome, { kind: "expired" }> } | { kind: "retry"; error: string };

interface DueRow {
  row: OutboundRow;
  domains: string[];
}

const DUE = `
SELECT ${OUTBOUND_COLUMNS} FROM outbound
WHERE state = 'queued' AND next_attempt_at <= now() AND NOT (id = ANY($1::bigint[]))
ORDER BY id LIMIT $2`;
const NEXT_DUE = `
SELECT (EXTRACT(EPOCH FROM (min(next_attempt_at) - now())) * 1000)::float8 AS ms
FROM outbound WHERE state = 'queued' AND NOT (id = ANY($1::bigint[]))`;
const RAW = `SELECT raw FROM outbound WHERE id = $1 AND state = 'queued'`;
const LOCK = `
SELECT (created_at <= now() - ($2::float8 * interval '1 millisecond')) AS expired
FROM outbound WHERE id = $1 AND state = 'queued' FOR UPDATE`;
const MARK_SENT = `
UPDATE outbound SET state = 'sent', sent_at = now(), attempts = attempts + 1, relay_response = $2, last_error = NULL
WHERE id = $1 AND state = 'queued' RETURNING ${OUTBOUND_COLUMNS}`;
const MARK_FAILED = `
UPDATE outbound SET state = 'failed', attempts = attempts + 1, relay_response = $2, last_error = $3
WHERE id = $1 AND state = 'queued' RETURNING ${OUTBOUND_COLUMNS}`;
const MARK_RETRY = `
UPDATE outbound SET attempts = attempts + 1, last_error = $2, next_attempt_at = now() + ($3::float8 * interval '1 millisecond')
WHERE id = $1 AND state = 'queued'`;

/** A text cut to one clean line of at most `RESPONSE_MAX` characters (relay answers are untrusted). */
function clip(text: unknown): string {
  return cleanLine(typeof text === "string" ? text : String(text ?? ""), RESPONSE_MAX);
}

/** Lowercase domains of the recipients, deduplicated. */
function domainsOf(rcptTo: string[]): string[] {
  return [...new Set(rcptTo.map((a) => a.slice(a.lastIndexOf("@") + 1).toLowerCase()))];
}

interface SmtpError {
  code?: unknown;
  responseCode?: unknown;
  response?: unknown;
  command?: unknown;
  message?: unknown;
  recipient?: unknown;
}

/**
 * Sorts a nodemailer error into a final rejection or a temporary failure. Only a 5xx answer to
 * the envelope (MAIL FROM/RCPT TO/DATA) or to the message itself is final; 5xx to the greeting
 * or to AUTH concerns the relay configuration, not this message, and is retried (until expiry).
 */
export function classifySendError(e: unknown): SendAttempt {
  const err = (typeof e === "object" && e !== null ? e : { message: String(e) }) as SmtpError;
  const code = typeof err.code === "string" ? err.code : "";
  const responseCode = typeof err.responseCode === "number" ? err.responseCode : 0;
  const response = clip(typeof err.response === "string" ? err.response : err.message);
  if ((code === "EENVELOPE" || code === "EMESSAGE") && responseCode >= 500 && responseCode < 600 && responseCode !== 503) {
    return { kind: "final", outcome: { kind: "rejected", code: responseCode, response } };
  }
  if (code === "EENVELOPE" && err.command === "API") {
    return { kind: "final", outcome: { kind: "rejected", code: 0, response: clip(err.message) } };
  }
  const prefix = code ? `${code}: ` : "";
  return { kind: "retry", error: clip(`${prefix}${typeof err.message === "string" ? err.message : response}`) };
}

/** Delay before the next attempt after `attempts` earlier attempts: exponential, capped, ±25 % jitter. */
export function retryDelayMs(attempts: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const exp = baseMs * 2 ** Math.min(Math.max(attempts, 0), 30);
  const jitter = 0.75 + random() * 0.5;
  return Math.max(1, Math.round(Math.min(exp, maxMs) * jitter));
}

/**
 * Starts the outbound sender loop: rows with `state = 'queued' AND next_attempt_at <= now()` are
 * sent in id order, `concurrency` at a time and one at a time per recipient domain. Outcomes:
 * accepted → 'sent' + `{kind: "sent"}`; 5xx → 'failed' + `{kind: "rejected"}`; 4xx, refused
 * connection or timeout → retried with backoff without a notification, or, once the message is
 * older than `maxAgeMs`, 'failed' + `{kind: "expired"}`. Each final outcome and its `onOutcome`
 * call share one transaction.
 * @throws Error when the DKIM private key cannot be read.
 */
export function startOutboundSender(opts: OutboundSenderOptions): OutboundSender {
  const { db, log, onOutcome } = opts;
  const concurrency = Math.max(1, opts.concurrency ?? 4);
  const backoffBaseMs = Math.max(1, opts.backoffBaseMs ?? DEFAULT_RETRY_BASE_MS);
  const backoffMaxMs = Math.max(backoffBaseMs, opts.backoffMaxMs ?? DEFAULT_RETRY_MAX_MS);
  const maxAgeMs = opts.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
  const pollMs = Math.min(Math.max(1, opts.pollMs ?? 60_000), MAX_TIMER_MS);

  const transportOptions: SMTPTransportOptions = {
    host: opts.relay.host,
    port: opts.relay.port,
    secure: opts.relay.secure,
    requireTLS: opts.relay.requireTLS ?? false,
    connectionTimeout: opts.timeouts?.connectionMs ?? 30_000,
    greetingTimeout: opts.timeouts?.greetingMs ?? 30_000,
    socketTimeout: opts.timeouts?.socketMs ?? 60_000,
    disableFileAccess: true,
    disableUrlAccess: true,
    logger: false,
  };
  if (opts.relay.auth) transportOptions.auth = { user: opts.relay.auth.user, pass: opts.relay.auth.pass };
  if (opts.relay.tls) transportOptions.tls = { ...opts.relay.tls };
  if (opts.hostname) transportOptions.name = opts.hostname;
  if (opts.dkim) {
    // Fail at start, not at the first send, for an unreadable key.
    createPrivateKey(opts.dkim.privateKey);
    // nodemailer signs `raw` messages too (verified in tests/outbound/sender.test.ts).
    transportOptions.dkim = { domainName: opts.dkim.domainName, keySelector: opts.dkim.keySelector, privateKey: opts.dkim.privateKey };
  } else {
    log.warn("outbound mail is sent without DKIM signature");
  }
  const transport = createTransport(transportOptions);

  const inFlight = new Map<number, Promise<void>>();
  const busyDomains = new Set<string>();
  /** Rows that wait in memory (an outcome could not be recorded): id → epoch ms. */
  const holdUntil = new Map<number, number>();
  /** Final outcomes delivered but not yet recorded, with the number of failed recordings. */
  const unrecorded = new Map<number, { attempt: SendAttempt; failures: number }>();
  let stopped = false;
  let kicked = false;
  let wake: (() => void) | null = null;

  const poke = (): void => {
    kicked = true;
    const w = wake;
    wake = null;
    w?.();
  };

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      if (kicked || stopped) {
        resolve();
        return;
      }
      const timer = setTimeout(() => {
        wake = null;
        resolve();
      }, Math.min(Math.max(ms, 0), MAX_TIMER_MS));
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  /** Ids not to fetch now: in flight, or held after a failed recording. */
  const excluded = (): number[] => {
    const now = Date.now();
    for (const [id, until] of holdUntil) if (until <= now) holdUntil.delete(id);
    return [...inFlight.keys(), ...holdUntil.keys()];
  };

  async function record(row: OutboundRow, attempt: SendAttempt): Promise<void> {
    await db.transaction(async (tx) => {
      const lock = await tx.query<{ expired: boolean }>(LOCK, [row.id, maxAgeMs]);
      const current = lock.rows[0];
      if (current === undefined) return; // no longer queued (bounced, failed or removed meanwhile)
      if (attempt.kind === "final") {
        const o = attempt.outcome;
        const updated =
          o.kind === "sent"
            ? await tx.query<Record<string, unknown>>(MARK_SENT, [row.id, o.response])
            : await tx.query<Record<string, unknown>>(MARK_FAILED, [row.id, o.response, o.response]);
        const after = updated.rows[0];
        if (after !== undefined) await onOutcome(tx, toOutboundRow(after), o);
        return;
      }
      if (current.expired) {
        const updated = await tx.query<Record<string, unknown>>(MARK_FAILED, [row.id, null, attempt.error]);
        const after = updated.rows[0];
        if (after !== undefined) await onOutcome(tx, toOutboundRow(after), { kind: "expired", lastError: attempt.error });
        return;
      }
      await tx.query(MARK_RETRY, [row.id, attempt.error, retryDelayMs(row.attempts, backoffBaseMs, backoffMaxMs)]);
    });
  }

  async function attemptSend(row: OutboundRow): Promise<SendAttempt | null> {
    const r = await db.query<{ raw: unknown }>(RAW, [row.id]);
    const first = r.rows[0];
    if (first === undefined) return null; // no longer queued
    try {
      const info = await transport.sendMail({ raw: toBuffer(first.raw), envelope: { from: row.mailFrom, to: row.rcptTo } });
      const refusedErrors = (info as { rejectedErrors?: SmtpError[] }).rejectedErrors ?? [];
      const refused: RefusedRecipient[] = (info.rejected ?? []).map((address, i) => {
        const e = refusedErrors.find((x) => x.recipient === address) ?? refusedErrors[i];
        return {
          address: String(address),
          code: typeof e?.responseCode === "number" ? e.responseCode : null,
          response: clip(e?.response ?? ""),
        };
      });
      return { kind: "final", outcome: { kind: "sent", response: clip(info.response), refused } };
    } catch (e) {
      return classifySendError(e);
    }
  }

  async function handle(due: DueRow): Promise<void> {
    const { row } = due;
    const pending = unrecorded.get(row.id);
    let attempt: SendAttempt | null = pending?.attempt ?? null;
    try {
      if (attempt === null) {
        attempt = await attemptSend(row);
        if (attempt === null) return;
        if (attempt.kind === "final") {
          log.info({ outbound_id: row.id, outcome: attempt.outcome.kind, response: attempt.outcome.response }, "outbound mail handed to relay");
        } else {
          log.warn({ outbound_id: row.id, attempts: row.attempts + 1, error: attempt.error }, "outbound mail deferred");
        }
      }
      await record(row, attempt);
      unrecorded.delete(row.id);
    } catch (e) {
      // The relay's answer could not be recorded. A final answer is kept in memory and recorded
      // later without sending again; a temporary failure is simply tried again after a pause.
      const failures = (pending?.failures ?? 0) + 1;
      if (attempt?.kind === "final") unrecorded.set(row.id, { attempt, failures });
      holdUntil.set(row.id, Date.now() + retryDelayMs(failures - 1, backoffBaseMs, backoffMaxMs));
      log.error({ err: e, outbound_id: row.id }, "could not record the outcome of an outbound mail");
    }
  }

  function start(due: DueRow): void {
    for (const d of due.domains) busyDomains.add(d);
    const p = handle(due).finally(() => {
      inFlight.delete(due.row.id);
      for (const d of due.domains) busyDomains.delete(d);
      poke();
    });
    inFlight.set(due.row.id, p);
  }

  /** One pass: starts what may start; answers how long to sleep. */
  async function pass(): Promise<number> {
    if (inFlight.size >= concurrency) return pollMs; // a finishing send wakes the loop
    const exclude = excluded();
    const limit = concurrency * 4;
    const r = await db.query<Record<string, unknown>>(DUE, [exclude, limit]);
    let blocked = false;
    for (const raw of r.rows) {
      if (stopped) break;
      if (inFlight.size >= concurrency) {
        blocked = true;
        break;
      }
      const row = toOutboundRow(raw);
      const domains = domainsOf(row.rcptTo);
      if (domains.some((d) => busyDomains.has(d))) {
        blocked = true;
        continue;
      }
      start({ row, domains });
    }
    if (blocked || r.rows.length >= limit) return blocked ? pollMs : 0;
    const next = await db.query<{ ms: number | string | null }>(NEXT_DUE, [excluded()]);
    const ms = next.rows[0]?.ms;
    let delay = ms === null || ms === undefined ? pollMs : Math.min(Number(ms), pollMs);
    const now = Date.now();
    for (const until of holdUntil.values()) delay = Math.min(delay, until - now);
    return Math.max(delay, 0);
  }

  const loop = (async () => {
    while (!stopped) {
      kicked = false;
      let delay: number;
      try {
        delay = await pass();
      } catch (e) {
        log.error({ err: e }, "outbound queue read failed");
        delay = Math.min(pollMs, backoffBaseMs);
      }
      // Always yield to the event loop, even when more work is due at once.
      if (delay > 0) await sleep(delay);
      else await new Promise<void>((resolve) => setImmediate(resolve));
    }
  })();

  return {
    kick: poke,
    async stop(): Promise<void> {
      stopped = true;
      poke();
      await loop;
      await Promise.allSettled([...inFlight.values()]);
      transport.close();
    },
  };
}
