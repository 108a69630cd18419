// Attachments of an outgoing mail given as media of the school's homeserver (mxc URIs): their schema, and the download with size limits.
import type { AppserviceIdentity } from "@schulhof/core";
import { SchulhofError } from "@schulhof/core";
import { z } from "zod";
import { cleanContentType, sanitizeFilename, type OutboundAttachment } from "./content/index.ts";

/**
 * The key of a user's `m.text` in a conversation room that lists the files of the same mail (the web client
 * uploads them first, then sends one event): `[{mxc, name, type?, size?}]`. The same shape as `POST /mails`.
 */
export const ATTACHMENTS_KEY = "de.schulhof.mail.attachments";

/** Most attachments of one mail. */
export const MAX_ATTACHMENTS = 20;

/** One attachment by reference: media the user uploaded to the school's homeserver. Name and type are untrusted. */
export const AttachmentRefSchema = z.object({
  mxc: z.string().max(500),
  name: z.string().min(1).max(255),
  type: z.string().max(255).optional(),
  /** What the client says the size is (shown in the room); the bridge measures the download itself. */
  size: z.number().int().nonnegative().optional(),
});
export type AttachmentRef = z.infer<typeof AttachmentRefSchema>;

export const AttachmentRefsSchema = z.array(AttachmentRefSchema).max(MAX_ATTACHMENTS);

/** Why attachments cannot be sent. */
export type AttachmentProblem = "invalid" | "foreign" | "missing" | "too_large" | "too_many" | "unreachable";

const TEXT: Record<Exclude<AttachmentProblem, "too_large">, { de: string; en: string }> = {
  invalid: { de: "Ein Anhang ist ungültig (keine Medien-Adresse mxc://).", en: "An attachment is invalid (not a media address mxc://)." },
  foreign: { de: "Anhänge müssen auf dem Server der Schule hochgeladen sein.", en: "Attachments must be uploaded to the school's server." },
  missing: { de: "Ein Anhang wurde auf dem Server nicht gefunden.", en: "An attachment was not found on the server." },
  too_many: { de: `Höchstens ${MAX_ATTACHMENTS} Anhänge je Mail.`, en: `At most ${MAX_ATTACHMENTS} attachments per mail.` },
  unreachable: { de: "Die Anhänge konnten gerade nicht gelesen werden; bitte später noch einmal.", en: "The attachments could not be read just now; please try again later." },
};

const STATUS: Record<AttachmentProblem, { http: number; errcode: string }> = {
  invalid: { http: 400, errcode: "M_INVALID_PARAM" },
  foreign: { http: 400, errcode: "M_INVALID_PARAM" },
  missing: { http: 400, errcode: "M_NOT_FOUND" },
  too_large: { http: 413, errcode: "M_TOO_LARGE" },
  too_many: { http: 400, errcode: "M_INVALID_PARAM" },
  unreachable: { http: 502, errcode: "M_UNKNOWN" },
};

/** An attachment that cannot be sent; the API answers it as is, a conversation room gets its text as a notice. */
export class AttachmentError extends SchulhofError {
  readonly problem: AttachmentProblem;

  constructor(problem: AttachmentProblem, message: string, maxBytes = 0) {
    const mb = String(Number((maxBytes / (1024 * 1024)).toPrecision(2)));
    const user = problem === "too_large" ? { de: `Die Anhänge sind zusammen größer als ${mb.replace(".", ",")} MB.`, en: `The attachments are larger than ${mb} MB together.` } : TEXT[problem];
    super(`SCHULHOF_MAIL_ATTACHMENT_${problem.toUpperCase()}`, message, user, { httpStatus: STATUS[problem].http, errcode: STATUS[problem].errcode });
    this.name = "AttachmentError";
    this.problem = problem;
  }
}

/** `mxc://server/media-id` split, or null. Media ids are URL-safe (`[A-Za-z0-9_-]`). */
export function parseMxc(mxc: string): { server: string; mediaId: string } | null {
  const m = /^mxc:\/\/([A-Za-z0-9.:[\]-]+)\/([A-Za-z0-9_-]{1,255})$/.exec(mxc);
  return m === null ? null : { server: m[1] ?? "", mediaId: m[2] ?? "" };
}

