// The mail bridge's API as the mail pages and the start page use it: own address and limits, conversations, a new mail.
import { apiClients, unwrap } from "../../lib/api/index.ts";
import type { components } from "../../lib/api/generated/mail.ts";
import { ApiError } from "../../lib/errors.ts";

/** One conversation as the bridge lists it (newest activity first). Subject and addresses are untrusted text. */
export type Conversation = components["schemas"]["Conversation"];

/** A file uploaded to the homeserver, as a new mail or a reply names it; the bridge mails it with the text. */
export type AttachmentRef = components["schemas"]["AttachmentRef"];

/** The user's own address and what the bridge takes along with one mail. */
export interface OwnMailbox {
  /** The address at the school's mail domain, or null when the school's directory gives the user none. */
  address: string | null;
  /** All attachments of one mail together, at most (bytes). */
  maxAttachmentBytes: number;
  maxAttachments: number;
}

let mailbox: Promise<OwnMailbox> | null = null;

/** The user's address and the attachment limits; asked once per page load (again after a failure). */
export function ownMailbox(): Promise<OwnMailbox> {
  mailbox ??= (async () => {
    const a = unwrap(await apiClients().mail.GET("/address"));
    return { address: a.address, maxAttachmentBytes: a.max_attachment_bytes, maxAttachments: a.max_attachments };
  })().catch((e: unknown) => {
    mailbox = null;
    throw e;
  });
  return mailbox;
}

/** The user's own address at the school's mail domain, or null when the school's directory gives them none. */
export async function ownAddress(): Promise<string | null> {
  return (await ownMailbox()).address;
}

/** One page of the user's conversations, newest activity first; `next` continues the list (null: the last page). */
export async function conversationPage(cursor: string | null = null, limit = 500): Promise<{ conversations: Conversation[]; next: string | null }> {
  const page = unwrap(await apiClients().mail.GET("/conversations", { params: { query: cursor === null ? { limit } : { limit, cursor } } }));
  return { conversations: page.conversations, next: page.next_cursor };
}

/** The user's conversations with the newest activity, the first page (the start page needs no more). */
export async function conversations(): Promise<Conversation[]> {
  return (await conversationPage()).conversations;
}

/**
 * Writes a new mail with its attachments (uploaded to the homeserver before); it goes out as one mail. Answers the
 * conversation room it opened. Refusals (school rules, bad address, attachments too large or gone) are ApiErrors.
 */
export async function newMail(to: string, subject: string, text: string, attachments: AttachmentRef[] = []): Promise<string> {
  const body = { to: to.trim(), subject: subject.trim(), text, ...(attachments.length > 0 ? { attachments } : {}) };
  return unwrap(await apiClients().mail.POST("/mails", { body })).room_id;
}

/**
 * Whether an error means the school runs no mail bridge (nothing answers under `/_schulhof/mail`), rather than a
 * failure of a running one: the start page then shows nothing about mail.
 */
export function isServiceMissing(error: unknown): boolean {
  if (error instanceof TypeError) return true;
  return error instanceof ApiError && (error.status === 404 || error.status === 405 || error.status === 502 || error.status === 503 || error.status === 504);
}
