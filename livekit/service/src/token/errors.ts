// The refusals of the video token service as Matrix-style errors (`{errcode, error}` with an HTTP status), texts German first.
import { SchulhofError, type UserText } from "@schulhof/core";

/**
 * Every refusal: HTTP status, Matrix errcode and what a person reads.
 *
 * Choices beyond the obvious ones:
 * - `user_mismatch` (the OpenID token belongs to someone other than `member.claimed_user_id`) is 401 `M_UNAUTHORIZED`,
 *   as lk-jwt-service answers it.
 * - `homeserver_unreachable` and `sfu_unavailable` are 502 `M_UNKNOWN`: an upstream failed, not this service.
 *   `M_UNAVAILABLE` is no Matrix errcode; 502 `M_UNKNOWN` is what MSC4195 prescribes for upstream failures of
 *   `/get_token`, what lk-jwt-service answers when it cannot check a membership, and what `OpenIdVerifier` of
 *   `@schulhof/core` throws when a homeserver is down, so all of them look alike to clients.
 * - `not_member` covers "room unknown" and "not joined" alike, so a refusal never tells whether a room exists (MSC4195).
 */
const KINDS = {
  bad_json: { code: "SCHULHOF_VIDEO_BAD_JSON", status: 400, errcode: "M_BAD_JSON", de: "Die Anfrage ist fehlerhaft.", en: "The request is malformed." },
  not_json: { code: "SCHULHOF_VIDEO_NOT_JSON", status: 400, errcode: "M_NOT_JSON", de: "Die Anfrage ist kein gültiges JSON.", en: "The request body is not valid JSON." },
  invalid_openid_token: {
    code: "SCHULHOF_VIDEO_INVALID_OPENID_TOKEN",
    status: 401,
    errcode: "M_UNKNOWN_TOKEN",
    de: "Die Anmeldung konnte nicht bestätigt werden (ungültig oder abgelaufen). Bitte erneut versuchen.",
    en: "The sign-in could not be confirmed (invalid or expired). Please try again.",
  },
  user_mismatch: {
    code: "SCHULHOF_VIDEO_USER_MISMATCH",
    status: 401,
    errcode: "M_UNAUTHORIZED",
    de: "Die Anmeldung gehört zu einem anderen Konto als angegeben.",
    en: "The sign-in belongs to a different account than the one given.",
  },
  foreign_server: {
    code: "SCHULHOF_VIDEO_FOREIGN_SERVER",
    status: 403,
    errcode: "M_FORBIDDEN",
    de: "Videokonferenzen stehen nur Konten der Schulen dieses Schulverbunds offen.",
    en: "Video calls are open only to accounts of the schools in this district.",
  },
  not_member: {
    code: "SCHULHOF_VIDEO_NOT_MEMBER",
    status: 403,
    errcode: "M_FORBIDDEN",
    de: "Kein Zugang: Nur Mitglieder dieses Raums können an seiner Videokonferenz teilnehmen.",
    en: "No access: only members of this room can join its video call.",
  },
  not_teacher: {
    code: "SCHULHOF_VIDEO_NOT_TEACHER",
    status: 403,
    errcode: "M_FORBIDDEN",
    de: "Das dürfen nur Lehrkräfte dieses Raums.",
    en: "Only teachers of this room may do that.",
  },
  no_participant: {
    code: "SCHULHOF_VIDEO_NO_PARTICIPANT",
    status: 404,
    errcode: "M_NOT_FOUND",
    de: "Diese Person ist gerade nicht in der Videostunde.",
    en: "This person is not in the video lesson right now.",
  },
  banned: {
    code: "SCHULHOF_VIDEO_BANNED",
    status: 403,
    errcode: "M_FORBIDDEN",
    de: "Kein Zugang: Dieses Konto ist aus dem Raum ausgeschlossen.",
    en: "No access: this account is banned from the room.",
  },
  homeserver_unreachable: {
    code: "SCHULHOF_VIDEO_HOMESERVER_UNREACHABLE",
    status: 502,
    errcode: "M_UNKNOWN",
    de: "Der Server der Schule ist gerade nicht erreichbar. Bitte gleich noch einmal versuchen.",
    en: "The school's server cannot be reached right now. Please try again shortly.",
  },
  sfu_unavailable: {
    code: "SCHULHOF_VIDEO_SFU_UNAVAILABLE",
    status: 502,
    errcode: "M_UNKNOWN",
    de: "Der Videoserver ist gerade nicht erreichbar. Bitte gleich noch einmal versuchen.",
    en: "The video server cannot be reached right now. Please try again shortly.",
  },
  rate_limited: {
    code: "SCHULHOF_VIDEO_RATE_LIMITED",
    status: 429,
    errcode: "M_LIMIT_EXCEEDED",
    de: "Zu viele Anfragen. Bitte kurz warten und erneut versuchen.",
    en: "Too many requests. Please wait a moment and try again.",
  },
  internal: { code: "SCHULHOF_VIDEO_INTERNAL", status: 500, errcode: "M_UNKNOWN", de: "Interner Fehler.", en: "Internal error." },
} as const;

