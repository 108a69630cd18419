/**
 * The inbound SMTP server (the school's MX) on smtp-server: decides recipients at RCPT TO, takes
 * the message in with a hard byte limit, checks SPF/DKIM/DMARC/ARC with mailauth, lets the caller
 * decide, and answers 250 only once the caller's `store` has made the message durable. No AUTH (mail
 * from outside only), STARTTLS when a certificate is given, no reverse DNS lookups of clients.
 */
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import type { Logger } from "@schulhof/core";
import { SMTPServer, type SMTPServerAddress, type SMTPServerDataStream, type SMTPServerOptions, type SMTPServerSession } from "smtp-server";
import { smtpSafe } from "../policy/smtp.ts";
import { authenticateMessage, type MailauthResolver } from "./auth.ts";
import { hasHeaderSection, withTraceFields } from "./trace.ts";
import type { AuthSummary, InboundMessage, InboundVerdict } from "./types.ts";

/** Options of `startInboundServer`. */
export interface InboundOptions {
  /** Address to listen on, e.g. `127.0.0.1` or `0.0.0.0`. */
  bind: string;
  /** Port; 0 picks a free one (see the returned `port`). */
  port: number;
  /** Name in the banner and EHLO reply and authserv-id of Authentication-Results, e.g. `mx.schule.de`. */
  hostname: string;
  /** STARTTLS is offered when given; without it the STARTTLS command is refused. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Largest message in bytes: advertised as SIZE; more → 552 5.3.4 (at MAIL FROM when declared, else after DATA). */
  maxBytes: number;
  /** Most recipients of one message; further RCPT TO → 452 4.5.3 (the client sends them later). */
  maxRecipients: number;
  /** Decides a recipient at RCPT TO: unknown → 550 5.1.1, policy → 550 5.7.1 etc. Throwing → 451 4.3.0. */
  checkRecipient(rcpt: string, ctx: { mailFrom: string; remoteAddress: string }): Promise<InboundVerdict>;
  /**
   * mailauth's DNS resolver `(name, rrtype) => Promise<…>` (`dns.promises.resolve`'s format), e.g.
   * `staticResolver(table)`. Without it the system resolver is used (production only: tests and
   * the demo must always pass one).
   */
  resolver?: MailauthResolver;
  /** After DATA, with the mailauth result: accept, or refuse (e.g. DMARC reject policy). Throwing → 451 4.3.0. */
  decide(auth: AuthSummary, ctx: { mailFrom: string; rcptTo: string[] }): InboundVerdict;
  /**
   * Makes the message durable (the caller's DB transaction). 250 is sent only after this resolves;
   * if it throws → 451 4.3.0 (try again later), never 250.
   */
  store(msg: InboundMessage): Promise<{ id: string | number }>;
  log: Logger;
  /** Most simultaneous connections (default 100); more → 421. */
  maxClients?: number;
  /** Most simultaneous connections from one IP address (default 10); more → 421 4.7.0. */
  maxClientsPerIp?: number;
  /** Idle time after which a client is disconnected, in ms (default 60 s; not while the server is working on its message). */
  socketTimeoutMs?: number;
  /** On `close()`, how long open connections may finish before they are cut, in ms (default 10 s). */
  closeTimeoutMs?: number;
  /** Upper bound for the mailauth check, in ms (default 30 s); afterwards the result is `temperror`. */
  authTimeoutMs?: number;
  /** mailauth's strict mode (default true: RFC-exact, e.g. a broken body hash is `dkim=fail`). */
  strictAuth?: boolean;
}

/** A listening inbound server. */
export interface RunningInbound {
  /** The port actually bound (useful with port 0). */
  port: number;
  /** Stops accepting, lets open sessions finish (up to `closeTimeoutMs`) and resolves when all are gone. */
  close(): Promise<void>;
}

/** An error whose message starts with an enhanced status code, answered as `code enhanced text`. */
type SmtpError = Error & { responseCode: number };

const ENHANCED = /^[245]\.\d{1,3}\.\d{1,3}$/;
const ENHANCED_PREFIX = /^[245]\.\d{1,3}\.\d{1,3} /;

function smtpError(code: number, enhanced: string, message: string): SmtpError {
  return Object.assign(new Error(`${enhanced} ${smtpSafe(message)}`), { responseCode: code });
}

/** Socket errors caused by the other side. */
const PEER_ERRORS: ReadonlySet<string> = new Set(["ECONNRESET", "EPIPE", "ETIMEDOUT", "ECONNABORTED", "ERR_SSL_WRONG_VERSION_NUMBER"]);

const TRY_LATER = (): SmtpError => smtpError(451, "4.3.0", "Temporary local problem, try again later");