/** What the download needs of the appservice: its homeserver, its token, the server name its media must carry. */
export type MediaSource = Pick<AppserviceIdentity, "homeserverUrl" | "asToken" | "serverName">;

/** Reads a response body up to `max` bytes; null when it is larger (the rest is not read). */
async function readAtMost(res: Response, max: number): Promise<Buffer | null> {
  const declared = Number(res.headers.get("content-length") ?? NaN);
  if (Number.isFinite(declared) && declared > max) {
    await res.body?.cancel();
    return null;
  }
  const chunks: Buffer[] = [];
  let total = 0;
  if (res.body === null) return Buffer.alloc(0);
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel();
      return null;
    }
    chunks.push(Buffer.from(value));
  }
  return Buffer.concat(chunks);
}

/**
 * Downloads the referenced media with the appservice's own token (authenticated media) and answers them as mail
 * attachments, names made safe (`sanitizeFilename`), types checked. Only media of the school's own server; all of
 * them together at most `maxTotalBytes` (the school's `max_message_mb`), stopped as soon as that is passed.
 * @throws AttachmentError for every refusal; `unreachable` when the homeserver failed (worth a retry).
 */
export async function fetchAttachments(refs: readonly AttachmentRef[], source: MediaSource, maxTotalBytes: number): Promise<OutboundAttachment[]> {
  if (refs.length > MAX_ATTACHMENTS) throw new AttachmentError("too_many", `${refs.length} attachments`);
  const parsed = refs.map((r) => ({ ref: r, mxc: parseMxc(r.mxc) }));
  for (const { ref, mxc } of parsed) {
    if (mxc === null) throw new AttachmentError("invalid", `not an mxc URI: ${ref.mxc.slice(0, 80)}`);
    if (mxc.server.toLowerCase() !== source.serverName.toLowerCase()) throw new AttachmentError("foreign", `media of ${mxc.server}`);
  }
  const declared = refs.reduce((sum, r) => sum + (r.size ?? 0), 0);
  if (declared > maxTotalBytes) throw new AttachmentError("too_large", `declared ${declared} bytes`, maxTotalBytes);
  const out: OutboundAttachment[] = [];
  let total = 0;
  for (const { ref, mxc } of parsed) {
    if (mxc === null) continue;
    let res: Response;
    try {
      res = await fetch(`${source.homeserverUrl}/_matrix/client/v1/media/download/${encodeURIComponent(mxc.server)}/${encodeURIComponent(mxc.mediaId)}`, {
        headers: { authorization: `Bearer ${source.asToken}` },
        signal: AbortSignal.timeout(120_000),
      });
    } catch (e) {
      throw new AttachmentError("unreachable", `media download: ${(e as Error).message}`);
    }
    if (res.status === 404) {
      await res.body?.cancel();
      throw new AttachmentError("missing", `media ${ref.mxc} not found`);
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new AttachmentError(res.status === 429 || res.status >= 500 ? "unreachable" : "missing", `media ${ref.mxc}: ${res.status}`);
    }
    const content = await readAtMost(res, maxTotalBytes - total);
    if (content === null) throw new AttachmentError("too_large", `more than ${maxTotalBytes} bytes`, maxTotalBytes);
    total += content.length;
    out.push({ filename: sanitizeFilename(ref.name), contentType: cleanContentType(ref.type ?? res.headers.get("content-type") ?? ""), content });
  }
  return out;
}

/** The attachment list of a room event's content (`de.schulhof.mail.attachments`): null when absent, AttachmentError when malformed. */
export function attachmentRefsOf(content: Record<string, unknown>): AttachmentRef[] | null {
  const raw = content[ATTACHMENTS_KEY];
  if (raw === undefined) return null;
  if (Array.isArray(raw) && raw.length > MAX_ATTACHMENTS) throw new AttachmentError("too_many", `${raw.length} attachments`);
  const parsed = AttachmentRefsSchema.safeParse(raw);
  if (!parsed.success) throw new AttachmentError("invalid", "malformed attachment list");
  return parsed.data;
}
