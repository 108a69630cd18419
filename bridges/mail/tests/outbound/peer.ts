/**
 * A capturing SMTP peer for tests (smtp-server on 127.0.0.1): stores every message it accepts,
 * de-duplicates by Message-ID like a real receiver, and can be scripted to answer 451 or 550
 * (at RCPT TO or after DATA) or to drop the connection. Reusable by integration tests.
 */
import { once } from "node:events";
import type { Socket } from "node:net";
import { SMTPServer, type SMTPServerAddress, type SMTPServerSession } from "smtp-server";

/**
 * How the peer treats one connection: accept; drop the TCP connection at once; answer the code
 * after the message data ("451", "550"); or answer it to every RCPT TO ("rcpt:451", "rcpt:550").
 */
export type PeerAnswer = "accept" | "drop" | "451" | "550" | "554" | "rcpt:451" | "rcpt:550";

/** A message the peer accepted. */
export interface CapturedMessage {
  mailFrom: string;
  rcptTo: string[];
  raw: Buffer;
  /** Message-ID header value (as written, with brackets), or null. */
  messageId: string | null;
  /** Authenticated user name, or null. */
  user: string | null;
  /** True when the session was TLS-protected (STARTTLS). */
  secure: boolean;
}

/** Options of `startSmtpPeer`. */
export interface SmtpPeerOptions {
  /** Port to listen on (default 0: any free port). */
  port?: number;
  /** Require AUTH with these credentials (STARTTLS is then offered with smtp-server's test certificate). */
  auth?: { user: string; pass: string };
  /** Offer STARTTLS (smtp-server's built-in test certificate). Default: only with `auth`. */
  starttls?: boolean;
  /** Answers for the next connections, consumed one per connection; afterwards `accept`. */
  answers?: PeerAnswer[];
  /** Recipients always refused with 550 at RCPT TO (the others are accepted). */
  refuse?: string[];
  /** Wait this long before answering the message data (to hold a send in flight). */
  delayMs?: number;
}

