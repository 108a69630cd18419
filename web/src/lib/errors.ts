// The client's errors: a code that picks the user-facing text (German/English from the dictionaries) and a log message.
import { t } from "./i18n/index.svelte.ts";

/** Everything that can go wrong in a way the user is told about. Each code has a text `error.<code>` in the dictionaries. */
export type ClientErrorCode =
  | "server_unreachable"
  | "discovery_invalid"
  | "wrong_password"
  | "user_deactivated"
  | "rate_limited"
  | "session_expired"
  | "unknown"
  | "no_video_service"
  | "media_denied"
  | "call_failed";

/** An error with a code for the user's text and a log message for developers (never a token). */
export class ClientError extends Error {
  readonly code: ClientErrorCode;
  /** For `rate_limited`: how long to wait, when the server said. */
  readonly retryAfterMs: number | null;

  constructor(code: ClientErrorCode, logMessage: string, cause?: unknown, retryAfterMs: number | null = null) {
    super(logMessage, { cause });
    this.name = "ClientError";
    this.code = code;
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * An error answer of a Schulhof API or the token service: Matrix-style `{errcode, error}`. The servers write `error`
 * in the language the client asked for (`Accept-Language`), so it is shown as it came.
 */
export class ApiError extends Error {
  readonly status: number;
  readonly errcode: string;
  /** The server's text for people, or null when the answer had none. */
  readonly serverText: string | null;
  readonly retryAfterMs: number | null;

  constructor(status: number, errcode: string, serverText: string | null, retryAfterMs: number | null = null) {
    super(`HTTP ${status} ${errcode}${serverText === null ? "" : `: ${serverText}`}`);
    this.name = "ApiError";
    this.status = status;
    this.errcode = errcode;
    this.serverText = serverText;
    this.retryAfterMs = retryAfterMs;
  }
}

/** The text to show a person for any error. */
export function userMessage(error: unknown): string {
  if (error instanceof ClientError) {
    const seconds = error.retryAfterMs === null ? null : Math.max(1, Math.ceil(error.retryAfterMs / 1000));
    if (error.code === "rate_limited" && seconds !== null) return t("error.rate_limited_seconds", { seconds });
    return t(`error.${error.code}` as const);
  }
  if (error instanceof ApiError) {
    if (error.serverText !== null && error.serverText !== "") return error.serverText;
    if (error.errcode === "M_LIMIT_EXCEEDED") return t("error.rate_limited");
    return t("error.unknown");
  }
  if (error instanceof TypeError) return t("error.server_unreachable");
  return t("error.unknown");
}
