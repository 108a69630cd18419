/**
 * Types shared by the inbound SMTP server and the inbound queue: the authentication summary of a
 * received message, the message as handed to `store`, and the verdicts of the decision callbacks.
 */
import type { DmarcDecision, DmarcResult } from "../policy/policy.ts";
import type { Decision, SmtpReply } from "../policy/smtp.ts";

/** One DKIM signature of the message as mailauth checked it. */
export interface DkimSummary {
  /** Signing domain (`d=`); "" when the signature had none. */
  domain: string;
  /** mailauth's result: pass, fail, neutral, policy, temperror, permerror, none. */
  result: string;
  /** Selector (`s=`). */
  selector?: string;
  /** For a passing signature: the signing domain when it aligns with the From domain (DMARC), else absent. */
  aligned?: string;
}

/** What mailauth found out about a received message (SPF, DKIM, DMARC, ARC). */
export interface AuthSummary {
  /** SPF result for MAIL FROM (or the HELO name for the null sender): pass, fail, softfail, neutral, none, temperror, permerror. */
  spf: string;
  dkim: DkimSummary[];
  /**
   * DMARC result. `none` when the author domain publishes no record or the message has no From
   * domain at all; `fail` also for a message whose From cannot be verified because it has several
   * From fields or several/invalid author domains (see `dmarcSkipReason`); `temperror` when the
   * check could not finish (DNS failure, mailauth error or timeout).
   */
  dmarc: DmarcResult;
  /** The effective DMARC policy of the author domain (`none`, `quarantine`, `reject`), when it has a record. */
  dmarcPolicy?: string;
  /** The author domain (From) that DMARC checked. */
  dmarcDomain?: string;
  /** Why DMARC was not evaluated (mailauth's `dmarcSkipReason`), e.g. `multiple-from-fields`. */
  dmarcSkipReason?: string;
  /** ARC chain result: pass, fail, none (no chain). */
  arc: string;
  /**
   * The trace header fields produced by the check, each ending in CRLF: `Authentication-Results`
   * (RFC 8601, authserv-id = the server's hostname) followed by `Received-SPF`. The server
   * prepends exactly these to the stored message.
   */
  headers: string;
  /** Set when mailauth failed or timed out: why (for logs; never shown to senders). */
  error?: string;
}

/** A refusal as the server sends it: basic code, enhanced status code (RFC 3463) and text. */
export type InboundRefusal = { ok: false } & SmtpReply;

/** The answer of `checkRecipient` and `decide`: accept, or refuse with this SMTP reply. */
export type InboundVerdict = { ok: true } | InboundRefusal;

/** A received message as handed to `store` (and written to the `inbound` table). */
export interface InboundMessage {
  /** MAIL FROM; "" for the null sender (bounces). */
  mailFrom: string;
  /** The accepted RCPT TO addresses, in the order given, without duplicates. */
  rcptTo: string[];
  remoteIp: string;
  /** The HELO/EHLO name the client gave. */
  helo: string;
  auth: AuthSummary;
  /** Same as `auth.dmarc` (kept in its own column for queries). */
  dmarc: string;
  /** The stored message: the server's trace header fields, then the message as received. */
  raw: Buffer;
  /** Size of the message as received, in bytes (what the SIZE limit counts; without the trace fields). */
  size: number;
}

/**
 * Turns a policy decision (`canReceive`, `dmarcDecision`, `sizeDecision`, …) into the verdict the
 * server callbacks return; a `mark` decision is an acceptance.
 */
export function verdictOf(decision: Decision | DmarcDecision): InboundVerdict {
  if (decision.ok) return { ok: true };
  return { ok: false, code: decision.smtp.code, enhanced: decision.smtp.enhanced, message: decision.smtp.message };
}