/** A refusal from a callback as an SMTP error; malformed codes are replaced by a valid one of the same class. */
function refusalError(v: Extract<InboundVerdict, { ok: false }>, log: Logger): SmtpError {
  const code = Number.isInteger(v.code) && v.code >= 400 && v.code <= 599 ? v.code : 550;
  const cls = String(code).charAt(0);
  let enhanced = typeof v.enhanced === "string" ? v.enhanced : "";
  if (!ENHANCED.test(enhanced) || enhanced.charAt(0) !== cls) {
    log.warn({ code: v.code, enhanced: v.enhanced }, "inbound: invalid SMTP refusal from a callback, using a generic status code");
    enhanced = `${cls}.0.0`;
  }
  return smtpError(code, enhanced, typeof v.message === "string" && v.message !== "" ? v.message : "Rejected");
}

type Connection = SMTPServer["connections"] extends Set<infer C> ? C : never;

/**
 * smtp-server adds enhanced status codes by reply code only (550 is always 5.1.1). This subclass
 * lets replies whose text already starts with an enhanced code (all of ours) go out unchanged, so
 * that e.g. 550 5.7.1 and 451 4.7.1 are possible while the server's own replies keep theirs.
 */
class InboundSmtpServer extends SMTPServer {
  override connect(socket: Socket | TLSSocket, socketOptions?: Parameters<SMTPServer["connect"]>[1]): void {
    super.connect(socket, socketOptions);
    let created: Connection | undefined;
    for (const c of this.connections) created = c; // connect() adds the new connection last
    if (created === undefined) return;
    const send = created.send.bind(created);
    created.send = (code, data, context) => send(code, data, typeof data === "string" && ENHANCED_PREFIX.test(data) ? false : context);
  }
}

/** Session state of ours, by smtp-server session id. */
interface SessionState {
  ip: string;
}

/**
 * Starts the inbound SMTP server on `opts.bind:opts.port` and resolves once it listens. Every
 * message goes: RCPT TO → `checkRecipient`; DATA with at most `maxBytes` bytes buffered (more →
 * 552 5.3.4 after the data, nothing stored); a header section is required (else 554 5.6.0);
 * mailauth → `decide`; the trace fields are prepended (see `withTraceFields`); `store`; 250.
 * Client disconnects, timeouts and errors never store a partial message.
 */
