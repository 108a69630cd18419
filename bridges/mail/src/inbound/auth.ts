/**
 * Sender authentication of inbound mail with mailauth (SPF, DKIM, DMARC, ARC), reduced to an
 * `AuthSummary`, and `staticResolver`, an in-memory DNS table in mailauth's resolver format for
 * tests and the demo (so that no DNS query ever leaves the machine).
 */
import { authenticate, type AuthenticateResult, type DNSResolver } from "mailauth";
import type { DmarcResult } from "../policy/policy.ts";
import type { AuthSummary, DkimSummary } from "./types.ts";

/** A DNS table: name → record type → answers (TXT answers as arrays of strings, or plain strings). */
export type DnsRecords = Record<string, Record<string, string[][] | string[]>>;

/** mailauth's resolver: `dns.promises.resolve`'s signature. */
export type MailauthResolver = (name: string, rrtype: string) => Promise<unknown>;

function dnsError(code: "ENOTFOUND" | "ENODATA", name: string, rrtype: string): Error {
  const syscall = `query${rrtype.charAt(0)}${rrtype.slice(1).toLowerCase()}`;
  return Object.assign(new Error(`${syscall} ${code} ${name}`), { code, syscall, hostname: name });
}

function normaliseName(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, "");
}

/**
 * A mailauth resolver answering from `records` only: names are matched case-insensitively
 * (a trailing dot is ignored), types by their upper-case name. A name that is not in the table
 * fails with `ENOTFOUND` (no such domain), a known name without records of the asked type with
 * `ENODATA` — the error codes `dns.promises` uses and mailauth expects. Answers are copies.
 */
export function staticResolver(records: DnsRecords): MailauthResolver {
  const table = new Map<string, Map<string, string[][] | string[]>>();
  for (const [name, types] of Object.entries(records)) {
    const byType = table.get(normaliseName(name)) ?? new Map<string, string[][] | string[]>();
    for (const [type, answers] of Object.entries(types)) byType.set(type.toUpperCase(), answers);
    table.set(normaliseName(name), byType);
  }
  return async (name: string, rrtype: string): Promise<unknown> => {
    const type = (rrtype || "A").toUpperCase();
    const entry = table.get(normaliseName(String(name)));
    if (entry === undefined) throw dnsError("ENOTFOUND", name, type);
    const answers = entry.get(type);
    if (answers === undefined || answers.length === 0) throw dnsError("ENODATA", name, type);
    return structuredClone(answers);
  };
}

/** Where the message came from, for the checks. */
export interface AuthContext {
  ip: string;
  helo: string;
  /** MAIL FROM; "" for the null sender (SPF then checks the HELO name). */
  mailFrom: string;
  /** The receiving server's hostname: the authserv-id of Authentication-Results. */
  hostname: string;
  /** DNS lookups; without it mailauth uses the system resolver (`dns.promises.resolve`). */
  resolver?: MailauthResolver;
  /** Upper bound for the whole check; afterwards the result is `temperror`. */
  timeoutMs: number;
  /**
   * mailauth's strict mode (RFC 6376/7208/7489 exactly; e.g. a body hash mismatch is `dkim=fail`,
   * not `neutral`, and rsa-sha1 signatures do not pass). Default true.
   */
  strict?: boolean;
}

const DMARC_RESULTS: ReadonlySet<string> = new Set(["pass", "fail", "none", "temperror", "permerror"]);

/** The reduction of mailauth's result to an `AuthSummary`. */
export function summarise(result: AuthenticateResult): AuthSummary {
  // mailauth reports an unsigned message as one result `none` without a domain: that is no signature.
  const signatures = (result.dkim.results ?? []).filter((r) => r.signingDomain !== undefined || r.status.result !== "none");
  const dkim: DkimSummary[] = signatures.map((r) => {
    const row: DkimSummary = { domain: r.signingDomain ?? "", result: r.status.result };
    if (r.selector !== undefined) row.selector = r.selector;
    if (r.status.result === "pass" && typeof r.status.aligned === "string") row.aligned = r.status.aligned;
    return row;
  });
  const summary: AuthSummary = {
    spf: result.spf ? result.spf.status.result : "none",
    dkim,
    dmarc: "none",
    arc: result.arc ? result.arc.status.result : "none",
    headers: result.headers,
  };
  if (result.dmarc) {
    const r = result.dmarc.status.result;
    summary.dmarc = DMARC_RESULTS.has(r) ? (r as DmarcResult) : "permerror";
    if (result.dmarc.policy) summary.dmarcPolicy = result.dmarc.policy;
    const from = result.dmarc.status.header?.from;
    if (typeof from === "string" && from !== "") summary.dmarcDomain = from;
  } else if (result.dmarcSkipReason !== undefined) {
    summary.dmarcSkipReason = result.dmarcSkipReason;
    // Several From fields or author domains: the From shown to the reader cannot be verified,
    // the classic way around DMARC (RFC 9989 section 11.5). Treated like a failed check.
    if (result.dmarcSkipReason !== "no-author-domain") summary.dmarc = "fail";
  }
  return summary;
}

/** The summary of a check that could not finish: everything `temperror`, with the reason. */
export function temperrorSummary(hostname: string, reason: string): AuthSummary {
  const authservId = /^[A-Za-z0-9.-]+$/.test(hostname) ? hostname : "localhost";
  return {
    spf: "temperror",
    dkim: [],
    dmarc: "temperror",
    arc: "none",
    headers: `Authentication-Results: ${authservId};\r\n dmarc=temperror (authentication check failed)\r\n`,
    error: reason,
  };
}

/**
 * Checks SPF, DKIM, DMARC and ARC of `raw` with mailauth (BIMI is not checked). Never throws: if
 * mailauth fails or does not finish within `timeoutMs`, the summary says `temperror` (the caller's
 * `decide` then usually answers 451 so that the sender retries).
 */
export async function authenticateMessage(raw: Buffer, ctx: AuthContext): Promise<AuthSummary> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`authentication timed out after ${ctx.timeoutMs} ms`)), ctx.timeoutMs);
  });
  try {
    const check = authenticate(raw, {
      ip: ctx.ip,
      helo: ctx.helo,
      sender: ctx.mailFrom,
      mta: ctx.hostname,
      ...(ctx.resolver === undefined ? {} : { resolver: ctx.resolver as DNSResolver }),
      disableBimi: true,
      strict: ctx.strict ?? true,
      // passed on to the SPF check (RFC 7208 section 4.6.4): temperror when exceeded
      maxElapsedTime: ctx.timeoutMs,
    } as Parameters<typeof authenticate>[1]);
    check.catch(() => undefined); // after a timeout nobody waits for it any more
    return summarise(await Promise.race([check, timeout]));
  } catch (err) {
    return temperrorSummary(ctx.hostname, err instanceof Error ? err.message : String(err));
  } finally {
    clearTimeout(timer);
  }
}