/** A running capturing peer. */
export interface SmtpPeer {
  readonly port: number;
  /** Unique messages (by Message-ID) in arrival order. */
  readonly messages: CapturedMessage[];
  /** Every accepted DATA transfer, duplicates included. */
  readonly deliveries: CapturedMessage[];
  /** Number of TCP connections seen. */
  connections: number;
  /** Answers still to be used, one per connection (append to script more). */
  answers: PeerAnswer[];
  /** Most sessions that were open at the same time, overall and per recipient domain. */
  maxParallel: number;
  maxParallelPerDomain: Map<string, number>;
  /** Resolves once `messages` (unique) holds at least `n` messages. */
  waitForMessages(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

function messageIdOf(raw: Buffer): string | null {
  const text = raw.subarray(0, 256 * 1024).toString("latin1").replace(/\r\n/g, "\n");
  const end = text.indexOf("\n\n");
  const headers = (end < 0 ? text : text.slice(0, end)).replace(/\n[ \t]+/g, " ");
  const m = /^message-id[ \t]*:[ \t]*(\S+)/im.exec(headers);
  return m?.[1] ?? null;
}

function smtpError(code: number, message: string): Error {
  const err = new Error(message) as Error & { responseCode: number };
  err.responseCode = code;
  return err;
}

const domainOf = (address: string): string => address.slice(address.lastIndexOf("@") + 1).toLowerCase();

/** Starts a capturing SMTP peer on 127.0.0.1. */
export async function startSmtpPeer(opts: SmtpPeerOptions = {}): Promise<SmtpPeer> {
  const messages: CapturedMessage[] = [];
  const deliveries: CapturedMessage[] = [];
  const seen = new Set<string>();
  const byPort = new Map<number, PeerAnswer>();
  const bySession = new Map<string, PeerAnswer>();
  const domainsBySession = new Map<string, Set<string>>();
  const activeByDomain = new Map<string, number>();
  const refuse = new Set((opts.refuse ?? []).map((a) => a.toLowerCase()));
  const waiters: { n: number; resolve: () => void }[] = [];
  let active = 0;
  const starttls = opts.starttls ?? opts.auth !== undefined;

  const peer: SmtpPeer = {
    port: 0,
    messages,
    deliveries,
    connections: 0,
    answers: [...(opts.answers ?? [])],
    maxParallel: 0,
    maxParallelPerDomain: new Map(),
    waitForMessages(n, timeoutMs = 10_000) {
      if (messages.length >= n) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`peer: timed out waiting for ${n} message(s), have ${messages.length}`)), timeoutMs);
        waiters.push({
          n,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
    close: async () => undefined,
  };

  const disabled = [...(starttls ? [] : ["STARTTLS"]), ...(opts.auth ? [] : ["AUTH"])];
  const server = new SMTPServer({
    logger: false,
    disableReverseLookup: true,
    disabledCommands: disabled,
    authOptional: opts.auth === undefined,
    closeTimeout: 200,
    onAuth(auth, _session, callback) {
      if (opts.auth && auth.username === opts.auth.user && auth.password === opts.auth.pass) {
        callback(null, { user: auth.username });
        return;
      }
      callback(smtpError(535, "Authentication failed"));
    },
    onConnect(session, callback) {
      bySession.set(session.id, byPort.get(session.remotePort) ?? "accept");
      byPort.delete(session.remotePort);
      active++;
      peer.maxParallel = Math.max(peer.maxParallel, active);
      callback();
    },
    onClose(session) {
      active = Math.max(0, active - 1);
      for (const d of domainsBySession.get(session.id) ?? []) activeByDomain.set(d, (activeByDomain.get(d) ?? 1) - 1);
      domainsBySession.delete(session.id);
      bySession.delete(session.id);
    },
    onRcptTo(address: SMTPServerAddress, session: SMTPServerSession, callback) {
      const answer = bySession.get(session.id) ?? "accept";
      if (answer.startsWith("rcpt:")) {
        const code = Number(answer.slice(5));
        callback(smtpError(code, code >= 500 ? "5.1.1 Recipient rejected" : "4.2.0 Try again later"));
        return;
      }
      if (refuse.has(address.address.toLowerCase())) {
        callback(smtpError(550, "5.1.1 No such user"));
        return;
      }
      const d = domainOf(address.address);
      const domains = domainsBySession.get(session.id) ?? new Set<string>();
      if (!domains.has(d)) {
        domains.add(d);
        domainsBySession.set(session.id, domains);
        const now = (activeByDomain.get(d) ?? 0) + 1;
        activeByDomain.set(d, now);
        peer.maxParallelPerDomain.set(d, Math.max(peer.maxParallelPerDomain.get(d) ?? 0, now));
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        const finish = (): void => {
          const answer = bySession.get(session.id) ?? "accept";
          if (answer === "451" || answer === "550" || answer === "554") {
            const code = Number(answer);
            callback(smtpError(code, code >= 500 ? "5.7.1 Message refused" : "4.3.0 Temporary failure, try again"));
            return;
          }
          const raw = Buffer.concat(chunks);
          const mailFrom = session.envelope.mailFrom === false ? "" : session.envelope.mailFrom.address;
          const msg: CapturedMessage = {
            mailFrom,
            rcptTo: session.envelope.rcptTo.map((r) => r.address),
            raw,
            messageId: messageIdOf(raw),
            user: typeof session.user === "string" ? session.user : null,
            secure: session.secure,
          };
          deliveries.push(msg);
          const key = msg.messageId ?? `no-id:${deliveries.length}`;
          if (!seen.has(key)) {
            seen.add(key);
            messages.push(msg);
            for (const w of [...waiters]) {
              if (messages.length >= w.n) {
                waiters.splice(waiters.indexOf(w), 1);
                w.resolve();
              }
            }
          }
          callback(null, `2.0.0 Ok: queued as peer-${deliveries.length}`);
        };
        if (opts.delayMs) setTimeout(finish, opts.delayMs);
        else finish();
      });
    },
  });

  // Runs before smtp-server's own handler, which may call onConnect synchronously.
  server.server.prependListener("connection", (socket: Socket) => {
    peer.connections++;
    const answer = peer.answers.shift() ?? "accept";
    if (answer === "drop") {
      socket.destroy();
      return;
    }
    if (socket.remotePort !== undefined) byPort.set(socket.remotePort, answer);
  });
  server.on("error", () => undefined);

  server.listen(opts.port ?? 0, "127.0.0.1");
  await once(server.server, "listening");
  const address = server.server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  Object.defineProperty(peer, "port", { value: port });
  peer.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return peer;
}