export function startInboundServer(opts: InboundOptions): Promise<RunningInbound> {
  const log = opts.log;
  const maxPerIp = opts.maxClientsPerIp ?? 10;
  const perIp = new Map<string, number>();
  const sessions = new Map<string, SessionState>();

  const onConnect = (session: SMTPServerSession, callback: (err?: Error | null) => void): void => {
    const ip = session.remoteAddress;
    const count = (perIp.get(ip) ?? 0) + 1;
    if (count > maxPerIp) {
      log.warn({ ip, session: session.id }, "inbound: too many connections from one address");
      callback(smtpError(421, "4.7.0", "Too many connections from your address, try again later"));
      return;
    }
    perIp.set(ip, count);
    sessions.set(session.id, { ip });
    log.debug({ ip, session: session.id }, "inbound: connection");
    callback();
  };

  const onClose = (session: SMTPServerSession): void => {
    const state = sessions.get(session.id);
    if (state === undefined) return;
    sessions.delete(session.id);
    const left = (perIp.get(state.ip) ?? 1) - 1;
    if (left <= 0) perIp.delete(state.ip);
    else perIp.set(state.ip, left);
  };

  const onRcptTo = (address: SMTPServerAddress, session: SMTPServerSession, callback: (err?: Error | null) => void): void => {
    const mailFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : "";
    let verdict: Promise<InboundVerdict>;
    try {
      verdict = Promise.resolve(opts.checkRecipient(address.address, { mailFrom, remoteAddress: session.remoteAddress }));
    } catch (err) {
      verdict = Promise.reject(err);
    }
    verdict.then(
      (v) => {
        if (v.ok) return callback();
        log.info({ session: session.id, rcpt: address.address, mailFrom, code: v.code, enhanced: v.enhanced }, "inbound: recipient refused");
        callback(refusalError(v, log));
      },
      (err: unknown) => {
        log.error({ err, session: session.id, rcpt: address.address }, "inbound: checkRecipient failed");
        callback(TRY_LATER());
      },
    );
  };

  const onData = (stream: SMTPServerDataStream, session: SMTPServerSession, callback: (err?: Error | null, message?: string) => void): void => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    let over = false;
    let aborted = false;
    stream.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      if (over) return;
      if (bytes > opts.maxBytes) {
        over = true; // keep reading (the client must get to the end), keep nothing
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    });
    const abort = (err?: Error): void => {
      if (aborted) return;
      aborted = true;
      chunks.length = 0;
      log.info({ session: session.id, bytes, err: err?.message }, "inbound: message aborted before its end, nothing stored");
    };
    stream.on("error", abort);
    stream.on("close", () => {
      if (!stream.readableEnded) abort();
    });
    stream.on("end", () => {
      if (aborted) return;
      const envelope = {
        mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
        rcptTo: session.envelope.rcptTo.map((r) => r.address),
        helo: session.hostNameAppearsAs || "",
        remoteIp: session.remoteAddress,
        protocol: session.transmissionType || "ESMTP",
      };
      const raw = over ? Buffer.alloc(0) : Buffer.concat(chunks, bytes);
      chunks.length = 0;
      accept(session.id, envelope, raw, bytes, over).then(
        (reply) => callback(null, reply),
        (err: unknown) => callback(err instanceof Error ? err : TRY_LATER()),
      );
    });
  };

  /** Everything after the end of DATA; resolves to the 250 text, rejects with the SMTP error. */
  async function accept(
    sessionId: string,
    env: { mailFrom: string; rcptTo: string[]; helo: string; remoteIp: string; protocol: string },
    raw: Buffer,
    size: number,
    over: boolean,
  ): Promise<string> {
    const ctx = { session: sessionId, mailFrom: env.mailFrom, rcptTo: env.rcptTo.length, ip: env.remoteIp };
    if (over) {
      log.info({ ...ctx, bytes: size, maxBytes: opts.maxBytes }, "inbound: message too big, refused");
      throw smtpError(552, "5.3.4", `Message too big, at most ${opts.maxBytes} bytes`);
    }
    if (!hasHeaderSection(raw)) {
      log.info({ ...ctx, bytes: size }, "inbound: message without header section, refused");
      throw smtpError(554, "5.6.0", "Message has no valid header section");
    }
    const auth = await authenticateMessage(raw, {
      ip: env.remoteIp,
      helo: env.helo,
      mailFrom: env.mailFrom,
      hostname: opts.hostname,
      ...(opts.resolver === undefined ? {} : { resolver: opts.resolver }),
      timeoutMs: opts.authTimeoutMs ?? 30_000,
      strict: opts.strictAuth ?? true,
    });
    if (auth.error !== undefined) log.warn({ ...ctx, error: auth.error }, "inbound: authentication check failed (temperror)");
    let verdict: InboundVerdict;
    try {
      verdict = opts.decide(auth, { mailFrom: env.mailFrom, rcptTo: env.rcptTo });
    } catch (err) {
      log.error({ ...ctx, err }, "inbound: decide failed");
      throw TRY_LATER();
    }
    if (!verdict.ok) {
      log.info({ ...ctx, spf: auth.spf, dmarc: auth.dmarc, code: verdict.code, enhanced: verdict.enhanced }, "inbound: message refused");
      throw refusalError(verdict, log);
    }
    const stored = withTraceFields(raw, auth.headers, {
      helo: env.helo,
      remoteIp: env.remoteIp,
      hostname: opts.hostname,
      protocol: env.protocol,
      id: sessionId,
      date: new Date(),
    });
    let id: string | number;
    try {
      ({ id } = await opts.store({ mailFrom: env.mailFrom, rcptTo: env.rcptTo, remoteIp: env.remoteIp, helo: env.helo, auth, dmarc: auth.dmarc, raw: stored, size }));
    } catch (err) {
      log.error({ ...ctx, err }, "inbound: store failed, answered 451");
      throw TRY_LATER();
    }
    log.info({ ...ctx, id, bytes: size, spf: auth.spf, dmarc: auth.dmarc }, "inbound: message stored");
    return `2.0.0 Ok: queued as ${sessionId}`;
  }

  const options: SMTPServerOptions = {
    name: opts.hostname,
    banner: "Schulhof",
    size: opts.maxBytes,
    rejectOversized: true,
    maxRecipients: opts.maxRecipients,
    maxClients: opts.maxClients ?? 100,
    socketTimeout: opts.socketTimeoutMs ?? 60_000,
    closeTimeout: opts.closeTimeoutMs ?? 10_000,
    hideENHANCEDSTATUSCODES: false,
    disableReverseLookup: true,
    disabledCommands: opts.tls ? ["AUTH"] : ["AUTH", "STARTTLS"],
    logger: false,
    onConnect,
    onClose,
    onRcptTo,
    onData,
  };
  if (opts.tls) {
    options.key = opts.tls.key;
    options.cert = opts.tls.cert;
    options.minVersion = "TLSv1.2";
  }
  const server = new InboundSmtpServer(options);

  return new Promise((resolve, reject) => {
    const onStartError = (err: Error): void => reject(err);
    server.once("error", onStartError);
    server.listen(opts.port, opts.bind, () => {
      server.off("error", onStartError);
      server.on("error", (err: Error & { code?: string }) => {
        // Clients that hang up or time out are everyday events on an MX, not problems of ours.
        if (err.code !== undefined && PEER_ERRORS.has(err.code)) log.debug({ err }, "inbound: client connection error");
        else log.warn({ err }, "inbound: connection error");
      });
      const address = server.server.address();
      const port = typeof address === "object" && address !== null ? address.port : opts.port;
      log.info({ bind: opts.bind, port, hostname: opts.hostname, tls: opts.tls !== undefined }, "inbound SMTP server listening");
      resolve({
        port,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}
