// The mail bridge's API as the mail pages and the start page use it: own address, conversations, a new mail.
import { apiClients, unwrap } from "../../lib/api/index.ts";
import type { components } from "../../lib/api/generated/mail.ts";
import { ApiError } from "../../lib/errors.ts";

/** One conversation as the bridge lists it (newest first). Subject and addresses are untrusted text. */
export type Conversation = components["schemas"]["Conversation"];

/** The user's own address at the school's mail domain, or null when the school's directory gives them none. */
export async function ownAddress(): Promise<string | null> {
  return unwrap(await apiClients().mail.GET("/address")).address;
}

/** The user's conversations, newest first. */
export async function conversations(): Promise<Conversation[]> {
  return unwrap(await apiClients().mail.GET("/conversations")).conversations;
}

/** Writes a new mail; answers the conversation room it opened. Refusals (school rules, bad address) are ApiErrors. */
export async function newMail(to: string, subject: string, text: string): Promise<string> {
  return unwrap(await apiClients().mail.POST("/mails", { body: { to: to.trim(), subject: subject.trim(), text } })).room_id;
}

/**
 * Whether an error means the school runs no mail bridge (nothing answers under `/_schulhof/mail`), rather than a
 * failure of a running one: the start page then shows nothing about mail.
 */
export function isServiceMissing(error: unknown): boolean {
  if (error instanceof TypeError) return true;
  return error instanceof ApiError && (error.status === 404 || error.status === 405 || error.status === 502 || error.status === 503 || error.status === 504);
}