/** The kinds of refusal. */
export type VideoErrorKind = keyof typeof KINDS;

/** Stable codes (`SCHULHOF_VIDEO_…`) of the refusals, for matching with `isSchulhofError(e, code)`. */
export const VIDEO_ERROR_CODES = Object.fromEntries(Object.entries(KINDS).map(([kind, k]) => [kind, k.code])) as Readonly<Record<VideoErrorKind, string>>;

/** The JSON body of a refusal, as Matrix answers errors. */
export interface VideoErrorBody {
  errcode: string;
  error: string;
  schulhof_code: string;
  /** Only on 429: how long to wait, in milliseconds. */
  retry_after_ms?: number;
}

/**
 * A refusal of the token service. It is a {@link SchulhofError}, so `sendError` of `@schulhof/core` answers it
 * correctly; `toResponse()` gives status, headers (`Retry-After` on 429) and body for other glue.
 */
export class VideoTokenError extends SchulhofError {
  readonly kind: VideoErrorKind;
  /** For `bad_json`: the offending field as a dotted path (`member.claimed_device_id`), `""` for the whole body. */
  readonly field: string | undefined;
  /** For `rate_limited`: milliseconds until a retry can succeed (a whole number, at least 1). */
  readonly retryAfterMs: number | undefined;

  constructor(kind: VideoErrorKind, logMessage: string, opts: { user?: UserText; field?: string; retryAfterMs?: number; cause?: unknown } = {}) {
    const k = KINDS[kind];
    super(k.code, logMessage, opts.user ?? { de: k.de, en: k.en }, { httpStatus: k.status, errcode: k.errcode, cause: opts.cause });
    this.name = "VideoTokenError";
    this.kind = kind;
    this.field = opts.field;
    this.retryAfterMs = opts.retryAfterMs;
  }

  /** The HTTP status to answer with. */
  get status(): number {
    return this.httpStatus;
  }

  /** The `{errcode, error, schulhof_code}` body in one language, with `retry_after_ms` on 429. */
  override toMatrixError(lang: "de" | "en" = "de"): VideoErrorBody {
    const body: VideoErrorBody = super.toMatrixError(lang);
    if (this.retryAfterMs !== undefined) body.retry_after_ms = this.retryAfterMs;
    return body;
  }

  /** Status, headers and body of the HTTP answer; 429 carries `Retry-After` in whole seconds. */
  toResponse(lang: "de" | "en" = "de"): { status: number; headers: Record<string, string>; body: VideoErrorBody } {
    const headers: Record<string, string> = { "cache-control": "no-store" };
    if (this.retryAfterMs !== undefined) headers["retry-after"] = String(Math.max(1, Math.ceil(this.retryAfterMs / 1000)));
    return { status: this.status, headers, body: this.toMatrixError(lang) };
  }
}

/** Builds the refusal of one kind; `logMessage` is for logs only and must never contain a token. */
export function videoError(kind: VideoErrorKind, logMessage: string, cause?: unknown): VideoTokenError {
  return new VideoTokenError(kind, logMessage, { cause });
}

/** The 400 `M_BAD_JSON` refusal naming the offending field (dotted path; `""` when the body itself is wrong). */
export function badJson(field: string, problem: "missing" | "invalid", detail: string): VideoTokenError {
  const user: UserText =
    field === ""
      ? { de: "Die Anfrage ist fehlerhaft: Der Inhalt muss ein JSON-Objekt sein.", en: "The request is malformed: the body must be a JSON object." }
      : problem === "missing"
        ? { de: `Die Anfrage ist fehlerhaft: „${field}“ fehlt.`, en: `The request is malformed: "${field}" is missing.` }
        : { de: `Die Anfrage ist fehlerhaft: „${field}“ ist ungültig.`, en: `The request is malformed: "${field}" is invalid.` };
  return new VideoTokenError("bad_json", `malformed token request: ${field === "" ? "body" : field} ${problem}: ${detail}`, { user, field });
}

/** The 429 `M_LIMIT_EXCEEDED` refusal with `retry_after_ms` (rounded up to a whole millisecond, at least 1). */
export function rateLimited(retryAfterMs: number, what: string): VideoTokenError {
  const ms = Number.isFinite(retryAfterMs) ? Math.max(1, Math.ceil(retryAfterMs)) : 60_000;
  const secs = Math.max(1, Math.ceil(ms / 1000));
  const user: UserText = {
    de: `Zu viele Anfragen. Bitte in ${secs} ${secs === 1 ? "Sekunde" : "Sekunden"} erneut versuchen.`,
    en: `Too many requests. Please try again in ${secs} ${secs === 1 ? "second" : "seconds"}.`,
  };
  return new VideoTokenError("rate_limited", `rate limited (${what}), retry after ${ms} ms`, { user, retryAfterMs: ms });
}
