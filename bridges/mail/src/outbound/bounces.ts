/**
 * Bounces of outbound mail: a delivery status notification (RFC 3464) that arrives at a VERP
 * bounce address marks its outbound row 'bounced' and lets the caller notify the sender, in one
 * transaction. The VERP HMAC is what authenticates a bounce; anything else is ignored.
 */
import type { Db, Queryable } from "@schulhof/core";
import { parseBounce, type BounceInfo } from "../content/dsn.ts";
import { parseMail } from "../content/parse.ts";
import { cleanLine } from "../content/util.ts";
import { OUTBOUND_COLUMNS, toOutboundRow, type OutboundRow } from "./queue.ts";
import { failedRecipients } from "./text.ts";
import { parseBounceAddress } from "./verp.ts";

/** Called inside the transaction that marks the row 'bounced'; throwing rolls it back. */
export type BounceHook = (tx: Queryable, row: OutboundRow, info: BounceInfo) => Promise<void>;

const MARK_BOUNCED = `
UPDATE outbound SET state = 'bounced', last_error = $2
WHERE id = $1 RETURNING ${OUTBOUND_COLUMNS}`;

/**
 * Handles a mail received at `rcpt`. When `rcpt` is a valid VERP bounce address of `domain`
 * (HMAC checked with `secret`) and the mail is a DSN naming at least one recipient that failed
 * for good, the outbound row becomes 'bounced' (last_error: the failed recipients) and `onBounce`
 * runs in the same transaction; answers true. Forged or unknown addresses, mails that are no DSN,
 * and DSNs that only report delays or successful deliveries are ignored: answers false.
 * Every DSN for a row calls `onBounce` again (separate DSNs may name different recipients).
 */
export async function handleBounce(
  db: Db,
  raw: Buffer,
  rcpt: string,
  domain: string,
  secret: string,
  onBounce: BounceHook,
): Promise<boolean> {
  const id = parseBounceAddress(rcpt, domain, secret);
  if (id === null) return false;
  let info: BounceInfo;
  try {
    info = parseBounce(await parseMail(raw), raw);
  } catch {
    return false;
  }
  if (!info.isBounce) return false;
  const failed = failedRecipients(info);
  if (failed.length === 0) return false;
  const summary = cleanLine(
    failed.map((r) => [r.address, r.status, r.diagnostic ?? ""].filter(Boolean).join(" ")).join("; "),
    1000,
  );
  return db.transaction(async (tx) => {
    const updated = await tx.query<Record<string, unknown>>(MARK_BOUNCED, [id, summary]);
    const row = updated.rows[0];
    if (row === undefined) return false;
    await onBounce(tx, toOutboundRow(row), info);
    return true;
  });
}
